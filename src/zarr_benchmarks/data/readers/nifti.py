"""NIfTI-1/2 ``.nii`` and ``.nii.gz`` (nibabel, extra ``nifti``).

NIfTI stores axes as x, y, z[, t]; the array is presented slowest axis first
(``t, z, y, x``) like every other input, through a lazy transpose of nibabel's
array proxy (memory-mapped for ``.nii``; ``.nii.gz`` is decompressed only as far as
the crop needs). Values are what nibabel's proxy gives (scaled only when the header
sets ``scl_slope``). Voxel size and units come from ``pixdim`` and ``xyzt_units``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zarr_benchmarks.data.readers import Reader, Source, Transposed, UserDataError, register_reader

SUFFIXES = (".nii", ".nii.gz")
_UNITS = {"mm": "mm", "micron": "um", "meter": "m", "unknown": None}


def _open(path: Path, inner: str | None) -> Source:
    import nibabel as nib

    try:
        # nibabel types load() and .header as the FileBasedImage/-Header base classes,
        # which lack shape, dataobj and get_zooms; the isinstance check below holds.
        img: Any = (
            nib.load(path, mmap="r") if path.name.lower().endswith(".nii") else nib.load(path)
        )
        header = img.header
        shape = tuple(int(s) for s in img.shape)
        proxy = img.dataobj
        _ = proxy.dtype  # damaged headers fail here rather than when slicing
    except Exception as exc:  # nibabel raises many types for damaged files
        raise UserDataError(f"{path}: not a readable NIfTI file ({exc})") from None
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise UserDataError(f"{path}: not a NIfTI image ({type(img).__name__})")
    ndim = len(shape)
    if ndim > 4:
        raise UserDataError(f"{path}: NIfTI with {ndim} axes {shape}; at most x, y, z, t")
    # x,y,z[,t] -> [t,]z,y,x
    axes = [3, *range(2, -1, -1)] if ndim == 4 else list(range(ndim - 1, -1, -1))
    zooms = [float(z) for z in header.get_zooms()[:ndim]]
    space_unit, time_unit = header.get_xyzt_units()
    spatial = zooms[: min(3, ndim)][::-1]
    units = _UNITS.get(space_unit, space_unit)
    info: dict[str, Any] = {
        "nifti_axes": "xyzt"[:ndim],
        "axes": ("t" if ndim == 4 else "") + "zyx"[3 - min(3, ndim) :],
    }
    if ndim == 4:
        info["time_step"] = zooms[3]
        info["time_unit"] = time_unit
    voxel = tuple(spatial) if units else None
    return Source(Transposed(proxy, axes), "nifti", voxel, units, info)


NIFTI = register_reader(
    Reader("nifti", "NIfTI", SUFFIXES, _open, requires=("nibabel",), extra="nifti")
)
