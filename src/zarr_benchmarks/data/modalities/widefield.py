"""WIDEFIELD: a widefield epifluorescence z-stack of adherent cells, uint16 sCMOS counts.

Model
-----
* A monolayer of flat adherent cells (~40 um across, ~6 um tall at the nucleus)
  covering ~50 % of the coverslip: cytoplasmic stain (e.g. actin/tubulin-like
  fibrous texture) with brighter nuclei, imaged at 0.108 um camera pixels binned 2x2
  (0.216 um) with 0.3 um z steps through the cell layer and above/below it.
* No optical sectioning: every image plane receives the in-focus plane plus every
  out-of-focus plane blurred by a defocus PSF whose width grows linearly with
  the distance from focus (a Gaussian approximation of the widefield 3-D PSF), so
  the stack is dominated by a smooth haze.
* sCMOS read-out at high signal (hundreds to thousands of photons): offset 100 ADU,
  0.5 ADU per photoelectron, 1.5 e- read noise, Poisson shot noise.

Expected ratio
--------------
blosc-zstd-5-shuffle at 64^3 chunks: 1.6-2.8 (measured ~2.0). Rationale: high photon
counts give shot noise of ~15-40 ADU (~6-7 noisy bits of 16) everywhere the haze
reaches; the background outside cells is lower and compresses better.
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality
from zarr_benchmarks.data.modalities._physics import blur, camera, grid, per_volume, smooth_noise


def _stack(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    nz, ny, nx = shape
    z, _, _ = grid(shape)
    # Cells: a smooth mask (~50 % cover) with nuclei where the mask is "deepest".
    field = smooth_noise((ny, nx), 14.0, rng)
    cover = np.clip((field + 0.1) * 3.0, 0, 1)
    nuclei = np.clip((field - 1.0) * 4.0, 0, 1)
    fibres = np.clip(smooth_noise((ny, nx), 1.2, rng), 0, None)
    height = 2.0 + 8.0 * nuclei  # cell thickness in planes (0.3 um steps)
    focus = 0.4 * nz
    thickness = np.abs(z - focus - 0.5 * height[None]) < 0.5 * height[None]
    dye = thickness * cover[None] * (300.0 + 700.0 * fibres[None] + 1200.0 * nuclei[None])
    # Widefield imaging: each object plane contributes to every image plane with a
    # blur growing with defocus (sigma 0.8 px in focus, +1.6 px per plane away).
    obj_planes = [k for k in range(nz) if dye[k].any()]
    blurred = {
        d: {k: blur(dye[k], 0.8 + 1.6 * d) for k in obj_planes} for d in range(nz) if d <= 12
    }
    image = np.zeros(shape, dtype=np.float32)
    for zi in range(nz):
        for k in obj_planes:
            d = abs(zi - k)
            if d in blurred:
                image[zi] += blurred[d][k] / (1.0 + 0.15 * d**2) ** 0.5
            else:
                image[zi] += float(dye[k].mean()) / (1.0 + 0.15 * d**2) ** 0.5
    photons = 0.5 * image + 40.0  # plus background (medium autofluorescence)
    return camera(photons, rng, offset=100.0, read_noise=1.5, gain=0.5)


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """Adherent cells through a widefield defocus PSF with sCMOS noise (see module docs)."""
    return per_volume(shape, dtype, np.random.default_rng(seed), _stack)


WIDEFIELD = register_modality(
    Modality(
        id="widefield",
        name="WIDEFIELD",
        title="Widefield epifluorescence microscopy",
        dtype="uint16",
        shape=(32, 256, 256),
        axes="zyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-5-shuffle",
            low=1.6,
            high=2.8,
            chunks=64,
            source=(
                "rationale + measured on the generator: high-signal sCMOS images, shot "
                "noise of ~6-7 bits on an out-of-focus haze that fills the field"
            ),
        ),
        voxel_size=(0.3, 0.216, 0.216),
        units="um",
        suggested_codec="blosc-zstd-5-shuffle",
        chunk_layouts=("plane", "cube64", "slab16"),
        modality_specific={
            "camera": "sCMOS",
            "camera_offset_adu": 100,
            "binning": 2,
            "objective": "60x/1.4 oil",
            "excitation_nm": 488,
            "emission_nm": 520,
        },
    )
)
