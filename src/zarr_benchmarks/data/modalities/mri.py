"""MRI: a T1-weighted 3-D head scan (magnitude image), float32 (or int16).

Model
-----
* A head phantom at 1.5 mm isotropic voxels: scalp fat, skull, CSF, folded cortical
  grey matter (the grey/white boundary and the pial surface displaced by smooth
  random fields, giving gyri and sulci), white matter, lateral ventricles and
  deep grey nuclei, in air. T1-weighted contrast (MPRAGE-like): fat > WM > GM >
  muscle > CSF > bone ~ air.
* Partial-volume blurring at tissue boundaries (sigma ~0.6 voxels).
* A smooth multiplicative receive-coil bias field (+-20 %, brighter near the coils).
* Rician noise: the image is the magnitude of a complex signal with independent
  Gaussian noise in both channels (sigma 3 % of white matter), so air shows a
  Rayleigh-distributed noise floor and nothing is exactly 0.
* Scaled to scanner-like units (white matter ~1 000) and stored as float32, the
  dtype of reconstruction and NIfTI pipelines; ``dtype=int16`` rounds the same
  values as DICOM does.

Expected ratio
--------------
blosc-zstd-5-shuffle at 64^3 chunks: 1.1-1.4 (measured ~1.25). Rationale: every
voxel, including air, carries Rician noise, so the float32 mantissa is random; only
the sign/exponent byte (few distinct exponents per chunk) compresses. An int16 copy
of the same image compresses to ~2x.
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality
from zarr_benchmarks.data.modalities._physics import blur, grid, per_volume, smooth_noise

# T1-weighted (MPRAGE-like) signal of each tissue, white matter = 1.
T1W = {
    "air": 0.0,
    "scalp": 1.15,  # subcutaneous fat
    "bone": 0.08,
    "csf": 0.18,
    "gm": 0.62,
    "wm": 1.0,
    "deep_gm": 0.75,
}


def _head(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    nz, ny, nx = shape
    z, y, x = grid(shape)
    # Normalised ellipsoidal coordinates: head ~ 0.42 x 0.47 x 0.38 of the FOV (semi-axes).
    u = (z - 0.52 * nz) / (0.40 * nz)
    v = (y - 0.50 * ny) / (0.47 * ny)
    w = (x - 0.50 * nx) / (0.38 * nx)
    r = np.sqrt(u**2 + v**2 + w**2)
    folds = 0.035 * smooth_noise(shape, 3.0, rng)  # gyri and sulci
    wobble = 0.02 * smooth_noise(shape, 10.0, rng)  # individual head shape
    r = r + wobble
    img = np.zeros(shape, dtype=np.float32)
    img[r < 1.0] = T1W["scalp"]
    img[r < 0.93] = T1W["bone"]
    img[r < 0.87] = T1W["csf"]
    brain = r + folds
    img[brain < 0.84] = T1W["gm"]
    img[brain < 0.76] = T1W["wm"]
    # Deep grey nuclei and lateral ventricles near the centre.
    for side in (-1, 1):
        d = np.sqrt(((z - 0.52 * nz) / 0.08 / nz) ** 2 + ((y - 0.52 * ny) / 0.1 / ny) ** 2)
        d = np.sqrt(d**2 + ((x - (0.5 + side * 0.12) * nx) / 0.06 / nx) ** 2)
        img[d < 1.0] = T1W["deep_gm"]
        dv = np.sqrt(((z - 0.58 * nz) / 0.05 / nz) ** 2 + ((y - 0.47 * ny) / 0.2 / ny) ** 2)
        dv = np.sqrt(dv**2 + ((x - (0.5 + side * 0.05) * nx) / 0.03 / nx) ** 2)
        img[dv < 1.0] = T1W["csf"]
    # Tissue texture (microstructure, small vessels) and partial volume.
    img *= 1.0 + 0.02 * smooth_noise(shape, 1.0, rng)
    return blur(img, 0.6)


def _scan(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """One magnitude image of a new head: receive bias and Rician noise."""
    z, y, _ = grid(shape)
    signal = _head(shape, rng)
    # Receive bias: brighter towards the posterior/top coils, smooth.
    bias = 1.0 + 0.12 * (y / shape[1] - 0.5) + 0.08 * (z / shape[0] - 0.5)
    bias = bias * (1.0 + 0.08 * smooth_noise(shape, 25.0, rng))
    sigma = 0.03
    re = signal * bias + sigma * rng.standard_normal(shape, dtype=np.float32)
    im = sigma * rng.standard_normal(shape, dtype=np.float32)
    return 1000.0 * np.sqrt(re**2 + im**2)


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """T1w head phantom with bias field and Rician noise (see module docs)."""
    return per_volume(shape, dtype, np.random.default_rng(seed), _scan)


MRI = register_modality(
    Modality(
        id="mri",
        name="MRI",
        title="Magnetic resonance imaging (T1-weighted head)",
        dtype="float32",
        shape=(128, 128, 128),
        axes="zyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-5-shuffle",
            low=1.1,
            high=1.4,
            chunks=64,
            source=(
                "rationale + measured on the generator: Rician noise in every voxel "
                "randomises the float32 mantissa; only sign/exponent bytes compress"
            ),
        ),
        voxel_size=(1.5, 1.5, 1.5),
        units="mm",
        suggested_codec="blosc-zstd-5-shuffle",
        chunk_layouts=("cube64", "plane", "cube128"),
        modality_specific={
            "field_strength": "3T",
            "sequence": "T1-weighted",
            "echo_time": 30,
            "repetition_time": 2000,
        },
    )
)
