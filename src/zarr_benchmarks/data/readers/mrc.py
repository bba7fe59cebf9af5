"""MRC / CCP4 maps (``.mrc``, ``.map``, ``.rec``, ``.mrcs``, ``.st``; mrcfile, extra ``mrc``).

Uncompressed files are memory-mapped (a crop reads only its sections); ``.gz`` and
``.bz2`` files are decompressed. The header is validated (``permissive=False``).
Voxel size comes from the header's cell dimensions, in angstroms (z, y, x).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from zarr_benchmarks.data.readers import Reader, Source, UserDataError, register_reader

BASE = (".mrc", ".map", ".rec", ".mrcs", ".st", ".ali")
SUFFIXES = (*BASE, *(b + c for b in BASE for c in (".gz", ".bz2")))


def _open(path: Path, inner: str | None) -> Source:
    import mrcfile

    compressed = path.name.lower().endswith((".gz", ".bz2"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # mrcfile warns (not raises) about bad headers
            handle = (
                mrcfile.open(path, mode="r", permissive=False)
                if compressed
                else mrcfile.mmap(path, mode="r", permissive=False)
            )
    except Exception as exc:  # mrcfile raises ValueError, OSError, RuntimeWarning...
        raise UserDataError(f"{path}: not a readable MRC file ({exc})") from None
    data = handle.data
    if data is None:
        handle.close()
        raise UserDataError(f"{path}: the MRC file holds no data")
    vs = handle.voxel_size
    sizes = tuple(float(v) for v in (vs.z, vs.y, vs.x))
    voxel = sizes if all(np.isfinite(sizes)) and any(sizes) else None
    info = {
        "mrc_mode": int(handle.header.mode),
        "volume_stack": bool(handle.is_volume_stack()),
    }
    return Source(
        data, "mrc", voxel[-min(3, data.ndim) :] if voxel else None,
        "angstrom" if voxel else None, info, close=handle.close, copy_before_close=True,
    )  # fmt: skip


MRC = register_reader(Reader("mrc", "MRC", SUFFIXES, _open, requires=("mrcfile",), extra="mrc"))
