"""What a reader returns, the lazy array wrappers readers share, and the reader errors."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FrameStack",
    "Reader",
    "ReaderUnavailable",
    "Source",
    "Transposed",
    "UserDataError",
]


class UserDataError(ValueError):
    """User data that cannot be loaded; the message names the file and the problem.

    The message is always one line: library errors quoted in it may span several
    (whitespace runs are collapsed, and a very long quote is shortened).
    """

    def __init__(self, message: str) -> None:
        text = " ".join(str(message).split())
        super().__init__(text if len(text) <= 600 else text[:597] + "...")


class ReaderUnavailable(UserDataError):
    """The library a reader needs is not installed; the message names the extra."""


@dataclass
class Source:
    """An opened dataset: a lazy array plus what its header says.

    Parameters
    ----------
    array
        Anything with ``shape``, ``dtype`` and ``__getitem__`` taking a tuple of
        slices (a memory map, an h5py dataset, a zarr array, a :class:`FrameStack`).
        Slicing it reads only the selected region where the format allows.
    format
        Short format name recorded in the metadata (``"nifti"``, ``"dicom-series"``).
    voxel_size
        Physical voxel size per spatial axis, in the array's axis order (slowest
        first), or ``None`` when the header has none.
    units
        Unit of ``voxel_size`` (``"mm"``, ``"um"``, ``"nm"``, ``"angstrom"``).
    info
        Extra facts for ``DatasetMetadata.modality_specific`` (JSON-able, no paths).
    close
        Called once the data has been read (closes file handles).
    copy_before_close
        The array is a memory map that ``close`` invalidates: copy what was read.
    """

    array: Any
    format: str
    voxel_size: tuple[float, ...] | None = None
    units: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    close: Callable[[], None] = field(default=lambda: None, repr=False)
    copy_before_close: bool = False


@dataclass(frozen=True)
class Reader:
    """One file format.

    Parameters
    ----------
    name
        Registry key and format name (``"nifti"``).
    title
        Human-readable format name for messages (``"NIfTI"``).
    suffixes
        Lower-case file name endings claimed (``(".nii", ".nii.gz")``); longer
        endings win over shorter ones across readers.
    open
        ``open(path, inner)`` returns a :class:`Source`; ``inner`` is the part after
        ``FILE:`` (an HDF5 dataset path) or ``None``. Raises :class:`UserDataError`.
    requires
        Importable module names the reader needs (checked before ``open``).
    extra
        The optional extra of this package that installs them.
    claims
        Optional ``claims(path)`` for inputs without a telling suffix (a folder of
        DICOM slices, a DICOM file without extension).
    """

    name: str
    title: str
    suffixes: tuple[str, ...]
    open: Callable[[Path, str | None], Source]
    requires: tuple[str, ...] = ()
    extra: str | None = None
    claims: Callable[[Path], bool] | None = None

    def check_available(self, path: Path) -> None:
        """Raise :class:`ReaderUnavailable` naming the extra if a library is missing."""
        import importlib.util

        missing = [m for m in self.requires if importlib.util.find_spec(m) is None]
        if missing:
            extra = f"pip install 'zarr-benchmarks[{self.extra}]'" if self.extra else ""
            raise ReaderUnavailable(
                f"{path}: reading {self.title} needs {', '.join(missing)}, which is not "
                f"installed; install the extra: {extra or 'pip install ' + ' '.join(missing)}"
            )


def _index_list(sel: slice | int, n: int) -> list[int]:
    if isinstance(sel, slice):
        return list(range(n))[sel]
    return [int(sel) % n]


class FrameStack:
    """A lazy stack of 2-D (or 2-D + samples) frames read one at a time.

    Parameters
    ----------
    frame_shape, dtype
        Shape and dtype of one frame.
    count
        Number of frames (the first axis).
    read_frame
        ``read_frame(i)`` returns frame ``i`` as an array.
    """

    def __init__(
        self,
        frame_shape: Sequence[int],
        dtype: Any,
        count: int,
        read_frame: Callable[[int], np.ndarray],
    ) -> None:
        self.frame_shape = tuple(int(s) for s in frame_shape)
        self.dtype = np.dtype(dtype)
        self.shape = (int(count), *self.frame_shape)
        self._read = read_frame

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def __getitem__(self, key: Any) -> np.ndarray:
        if key is Ellipsis:
            key = (slice(None),) * len(self.shape)
        if not isinstance(key, tuple):
            key = (key,)
        key = key + (slice(None),) * (len(self.shape) - len(key))
        frames = _index_list(key[0], self.shape[0])
        rest = key[1:]
        planes = [np.asarray(self._read(i))[rest] for i in frames]
        out = np.stack(planes) if planes else np.empty((0,), self.dtype)
        return out[0] if isinstance(key[0], int) else out


class Transposed:
    """A lazy view of ``base`` with its axes permuted (``numpy.transpose`` order).

    Slicing maps the selection back to ``base``'s axes, so only the selected
    region is read from ``base``.
    """

    def __init__(self, base: Any, axes: Sequence[int]) -> None:
        self.base = base
        self.axes = tuple(int(a) for a in axes)
        self.shape = tuple(int(base.shape[a]) for a in self.axes)
        self.dtype = np.dtype(base.dtype)

    def __getitem__(self, key: Any) -> np.ndarray:
        if key is Ellipsis:
            key = (slice(None),) * len(self.shape)
        if not isinstance(key, tuple):
            key = (key,)
        key = key + (slice(None),) * (len(self.shape) - len(key))
        if any(not isinstance(k, slice) for k in key):
            raise TypeError("Transposed supports slices only")
        base_key: list[slice] = [slice(None)] * len(self.shape)
        for mine, theirs in enumerate(self.axes):
            base_key[theirs] = key[mine]
        block = np.asarray(self.base[tuple(base_key)])
        return np.ascontiguousarray(np.transpose(block, self.axes))
