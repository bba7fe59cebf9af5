"""Shared machinery for the asv suite in ``benchmarks/`` (kept out of the benchmark
files so they stay thin and asv, the API and the CLI run the same code).

asv runs every parameter combination of every benchmark in its own process, with
the class's ``setup_cache`` folder as working directory. Each modality's synthetic
data is generated once into a persistent cache (``$ZARR_BENCHMARKS_DATA_CACHE``,
default ``~/.cache/zarr-benchmarks/data``) keyed by the generator's source, so every
process and every later run loads it (fast) instead of regenerating it; read
benchmarks share one written store per case in the ``setup_cache`` folder.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import sys
from pathlib import Path

import numpy as np

from zarr_benchmarks._dirs import cache_dir
from zarr_benchmarks.data.modalities import _base as _modality_base
from zarr_benchmarks.data.modalities import _physics, get_modality
from zarr_benchmarks.suite.cases import Case
from zarr_benchmarks.suite.codecs import get_codec
from zarr_benchmarks.suite.presets import Matrix, get_matrix, shape_for

MATRIX: Matrix = get_matrix()


def data_cache_dir() -> Path:
    """Folder of cached synthetic data (created on demand)."""
    env = os.environ.get("ZARR_BENCHMARKS_DATA_CACHE")
    if env:
        return Path(env)
    return cache_dir() / "data"


@functools.cache
def _generator_fingerprint(modality: str) -> str:
    """Changes whenever the data model changes: the generator's own module, or the
    shared modality code every generator builds on (``_physics``, ``_base``)."""
    generator = get_modality(modality).generator
    parts = [sys.modules.get(generator.__module__), _physics, _modality_base]
    try:
        source = "\0".join(inspect.getsource(m) for m in parts if m is not None)
    except (OSError, TypeError):  # no source available: never reuse a stale file
        source = repr(generator) + str(os.getpid())
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def data_file(modality: str, size: str, seed: int = 0) -> Path:
    """Where the synthetic data of ``modality`` at ``size`` and ``seed`` is cached."""
    key = _generator_fingerprint(modality)
    return data_cache_dir() / f"{modality}-{size}-{seed}-{key}.npy"


def generate_data_files(modalities: tuple[str, ...], size: str, seed: int = 0) -> None:
    """Make sure each modality's synthetic data is in the cache (atomically written)."""
    for modality in modalities:
        path = data_file(modality, size, seed)
        if path.exists():
            continue
        mod = get_modality(modality)
        data = mod.generate(shape_for(mod, size), mod.dtype, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npy")
        np.save(tmp, data)
        tmp.replace(path)


def load_data(modality: str, size: str, seed: int = 0) -> np.ndarray:
    path = data_file(modality, size, seed)
    if not path.exists():
        generate_data_files((modality,), size, seed)
    return np.load(path)


def keep_suite(suite: str, namespace: dict[str, object], *class_names: str) -> None:
    """Remove the named benchmark classes from a module unless ``suite`` is enabled in
    the current preset (asv discovers only what the module defines)."""
    if suite not in MATRIX.suites:
        for name in class_names:
            namespace.pop(name, None)


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
