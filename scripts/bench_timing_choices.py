"""What a benchmark suite chooses to time, measured interleaved in one process.

Compares, sample by sample (round robin, so drifting load hits every variant
alike), the suite's own timed regions with the choices another suite may make:

write
  ``suite``          array created untimed, ``write_empty_chunks=False`` (zarr's
                     default), only ``array[...] = data`` timed (what bench_write times)
  ``wec=True``       the same with ``write_empty_chunks=True`` (no empty-chunk scan)
  ``create+write``   creation inside the timed region, zarr's default
  ``create+write, wec=True``  creation inside and ``write_empty_chunks=True``
                     (what HEFTIE's pytest-benchmark suite times)
read
  ``suite``          array opened untimed, pages warm (what bench_read times)
  ``open+read``      ``zarr.open_array`` inside the timed region, warm (HEFTIE's)
  ``cold``           opened untimed, the chunk files' pages dropped from the page
                     cache (``posix_fadvise(DONTNEED)``, untimed) before each read

Prints per codec the median time, the interquartile range, and the median of the
per-round ratios against ``suite`` with its interquartile range. Usage::

    .venv/bin/python scripts/bench_timing_choices.py [--modality ct] [--samples 21]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import zarr

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.suite import zarr_io
from zarr_benchmarks.suite.codecs import get_codec
from zarr_benchmarks.suite.presets import shape_for


def _drop_cache(path: Path) -> None:
    for root, _dirs, files in os.walk(path):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def _quartiles(xs: list[float]) -> tuple[float, float]:
    q = np.percentile(xs, [25, 75])
    return float(q[0]), float(q[1])


def measure(data: np.ndarray, codec: str, layout: str, samples: int, tmp: Path) -> None:
    lay = resolve_layout(layout, data.shape)
    settings = {w: zarr_io.ArraySettings(get_codec(codec), lay, 3, w) for w in (False, True)}
    wpath, rpath = tmp / f"{codec}-w.zarr", tmp / f"{codec}-r.zarr"
    arr = zarr_io.create_array(rpath, data.shape, data.dtype, settings[False])
    zarr_io.write(arr, data)

    def write_variant(wec: bool, create_timed: bool) -> Callable[[], float]:
        def run() -> float:
            zarr_io.remove_tree(wpath)
            if create_timed:
                start = time.perf_counter()
                a = zarr_io.create_array(wpath, data.shape, data.dtype, settings[wec])
                zarr_io.write(a, data)
                return time.perf_counter() - start
            a = zarr_io.create_array(wpath, data.shape, data.dtype, settings[wec])
            start = time.perf_counter()
            zarr_io.write(a, data)
            return time.perf_counter() - start

        return run

    def read_variant(open_timed: bool, cold: bool) -> Callable[[], float]:
        def run() -> float:
            if cold:
                _drop_cache(rpath)
            if open_timed:
                start = time.perf_counter()
                a = zarr.open_array(str(rpath), mode="r")
                zarr_io.read(a)
                return time.perf_counter() - start
            a = zarr_io.open_array(rpath)
            start = time.perf_counter()
            zarr_io.read(a)
            return time.perf_counter() - start

        return run

    variants = {
        "write: suite (wec=False)": write_variant(False, False),
        "write: wec=True": write_variant(True, False),
        "write: create+write": write_variant(False, True),
        "write: create+write, wec=True": write_variant(True, True),
        "read: suite (warm)": read_variant(False, False),
        "read: open+read (warm)": read_variant(True, False),
        "read: cold": read_variant(False, True),
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    for fn in variants.values():  # one untimed warm-up each
        fn()
    for _ in range(samples):
        for name, fn in variants.items():
            times[name].append(fn())
    ratio_file = zarr_io.compression_ratio(data.nbytes, rpath)
    print(f"\n{codec} (ratio {ratio_file:.2f}), {layout}")
    print("| variant | median ms | IQR ms | ratio to suite (median of rounds) | IQR |")
    print("| --- | --- | --- | --- | --- |")
    for name, ts in times.items():
        base = times[
            "write: suite (wec=False)" if name.startswith("write") else "read: suite (warm)"
        ]
        ratios = [t / b for t, b in zip(ts, base)]
        lo, hi = _quartiles(ts)
        rlo, rhi = _quartiles(ratios)
        print(
            f"| {name} | {statistics.median(ts) * 1e3:.2f} | {lo * 1e3:.2f}-{hi * 1e3:.2f} "
            f"| {statistics.median(ratios):.3f} | {rlo:.3f}-{rhi:.3f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modality", default="ct")
    parser.add_argument("--size", default="small")
    parser.add_argument("--layout", default="cube64")
    parser.add_argument("--samples", type=int, default=21)
    parser.add_argument("--codecs", default="none,blosc-lz4-5-shuffle,blosc-zstd-5-shuffle")
    args = parser.parse_args()
    mod = get_modality(args.modality)
    data = mod.generate(shape_for(mod, args.size), mod.dtype, 0)
    print(
        f"{args.modality} {data.shape} {data.dtype}, {data.nbytes / 1e6:.1f} MB, zarr "
        f"{zarr.__version__}, {args.samples} interleaved rounds"
    )
    with tempfile.TemporaryDirectory(prefix="zb-timing-") as tmp:
        for codec in args.codecs.split(","):
            measure(data, codec, args.layout, args.samples, Path(tmp))


if __name__ == "__main__":
    main()
