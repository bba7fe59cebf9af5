"""Scale of the dashboard's aggregate: ingest cost and ``/dashboard/data.json`` at 1k-100k results.

Not a test: prints figures (docs/benchmark-notes.md, "Dashboard at 100,000 results").
For each store size N it

1. writes N synthetic result documents (``flask_app.samples``: realistic documents with
   random ids; ``--per-machine`` results per machine, a quarter of the machines on the
   ``quick`` preset, i.e. array size tiny, the rest ``default``/small) into a git
   repository with the store's own file names, and pushes it to a bare remote;
2. builds the Parquet parts of those N results in bulk (the same conversion the
   service's ingest uses, ``CATCH_UP_BATCH`` documents a part, then compacted), as a
   service that caught up on the store would have them;
3. starts the real service (``zarr-benchmarks serve``, waitress, loopback) on that
   remote, and then ``--ingests`` times: POSTs one more result, waits until ``/health``
   says the parts hold it, and records the writer's ingest time for it (``aggregate.
   seconds``: reading the one document and appending its part), then times
   ``GET /dashboard/data.json`` right after (cold: the set of parts changed, so the
   cached answer is rebuilt with DuckDB) and ``--requests`` more times (warm).

Usage::

    .venv/bin/python scripts/bench_dashboard_scale.py                 # 1k, 10k, 100k
    .venv/bin/python scripts/bench_dashboard_scale.py --sizes 1000 --ingests 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_app import samples  # noqa: E402
from flask_app.documents import derive  # noqa: E402
from flask_app.ingest import CATCH_UP_BATCH  # noqa: E402
from flask_app.testing import ServerProcess  # noqa: E402
from zarr_benchmarks.share.aggregate import Tables  # noqa: E402
from zarr_benchmarks.share.parts import PartStore  # noqa: E402

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def git(cwd: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
    # no automatic gc: a detached repack of the 100,000-file store would run beside (and
    # skew) the measurements
    cmd = ["git", "-c", "gc.auto=0", *args]
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)


def result(machine_id: str, env_id: str, i: int, preset: str) -> dict[str, Any]:
    """A sample result; its ratio benchmark under the name the dashboard charts."""
    stamp = time.gmtime(1_700_000_000 + 60 * i)
    doc = samples.result_document(
        machine_id, env_id, timestamp=time.strftime("%Y-%m-%d-%H-%M-%S", stamp), seed=i
    )
    doc["benchmarks"]["bench_write.Write.track_compression_ratio"] = doc["benchmarks"].pop(
        "bench_ratio.Ratio.track_ratio"
    )
    doc["preset"], doc["quick"] = preset, preset == "quick"
    return doc


def make_store(folder: Path, n: int, per_machine: int) -> tuple[Path, Path, list[str], str]:
    """The bare remote with ``n`` results, and the bulk-built parts; returns ids used."""
    seed = folder / "seed"
    (seed / "results").mkdir(parents=True)
    env = samples.environment_document()
    docs: list[dict[str, Any]] = [env]
    machines = []
    for k in range(max(1, n // per_machine)):
        machine = samples.machine_document(name=f"Machine{k:05d}")
        machines.append(machine["machine_id"])
        docs.append(machine)
    for i in range(n):
        k = i % len(machines)
        docs.append(
            result(machines[k], env["environment_id"], i, "quick" if k % 4 == 0 else "default")
        )
    parts = PartStore(folder / "instance" / "aggregate" / "parts")
    tables = Tables()
    for j, doc in enumerate(docs):
        kind, _, rel = derive(doc)
        (seed / rel).write_text(json.dumps(doc), encoding="utf-8")
        tables.add(kind, doc, rel, seq=j)
        if (j + 1) % CATCH_UP_BATCH == 0:  # parts as the service's catch-up writes them
            parts.append(tables)
            tables = Tables()
    parts.append(tables)
    parts.compact()
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "results")
    git(seed, "commit", "-q", "-m", f"{n} synthetic results")
    bare = folder / "remote.git"
    git(folder, "clone", "-q", "--bare", str(seed), str(bare))
    # a hosted remote collects garbage on its own schedule, not detached beside the bench
    git(bare, "config", "receive.autoGc", "false")
    return bare, folder / "instance", machines, env["environment_id"]


def _part_files(instance: Path) -> list[Path]:
    return list((instance / "aggregate" / "parts").glob("*/*.parquet"))


def spread(values: list[float], unit: float = 1e3) -> str:
    v = sorted(x * unit for x in values)
    return f"{statistics.median(v):8.1f} [{v[0]:.1f}-{v[-1]:.1f}]"


def _left_running(folder: str) -> list[str]:
    """Processes still working in ``folder`` (their cwd is inside it)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if os.readlink(proc / "cwd").startswith(folder):
                cwd = os.readlink(proc / "cwd")[len(folder) :]
                found.append(f"{proc.name} in {cwd}: {(proc / 'cmdline').read_bytes()[:60]!r}")
        except OSError:
            continue
    return found


def run_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-scale-", ignore_cleanup_errors=True) as tmp:
        result = _run_size_in(tmp, n, args)
        for line in _left_running(tmp):
            print(f"  still running in the store after the server stopped: {line}")
        return result


def _run_size_in(tmp: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tmp)
    t0 = time.monotonic()
    bare, instance, machines, env_id = make_store(folder, n, args.per_machine)
    made = time.monotonic() - t0
    settings = {
        "remote": bare,
        "aggregate_debounce": 0,
        "rate_limit": "none",
        "git_timeout": 900,
        "git_local_timeout": 900,
    }
    t0 = time.monotonic()
    server = ServerProcess(instance, settings, threads=4)
    # start() once, with a long deadline (``with ServerProcess(...)`` starts it too)
    server.start(timeout=1800)
    try:
        started = time.monotonic() - t0
        url = server.url
        if args.first_after:
            # a visitor some seconds after the start: the start-up warm-up has run
            time.sleep(args.first_after)
        t = time.monotonic()
        first = requests.get(url + "/dashboard/data.json", timeout=600)
        first_s = time.monotonic() - t
        assert first.status_code == 200, first.text[:300]
        assert first.json()["results"] == n, first.json()["results"]
        ingest, visible, cold, warm, parts = [], [], [], [], []
        size = 0
        for j in range(args.ingests):
            doc = result(machines[j % len(machines)], env_id, n + j, "default")
            t = time.monotonic()
            answer = requests.post(url + "/contribute", json=doc, timeout=60)
            assert answer.status_code in (201, 202), answer.text
            deadline = time.monotonic() + 600
            while True:
                agg = requests.get(url + "/health", timeout=60).json().get("aggregate")
                if agg and agg["results"] == n + j + 1:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"result {n + j + 1} not ingested: {agg}")
                time.sleep(0.05)  # /health counts the index: polling competes for the GIL
            visible.append(time.monotonic() - t)
            ingest.append(agg["seconds"])
            parts.append(agg["parts"])
            for k in range(1 + args.requests):
                t = time.monotonic()
                response = requests.get(url + "/dashboard/data.json", timeout=60)
                (cold if k == 0 else warm).append(time.monotonic() - t)
                assert response.status_code == 200
                size = len(response.content)
            data = response.json()
            assert data["results"] == n + j + 1
        return {
            "n": n,
            "made_s": made,
            "start_s": started,
            "first_s": first_s,
            "ingest": ingest,
            "visible": visible,
            "cold": cold,
            "warm": warm,
            "bytes": size,
            "rows": len(data["rows"]),
            "parts": parts,
            "files": sorted(str(p.relative_to(instance)) for p in _part_files(instance)),
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument(
        "--ingests", type=int, default=20, help="more than 16: a compaction runs meanwhile"
    )
    parser.add_argument("--requests", type=int, default=5, help="warm requests per ingest")
    parser.add_argument("--per-machine", type=int, default=100)
    parser.add_argument(
        "--first-after",
        type=float,
        default=0.0,
        help="seconds between the server being up and the first data.json (default 0: at once)",
    )
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out = []
    for n in (int(s) for s in args.sizes.split(",")):
        r = run_size(n, args)
        out.append(r)
        print(
            f"{n:>7} results: store made in {r['made_s']:.0f} s, server up in "
            f"{r['start_s']:.0f} s, first data.json "
            f"{r['first_s'] * 1e3:.0f} ms; live part files {min(r['parts'])}-{max(r['parts'])} "
            f"over the ingests, {len(r['files'])} on disk at the end; "
            f"data.json {r['bytes'] / 1e6:.2f} MB, {r['rows']} rows",
            flush=True,
        )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print("median [min-max] in ms")
    print(
        f"{'results':>8} | {'ingest of one':>24} | {'POST to ingested':>24} | "
        f"{'data.json cold':>24} | {'data.json warm':>24}"
    )
    for r in out:
        print(
            f"{r['n']:>8} | {spread(r['ingest']):>24} | {spread(r['visible']):>24} | "
            f"{spread(r['cold']):>24} | {spread(r['warm']):>24}"
        )


if __name__ == "__main__":
    main()
