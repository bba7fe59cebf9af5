"""CT: hierarchical phase-contrast tomography (HiP-CT) of a human organ, uint16.

Model
-----
A block of fixed human heart tissue imaged at an ESRF BM05-like beamline (~20 um
voxels), as in the Human Organ Atlas:

* myocardium: a tissue mask with smooth, irregular borders, filled with fibre
  texture (anisotropic correlated structure whose orientation rotates with depth,
  like the helical fibre angle of the ventricular wall), fat islands and vessel
  lumens (rounded voids) filled with the mounting medium (ethanol/agar);
* propagation-based phase contrast after Paganin retrieval: mostly smooth density
  with residual bright/dark fringes at edges (a Laplacian term);
* reconstruction noise that is spatially correlated (Paganin filtering, detector
  PSF) with a standard deviation of ~65 grey levels (on top of the tissue
  texture), and concentric ring artefacts about the rotation axis;
* the float reconstruction windowed into uint16 so the histogram spans ~12-13 bits
  (about 6 000 grey levels).

Expected ratio
--------------
blosc-zstd-3-shuffle at 128^3 chunks: 1.4-2.0 (measured ~1.54). Calibration:
published ratios for the real HiP-CT human heart uint16 volume with blosc-zstd
level 3 and byte shuffle at 128^3 chunks (Human Organ Atlas). The low byte of
every voxel is noise; only the high byte compresses.
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality
from zarr_benchmarks.data.modalities._physics import blur, grid, per_volume, smooth_noise


def _tissue_volume(
    shape: tuple[int, int, int],
    rng: np.random.Generator,
    fibre_contrast: float = 0.02,
    fringe: float = 0.3,
) -> np.ndarray:
    """Float density (arbitrary units, ~0-1) of the heart block with phase fringes."""
    nz, ny, nx = shape
    _, y, x = grid(shape)
    # Tissue occupies most of the field of view, with an irregular border.
    border = smooth_noise(shape, 12.0, rng)
    tissue = (border + 1.2 > 0).astype(np.float32)
    # Fibres: fine structure elongated along a direction that rotates with depth.
    fine = rng.standard_normal(shape, dtype=np.float32)
    fibres = np.empty(shape, dtype=np.float32)
    for k in range(nz):
        angle = np.deg2rad(-60 + 120 * k / max(nz - 1, 1))
        # Blur each plane more along the fibre direction (approximated by the axis
        # closest to it) to get elongated myocytes ~10 px long, ~2 px wide.
        sig = (1.0, 4.0) if abs(np.cos(angle)) < 0.7 else (4.0, 1.0)
        fibres[k] = blur(fine[k], sig)
    fibres = blur(fibres, (1.0, 0, 0))
    fibres /= max(float(fibres.std()), 1e-6)
    # Vessels and clefts: rounded voids; fat: darker rounded islands.
    voids = blur((smooth_noise(shape, 5.0, rng) > 1.6).astype(np.float32), 1.0)
    fat = blur((smooth_noise(shape, 7.0, rng) > 1.8).astype(np.float32), 1.0)
    density = 0.25 + tissue * (0.55 + fibre_contrast * fibres - 0.25 * fat)
    density = density * (1 - voids) + 0.25 * voids
    density = blur(density, 0.8)
    # Phase-contrast fringes at edges (residual after Paganin retrieval).
    lap = sum(np.gradient(np.gradient(density, axis=a), axis=a) for a in range(3))
    density = density - fringe * lap
    # Ring artefacts: a random offset per integer radius about the rotation axis.
    r = np.sqrt((y - ny / 2) ** 2 + (x - nx / 2) ** 2).astype(np.int32)
    rings = rng.normal(0, 0.006, int(r.max()) + 1).astype(np.float32)
    return density + rings[r][None, :, :] * np.ones((nz, 1, 1), np.float32)


def _reconstruction(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """One reconstructed block: tissue density plus correlated noise, in grey levels."""
    density = _tissue_volume(shape, rng)
    noise = blur(rng.standard_normal(shape, dtype=np.float32), 0.7)
    noise /= max(float(noise.std()), 1e-6)
    recon = density + 0.008 * noise
    # Window: 0.0 -> 26 000, 1.0 -> 34 000 grey levels, so the used histogram
    # (ethanol to dense tissue) covers ~6 000 levels, ~12.5 bits.
    return 26_000 + 8_000 * recon


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """HiP-CT-like heart tissue block with correlated noise, windowed to uint16."""
    return per_volume(shape, dtype, np.random.default_rng(seed), _reconstruction)


CT = register_modality(
    Modality(
        id="ct",
        name="CT",
        title="X-ray CT (HiP-CT phase-contrast, human organ)",
        dtype="uint16",
        shape=(128, 128, 128),
        axes="zyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-3-shuffle",
            low=1.4,
            high=2.0,
            chunks=128,
            source=(
                "published: HiP-CT human heart uint16 volume (Human Organ Atlas), "
                "blosc-zstd level 3 + shuffle at 128^3 chunks: 1.4-2.0"
            ),
        ),
        voxel_size=(19.85, 19.85, 19.85),
        units="um",
        suggested_codec="blosc-zstd-3-shuffle",
        chunk_layouts=("cube128", "cube64", "cube32-shard128"),
        modality_specific={
            "technique": "HiP-CT (propagation phase contrast)",
            "beamline": "ESRF BM05",
            "energy_kev": 80,
            "propagation_distance_m": 3.5,
            "phase_retrieval": "Paganin",
            "sample": "human heart (ethanol, agar)",
        },
    )
)
