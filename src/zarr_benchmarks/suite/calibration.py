"""Measure the compression ratio of an array the way the modality ratio bands are defined.

A band's ratio is ``nbytes / encoded bytes`` summed over the chunks of a ``cube<N>``
layout (``N`` along the last three axes, clipped to the array, 1 on leading axes),
each chunk encoded with the codec's raw numcodecs codec. This is the codec ceiling
without any Zarr or storage overhead, so it depends only on the data and the codec.
"""

from __future__ import annotations

import itertools
from typing import TypedDict

import numpy as np

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.data.modalities import list_modalities
from zarr_benchmarks.data.modalities._base import Modality
from zarr_benchmarks.suite.codecs import get_codec

__all__ = ["measure_modality_ratio", "measure_ratio"]


def measure_ratio(data: np.ndarray, codec_id: str, chunk_edge: int) -> float:
    """Compression ratio of ``data`` with ``codec_id`` over ``cube<chunk_edge>`` chunks.

    Parameters
    ----------
    data
        The array (any numeric dtype, at least 1-D).
    codec_id
        A codec id or config understood by :func:`zarr_benchmarks.suite.codecs.get_codec`.
    chunk_edge
        Chunk edge along the last (up to) three axes; leading axes get 1.

    Returns
    -------
    float
        Uncompressed bytes divided by compressed bytes (1.0 for ``"none"``).

    Raises
    ------
    ValueError
        For an empty array or a non-positive chunk edge.
    """
    if data.size == 0:
        raise ValueError("cannot measure the compression ratio of an empty array")
    if chunk_edge <= 0:
        raise ValueError(f"chunk_edge must be positive, got {chunk_edge}")
    codec = get_codec(codec_id).numcodecs_codec(data.dtype)
    if codec is None:
        return 1.0
    chunks = resolve_layout(f"cube{int(chunk_edge)}", data.shape).chunks
    raw = encoded = 0
    ranges = [range(0, s, c) for s, c in zip(data.shape, chunks)]
    for origin in itertools.product(*ranges):
        block = data[tuple(slice(o, o + c) for o, c in zip(origin, chunks))]
        block = np.ascontiguousarray(block)
        raw += block.nbytes
        encoded += len(codec.encode(block))
    return raw / encoded


def measure_modality_ratio(modality: Modality, seed: int = 0) -> float:
    """Ratio of ``modality``'s default synthetic data with its band's codec and chunks.

    Raises
    ------
    ValueError
        If the modality has no ratio band.
    """
    band = modality.ratio_band
    if band is None:
        raise ValueError(f"modality {modality.id!r} has no ratio band")
    data = modality.generate(seed=seed)
    return measure_ratio(data, band.codec, band.chunks)


class CalibrationRow(TypedDict):
    """One modality's line of :func:`calibration_table`."""

    modality: str
    dtype: str
    shape: tuple[int, ...]
    voxels_per_s: float
    codec: str
    chunks: int
    low: float
    high: float
    ratio: float
    ok: bool


def calibration_table(seed: int = 0) -> list[CalibrationRow]:
    """Generation time and ratio versus band for every modality with a band."""
    import time

    rows: list[CalibrationRow] = []
    for modality in list_modalities():
        band = modality.ratio_band
        if band is None:
            continue
        start = time.perf_counter()
        data = modality.generate(seed=seed)
        seconds = time.perf_counter() - start
        ratio = measure_ratio(data, band.codec, band.chunks)
        rows.append(
            {
                "modality": modality.id,
                "dtype": str(data.dtype),
                "shape": data.shape,
                "voxels_per_s": data.size / seconds,
                "codec": band.codec,
                "chunks": band.chunks,
                "low": band.low,
                "high": band.high,
                "ratio": ratio,
                "ok": band.low <= ratio <= band.high,
            }
        )
    return rows


if __name__ == "__main__":  # python -m zarr_benchmarks.suite.calibration
    for row in calibration_table():
        print(
            f"{row['modality']:14s} {row['dtype']:8s} {row['shape']!s:18s} "
            f"{row['codec']:22s} @{row['chunks']:<4d} band {row['low']:>7.2f}-{row['high']:<7.2f} "
            f"ratio {row['ratio']:8.2f} {'ok' if row['ok'] else 'OUT'}  "
            f"{8e6 / float(row['voxels_per_s']):.2f} s per 8M voxels"
        )
