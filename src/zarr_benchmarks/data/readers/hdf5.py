"""HDF5 datasets (h5py, extra ``hdf5``): ``FILE.h5:/group/dataset``.

The dataset is read lazily: a crop reads only the chunks (or rows) it touches.
Without a dataset path the file must hold exactly one dataset of two or more axes.
Voxel size comes from the dataset's attributes: ``element_size_um`` (Fiji,
ilastik), or ``voxel_size`` / ``resolution`` / ``spacing`` with an optional
``units`` / ``unit`` attribute.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zarr_benchmarks.data.readers import Reader, Source, UserDataError, register_reader

SUFFIXES = (".h5", ".hdf5", ".hdf", ".he5", ".nxs")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _voxel(attrs: Any, ndim: int) -> tuple[tuple[float, ...] | None, str | None]:
    if "element_size_um" in attrs:
        values = [float(v) for v in attrs["element_size_um"]]
        return tuple(values[-min(3, ndim) :]), "um"
    for key in ("voxel_size", "resolution", "spacing"):
        if key in attrs:
            try:
                values = [float(v) for v in list(attrs[key])]
            except (TypeError, ValueError):
                continue
            unit = next((_text(attrs[k]) for k in ("units", "unit") if k in attrs), None)
            aliases: dict[str | None, str] = {"micrometer": "um", "µm": "um", "nanometer": "nm"}
            unit = aliases.get(unit, unit)
            return tuple(values[-min(3, ndim) :]), unit or "um"
    return None, None


def _open(path: Path, inner: str | None) -> Source:
    import h5py

    try:
        handle = h5py.File(path, "r")  # type: ignore[arg-type]  # h5py-stubs: str only; h5py takes PathLike
    except Exception as exc:  # OSError for most damage; others for odd files
        raise UserDataError(f"{path}: not a readable HDF5 file ({exc})") from None
    try:
        if inner:
            if inner not in handle:
                names = _datasets(handle)
                raise UserDataError(
                    f"{path}: no dataset {inner!r}; it holds {', '.join(names) or 'none'}"
                )
            node = handle[inner]
            if not isinstance(node, h5py.Dataset):
                raise UserDataError(f"{path}: {inner!r} is a group, not a dataset")
        else:
            names = [n for n in _datasets(handle) if handle[n].ndim >= 2]
            if len(names) != 1:
                raise UserDataError(
                    f"{path}: holds {len(names)} datasets of 2 or more axes "
                    f"({', '.join(names[:8]) or 'none'}); name one as {path.name}:/DATASET"
                )
            node = handle[names[0]]
        voxel, units = _voxel(node.attrs, node.ndim)
        info = {"dataset": node.name}
        if node.chunks:
            info["hdf5_chunks"] = list(node.chunks)
        if node.compression:
            info["hdf5_compression"] = str(node.compression)
    except BaseException:
        handle.close()
        raise
    return Source(node, "hdf5", voxel, units, info, close=handle.close)


def _datasets(handle: Any) -> list[str]:
    import h5py

    names: list[str] = []
    handle.visititems(lambda n, o: names.append("/" + n) if isinstance(o, h5py.Dataset) else None)
    return names


HDF5 = register_reader(Reader("hdf5", "HDF5", SUFFIXES, _open, requires=("h5py",), extra="hdf5"))
