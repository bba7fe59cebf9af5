"""STED: a 3-D STED super-resolution stack of a cytoskeleton, uint16 photon counts.

Model
-----
* Very sparse, thin structures at 20 nm pixels: microtubule-like filaments
  (worm-like chains, ~100 crossing a 5x5 um field) and a few clusters of
  synaptic-vesicle-sized puncta, covering a few % of the voxels.
* STED PSF: ~50 nm lateral FWHM (sigma ~1.1 px) and, with a z-donut, ~200 nm axial
  (sigma ~0.9 planes at 100 nm steps).
* Photon counting with avalanche photodiodes / hybrid detectors: no read noise or
  offset, peak signal of only ~15 photons per pixel (short dwell, bleaching),
  Poisson noise, dark counts and residual background ~0.1 photons per pixel, so
  most pixels are exactly 0.

Expected ratio
--------------
blosc-zstd-5-shuffle at 64^3 chunks: 10-20 (measured ~14). Rationale: ~85 % of
pixels are 0 and the rest carry a few bits of Poisson counts; the high byte is always
0. For real STED data the ratio is driven mainly by labelling density (denser labels
give lower ratios).
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality
from zarr_benchmarks.data.modalities._physics import blur, filaments, impulses, per_volume, splat


def _stack(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    nz, ny, nx = shape
    n_fil = max(2, int(ny * nx / 500))
    pts = filaments(shape, n_fil, length=4 * max(ny, nx), rng=rng, step=0.5, stiffness=0.985)
    # Microtubules lie roughly in the imaging plane: squash z motion.
    pts[:, 0] = nz / 2 + (pts[:, 0] - nz / 2) * 0.25
    label = splat(shape, pts, 1.0)
    # Puncta: clusters of vesicles (synapse-like).
    n_clusters = max(1, int(ny * nx / 20_000))
    for _ in range(n_clusters):
        centre = rng.random(3) * np.array(shape)
        spots = centre + rng.normal(0, [1.5, 6.0, 6.0], (40, 3))
        label += splat(shape, np.clip(spots, 0, np.array(shape) - 1), 3.0)
    # Sparse single fluorophores/background labelling.
    idx, amp = impulses(shape, int(nz * ny * nx / 3_000), rng)
    np.add.at(label, idx, 0.5 * amp)
    signal = blur(label, (0.9, 1.1, 1.1))
    signal *= 15.0 / max(float(np.percentile(signal[signal > 0], 99.5)), 1e-6)
    photons = rng.poisson(signal + 0.1).astype(np.float32)
    return photons


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """Sparse filaments and puncta counted by a photon-counting detector (see module docs)."""
    return per_volume(shape, dtype, np.random.default_rng(seed), _stack)


STED = register_modality(
    Modality(
        id="sted",
        name="STED",
        title="STED super-resolution microscopy",
        dtype="uint16",
        shape=(32, 256, 256),
        axes="zyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-5-shuffle",
            low=10.0,
            high=20.0,
            chunks=64,
            source=(
                "rationale + measured on the generator: photon counting, ~85 % zero "
                "pixels, a few bits of Poisson counts on sparse structures"
            ),
        ),
        voxel_size=(0.1, 0.02, 0.02),
        units="um",
        suggested_codec="blosc-zstd-5-bitshuffle",
        chunk_layouts=("cube64", "plane", "cube32-shard128"),
        modality_specific={
            "depletion_nm": 775,
            "excitation_nm": 640,
            "detector": "HyD (photon counting)",
            "pixel_dwell_us": 5,
            "line_accumulations": 4,
            "resolution_nm": 50,
        },
    )
)
