"""Zarr arrays and groups (format 2 or 3), OME-Zarr images (level 0 of ``multiscales``).

The array stays a lazy zarr array: a crop reads only the chunks it touches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zarr_benchmarks.data.readers import Reader, Source, UserDataError, register_reader
from zarr_benchmarks.data.readers.tiff import natural_key

MARKERS = ("zarr.json", ".zarray", ".zgroup", ".zattrs")
_UNITS = {"micrometer": "um", "nanometer": "nm", "millimeter": "mm", "angstrom": "angstrom"}


def _ome_multiscales(attrs: dict[str, Any]) -> list[dict[str, Any]] | None:
    """``multiscales`` from OME-Zarr 0.4 (top level) or 0.5 (under ``"ome"``)."""
    ome = attrs.get("ome")
    found = ome.get("multiscales") if isinstance(ome, dict) else attrs.get("multiscales")
    return found if isinstance(found, list) and found else None


def _claims(path: Path) -> bool:
    return path.is_dir() and any((path / m).is_file() for m in MARKERS)


def _open(path: Path, inner: str | None) -> Source:
    import zarr

    try:
        node = zarr.open(store=str(path), mode="r")
    except Exception as exc:
        raise UserDataError(f"{path}: not a readable Zarr array or group ({exc})") from None
    fmt = f"zarr-v{node.metadata.zarr_format}"
    if isinstance(node, zarr.Array):
        return Source(node, fmt)
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
        info: dict[str, Any] = {"level": level}
        units = None
        voxel = None
        axes = ms.get("axes") or []
        if axes and all(isinstance(a, dict) for a in axes):
            info["axes"] = "".join(str(a.get("name", "?"))[:1] for a in axes)
            spatial = [a.get("unit") for a in axes if a.get("type") == "space"]
            if spatial and spatial[0]:
                units = _UNITS.get(spatial[0], spatial[0])
        for transform in datasets[0].get("coordinateTransformations") or []:
            if transform.get("type") == "scale":
                voxel = tuple(float(s) for s in transform["scale"][-3:])
        return Source(array, fmt.replace("zarr", "ome-zarr"), voxel, units, info)
    arrays = sorted(node.arrays(), key=lambda kv: natural_key(Path(kv[0])))
    if not arrays:
        raise UserDataError(f"{path}: the Zarr group holds no arrays (nothing to benchmark)")
    name, array = arrays[0]
    return Source(array, fmt, info={"array": name})


ZARR = register_reader(
    Reader("zarr", "Zarr/OME-Zarr", (), _open, requires=("zarr",), claims=_claims)
)
