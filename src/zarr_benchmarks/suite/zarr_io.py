"""The Zarr calls being measured, kept minimal so timings show Zarr and not us.

Everything the asv suite, the direct API, the CLI and the web service time goes
through these functions; they do no validation or bookkeeping of their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import zarr
from zarr.abc.store import Store
from zarr.storage import LocalStore

from zarr_benchmarks.data.chunking import Layout
from zarr_benchmarks.suite.codecs import CodecSpec

_METADATA_FILES = frozenset({"zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata"})


def default_write_empty_chunks() -> bool:
    """zarr-python's own default for ``write_empty_chunks`` (what users get)."""
    return bool(zarr.config.get("array.write_empty_chunks"))


#: zarr's default at import time; benchmarks record it as an explicit parameter
WRITE_EMPTY_CHUNKS_DEFAULT = default_write_empty_chunks()


@dataclass(frozen=True)
class ArraySettings:
    """Codec, chunk/shard layout and format of one Zarr array.

    ``write_empty_chunks`` is zarr's array setting: ``False`` (zarr's default)
    compares every chunk with the fill value before writing and skips chunks that
    hold only it; ``True`` writes every chunk without that scan.
    """

    codec: CodecSpec
    layout: Layout
    zarr_format: int = 3
    write_empty_chunks: bool = WRITE_EMPTY_CHUNKS_DEFAULT

    def __post_init__(self) -> None:
        if self.zarr_format not in (2, 3):
            raise ValueError(f"zarr_format must be 2 or 3, got {self.zarr_format}")
        if self.layout.shards is not None and self.zarr_format == 2:
            raise NotImplementedError("sharding needs Zarr format 3")


def create_array(
    path: str | os.PathLike[str] | Store,
    shape: tuple[int, ...],
    dtype: Any,
    settings: ArraySettings,
) -> zarr.Array:
    """Create an empty array at ``path`` (a folder, or the root of any zarr store),
    replacing anything there."""
    dtype = np.dtype(dtype)
    store = path if isinstance(path, Store) else LocalStore(str(path))
    common: dict[str, Any] = {
        "store": store,
        "shape": shape,
        "dtype": dtype,
        "chunks": settings.layout.chunks,
        "zarr_format": settings.zarr_format,
        "overwrite": True,
        "fill_value": 0,
        "config": {"write_empty_chunks": bool(settings.write_empty_chunks)},
    }
    if settings.zarr_format == 3:
        return zarr.create_array(
            **common,
            shards=settings.layout.shards,
            compressors=settings.codec.zarr_v3_compressors(dtype),
            filters=settings.codec.zarr_v3_filters(dtype),
        )
    compressor = settings.codec.zarr_v2_compressor(dtype)
    return zarr.create_array(
        **common,
        compressors=compressor if compressor is not None else None,
        filters=settings.codec.zarr_v2_filters(dtype) or None,
    )


def open_array(path: str | os.PathLike[str]) -> zarr.Array:
    """Open an existing array read-only."""
    return zarr.open_array(LocalStore(str(path), read_only=True), mode="r")


def write(array: zarr.Array, data: np.ndarray) -> None:
    """Write the whole array: the call the write benchmarks time."""
    array[...] = data


def read(array: zarr.Array) -> np.ndarray:
    """Read the whole array: the call the read benchmarks time."""
    # zarr types indexing as array-or-scalar; a numpy-backed array of >= 1 axis gives ndarray
    return cast(np.ndarray, array[...])


def first_chunk_selection(array: zarr.Array) -> tuple[slice, ...]:
    """The selection covering exactly the first (inner) chunk."""
    return tuple(slice(0, min(c, s)) for c, s in zip(array.chunks, array.shape, strict=False))


def middle_plane_selection(shape: tuple[int, ...]) -> tuple[int | slice, ...]:
    """The middle plane: the middle index on every axis but the last two."""
    return (*tuple(s // 2 for s in shape[:-2]), slice(None), slice(None))


def read_selection(array: zarr.Array, selection: tuple[Any, ...]) -> np.ndarray:
    """Read a region: the call the chunk, plane and region benchmarks time."""
    return cast(np.ndarray, array[selection])  # as in read()


def stored_nbytes(path: str | os.PathLike[str]) -> int:
    """Bytes of chunk/shard data under ``path`` (metadata documents excluded)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            if name not in _METADATA_FILES:
                total += os.path.getsize(os.path.join(root, name))
    return total


def compression_ratio(data_nbytes: int, path: str | os.PathLike[str]) -> float:
    """Uncompressed bytes over stored bytes (``inf`` if nothing was stored)."""
    stored = stored_nbytes(path)
    return data_nbytes / stored if stored else float("inf")


def remove_tree(path: str | os.PathLike[str]) -> None:
    """Delete a store folder if it exists."""
    import shutil

    shutil.rmtree(Path(path), ignore_errors=True)
