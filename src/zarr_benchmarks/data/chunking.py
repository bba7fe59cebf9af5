"""Chunk and shard layouts by name, resolved against an array shape.

Names are stable ids used as asv parameters and in result files:

``cube<N>``
    ``N`` along each of the last three axes (clipped to the array), 1 on leading axes
    (time, channel).
``slab<N>``
    ``N`` along the third-last axis (z), whole last two axes: planar slabs.
``plane``
    One whole plane: 1 on every axis but the last two.
``<inner>-shard<N>``
    Zarr format 3 sharding: shards laid out as ``cube<N>`` (or ``slab<N>`` when the
    inner layout is a slab or plane) holding chunks of the ``<inner>`` layout.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

_CUBE = re.compile(r"^cube(\d+)$")
_SLAB = re.compile(r"^slab(\d+)$")
_SHARD = re.compile(r"^(?P<inner>.+)-shard(?P<n>\d+)$")


class LayoutError(ValueError):
    """Raised for an unknown layout name or one that does not fit the array."""


@dataclass(frozen=True)
class Layout:
    """A resolved layout: the chunk shape and, when sharded, the shard shape."""

    name: str
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None = None

    @property
    def chunk_nbytes_factor(self) -> int:
        """Elements per chunk (multiply by the item size for bytes)."""
        return math.prod(self.chunks)


def _spatial(shape: tuple[int, ...], n: int, axes: int) -> tuple[int, ...]:
    """``n`` (clipped) along the last ``axes`` axes, 1 elsewhere."""
    lead = len(shape) - axes
    return tuple(1 if i < lead else min(n, s) for i, s in enumerate(shape))


def _base_layout(name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    if match := _CUBE.match(name):
        return _spatial(shape, int(match[1]), min(3, len(shape)))
    if match := _SLAB.match(name):
        if len(shape) < 3:
            raise LayoutError(f"layout {name!r} needs at least 3 axes, the array has {shape}")
        n = int(match[1])
        lead = len(shape) - 3
        return tuple(
            1 if i < lead else (min(n, s) if i == lead else s) for i, s in enumerate(shape)
        )
    if name == "plane":
        if len(shape) < 2:
            raise LayoutError(f"layout 'plane' needs at least 2 axes, the array has {shape}")
        return tuple(1 if i < len(shape) - 2 else s for i, s in enumerate(shape))
    raise LayoutError(
        f"unknown chunk layout {name!r}; use cube<N>, slab<N>, plane or <inner>-shard<N>"
    )


def resolve_layout(name: str | Sequence[int], shape: Sequence[int]) -> Layout:
    """Resolve a layout name (or an explicit chunk shape) against ``shape``.

    Raises
    ------
    LayoutError
        For an unknown name, a chunk shape of the wrong rank or with non-positive
        entries, or shards that do not divide into whole inner chunks.
    """
    shape = tuple(int(s) for s in shape)
    if not isinstance(name, str):
        chunks = tuple(int(c) for c in name)
        if len(chunks) != len(shape) or any(c <= 0 for c in chunks):
            raise LayoutError(f"chunk shape {chunks} does not fit array shape {shape}")
        return Layout(
            "x".join(map(str, chunks)),
            tuple(min(c, s) for c, s in zip(chunks, shape, strict=False)),
        )
    if match := _SHARD.match(name):
        inner = _base_layout(match["inner"], shape)
        n = int(match["n"])
        outer_name = f"cube{n}" if _CUBE.match(match["inner"]) else f"slab{n}"
        outer = _base_layout(outer_name, shape)
        # Shards must hold whole inner chunks: round each shard edge to a multiple.
        shards = tuple(max(c, (o // c) * c) for o, c in zip(outer, inner, strict=False))
        return Layout(name, inner, shards)
    return Layout(name, _base_layout(name, shape))
