"""Benchmark matrices (presets) and array sizes, chosen from the environment.

The asv suite reads its parameter lists from here at import time, so that
``zarr-benchmarks run --preset quick --modality ct`` (which sets the environment
variables below) selects what asv discovers:

``ZARR_BENCHMARKS_PRESET``
    ``quick`` (about a minute), ``default`` (under 20 minutes on 2 cores) or ``full``.
``ZARR_BENCHMARKS_SIZE``
    ``tiny``, ``small`` (default), ``medium`` or ``large``.
``ZARR_BENCHMARKS_MODALITIES`` / ``ZARR_BENCHMARKS_CODECS`` / ``ZARR_BENCHMARKS_LAYOUTS``
    Comma-separated lists that replace the preset's own.
``ZARR_BENCHMARKS_SUITES``
    Comma-separated benchmark suites to include (``all`` for every one); see
    :data:`SUITES`.
``ZARR_BENCHMARKS_WRITE_EMPTY_CHUNKS``
    Comma-separated ``false``/``true``: the ``write_empty_chunks`` values of the
    whole-array write benchmarks (default: zarr's own default only).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.data.modalities import Modality, get_modality, list_modalities
from zarr_benchmarks.suite.codecs import get_codec
from zarr_benchmarks.suite.zarr_io import WRITE_EMPTY_CHUNKS_DEFAULT

PRESET_ENV = "ZARR_BENCHMARKS_PRESET"
SIZE_ENV = "ZARR_BENCHMARKS_SIZE"
MODALITIES_ENV = "ZARR_BENCHMARKS_MODALITIES"
CODECS_ENV = "ZARR_BENCHMARKS_CODECS"
LAYOUTS_ENV = "ZARR_BENCHMARKS_LAYOUTS"
SUITES_ENV = "ZARR_BENCHMARKS_SUITES"
WRITE_EMPTY_CHUNKS_ENV = "ZARR_BENCHMARKS_WRITE_EMPTY_CHUNKS"

#: groups of benchmark classes a preset can include; ``core`` is always included
SUITES: dict[str, str] = {
    "core": "whole-array write/read, one chunk, one plane, ratio, memory, codec ceilings",
    "format": "Zarr format 2 against 3",
    "patterns": "chunk-by-chunk, plane-by-plane, random regions, cold and warm reads",
    "streaming": "frames written as they arrive, growing the array",
    "parallel": "threads, processes and Dask writing disjoint chunks",
    "implementations": "zarr-python, TensorStore and the zarrs pipeline",
    "lossy": "bit-rounding and quantisation with quality metrics",
    "remote": "an S3-compatible object store on loopback (SeaweedFS)",
    "cputime": "process CPU time (all threads) of the whole-array write and read",
}

#: multiplier applied to each axis of a modality's default (small) shape
SIZES: dict[str, float] = {"tiny": 0.25, "small": 1.0, "medium": 2.0, "large": 4.0}


@dataclass(frozen=True)
class Matrix:
    """One benchmark matrix: the cartesian product asv runs."""

    name: str
    modalities: tuple[str, ...]
    codecs: tuple[str, ...]
    layouts: tuple[str, ...]
    #: the smaller matrix for per-region reads and memory (costly per combination)
    detail_codecs: tuple[str, ...]
    formats: tuple[int, ...] = (3,)
    size: str = "small"
    #: asv ``repeat``: (min samples, max samples, max seconds)
    repeat: tuple[int, int, float] = (5, 10, 4.0)
    #: benchmark suites included (see :data:`SUITES`)
    suites: tuple[str, ...] = ("core",)
    #: ``write_empty_chunks`` values of ``bench_write.Write`` (zarr's default: what
    #: users get); recorded as a parameter in every result
    write_empty_chunks: tuple[bool, ...] = (WRITE_EMPTY_CHUNKS_DEFAULT,)
    #: the slice where both values are timed side by side
    #: (``bench_write.WriteEmptyChunks``); empty modalities: not measured
    empty_chunks_modalities: tuple[str, ...] = ()
    empty_chunks_codecs: tuple[str, ...] = ("none", "blosc-zstd-5-shuffle")


def _all_modalities() -> tuple[str, ...]:
    return tuple(m.id for m in list_modalities() if m.id != "custom")


PRESETS: dict[str, Matrix] = {
    "quick": Matrix(
        name="quick",
        modalities=("ct", "light_sheet"),
        codecs=("blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle"),
        layouts=("cube64",),
        detail_codecs=("blosc-zstd-5-shuffle",),
        size="tiny",
        repeat=(3, 5, 2.0),
    ),
    "default": Matrix(
        name="default",
        modalities=("cryoet", "light_sheet", "sem", "ct", "labels_dense"),
        codecs=(
            "none",
            "blosc-lz4-5-shuffle",
            "blosc-zstd-5-shuffle",
            "blosc-zstd-5-bitshuffle",
            "zstd-3",
        ),
        layouts=("cube64", "plane", "cube32-shard128"),
        detail_codecs=("blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle"),
        formats=(3, 2),
        suites=(
            "core",
            "format",
            "patterns",
            "streaming",
            "parallel",
            "implementations",
            "lossy",
            "cputime",
        ),
        # dense HiP-CT (no empty chunks: the scan is pure cost) and sparse labels
        # (mostly empty chunks: skipping them saves writes)
        empty_chunks_modalities=("ct", "labels_sparse"),
    ),
}


def _full() -> Matrix:
    return Matrix(
        name="full",
        modalities=_all_modalities(),
        codecs=(
            "none",
            *(
                f"blosc-{c}-5-{s}"
                for c in ("lz4", "lz4hc", "zstd", "zlib", "blosclz")
                for s in ("noshuffle", "shuffle", "bitshuffle")
            ),
            "blosc-zstd-1-shuffle",
            "blosc-zstd-9-shuffle",
            "blosc-lz4-1-shuffle",
            "blosc-lz4-9-shuffle",
            "zstd-1",
            "zstd-3",
            "zstd-9",
            "gzip-1",
            "gzip-5",
            "gzip-9",
        ),
        layouts=(
            "cube32",
            "cube64",
            "cube128",
            "slab16",
            "plane",
            "cube32-shard128",
            "plane-shard16",
        ),
        detail_codecs=("none", "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle", "zstd-3"),
        formats=(3, 2),
        size="small",
        repeat=(5, 20, 10.0),
        suites=tuple(SUITES),
        write_empty_chunks=(False, True),
        empty_chunks_modalities=("ct", "ct_clinical", "mri_brain", "labels_sparse"),
    )


def _split(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def get_matrix(name: str | None = None, environ: Mapping[str, str] | None = None) -> Matrix:
    """The matrix for preset ``name`` (default from ``ZARR_BENCHMARKS_PRESET``) with
    environment overrides applied and every id normalised and validated.

    Raises
    ------
    ValueError
        For an unknown preset, size, modality, codec or layout (message names it).
    """
    env = os.environ if environ is None else environ
    name = name or env.get(PRESET_ENV) or "default"
    if name == "full":
        matrix = _full()
    elif name in PRESETS:
        matrix = PRESETS[name]
    else:
        raise ValueError(f"unknown preset {name!r}; choose quick, default or full")
    size = env.get(SIZE_ENV) or matrix.size
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    modalities = _split(env.get(MODALITIES_ENV)) or matrix.modalities
    codecs = _split(env.get(CODECS_ENV)) or matrix.codecs
    layouts = _split(env.get(LAYOUTS_ENV)) or matrix.layouts

    for layout in layouts:
        resolve_layout(layout, (256, 256, 256))  # raises LayoutError for bad names
    suites = _split(env.get(SUITES_ENV)) or matrix.suites
    if suites == ("all",):
        suites = tuple(SUITES)
    unknown = [s for s in suites if s not in SUITES]
    if unknown:
        raise ValueError(
            f"unknown suite(s) {', '.join(unknown)}; choose from {', '.join(SUITES)} or all"
        )
    codecs = tuple(get_codec(c).id for c in codecs)
    overridden_codecs = _split(env.get(CODECS_ENV)) is not None
    empty_values = matrix.write_empty_chunks
    empty_env = _split(env.get(WRITE_EMPTY_CHUNKS_ENV))
    if empty_env:
        empty_values = tuple(_parse_bool(v) for v in empty_env)
    return replace(
        matrix,
        modalities=tuple(get_modality(m).id for m in modalities),
        codecs=codecs,
        layouts=layouts,
        # With an explicit codec filter, the detail benchmarks follow it.
        detail_codecs=codecs if overridden_codecs else matrix.detail_codecs,
        size=size,
        suites=tuple(dict.fromkeys(("core", *suites))),
        write_empty_chunks=tuple(dict.fromkeys(empty_values)),
        empty_chunks_modalities=tuple(get_modality(m).id for m in matrix.empty_chunks_modalities),
        empty_chunks_codecs=tuple(get_codec(c).id for c in matrix.empty_chunks_codecs),
    )


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("false", "0", "no"):
        return False
    if value in ("true", "1", "yes"):
        return True
    raise ValueError(f"{WRITE_EMPTY_CHUNKS_ENV}: {text!r} is not true or false")


def shape_for(modality: Modality | str, size: str = "small") -> tuple[int, ...]:
    """The benchmark array shape of ``modality`` at ``size``.

    Spatial axes scale with the size factor (never below 8 elements); ``t``/``c``
    axes keep their length.
    """
    modality = get_modality(modality) if isinstance(modality, str) else modality
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    factor = SIZES[size]
    axes = modality.axes[-len(modality.shape) :]
    return tuple(
        n if ax in "tc" else max(8, round(n * factor))
        for ax, n in zip(axes, modality.shape, strict=False)
    )
