"""TIFF / OME-TIFF / ImageJ stacks, and folders of 2-D TIFF planes (tifffile).

An uncompressed, contiguous TIFF is memory-mapped, so a crop reads only its pages;
a compressed one is decoded whole. Voxel size comes from OME-XML
(``PhysicalSizeZ/Y/X``) or ImageJ metadata (``spacing`` and the X/Y resolution).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks.data.readers import Reader, Source, UserDataError, register_reader

SUFFIXES = (".tif", ".tiff", ".ome.tif", ".ome.tiff")
_UNITS = {"µm": "um", "\\u00B5m": "um", "micron": "um", "um": "um", "nm": "nm", "mm": "mm"}


def natural_key(path: Path) -> list[Any]:
    """Sort key putting ``img2`` before ``img10``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def _ome_voxel_size(xml: str) -> tuple[tuple[float, ...] | None, str | None]:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None, None
    for el in root.iter():
        if el.tag.endswith("Pixels"):
            sizes = [el.get(f"PhysicalSize{a}") for a in "ZYX"]
            if sizes[1] and sizes[2]:
                unit = el.get("PhysicalSizeXUnit", "µm")
                values = tuple(float(s) if s else 1.0 for s in sizes)
                return values, _UNITS.get(unit, unit)
    return None, None


def _imagej_voxel_size(tif: Any) -> tuple[tuple[float, ...] | None, str | None]:
    meta = tif.imagej_metadata or {}
    page = tif.pages[0]
    res = page.tags.get("XResolution"), page.tags.get("YResolution")
    if res[0] is None or res[1] is None:
        return None, None
    try:
        x = res[0].value[1] / res[0].value[0]
        y = res[1].value[1] / res[1].value[0]
    except (ZeroDivisionError, TypeError, IndexError):
        return None, None
    if "spacing" not in meta and "unit" not in meta:
        return None, None
    unit = str(meta.get("unit", "um")).replace("\\u00B5", "µ")
    return (float(meta.get("spacing", 1.0)), float(y), float(x)), _UNITS.get(unit, unit)


def read_tiff(path: Path) -> tuple[Any, tuple[float, ...] | None, str | None]:
    """The TIFF's array (memory-mapped when possible), voxel size and unit."""
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            if tif.is_ome and tif.ome_metadata:
                voxel, units = _ome_voxel_size(tif.ome_metadata)
            elif tif.is_imagej:
                voxel, units = _imagej_voxel_size(tif)
            else:
                voxel, units = None, None
            try:
                array: Any = tifffile.memmap(path, mode="r")
            except (ValueError, OSError):
                array = tif.asarray()
    except UserDataError:
        raise
    except Exception as exc:  # tifffile raises many types for damaged files
        raise UserDataError(f"{path}: not a readable TIFF file ({exc})") from None
    if voxel is not None:
        voxel = voxel[-min(3, np.ndim(array)) :]
    return array, voxel, units


def _open_file(path: Path, inner: str | None) -> Source:
    array, voxel, units = read_tiff(path)
    return Source(array, "tiff", voxel, units)


def _tiff_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(SUFFIXES)]


def _claims_folder(path: Path) -> bool:
    return path.is_dir() and bool(_tiff_files(path))


def _open_folder(folder: Path, inner: str | None) -> Source:
    files = sorted(_tiff_files(folder), key=natural_key)
    planes: list[np.ndarray] = []
    voxel = units = None
    for f in files:
        plane, v, u = read_tiff(f)
        plane = np.asarray(plane)
        if plane.ndim != 2:
            raise UserDataError(
                f"{f}: a TIFF folder must hold 2-D images, this one has shape {plane.shape}"
            )
        if planes and (plane.shape, plane.dtype) != (planes[0].shape, planes[0].dtype):
            raise UserDataError(
                f"{f}: shape {plane.shape} {plane.dtype} differs from {files[0].name} "
                f"({planes[0].shape} {planes[0].dtype}); all planes must match"
            )
        if voxel is None and v is not None:
            voxel, units = (1.0, *v[-2:]), u
        planes.append(plane)
    return Source(np.stack(planes), "tiff-folder", voxel, units, {"files": len(files)})


TIFF = register_reader(
    Reader("tiff", "TIFF/OME-TIFF", SUFFIXES, _open_file, requires=("tifffile",))
)
TIFF_FOLDER = register_reader(
    Reader(
        "tiff-folder",
        "a folder of 2-D TIFFs",
        (),
        _open_folder,
        requires=("tifffile",),
        claims=_claims_folder,
    )
)
