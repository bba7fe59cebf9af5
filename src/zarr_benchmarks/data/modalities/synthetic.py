"""SYNTHETIC: a generic fluorescence-like test volume for quick checks.

Model: a dark, noisy background (Poisson, mean 100 counts) with a few hundred
Gaussian blobs of random size and brightness, read out through camera noise and
quantised to uint16. Neither pure noise nor a smooth function: it has both the
incompressible noise floor and the redundant structure of real images.

Expected ratio with blosc-zstd-5-shuffle at 64^3 chunks: 1.8-3.2 (rationale: the
noise floor spans ~4-5 bits of 16, shuffle isolates the constant high byte).
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """Gaussian blobs over a Poisson background, uint16-quantised (see module docs)."""
    rng = np.random.default_rng(seed)
    signal = np.full(shape, 100.0, dtype=np.float32)
    n_blobs = max(4, int(np.prod(shape) / 20_000))
    for _ in range(n_blobs):
        centre = [rng.uniform(0, s) for s in shape]
        sigma = rng.uniform(1.5, 6.0)
        amp = rng.uniform(200, 3000)
        box = tuple(
            slice(max(0, int(c - 3 * sigma)), min(s, int(c + 3 * sigma) + 1))
            for c, s in zip(centre, shape)
        )
        if any(b.stop <= b.start for b in box):
            continue
        sub = [
            np.arange(b.start, b.stop).reshape([-1 if j == i else 1 for j in range(len(shape))])
            for i, b in enumerate(box)
        ]
        d2 = sum(((g - c) ** 2) for g, c in zip(sub, centre))
        signal[box] += (amp * np.exp(-d2 / (2 * sigma**2))).astype(np.float32)
    noisy = rng.poisson(signal).astype(np.float32) + rng.normal(0, 2.0, shape)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is not None:
        return np.clip(np.rint(noisy), info.min, info.max).astype(dtype)
    return noisy.astype(dtype)


SYNTHETIC = register_modality(
    Modality(
        id="synthetic",
        name="SYNTHETIC",
        title="Synthetic fluorescence-like volume",
        dtype="uint16",
        shape=(64, 128, 128),
        axes="zyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-5-shuffle",
            low=1.8,
            high=3.2,
            chunks=64,
            source="rationale: Poisson background (~4-5 noisy bits of 16) plus sparse blobs",
        ),
        suggested_codec="blosc-zstd-5-shuffle",
        chunk_layouts=("cube64", "plane", "cube32-shard128"),
    )
)
