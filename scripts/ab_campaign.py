"""Real A/A and injected-slowdown runs of ``zarr-benchmarks ab`` on this machine.

Measures what docs/regression-tracking.md claims: how often identical environments
raise an alarm (A/A), and how often a real slowdown of a known size is found. Every run
is a real ``zarr-benchmarks ab`` (asv's forkserver, real Zarr and numcodecs). The
injected side is a separate virtual environment with the same packages plus
``scripts/slowdown_shim`` (a ``.pth`` start-up hook that makes chosen codecs' encode
burn extra CPU); nothing of it is in the project or its dependencies.

A/A and injected runs alternate (AA, INJ, AA, INJ, ...) so both see the same machine
conditions. Each run's folder keeps comparison.json and both sides' reduced results
(with their blocks), so ``scripts/ab_figures.py`` can recompute every verdict offline
with the current statistics.

Usage::

    .venv/bin/python scripts/ab_campaign.py --runs 10 --output docs/data/ab-campaign
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIM = ROOT / "scripts" / "slowdown_shim" / "zb_slowdown_shim.py"

#: which codec's encode burns how much extra CPU on the injected side
INJECTION = {"blosc:lz4": 0.05, "blosc:zstd": 0.10, "zstd": 0.20}
#: the slice every run measures
SLICE = [
    "--modality",
    "ct",
    "--codec",
    "blosc-lz4-5-shuffle,blosc-zstd-5-shuffle,zstd-3",
    "--bench",
    "bench_write.Write.time_write|WriteCPU|CodecCeilings.time_encode|peakmem_write"
    "|track_compression_ratio",
]


def injected_env(spec: str, folder: Path) -> Path:
    """A venv with ``spec`` and the slowdown shim (built once into ``folder``)."""
    sys.path.insert(0, str(ROOT / "src"))
    from zarr_benchmarks.run import envs

    side = envs.build_env(envs.parse_spec(spec), root=ROOT, cache=folder)
    venv = side.python.parent.parent
    purelib = subprocess.run(
        [str(side.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    site = Path(purelib)
    shutil.copy(SHIM, site / SHIM.name)
    (site / "zb_slowdown_shim.json").write_text(json.dumps({"encode": INJECTION}) + "\n")
    (site / "zb_slowdown_shim.pth").write_text("import zb_slowdown_shim\n")
    return venv


def run_ab(base: str, new: str, out: Path, blocks: int, samples: int) -> dict:
    cmd = [
        str(ROOT / ".venv" / "bin" / "zarr-benchmarks"),
        "ab",
        "--base",
        base,
        "--new",
        new,
        "--blocks",
        str(blocks),
        "--samples",
        str(samples),
        *SLICE,
        "-o",
        str(out),
    ]
    load_before = os.getloadavg()[0]
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    meta = {
        "returncode": proc.returncode,
        "seconds": round(time.time() - t0, 1),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    if not (out / "comparison.json").is_file():
        print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"ab failed for {out}")
    (out / "run.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="A/A runs and injected runs each")
    parser.add_argument("--blocks", type=int, default=16)
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--spec", default="zarr==3.1.6", help="packages of both sides")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "data" / "ab-campaign")
    parser.add_argument("--env-folder", type=Path, default=Path("/tmp/zb-campaign-envs"))
    args = parser.parse_args()
    venv = injected_env(args.spec, args.env_folder)
    args.output.mkdir(parents=True, exist_ok=True)
    for i in range(args.runs):
        for kind, new in (("aa", args.spec), ("inj", f"venv:{venv}")):
            out = args.output / f"{kind}-{i + 1:02d}"
            meta = run_ab(args.spec, new, out, args.blocks, args.samples)
            print(f"{out.name}: exit {meta['returncode']} in {meta['seconds']} s", flush=True)


if __name__ == "__main__":
    main()
