"""Brain MRI with a masked background: an EPI (fMRI/DWI) volume as NIfTI stores it, int16.

Model
-----
An echo-planar brain volume at ~2 mm voxels, after the usual conversion to NIfTI:

* the background outside the head is masked to exactly 0 (scanner or converter
  masking, skull-stripping pipelines do the same), about 60% of the volume;
* inside the head mask (an ellipsoid with a smoothly wobbling border, narrowing
  towards the top slices): T2*-weighted contrast, CSF brightest (~650), grey
  matter (~500) over white matter (~430) with folded boundaries, a smooth
  receive-coil bias field (+-15%);
* low SNR typical of EPI: Gaussian noise of sigma ~45 (correlated over ~0.7
  voxel by the reconstruction), so neighbouring voxels differ by roughly the
  tissue contrast itself;
* rounded to int16, as stored.

Expected ratio
--------------
blosc-zstd-5-shuffle at 64^3 chunks: 2.8-5.6 on the default shape. Calibration:
nibabel's test volume ``example4d.nii.gz`` (a real 128x96x24x2 int16 EPI time
series, 61% zeros) gives 4.03 with the same codec and chunks; this generator at
that shape gives a ratio within 1.5x of it (``tests/data/test_real_data.py``,
``docs/data.md``).
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality
from zarr_benchmarks.data.modalities._physics import (
    blur,
    grid,
    per_volume,
    smooth_noise,
    volume_shape,
)

#: T2*-weighted EPI signal per tissue (scanner units)
EPI = {"csf": 650.0, "gm": 500.0, "wm": 430.0, "scalp": 250.0}


def _brain(shape: tuple[int, int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    nz, ny, nx = shape
    z, y, x = grid(shape)
    u = (z - 0.45 * nz) / (0.55 * nz)
    v = (y - 0.50 * ny) / (0.42 * ny)
    w = (x - 0.50 * nx) / (0.36 * nx)
    r = np.sqrt(u**2 + v**2 + w**2) + 0.03 * smooth_noise(shape, 6.0, rng)
    folds = 0.05 * smooth_noise(shape, 2.0, rng)
    img = np.zeros(shape, dtype=np.float32)
    img[r < 1.0] = EPI["scalp"]
    img[r < 0.93] = EPI["csf"]
    img[r + folds < 0.88] = EPI["gm"]
    img[r + folds < 0.72] = EPI["wm"]
    vent = np.sqrt(
        ((z - 0.55 * nz) / (0.12 * nz)) ** 2
        + ((y - 0.48 * ny) / (0.18 * ny)) ** 2
        + ((x - 0.5 * nx) / (0.06 * nx)) ** 2
    )
    img[vent < 1.0] = EPI["csf"]
    return blur(img, 0.7), r < 1.0


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """EPI brain volume(s) with a zero background, int16 (see module docs)."""
    rng = np.random.default_rng(seed)
    vol_shape = volume_shape(shape)
    signal, mask = _brain(vol_shape, rng)
    _, y, _ = grid(vol_shape)
    bias = 1.0 + 0.1 * (y / vol_shape[1] - 0.5) + 0.08 * smooth_noise(vol_shape, 20.0, rng)

    def frame(vol_shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
        # A time series: the same anatomy, new noise per volume.
        noise = blur(rng.standard_normal(vol_shape, dtype=np.float32), 0.7)
        noise *= 45.0 / max(float(noise.std()), 1e-6)
        return np.where(mask, np.maximum(signal * bias + noise, 1.0), 0.0)

    return per_volume(shape, dtype, rng, frame)


MRI_BRAIN = register_modality(
    Modality(
        id="mri_brain",
        name="MRI_BRAIN",
        title="Brain MRI (EPI, background masked to zero, int16)",
        dtype="int16",
        shape=(48, 96, 128),
        axes="zyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-5-shuffle",
            low=2.8,
            high=5.6,
            chunks=64,
            source=(
                "real volume: nibabel example4d.nii.gz (128x96x24x2 int16 EPI, 61% zeros) "
                "gives 4.03 with blosc-zstd-5-shuffle at 64^3 chunks; band 4.03 / 1.45 .. "
                "4.03 x 1.4"
            ),
        ),
        voxel_size=(2.2, 2.0, 2.0),
        units="mm",
        suggested_codec="blosc-zstd-5-shuffle",
        chunk_layouts=("cube64", "plane"),
        modality_specific={
            "field_strength": "3T",
            "sequence": "EPI (T2*-weighted)",
            "background": "masked to 0",
        },
    )
)
