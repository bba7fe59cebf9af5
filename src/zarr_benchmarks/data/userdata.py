"""Load the user's own data (the CUSTOM modality) from the formats imaging people have.

Supported inputs (one reader module each, see :mod:`zarr_benchmarks.data.readers`)
------------------------------------------------------------------------------
* a multi-page TIFF file (``.tif``/``.tiff``; OME-TIFF and ImageJ hyperstacks too);
* a folder of 2-D TIFF files, stacked along a new first axis in natural order
  (``img2.tif`` before ``img10.tif``);
* a NumPy ``.npy`` file (memory-mapped, never unpickled);
* a Zarr array (format 2 or 3), or a Zarr group: for an OME-Zarr image the first
  (full-resolution) level of its ``multiscales`` metadata, otherwise the first array
  in the group;
* DICOM: a multi-frame file, or a folder of slices of one series ordered by
  position (extra ``dicom``);
* NIfTI ``.nii`` / ``.nii.gz`` (extra ``nifti``), presented as ``[t,] z, y, x``;
* MRC / CCP4 ``.mrc``, ``.map``, ``.rec`` ... (extra ``mrc``), memory-mapped;
* HDF5 ``FILE.h5:/dataset`` (extra ``hdf5``), read lazily.

The crop is applied to the lazy array before anything else is read; voxel size and
units come from the file's header unless given.

A crop (``"0:64,100:356,:"`` or a tuple of slices) selects a region; it must have
one entry per axis and lie inside the array. Every problem raises
:class:`UserDataError`, a ``ValueError`` whose message names the file and the
problem.

Examples
--------
>>> data, meta = load_user_data("stack.tif", crop="0:64,:,:")  # doctest: +SKIP
>>> meta.dataset_type
<DatasetType.CUSTOM: 'custom'>
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks.data.dataset_types import DatasetMetadata, DatasetType
from zarr_benchmarks.data.readers import (
    ReaderUnavailable,
    UserDataError,
    find_reader,
    split_inner,
    supported_summary,
)

__all__ = ["ReaderUnavailable", "UserDataError", "format_crop", "load_user_data", "parse_crop"]

#: dtype kinds accepted: bool, signed/unsigned integers, floats, complex.
_NUMERIC_KINDS = "biufc"

Crop = str | Sequence[slice | int] | None


# --- crops --------------------------------------------------------------------------


def parse_crop(crop: Crop, shape: Sequence[int], *, where: str = "crop") -> tuple[slice, ...]:
    """Parse and validate a crop against ``shape``.

    Parameters
    ----------
    crop
        ``None`` (everything), a string of comma-separated ``start:stop`` entries
        (either bound may be omitted; an integer ``i`` means ``i:i+1``, keeping the
        axis), or a sequence of slices/integers. Negative bounds count from the end,
        as in Python. Steps are not allowed.
    shape
        The array shape the crop applies to.
    where
        Names the data in error messages (e.g. the file).

    Returns
    -------
    tuple of slice
        One normalised ``slice(start, stop)`` per axis, with ``0 <= start < stop <= n``.

    Raises
    ------
    UserDataError
        For a malformed entry, a wrong number of entries, a step, or a range that is
        empty or outside the array.
    """
    shape = tuple(int(s) for s in shape)
    if crop is None:
        return tuple(slice(0, n) for n in shape)
    if isinstance(crop, str):
        text = crop.strip()
        entries: list[slice | int] = [_parse_entry(e, crop, where) for e in text.split(",")]
    else:
        entries = list(crop)
    if len(entries) != len(shape):
        raise UserDataError(
            f"{where}: crop {_show(crop)} has {len(entries)} entries but the array has "
            f"{len(shape)} axes (shape {shape}); give one entry per axis, ':' for all"
        )
    return tuple(
        _normalise(e, n, axis, crop, where) for axis, (e, n) in enumerate(zip(entries, shape))
    )


def format_crop(crop: Sequence[slice]) -> str:
    """The string form of a normalised crop (``"0:64,100:356,0:512"``)."""
    return ",".join(f"{s.start}:{s.stop}" for s in crop)


def _show(crop: Crop) -> str:
    return repr(crop) if isinstance(crop, str) else repr(tuple(crop or ()))


_ENTRY = re.compile(r"^\s*(-?\d+)?\s*(:)?\s*(-?\d+)?\s*$")


def _parse_entry(entry: str, crop: str, where: str) -> slice | int:
    match = _ENTRY.match(entry)
    if match is None or (match[2] is None and match[1] is None):
        raise UserDataError(
            f"{where}: cannot parse crop entry {entry.strip()!r} in {crop!r}; use "
            "start:stop per axis, e.g. '0:64,100:356,:'"
        )
    if match[2] is None:
        return int(match[1])
    start = int(match[1]) if match[1] is not None else None
    stop = int(match[3]) if match[3] is not None else None
    return slice(start, stop)


def _normalise(entry: Any, n: int, axis: int, crop: Crop, where: str) -> slice:
    if isinstance(entry, (int, np.integer)) and not isinstance(entry, bool):
        i = int(entry)
        if not -n <= i < n:
            raise UserDataError(
                f"{where}: crop index {i} on axis {axis} is outside 0..{n - 1} (crop {_show(crop)})"
            )
        i %= n
        return slice(i, i + 1)
    if not isinstance(entry, slice):
        raise UserDataError(
            f"{where}: crop entries must be slices or integers, got {entry!r} on axis {axis}"
        )
    if entry.step not in (None, 1):
        raise UserDataError(f"{where}: crop steps are not supported (axis {axis}: {entry})")
    bounds = []
    for value, default in ((entry.start, 0), (entry.stop, n)):
        if value is None:
            bounds.append(default)
            continue
        v = int(value)
        if not -n <= v <= n:
            raise UserDataError(
                f"{where}: crop {_show(crop)} is out of bounds on axis {axis}: {v} is "
                f"outside -{n}..{n} for length {n}"
            )
        bounds.append(v + n if v < 0 else v)
    start, stop = bounds
    if start >= stop:
        raise UserDataError(
            f"{where}: crop {_show(crop)} selects nothing on axis {axis} "
            f"({start}:{stop} of length {n})"
        )
    return slice(start, stop)


# --- loading ------------------------------------------------------------------------


def load_user_data(
    path: str | Path,
    crop: Crop = None,
    *,
    name: str | None = None,
    voxel_size: Sequence[float] | None = None,
) -> tuple[np.ndarray, DatasetMetadata]:
    """Load a custom dataset and describe it.

    Parameters
    ----------
    path
        A file or folder any registered reader accepts (see the module docs); an
        HDF5 dataset as ``FILE.h5:/group/dataset``.
    crop
        Optional region, see :func:`parse_crop`; applied before the data is read.
    name
        Dataset name for reports (default: the file or folder name).
    voxel_size
        Physical voxel size (default: from the file's header, else unknown).

    Returns
    -------
    data : numpy.ndarray
        The (cropped) array. ``.npy`` and uncompressed MRC input give read-only
        memory maps.
    metadata : DatasetMetadata
        ``dataset_type`` CUSTOM, shape and dtype of ``data``, voxel size and units
        from the header; ``modality_specific`` records the format, the crop and the
        original shape. Only the file name is recorded, never the full path.

    Raises
    ------
    UserDataError
        Missing file, unsupported type, damaged file of any format, crop of the
        wrong rank or out of bounds, non-numeric dtype or empty array; its
        subclass :class:`ReaderUnavailable` when the format's optional extra is not
        installed. The message names the file and the problem, on one line.
    """

    path, inner = split_inner(str(path))
    if not path.exists():
        raise UserDataError(f"{path}: no such file or folder")
    reader = find_reader(path)
    if reader is None:
        if path.is_dir():
            raise UserDataError(
                f"{path}: folder holds neither Zarr metadata (zarr.json, .zarray, "
                ".zgroup) nor .tif/.tiff files nor DICOM slices"
            )
        suffix = "".join(path.suffixes[-2:]) if len(path.suffixes) > 1 else path.suffix
        raise UserDataError(
            f"{path}: unsupported file type {suffix.lower() or '(no extension)'!r}; "
            f"readable: {supported_summary()}"
        )
    if inner is not None and reader.name != "hdf5":
        raise UserDataError(f"{path}: ':{inner}' selects a dataset, which only HDF5 files have")
    reader.check_available(path)
    source = reader.open(path, inner)
    try:
        lazy = source.array
        dtype = np.dtype(lazy.dtype)
        if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None:
            raise UserDataError(
                f"{path}: dtype {dtype} is not numeric; only numeric arrays can be benchmarked"
            )
        shape = tuple(int(s) for s in lazy.shape)
        if not shape or 0 in shape:
            raise UserDataError(f"{path}: the array is empty (shape {shape})")
        region = parse_crop(crop, shape, where=str(path))
        try:
            data = lazy[region] if crop is not None or not isinstance(lazy, np.ndarray) else lazy
            data = data if isinstance(data, np.ndarray) else np.asarray(data)
        except UserDataError:
            raise
        except Exception as exc:  # damage past the header shows only when reading
            raise UserDataError(f"{path}: cannot read the {reader.title} data ({exc})") from None
        if source.copy_before_close and np.may_share_memory(data, lazy):
            data = np.array(data)  # the memory map dies with the file handle
    finally:
        source.close()
    if data.shape != tuple(s.stop - s.start for s in region):
        raise UserDataError(
            f"{path}: the {reader.title} data is shorter than its header says "
            f"(read {data.shape}, expected {tuple(s.stop - s.start for s in region)})"
        )
    if not data.dtype.isnative:  # NIfTI/MRC may be big-endian; Zarr stores native order
        data = data.astype(data.dtype.newbyteorder("="))
    voxel = tuple(voxel_size) if voxel_size is not None else source.voxel_size
    modality_specific: dict[str, Any] = {
        "loaded_from": source.format,
        "original_shape": list(shape),
        "crop": format_crop(region) if crop is not None else None,
        **source.info,
    }
    if voxel is not None and len(voxel) > data.ndim:
        voxel = voxel[-data.ndim :]
    metadata = DatasetMetadata(
        name=name or path.name,
        dataset_type=DatasetType("custom"),
        shape=data.shape,
        dtype=data.dtype,
        voxel_size=voxel,
        units=source.units or "um",
        source=f"file:{path.name}",
        modality_specific=modality_specific,
    )
    return data, metadata
