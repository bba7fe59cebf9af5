"""Shared machinery for the asv suite in ``benchmarks/`` (kept out of the benchmark
files so they stay thin and asv, the API and the CLI run the same code).

asv runs every parameter combination of every benchmark in its own process, with
the class's ``setup_cache`` folder as working directory. ``setup_cache`` generates
each modality's synthetic data once into that folder; each process loads it (fast)
instead of regenerating it, and read benchmarks share one written store per case.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zarr_benchmarks.cases import Case
from zarr_benchmarks.codecs import get_codec
from zarr_benchmarks.modalities import get_modality
from zarr_benchmarks.presets import Matrix, get_matrix, shape_for

MATRIX: Matrix = get_matrix()


def data_file(modality: str, size: str, seed: int = 0) -> Path:
    return Path.cwd() / f"data-{modality}-{size}-{seed}.npy"


def generate_data_files(modalities: tuple[str, ...], size: str, seed: int = 0) -> None:
    """Write each modality's synthetic data as ``.npy`` into the working directory."""
    for modality in modalities:
        path = data_file(modality, size, seed)
        if path.exists():
            continue
        mod = get_modality(modality)
        data = mod.generate(shape_for(mod, size), mod.dtype, seed)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, data)
        tmp.replace(path)


def load_data(modality: str, size: str, seed: int = 0) -> np.ndarray:
    path = data_file(modality, size, seed)
    if not path.exists():  # asv ran the method without setup_cache (e.g. in tests)
        generate_data_files((modality,), size, seed)
    return np.load(path)


def make_case(
    modality: str, codec: str, layout: str, zarr_format: int = 3, size: str | None = None
) -> Case:
    """The case for one parameter combination, on cached synthetic data.

    Raises ``NotImplementedError`` (asv's "skip") for combinations that cannot
    exist, such as sharding with Zarr format 2.
    """
    size = size or MATRIX.size
    data = load_data(modality, size)
    label = f"{modality}-{get_codec(codec).id}-{layout}-v{zarr_format}-{size}"
    return Case(data, codec, layout, Path.cwd(), zarr_format, label)
