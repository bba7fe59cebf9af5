"""Reader registry: one small module per file format, added without editing the core.

A reader (:class:`Reader`) claims file name endings (``.nii.gz``) or inputs it
recognises (a folder of DICOM slices), and opens them lazily as a :class:`Source`
(array, voxel size, units). Built-in readers: TIFF/OME-TIFF, ``.npy``, Zarr/OME-Zarr
(always available), DICOM (extra ``dicom``), NIfTI (``nifti``), MRC (``mrc``) and
HDF5 (``hdf5``). Third-party packages add readers through the
``zarr_benchmarks.data.readers`` entry-point group, whose entry points name a callable
that calls :func:`register_reader`.

Examples
--------
>>> from zarr_benchmarks.data.readers import find_reader
>>> find_reader(Path("brain.nii.gz")).name  # doctest: +SKIP
'nifti'
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from zarr_benchmarks._once import LoadOnce, load_entry_points
from zarr_benchmarks.data.readers._base import (
    FrameStack,
    Reader,
    ReaderUnavailable,
    Source,
    Transposed,
    UserDataError,
)

ENTRY_POINT_GROUP = "zarr_benchmarks.data.readers"

#: built-in reader modules, in the order their ``claims`` are asked
BUILTIN_READERS = ("zarr_array", "dicom", "tiff", "npy", "nifti", "mrc", "hdf5")

__all__ = [
    "ENTRY_POINT_GROUP",
    "FrameStack",
    "Reader",
    "ReaderUnavailable",
    "Source",
    "Transposed",
    "UserDataError",
    "find_reader",
    "get_reader",
    "list_readers",
    "register_reader",
    "split_inner",
    "unregister_reader",
]

_REGISTRY: dict[str, Reader] = {}
_loaded_entry_points: set[tuple[str, str]] = set()


def register_reader(reader: Reader, *, replace: bool = False) -> Reader:
    """Register ``reader`` and return it.

    Raises
    ------
    ValueError
        If the name is taken (unless ``replace``) or a suffix does not start with ``.``.
    """
    _ensure_loaded()
    if reader.name in _REGISTRY and not replace:
        raise ValueError(f"reader {reader.name!r} is already registered")
    bad = [s for s in reader.suffixes if not s.startswith(".") or s != s.lower()]
    if bad:
        raise ValueError(f"reader {reader.name!r}: suffixes must be lower case with a dot: {bad}")
    _REGISTRY[reader.name] = reader
    return reader


def unregister_reader(name: str) -> None:
    """Remove a reader (mainly for tests that register their own)."""
    _REGISTRY.pop(name, None)


def _load() -> None:
    for name in BUILTIN_READERS:
        import_module(f"zarr_benchmarks.data.readers.{name}")
    load_entry_points(ENTRY_POINT_GROUP, _loaded_entry_points)


#: imports the built-in readers and entry points once, thread-safely (:class:`LoadOnce`)
_ensure_loaded = LoadOnce(_load)


def list_readers() -> list[Reader]:
    """All registered readers, built-ins first."""
    _ensure_loaded()
    return list(_REGISTRY.values())


def get_reader(name: str) -> Reader:
    """The reader registered under ``name``.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown reader {name!r}; known: {', '.join(_REGISTRY)}") from None


def split_inner(text: str) -> tuple[Path, str | None]:
    """Split ``FILE.h5:/dataset`` into the file and the part after the colon.

    Only splits where the part before the last ``:`` ends with a suffix some
    reader claims, so Windows drive letters and colons inside names stay intact.
    """
    _ensure_loaded()
    if ":" in text and not Path(text).exists():
        head, _, tail = text.rpartition(":")
        if any(head.lower().endswith(s) for r in _REGISTRY.values() for s in r.suffixes):
            return Path(head), tail or None
    return Path(text), None


def find_reader(path: Path) -> Reader | None:
    """The reader for ``path``: the longest claimed suffix, else the first whose
    ``claims`` accepts it, else ``None``."""
    _ensure_loaded()
    name = path.name.lower()
    best: tuple[int, Reader] | None = None
    if path.is_file() or not path.exists():
        for reader in _REGISTRY.values():
            for suffix in reader.suffixes:
                if name.endswith(suffix) and (best is None or len(suffix) > best[0]):
                    best = (len(suffix), reader)
    if best is not None:
        return best[1]
    for reader in _REGISTRY.values():
        if reader.claims is not None and path.exists() and reader.claims(path):
            return reader
    return None


def supported_summary() -> str:
    """One line naming every readable input, for error messages."""
    _ensure_loaded()
    parts = []
    for r in _REGISTRY.values():
        parts.append(f"{r.title} ({'/'.join(r.suffixes)})" if r.suffixes else r.title)
    return ", ".join(parts)
