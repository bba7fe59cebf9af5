"""How much does the suite's timed region add over calling Zarr directly?

Interleaves, sample by sample, a bare ``array[...] = data`` / ``array[...]`` on a freshly
created array against the same operation through ``Case.write()`` / ``Case.read()``
(what the asv benchmarks time), and prints the ratio of medians with a bootstrap 95%
interval per codec. Usage::

    .venv/bin/python scripts/bench_overhead.py [--modality ct] [--samples 31]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import zarr
from zarr.storage import LocalStore

from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.suite.cases import Case
from zarr_benchmarks.suite.presets import shape_for


def _bootstrap_ratio(a: list[float], b: list[float], n: int = 2000) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    a_, b_ = np.asarray(a), np.asarray(b)
    ratios = [
        np.median(rng.choice(b_, b_.size)) / np.median(rng.choice(a_, a_.size)) for _ in range(n)
    ]
    return float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modality", default="ct")
    parser.add_argument("--size", default="small")
    parser.add_argument("--samples", type=int, default=31)
    parser.add_argument("--codecs", default="blosc-lz4-5-shuffle,blosc-zstd-5-shuffle,none")
    args = parser.parse_args()
    mod = get_modality(args.modality)
    data = mod.generate(shape_for(mod, args.size), mod.dtype, 0)
    print(
        f"{args.modality} {data.shape} {data.dtype}, {data.nbytes / 1e6:.1f} MB, "
        f"{args.samples} interleaved samples per variant"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for codec in args.codecs.split(","):
            case = Case(data, codec, "cube64", Path(tmp), 3, "case")
            direct_path = Path(tmp) / "direct.zarr"
            times: dict[str, list[float]] = {
                "direct write": [],
                "suite write": [],
                "direct read": [],
                "suite read": [],
            }
            case.prepare_read()
            direct_read = zarr.open_array(LocalStore(str(case.read_path), read_only=True), mode="r")
            for _ in range(args.samples):
                arr = zarr.create_array(
                    store=LocalStore(str(direct_path)),
                    shape=data.shape,
                    dtype=data.dtype,
                    chunks=case.layout.chunks,
                    compressors=case.codec.zarr_v3_compressors(data.dtype),
                    overwrite=True,
                    fill_value=0,
                )
                t0 = time.perf_counter()
                arr[...] = data
                times["direct write"].append(time.perf_counter() - t0)
                case.prepare_write()
                t0 = time.perf_counter()
                case.write()
                times["suite write"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                direct_read[...]
                times["direct read"].append(time.perf_counter() - t0)
                case.prepare_read()
                t0 = time.perf_counter()
                case.read()
                times["suite read"].append(time.perf_counter() - t0)
            for op in ("write", "read"):
                d, s = times[f"direct {op}"], times[f"suite {op}"]
                ratio = statistics.median(s) / statistics.median(d)
                lo, hi = _bootstrap_ratio(d, s)
                print(
                    f"  {codec:24s} {op:5s}: direct {statistics.median(d) * 1e3:8.2f} ms, "
                    f"suite {statistics.median(s) * 1e3:8.2f} ms, suite/direct "
                    f"{ratio:.3f} (95% CI {lo:.3f}-{hi:.3f})"
                )
            case.cleanup()


if __name__ == "__main__":
    main()
