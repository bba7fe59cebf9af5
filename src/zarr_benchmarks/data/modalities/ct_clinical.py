"""Clinical CT: a head scan in air on the patient table, uint16 (HU + 1024).

Model
-----
A clinical head CT as a scanner's DICOM series stores it (``RescaleIntercept``
-1024, so the stored value is HU + 1024), at ~0.8 mm pixels and 5 mm slices:

* the reconstruction field of view is a disc; outside it the scanner writes the
  padding value 0, and air around the head (-1024 HU and below, clipped) is 0 too,
  so most of the slice is exactly 0 (61% in the real volume below);
* the head: an ellipse whose outline varies smoothly from slice to slice, scalp
  (soft tissue, ~40 HU), skull (cortical bone 700-1400 HU, a ring of varying
  thickness), brain (grey/white matter 25-45 HU with CSF spaces ~5 HU and
  ventricles), paranasal sinuses (air pockets, ~-1000 HU) in the lower slices;
* the patient table below the head: a curved carbon-fibre couch (~-300 HU) with a
  foam mattress (~-900 HU), present in every slice;
* quantum noise: Gaussian, sigma ~4 HU after the soft-tissue reconstruction
  kernel (correlated over ~1 pixel), clipped at the air value.

Expected ratio
--------------
blosc-zstd-3-shuffle at 128^3 chunks (clipped to the slab): 5.5-11 on the default
shape. Calibration: pydicom-data's ``eCT_Supplemental.dcm`` (a real 2x512x512
uint16 head CT, 61% zeros) gives 8.08 with the same codec and chunks; this
generator at that shape gives a ratio within 1.5x of it (checked in
``tests/data/test_real_data.py``; table in ``docs/data.md``).
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality
from zarr_benchmarks.data.modalities._physics import blur, grid, per_volume, smooth_noise

#: stored value = HU + 1024 (DICOM RescaleIntercept -1024)
OFFSET = 1024


def _slice_hu(ny: int, nx: int, k: int, nz: int, rng: np.random.Generator) -> np.ndarray:
    """Hounsfield units of slice ``k`` of ``nz`` (before noise); air is -1024."""
    y, x = grid((ny, nx))
    hu = np.full((ny, nx), -1024.0, dtype=np.float32)
    # Patient table: a curved couch under the head, and its mattress.
    cy = 0.86 * ny + 0.25 * (x - nx / 2) ** 2 / nx
    hu[(y > cy) & (y < cy + 0.025 * ny) & (np.abs(x - nx / 2) < 0.42 * nx)] = -300.0
    hu[(y > cy - 0.04 * ny) & (y <= cy) & (np.abs(x - nx / 2) < 0.40 * nx)] = -900.0
    # Head outline: an ellipse shrinking towards the top, with a wobbly border.
    frac = (k + 0.5) / nz
    scale = 1.0 - 0.35 * max(0.0, frac - 0.5) ** 2 / 0.25
    a, b = 0.30 * nx * scale, 0.37 * ny * scale
    cx0, cy0 = nx / 2, 0.46 * ny
    wobble = smooth_noise((ny, nx), 0.08 * nx, rng)
    r = np.sqrt(((x - cx0) / a) ** 2 + ((y - cy0) / b) ** 2) + 0.02 * wobble
    hu[r < 1.0] = 40.0  # scalp
    skull = 0.93 + 0.015 * smooth_noise((ny, nx), 0.05 * nx, rng)
    bone = 900.0 + 250.0 * smooth_noise((ny, nx), 0.03 * nx, rng)
    hu[r < skull] = bone[r < skull]
    hu[r < 0.86] = 35.0
    # Grey/white matter texture, CSF in sulci, ventricles near the centre.
    texture = smooth_noise((ny, nx), 2.0, rng)
    brain = 34.0 + 6.0 * np.tanh(2.0 * smooth_noise((ny, nx), 0.04 * nx, rng)) + 1.0 * texture
    brain[smooth_noise((ny, nx), 1.5, rng) > 2.2] = 5.0  # sulcal CSF
    inside = r < 0.86
    hu[inside] = brain[inside]
    vent = np.sqrt(((x - cx0) / (0.06 * nx)) ** 2 + ((y - 0.95 * cy0) / (0.12 * ny)) ** 2)
    if 0.35 < frac < 0.75:
        hu[vent < 1.0] = 5.0
    # Sinuses: air pockets in the lower slices, in the front of the head.
    if frac < 0.3:
        sinus = np.sqrt(((x - cx0) / (0.08 * nx)) ** 2 + ((y - (cy0 - 0.6 * b)) / (0.05 * ny)) ** 2)
        hu[sinus < 1.0] = -1000.0
    return hu


def _scan(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """One head scan, slice by slice: HU + 1024 inside the field of view, 0 outside."""
    nz, ny, nx = shape
    y, x = grid((ny, nx))
    fov = (y - ny / 2) ** 2 + (x - nx / 2) ** 2 < (0.5 * min(ny, nx)) ** 2
    out = np.empty(shape, dtype=np.float32)
    for k in range(nz):
        hu = _slice_hu(ny, nx, k, nz, rng)
        body = hu > -950.0
        noise = blur(rng.standard_normal((ny, nx), dtype=np.float32), 0.8)
        hu = hu + np.where(body, 4.0 * noise / max(float(noise.std()), 1e-6), 0.0)
        hu = np.where(body, hu, -1024.0)  # air clips to the bottom of the scale
        out[k] = np.where(fov, hu + OFFSET, 0.0)
    return np.clip(out, 0, None)


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """Head CT in air on the table, HU + 1024, noise sigma ~4 HU (see module docs)."""
    return per_volume(shape, dtype, np.random.default_rng(seed), _scan)


CT_CLINICAL = register_modality(
    Modality(
        id="ct_clinical",
        name="CT_CLINICAL",
        title="Clinical X-ray CT (head in air on the table, HU + 1024)",
        dtype="uint16",
        shape=(32, 256, 256),
        axes="zyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-3-shuffle",
            low=5.5,
            high=11.0,
            chunks=128,
            source=(
                "real volume: pydicom-data eCT_Supplemental.dcm (2x512x512 uint16 head CT, "
                "61% zeros) gives 8.08 with blosc-zstd-3-shuffle at 128^3 chunks; "
                "band 8.08 / 1.5 .. 8.08 x 1.4"
            ),
        ),
        voxel_size=(5.0, 0.78, 0.78),
        units="mm",
        suggested_codec="blosc-zstd-3-shuffle",
        chunk_layouts=("cube128", "cube64", "plane"),
        modality_specific={
            "technique": "clinical helical CT",
            "rescale_intercept": -1024,
            "rescale_slope": 1,
            "kernel": "soft tissue",
            "anatomy": "head",
        },
    )
)
