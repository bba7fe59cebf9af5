"""Cold reads (evicting a store from the page cache, and telling whether it worked) and
pattern ceilings (the codec alone on every chunk a pattern touches)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks.data.chunking import Layout
from zarr_benchmarks.suite.patterns._regions import (
    Region,
    chunk_regions,
)


# --------------------------------------------------------------------- cold reads
@dataclass(frozen=True)
class CacheState:
    """What a following read will measure: ``"cold"`` or ``"warm"``, and why."""

    state: str
    reason: str
    files: int = 0

    @property
    def cold(self) -> bool:
        return self.state == "cold"


def fadvise_available() -> bool:
    """Whether this OS offers ``posix_fadvise(POSIX_FADV_DONTNEED)``."""
    return hasattr(os, "posix_fadvise") and hasattr(os, "POSIX_FADV_DONTNEED")


def drop_page_cache(path: str | os.PathLike[str]) -> CacheState:
    """Evict every file under ``path`` from the OS page cache.

    Dirty pages cannot be dropped, so everything is written back first
    (``os.sync`` and an ``fsync`` per file). Returns ``"cold"`` only if the advice
    was given successfully for every file; otherwise ``"warm"`` with the reason.
    """
    if not fadvise_available():
        return CacheState("warm", "posix_fadvise is not available on this platform")
    files = [Path(root) / name for root, _d, names in os.walk(path) for name in names]
    if not files:
        return CacheState("warm", f"no files under {Path(path).name!r}")
    if hasattr(os, "sync"):
        os.sync()
    for file in files:
        try:
            fd = os.open(file, os.O_RDONLY)
        except OSError as exc:
            return CacheState("warm", f"cannot open a store file: {exc.strerror}")
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError as exc:
            return CacheState("warm", f"posix_fadvise failed: {exc.strerror}")
        finally:
            os.close(fd)
    return CacheState("cold", "posix_fadvise(POSIX_FADV_DONTNEED) on every file", len(files))


# ------------------------------------------------------------------ pattern ceiling
class PatternCeiling:
    """The codec alone doing a read pattern's decoding work.

    For each region, every chunk it intersects is decoded once (as Zarr must), so
    reading planes through cubic chunks costs many decodes per plane. Unsharded
    layouts only: the numcodecs codec of ``codec`` is applied per chunk.
    """

    def __init__(
        self, data: np.ndarray, codec: Any, layout: Layout, regions: Sequence[Region]
    ) -> None:
        self.codec = codec.numcodecs_codec(data.dtype)
        grid = chunk_regions(data.shape, layout.chunks)
        encoded = {}
        for region in grid:
            chunk = np.ascontiguousarray(data[region])
            encoded[_chunk_key(region, layout.chunks)] = (
                self.codec.encode(chunk) if self.codec else chunk
            )
        self.touched: list[Any] = []
        for region in regions:
            for key in _touched_chunks(region, data.shape, layout.chunks):
                self.touched.append(encoded[key])

    @property
    def decodes(self) -> int:
        return len(self.touched)

    def decode(self) -> None:
        """Timed: decode every touched chunk (copy it when uncompressed)."""
        if self.codec is None:
            for c in self.touched:
                np.copy(c)
            return
        decode = self.codec.decode
        for c in self.touched:
            decode(c)


def _chunk_key(region: Region, chunks: Sequence[int]) -> tuple[int, ...]:
    return tuple(s.start // c for s, c in zip(region, chunks))  # type: ignore[union-attr]


def _touched_chunks(
    region: Region, shape: Sequence[int], chunks: Sequence[int]
) -> Iterator[tuple[int, ...]]:
    spans = []
    for sel, s, c in zip(region, shape, chunks):
        if isinstance(sel, int):
            spans.append(range(sel // c, sel // c + 1))
        else:
            start, stop, _ = sel.indices(s)
            spans.append(range(start // c, (stop - 1) // c + 1))
    return product(*spans)
