"""How fast is ``zarr-benchmarks reduce``? Generates N realistic asv result files and times it.

Each generated file looks like one run of the default preset: 8 benchmarks over
modality x codec x chunks (3 x 4 x 2 = 24 combinations), time benchmarks with 10 samples
and full asv statistics, some failed (null) and skipped (NaN) entries; plus asv's
``benchmarks.json``. The reduce (parse, reduce, validate against the schemas, write
atomically with fsync) runs 3 times into fresh folders; the median wall time is printed.

Usage::

    python scripts/bench_reduce.py [--files 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from zarr_benchmarks.results.reduce import reduce_paths
from zarr_benchmarks.run.environment import environment_document
from zarr_benchmarks.run.hardware import collect_machine_info
from zarr_benchmarks.run.machine import machine_document

COLUMNS = [
    "result", "params", "version", "started_at", "duration", "stats_ci_99_a", "stats_ci_99_b",
    "stats_q_25", "stats_q_75", "stats_number", "stats_repeat", "samples", "profile",
]  # fmt: skip
PARAMS = [
    ["'cryoet'", "'lightsheet'", "'em-volume'"],
    ["'blosc-zstd-5-shuffle'", "'blosc-lz4-5-shuffle'", "'zstd-3'", "'none'"],
    ["'cube64'", "'plane'"],
]
BENCHMARKS = {
    "bench_write.Write.time_write": ("time", "seconds"),
    "bench_write.Write.track_compression_ratio": ("track", "ratio"),
    "bench_write.Write.peakmem_write": ("peakmemory", "bytes"),
    "bench_read.Read.time_read": ("time", "seconds"),
    "bench_read.ReadRegion.time_read_chunk": ("time", "seconds"),
    "bench_read.ReadRegion.time_read_plane": ("time", "seconds"),
    "bench_read.Read.peakmem_read": ("peakmemory", "bytes"),
    "bench_format.Format.track_nbytes_stored": ("track", "bytes"),
}


def generate(folder: Path, n_files: int, seed: int = 0) -> Path:
    """Write ``n_files`` asv result files and benchmarks.json under ``folder``."""
    rng = random.Random(seed)
    results_dir = folder / "asv-results"
    machine_dir = results_dir / "HappySun"
    machine_dir.mkdir(parents=True)
    combos = len(list(itertools.product(*PARAMS)))
    versions = {name: f"{rng.getrandbits(256):064x}" for name in BENCHMARKS}
    bench_json: dict = {"version": 2}
    for name, (kind, unit) in BENCHMARKS.items():
        bench_json[name] = {
            "name": name,
            "param_names": ["modality", "codec", "chunks"],
            "params": PARAMS,
            "type": kind,
            "unit": unit,
            "version": versions[name],
        }
    (results_dir / "benchmarks.json").write_text(json.dumps(bench_json))
    start = 1_790_000_000_000
    for i in range(n_files):
        commit = f"{rng.getrandbits(160):040x}"
        results = {}
        for j, (name, (kind, _unit)) in enumerate(BENCHMARKS.items()):
            values, samples = [], []
            for _ in range(combos):
                r = rng.random()
                if r < 0.03:
                    values.append(None)
                    samples.append(None)
                elif r < 0.06:
                    values.append(float("nan"))
                    samples.append(None)
                elif kind == "time":
                    s = [rng.uniform(0.001, 0.2) for _ in range(10)]
                    values.append(statistics.median(s))
                    samples.append(s)
                else:
                    values.append(rng.uniform(1, 1e8))
                    samples.append(None)
            row = [values, PARAMS, versions[name], start + i * 60_000 + j, rng.uniform(1, 30)]
            if kind == "time":
                stat = [None if v is None or v != v else round(v, 5) for v in values]
                row += [stat, stat, stat, stat, [1] * combos, [10] * combos, samples]
            results[name] = row
        data = {
            "commit_hash": commit,
            "env_name": "existing-py_opt_conda_envs_bench_bin_python",
            "date": start + i * 60_000,
            "params": {"machine": "HappySun", "python": "/opt/conda/envs/bench/bin/python"},
            "python": "/opt/conda/envs/bench/bin/python",
            "requirements": {},
            "env_vars": {},
            "result_columns": COLUMNS,
            "results": results,
            "durations": {},
            "version": 2,
        }
        (machine_dir / f"{commit[:8]}-existing-py_opt_conda_envs_bench_bin_python.json").write_text(
            json.dumps(data)
        )
    return results_dir


def main() -> None:
    """Generate the files, time the reduce, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    machine = machine_document("HappySun", collect_machine_info("."))
    environment = environment_document()
    with tempfile.TemporaryDirectory(prefix="bench-reduce-") as tmp:
        src = generate(Path(tmp), args.files)
        size = sum(p.stat().st_size for p in src.rglob("*.json")) / 1e6
        print(f"generated {args.files} asv result files ({size:.1f} MB)")
        times, cpu = [], []
        for k in range(args.repeats):
            out = Path(tmp) / f"out{k}"
            t0, c0 = time.perf_counter(), time.process_time()
            report = reduce_paths([src], out, machine=machine, environment=environment)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            assert len(report.results) == args.files, len(report.results)
            print(
                f"  run {k + 1}: {times[-1]:.2f} s wall, {cpu[-1]:.2f} s CPU "
                f"({len(report.problems)} problems reported)"
            )
    # The machine is shared: the CPU time shows the cost when the wall time is inflated
    # by other processes (see the load average).
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"reduce of {args.files} asv result files: median {statistics.median(times):.2f} s wall "
        f"({statistics.median(cpu):.2f} s CPU) over {args.repeats} runs (target < 5 s)"
    )


if __name__ == "__main__":
    main()
