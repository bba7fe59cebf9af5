"""Load the user's own data (the CUSTOM modality) from TIFF, ``.npy`` or Zarr/OME-Zarr.

Supported inputs
----------------
* a multi-page TIFF file (``.tif``/``.tiff``; OME-TIFF and ImageJ hyperstacks too);
* a folder of 2-D TIFF files, stacked along a new first axis in natural order
  (``img2.tif`` before ``img10.tif``);
* a NumPy ``.npy`` file (memory-mapped, never unpickled);
* a Zarr array (format 2 or 3), or a Zarr group: for an OME-Zarr image the first
  (full-resolution) level of its ``multiscales`` metadata, otherwise the first array
  in the group.

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

from zarr_benchmarks.dataset_types import DatasetMetadata, DatasetType

__all__ = ["UserDataError", "format_crop", "load_user_data", "parse_crop"]

TIFF_SUFFIXES = (".tif", ".tiff")
_ZARR_MARKERS = ("zarr.json", ".zarray", ".zgroup", ".zattrs")
#: dtype kinds accepted: bool, signed/unsigned integers, floats, complex.
_NUMERIC_KINDS = "biufc"

Crop = str | Sequence[slice | int] | None


class UserDataError(ValueError):
    """User data that cannot be loaded; the message names the file and the problem."""


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


# --- readers ------------------------------------------------------------------------


def _natural_key(path: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def _read_tiff(path: Path) -> np.ndarray:
    import tifffile

    try:
        return np.asarray(tifffile.imread(path))
    except Exception as exc:  # tifffile raises many types for damaged files
        raise UserDataError(f"{path}: not a readable TIFF file ({exc})") from None


def _read_tiff_folder(folder: Path, files: list[Path]) -> np.ndarray:
    files = sorted(files, key=_natural_key)
    planes = []
    for f in files:
        plane = _read_tiff(f)
        if plane.ndim != 2:
            raise UserDataError(
                f"{f}: a TIFF folder must hold 2-D images, this one has shape {plane.shape}"
            )
        if planes and (plane.shape, plane.dtype) != (planes[0].shape, planes[0].dtype):
            raise UserDataError(
                f"{f}: shape {plane.shape} {plane.dtype} differs from {files[0].name} "
                f"({planes[0].shape} {planes[0].dtype}); all planes must match"
            )
        planes.append(plane)
    return np.stack(planes)


def _read_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise UserDataError(
                f"{path}: holds Python objects (a pickled/object array); only numeric "
                "arrays can be benchmarked, and pickles are never loaded"
            ) from None
        raise UserDataError(f"{path}: not a valid .npy file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise UserDataError(f"{path}: not a valid .npy file ({exc})") from None


def _ome_multiscales(attrs: dict[str, Any]) -> list[dict[str, Any]] | None:
    """``multiscales`` from OME-Zarr 0.4 (top level) or 0.5 (under ``"ome"``)."""
    ome = attrs.get("ome")
    found = ome.get("multiscales") if isinstance(ome, dict) else attrs.get("multiscales")
    return found if isinstance(found, list) and found else None


def _read_zarr(path: Path) -> tuple[Any, dict[str, Any]]:
    """The array (lazy zarr array) to load and what was learned from OME metadata."""
    import zarr

    try:
        node = zarr.open(store=str(path), mode="r")
    except Exception as exc:
        raise UserDataError(f"{path}: not a readable Zarr array or group ({exc})") from None
    info: dict[str, Any] = {"format": f"zarr-v{node.metadata.zarr_format}"}
    if isinstance(node, zarr.Array):
        return node, info
    attrs = dict(node.attrs)
    multiscales = _ome_multiscales(attrs)
    if multiscales:
        ms = multiscales[0]
        datasets = ms.get("datasets") or []
        if not datasets or "path" not in datasets[0]:
            raise UserDataError(f"{path}: OME-Zarr 'multiscales' lists no datasets")
        level = datasets[0]["path"]
        try:
            array = node[level]
        except KeyError:
            raise UserDataError(
                f"{path}: OME-Zarr level 0 {level!r} named in 'multiscales' is missing"
            ) from None
        info.update(format=info["format"].replace("zarr", "ome-zarr"), level=level)
        axes = ms.get("axes") or []
        if axes and all(isinstance(a, dict) for a in axes):
            info["axes"] = "".join(str(a.get("name", "?"))[:1] for a in axes)
            units = [a.get("unit") for a in axes if a.get("type") == "space"]
            if units and units[0]:
                info["units"] = {"micrometer": "um", "nanometer": "nm", "millimeter": "mm"}.get(
                    units[0], units[0]
                )
        for transform in datasets[0].get("coordinateTransformations") or []:
            if transform.get("type") == "scale":
                info["voxel_size"] = tuple(float(s) for s in transform["scale"][-3:])
        return array, info
    arrays = sorted(node.arrays(), key=lambda kv: _natural_key(Path(kv[0])))
    if not arrays:
        raise UserDataError(f"{path}: the Zarr group holds no arrays (nothing to benchmark)")
    name, array = arrays[0]
    info["array"] = name
    return array, info


def _is_zarr_dir(path: Path) -> bool:
    return any((path / m).is_file() for m in _ZARR_MARKERS)


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
        A ``.tif``/``.tiff`` file, a folder of 2-D TIFFs, a ``.npy`` file, or a Zarr
        array / (OME-)Zarr group folder.
    crop
        Optional region, see :func:`parse_crop`.
    name
        Dataset name for reports (default: the file or folder name).
    voxel_size
        Physical voxel size (default: from OME-Zarr metadata, else unknown).

    Returns
    -------
    data : numpy.ndarray
        The (cropped) array. ``.npy`` input gives a read-only memory map.
    metadata : DatasetMetadata
        ``dataset_type`` CUSTOM, shape and dtype of ``data``; ``modality_specific``
        records the format, the crop and the original shape. Only the file name is
        recorded, never the full path.

    Raises
    ------
    UserDataError
        Missing file, unsupported extension, corrupt TIFF, object or pickled
        ``.npy``, Zarr group without arrays, crop of the wrong rank or out of
        bounds, non-numeric dtype or empty array.
    """
    path = Path(path)
    if not path.exists():
        raise UserDataError(f"{path}: no such file or folder")
    info: dict[str, Any] = {}
    lazy: Any
    if path.is_dir():
        if _is_zarr_dir(path):
            lazy, info = _read_zarr(path)
        else:
            tiffs = [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in TIFF_SUFFIXES]
            if not tiffs:
                raise UserDataError(
                    f"{path}: folder holds neither Zarr metadata (zarr.json, .zarray, "
                    ".zgroup) nor .tif/.tiff files"
                )
            lazy, info = _read_tiff_folder(path, tiffs), {"format": "tiff-folder"}
            info["files"] = len(tiffs)
    else:
        suffix = path.suffix.lower()
        if suffix in TIFF_SUFFIXES:
            lazy, info = _read_tiff(path), {"format": "tiff"}
        elif suffix == ".npy":
            lazy, info = _read_npy(path), {"format": "npy"}
        else:
            raise UserDataError(
                f"{path}: unsupported file type {suffix or '(no extension)'!r}; use a "
                ".tif/.tiff stack, a folder of TIFFs, a .npy file or a Zarr/OME-Zarr folder"
            )
    dtype = np.dtype(lazy.dtype)
    if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None:
        raise UserDataError(
            f"{path}: dtype {dtype} is not numeric; only numeric arrays can be benchmarked"
        )
    shape = tuple(int(s) for s in lazy.shape)
    if not shape or 0 in shape:
        raise UserDataError(f"{path}: the array is empty (shape {shape})")
    region = parse_crop(crop, shape, where=str(path))
    data = lazy[region] if crop is not None else lazy[...]
    data = data if isinstance(data, np.ndarray) else np.asarray(data)
    modality_specific: dict[str, Any] = {
        "loaded_from": info.pop("format"),
        "original_shape": list(shape),
        "crop": format_crop(region) if crop is not None else None,
        **{k: v for k, v in info.items() if k not in ("voxel_size", "units")},
    }
    metadata = DatasetMetadata(
        name=name or path.name,
        dataset_type=DatasetType("custom"),
        shape=data.shape,
        dtype=data.dtype,
        voxel_size=tuple(voxel_size) if voxel_size is not None else info.get("voxel_size"),
        units=info.get("units", "um"),
        source=f"file:{path.name}",
        modality_specific=modality_specific,
    )
    return data, metadata
