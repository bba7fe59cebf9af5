"""NumPy ``.npy`` files: memory-mapped, never unpickled."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zarr_benchmarks.data.readers import Reader, Source, UserDataError, register_reader


def _open(path: Path, inner: str | None) -> Source:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise UserDataError(
                f"{path}: holds Python objects (a pickled/object array); only numeric "
                "arrays can be benchmarked, and pickles are never loaded"
            ) from None
        raise UserDataError(f"{path}: not a valid .npy file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise UserDataError(f"{path}: not a valid .npy file ({exc})") from None
    return Source(array, "npy")


NPY = register_reader(Reader("npy", "NumPy .npy", (".npy",), _open))
