"""The modality protocol: what every imaging modality provides."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: ``generator(shape, dtype, seed) -> ndarray``: deterministic for equal arguments.
Generator = Callable[[tuple[int, ...], np.dtype, int], np.ndarray]


@dataclass(frozen=True)
class RatioBand:
    """The compression ratio a modality's synthetic data should reach, and why.

    Measured with ``codec`` at ``chunks`` (cubic edge, clipped to the array) on the
    modality's default test shape.
    """

    codec: str
    low: float
    high: float
    source: str
    chunks: int = 128


@dataclass(frozen=True)
class Modality:
    """One imaging modality: metadata defaults, a synthetic generator and expectations.

    Parameters
    ----------
    id
        Stable lower-case id (``"cryoet"``); also the ``DatasetType`` value.
    name
        Upper-case member name (``"CRYOET"``) for ``DatasetType.CRYOET``.
    title
        Human-readable name.
    dtype
        Typical dtype of the data.
    shape
        Default (small) benchmark shape; axes as in ``axes``.
    axes
        Axis names, e.g. ``"zyx"``.
    generator
        Deterministic synthetic data generator; its docstring documents the model.
    ratio_band
        Expected compression ratio of the generator's output, with its source.
    voxel_size, units
        Typical voxel size and its unit.
    suggested_codec
        Codec id recommended before any measurement.
    chunk_layouts
        Names of chunk layouts worth benchmarking for this modality (see
        :mod:`zarr_benchmarks.data.chunking`: ``cube64``, ``slab16``, ``plane``,
        ``cube32-shard128`` ...); the first is the suggestion.
    modality_specific
        Defaults for ``DatasetMetadata.modality_specific``.
    """

    id: str
    name: str
    title: str
    dtype: str
    shape: tuple[int, ...]
    axes: str
    generator: Generator
    ratio_band: RatioBand | None
    voxel_size: tuple[float, ...] = (1.0, 1.0, 1.0)
    units: str = "um"
    suggested_codec: str = "blosc-zstd-5-shuffle"
    chunk_layouts: tuple[str, ...] = ("cube64", "plane")
    modality_specific: Mapping[str, Any] = field(default_factory=dict)

    def generate(
        self, shape: tuple[int, ...] | None = None, dtype: Any = None, seed: int = 0
    ) -> np.ndarray:
        """Generate deterministic synthetic data (default shape and dtype if not given)."""
        shape = tuple(int(s) for s in (shape or self.shape))
        if any(s <= 0 for s in shape):
            raise ValueError(f"{self.id}: every axis length must be positive, got {shape}")
        out = self.generator(shape, np.dtype(dtype or self.dtype), int(seed))
        if out.shape != shape:
            raise AssertionError(f"{self.id} generator returned {out.shape}, expected {shape}")
        return out
