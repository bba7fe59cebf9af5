"""LABELS_DENSE: a dense automatic segmentation of EM neuropil (every voxel labelled), uint64.

Model
-----
* Space-filling segments like an agglomerated supervoxel segmentation of
  connectomics EM at 8 nm: a Voronoi tessellation whose cells are elongated along
  the neurite direction (3x), then warped by a smooth random displacement field
  (~2 voxels, correlation length 10) so boundaries are curved and irregular rather
  than planar, while staying smooth at the voxel scale (as segmentations of smooth
  membranes are).
* Segment ids are large uint64 values (up to ~2^40) allocated block-wise, as
  distributed segmentation pipelines do (FlyEM, neuroglancer precomputed): the ids
  in one block share a large base and differ in a shuffled local part; ~350
  segments per 128^3 block (~6 500 voxels each).
* A thin extracellular/boundary class (id 0) is *not* drawn: dense segmentations
  after agglomeration assign membranes to a neighbour.

Expected ratio
--------------
blosc-zstd-5-shuffle at 64^3 chunks: 60-86 (measured ~70-75; blosc-lz4 ~16). Calibration: published
lossless ratios of 60-86x for dense EM segmentation label volumes with Blosc/Zstd
(long runs of identical 8-byte ids; after byte shuffling the high bytes are nearly
constant and the low bytes change only at segment boundaries).
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality
from zarr_benchmarks.data.modalities._physics import label_id_bound, smooth_noise, voronoi_labels

#: Mean segment volume in voxels (sets how many boundaries a chunk holds).
SEGMENT_VOXELS = 6_500


def segmentation(
    shape: tuple[int, ...], rng: np.random.Generator, segment_voxels: int = SEGMENT_VOXELS
) -> np.ndarray:
    """Warped, elongated Voronoi segmentation with ids ``1..n`` (int64), any 1-3-D shape."""
    n = max(2, int(np.prod(shape) / segment_voxels))
    scale = [1.0] * len(shape)
    scale[0] = 0.33  # elongated along the first spatial axis
    cells = voronoi_labels(shape, n, rng, scale=scale)
    # Warp: sample the tessellation at smoothly displaced positions.
    idx = np.indices(shape, dtype=np.int32)
    for axis, size in enumerate(shape):
        shift = np.rint(2.0 * smooth_noise(shape, 10.0, rng)).astype(np.int32)
        idx[axis] = np.clip(idx[axis] + shift, 0, size - 1)
    return cells[tuple(idx)]


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """Dense segmentation with large uint64 ids (see module docs)."""
    rng = np.random.default_rng(seed)
    cells = segmentation(tuple(shape[-3:]), rng)
    n = int(cells.max()) + 1
    top = label_id_bound(dtype, 2**40)
    # Block-allocated ids: a large base shared by the block, a shuffled local part.
    base = int(rng.integers(1, top - n)) if top > 2 * n else 1
    lookup = base + rng.permutation(n).astype(np.int64)
    labels = lookup[cells]
    return np.broadcast_to(labels, shape).astype(dtype)


LABELS_DENSE = register_modality(
    Modality(
        id="labels_dense",
        name="LABELS_DENSE",
        title="Dense segmentation labels (EM neuropil)",
        dtype="uint64",
        shape=(128, 128, 128),
        axes="zyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-5-shuffle",
            low=60.0,
            high=86.0,
            chunks=64,
            source=(
                "published: dense EM segmentation label volumes compress 60-86x "
                "losslessly with blosc-zstd (shuffle) at 64^3 chunks"
            ),
        ),
        voxel_size=(8.0, 8.0, 8.0),
        units="nm",
        suggested_codec="blosc-zstd-5-shuffle",
        chunk_layouts=("cube64", "cube128", "cube32-shard128"),
        modality_specific={
            "label_kind": "dense",
            "source_modality": "sem",
            "method": "affinities + agglomeration",
            "background_id": 0,
        },
    )
)
