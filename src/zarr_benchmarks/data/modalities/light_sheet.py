"""LIGHT_SHEET: a light-sheet (SPIM) stack of a developing embryo, uint16 sCMOS counts.

Model
-----
* An ellipsoidal embryo filling ~half the field of view, its cells' nuclei labelled
  (H2B-GFP-like): ~1 500 ellipsoidal nuclei per 256x256x64 stack, ~6 um across,
  with chromatin texture and a 2-5x spread in brightness; weak cytoplasmic
  autofluorescence inside the embryo; dark medium outside.
* Anisotropic detection PSF (sigma 0.6 px lateral, 1.2 px axial with 2 um z steps).
* Light-sheet artefacts: attenuation of the sheet along its propagation axis (x)
  and with depth (z), and stripes: shadows cast along x by absorbing structures
  (multiplicative, constant along x, random in y and z).
* sCMOS read-out (Hamamatsu ORCA-like): offset 100 ADU, 2.2 ADU per photoelectron,
  1.6 e- read noise, Poisson shot noise, ~10 photons/px background.

Expected ratio
--------------
blosc-zstd-5-shuffle at 64^3 chunks: 1.8-2.8 (measured on this generator: ~2.2).
Rationale: the background is an offset plus ~5-6 bits of shot and read noise in a
16-bit word; shuffle makes the high byte (constant 0 in the background) nearly free,
the noisy low byte costs ~5-6 bits and nuclei raise that locally. Published light-
sheet acquisitions compressed losslessly with blosc/zstd typically land at 2-4x.
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality
from zarr_benchmarks.data.modalities._physics import blur, camera, grid, per_volume, smooth_noise


def _stack(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    nz, ny, nx = shape
    z, y, x = grid(shape)
    # Embryo: an ellipsoid slightly off-centre, axes ~ (0.8 nz, 0.4 ny, 0.45 nx).
    ez = ((z - 0.5 * nz) / (0.55 * nz)) ** 2
    ey = ((y - 0.5 * ny) / (0.38 * ny)) ** 2
    ex = ((x - 0.52 * nx) / (0.45 * nx)) ** 2
    embryo = ((ez + ey + ex) < 1.0).astype(np.float32)
    # Nuclei: centres inside the embryo, ellipsoids of ~7x3x3 px (2 um z steps).
    n_nuclei = max(10, int(embryo.sum() / 900))
    inside = np.flatnonzero(embryo.ravel())
    centres = np.unravel_index(rng.choice(inside, n_nuclei), shape)
    nuclei = np.zeros(shape, dtype=np.float32)
    np.add.at(nuclei, centres, rng.uniform(1.0, 3.0, n_nuclei).astype(np.float32))
    # Ellipsoidal spots: blur impulses, then saturate into flat-topped bodies.
    nuclei = blur(nuclei, (1.2, 2.6, 2.6))
    nuclei = np.tanh(nuclei / max(float(nuclei.max()), 1e-6) * 25.0)
    texture = 1.0 + 0.25 * smooth_noise(shape, 0.8, rng)  # chromatin
    signal = 600.0 * nuclei * texture + 25.0 * embryo
    signal = blur(signal, (1.2, 0.6, 0.6))
    # Sheet enters from x=0: attenuation along x and with depth.
    atten = np.exp(-x / (1.5 * nx)) * np.exp(-z / (2.5 * nz))
    # Stripes: shadows along x from absorbers; random per (z, y), smooth in y.
    shadow = rng.random((nz, ny, 1)).astype(np.float32)
    shadow = blur((shadow > 0.9).astype(np.float32), (0.0, 1.0, 0.0))
    stripes = 1.0 - 0.6 * np.clip(shadow, 0, 1)
    photons = signal * atten * stripes + 10.0
    return camera(photons, rng, offset=100.0, read_noise=1.6, gain=2.2)


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """Nuclei in an embryo with light-sheet stripes and sCMOS noise (see module docs)."""
    return per_volume(shape, dtype, np.random.default_rng(seed), _stack)


LIGHT_SHEET = register_modality(
    Modality(
        id="light_sheet",
        name="LIGHT_SHEET",
        title="Light-sheet fluorescence microscopy",
        dtype="uint16",
        shape=(64, 256, 256),
        axes="zyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-5-shuffle",
            low=1.8,
            high=2.8,
            chunks=64,
            source=(
                "rationale + measured on the generator: offset background with ~5-6 noisy "
                "bits of 16 (sCMOS shot+read noise), sparse nuclei; typical published "
                "lossless ratios for light-sheet data are 2-4x"
            ),
        ),
        voxel_size=(2.0, 0.406, 0.406),
        units="um",
        suggested_codec="blosc-zstd-5-shuffle",
        chunk_layouts=("cube64", "slab16", "plane", "cube32-shard128"),
        modality_specific={
            "camera": "sCMOS",
            "camera_offset_adu": 100,
            "excitation_nm": 488,
            "emission_nm": 525,
            "sheet_thickness_um": 4.0,
            "objective": "16x/0.8 W",
            "views": 1,
        },
    )
)
