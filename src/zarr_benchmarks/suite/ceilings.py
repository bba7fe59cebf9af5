"""Reference figures measured beside Zarr in the same run.

* Raw codec throughput through numcodecs on the same chunks Zarr would write: the
  ceiling a Zarr write/read with that codec can approach.
* Memory-copy bandwidth: the ceiling of any in-memory work, and the yardstick
  used to normalise figures across machines (``compare --cross-machine``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from itertools import product
from typing import Any

import numpy as np

from zarr_benchmarks.data.chunking import Layout
from zarr_benchmarks.suite.codecs import CodecSpec


def iter_chunks(data: np.ndarray, chunks: tuple[int, ...]) -> Iterator[np.ndarray]:
    """Contiguous copies of each chunk of ``data`` (edge chunks are partial)."""
    ranges = [range(0, s, c) for s, c in zip(data.shape, chunks, strict=False)]
    for start in product(*ranges):
        sel = tuple(slice(o, o + c) for o, c in zip(start, chunks, strict=False))
        yield np.ascontiguousarray(data[sel])


class CodecCeiling:
    """Encode/decode every chunk of ``data`` with a codec's raw numcodecs form."""

    def __init__(self, data: np.ndarray, codec: CodecSpec, layout: Layout) -> None:
        self.codec = codec.numcodecs_codec(data.dtype)
        self.chunks = list(iter_chunks(data, layout.chunks))
        self.nbytes = int(data.nbytes)
        self.encoded: list[Any] = (
            [self.codec.encode(c) for c in self.chunks] if self.codec else list(self.chunks)
        )

    def encode(self) -> None:
        """Timed: compress every chunk."""
        if self.codec is None:
            for c in self.chunks:
                bytes(c)  # the copy an uncompressed store makes
            return
        encode = self.codec.encode
        for c in self.chunks:
            encode(c)

    def decode(self) -> None:
        """Timed: decompress every chunk."""
        if self.codec is None:
            for c in self.encoded:
                np.copy(c)
            return
        decode = self.codec.decode
        for c in self.encoded:
            decode(c)


def memory_copy_bandwidth(nbytes: int = 64 * 2**20, repeats: int = 7) -> float:
    """Median memory-copy bandwidth in GB/s (10^9 bytes per second) over ``repeats``."""
    src = np.ones(nbytes, dtype=np.uint8)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # fault the pages in before timing
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(dst, src)
        times.append(time.perf_counter() - start)
    return nbytes / statistics.median(times) / 1e9


def throughput_mb_s(nbytes: int, seconds: float) -> float:
    """MB/s (10^6 bytes per second)."""
    return nbytes / seconds / 1e6 if seconds > 0 else float("inf")
