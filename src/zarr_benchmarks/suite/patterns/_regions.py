"""Regions of an array: chunk by chunk, plane by plane, random regions of interest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import product
from typing import cast

import numpy as np
import zarr

# --------------------------------------------------------------------------- regions
#: a basic selection: one slice (or index) per axis
Region = tuple[slice | int, ...]


def write_unit(array: zarr.Array) -> tuple[int, ...]:
    """The smallest region independent writers may own: the shard, else the chunk."""
    shards = getattr(array, "shards", None)
    return tuple(shards) if shards else tuple(array.chunks)


def chunk_regions(shape: Sequence[int], chunks: Sequence[int]) -> list[Region]:
    """One selection per chunk of a ``shape`` array, in C order (edge chunks partial)."""
    ranges = [range(0, s, c) for s, c in zip(shape, chunks)]
    return [
        tuple(slice(o, min(o + c, s)) for o, c, s in zip(start, chunks, shape))
        for start in product(*ranges)
    ]


def plane_regions(shape: Sequence[int]) -> list[Region]:
    """One selection per 2-D plane: every index of the leading axes, whole last two."""
    if len(shape) < 2:
        raise ValueError(f"plane_regions needs at least 2 axes, the shape is {tuple(shape)}")
    lead = [range(s) for s in shape[:-2]]
    return [(*idx, slice(None), slice(None)) for idx in product(*lead)]


def roi_shape_for(shape: Sequence[int], edge: int = 16) -> tuple[int, ...]:
    """A small region: ``edge`` along the last three axes (clipped), 1 on leading axes."""
    lead = max(0, len(shape) - 3)
    return tuple(1 if i < lead else min(edge, s) for i, s in enumerate(shape))


def random_rois(
    shape: Sequence[int], roi_shape: Sequence[int], n: int, seed: int = 0
) -> list[Region]:
    """``n`` regions of ``roi_shape`` at random positions inside ``shape`` (seeded).

    Raises
    ------
    ValueError
        If the region does not fit the array or ``n`` is not positive.
    """
    if n <= 0:
        raise ValueError(f"the number of regions must be positive, got {n}")
    if len(roi_shape) != len(shape) or any(r <= 0 or r > s for r, s in zip(roi_shape, shape)):
        raise ValueError(f"region shape {tuple(roi_shape)} does not fit array {tuple(shape)}")
    rng = np.random.default_rng(seed)
    starts = [rng.integers(0, s - r + 1, size=n) for s, r in zip(shape, roi_shape)]
    return [
        tuple(slice(int(st[i]), int(st[i]) + r) for st, r in zip(starts, roi_shape))
        for i in range(n)
    ]


def write_regions(array: zarr.Array, data: np.ndarray, regions: Iterable[Region]) -> None:
    """Timed: write ``data[region]`` into ``array[region]`` for each region in turn."""
    for region in regions:
        array[region] = data[region]


def read_regions(array: zarr.Array, regions: Iterable[Region]) -> int:
    """Timed: read each region in turn; returns the bytes read (so nothing is elided)."""
    total = 0
    for region in regions:
        # zarr types indexing as array-or-scalar; slicing a region gives an ndarray
        total += cast(np.ndarray, array[region]).nbytes
    return total
