"""LABELS_SPARSE: a few proofread neurons in an otherwise empty label volume, uint64.

Model
-----
* Proofreading covers a handful of objects: here 2-4 neurons per 128^3 block of
  8 nm voxels, each a branching tree of neurites (worm-like tubes, radius ~1.2-2.5
  voxels, occasional branches), some with a soma (a ~10-voxel sphere), passing
  through the block. Everything not proofread is 0 (background), ~99.4 % of voxels.
* Object ids are the large uint64 ids of the proofread bodies (~10^11).

Expected ratio
--------------
blosc-zstd-5-shuffle at 128^3 chunks: 500-2000 (measured 550-1 500
over seeds 0-7, ~840 for seed 0; blosc-lz4 ~100-200). Calibration:
published ratios of about 1 000x for sparse proofread label volumes; nearly all of
every chunk is zero runs, and the cost is the few object cross-sections.
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality
from zarr_benchmarks.data.modalities._physics import (
    blur,
    filaments,
    grid,
    label_id_bound,
    splat,
    volume_shape,
)


def _neuron(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """A boolean mask of one neuron fragment: a few branches and maybe a soma."""
    n_branches = int(rng.integers(1, 4))
    pts = filaments(shape, n_branches, length=3 * max(shape), rng=rng, step=0.7, stiffness=0.97)
    radius = rng.uniform(1.2, 2.5)
    tube = blur(splat(shape, pts), radius / 1.5)
    mask = tube > 0.35 * float(np.exp(-1.0)) / (2 * np.pi * (radius / 1.5) ** 2)
    if rng.random() < 0.4 and len(pts):
        z, y, x = grid(shape)
        c = pts[rng.integers(len(pts))]
        mask |= (z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2 < rng.uniform(6, 12) ** 2
    return mask


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """A few proofread neurons (large ids) in zeros (see module docs)."""
    rng = np.random.default_rng(seed)
    vol_shape = volume_shape(shape)
    labels = np.zeros(vol_shape, dtype=np.int64)
    top = label_id_bound(dtype, 10**12)
    n_objects = max(1, int(rng.integers(2, 5) * np.prod(vol_shape) / 128**3))
    for body in rng.integers(1, top, n_objects):
        labels[_neuron(vol_shape, rng)] = body
    return np.broadcast_to(labels.reshape(shape[-3:]), shape).astype(dtype)


LABELS_SPARSE = register_modality(
    Modality(
        id="labels_sparse",
        name="LABELS_SPARSE",
        title="Sparse proofread segmentation labels",
        dtype="uint64",
        shape=(128, 128, 128),
        axes="zyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-5-shuffle",
            low=500.0,
            high=2000.0,
            chunks=128,
            source=(
                "published: sparse proofread label volumes compress ~1000x losslessly "
                "(blosc-zstd, shuffle); nearly every voxel is background 0"
            ),
        ),
        voxel_size=(8.0, 8.0, 8.0),
        units="nm",
        suggested_codec="blosc-zstd-5-shuffle",
        chunk_layouts=("cube128", "cube64", "cube32-shard128"),
        modality_specific={
            "label_kind": "sparse",
            "proofread": True,
            "background_id": 0,
        },
    )
)
