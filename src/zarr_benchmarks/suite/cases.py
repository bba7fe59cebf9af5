"""One benchmark case (dataset × codec × layout × format) and its prepared state.

The asv classes, the direct API and the web service all go through :class:`Case`,
so they measure the same thing: set-up (data generation, store creation, writing
the data to be read) happens in ``prepare_*``; the timed methods hold only the
Zarr call from :mod:`zarr_benchmarks.suite.zarr_io`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks.data.chunking import Layout, resolve_layout
from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.suite import implementations, zarr_io
from zarr_benchmarks.suite.codecs import CodecSpec, get_codec
from zarr_benchmarks.suite.presets import shape_for


class DataMismatchError(AssertionError):
    """Raised when data read back differs from what was written."""


@functools.lru_cache(maxsize=4)
def synthetic_data(modality: str, shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    """Generated data, cached per process (generation is not what we measure)."""
    data = get_modality(modality).generate(shape, dtype, seed)
    data.setflags(write=False)
    return data


@dataclass
class Case:
    """A dataset written with one codec, layout and format under ``workdir``.

    Parameters
    ----------
    data
        The array to write (synthetic or the user's own).
    codec, layout
        Codec id/config/spec and layout name or chunk shape.
    workdir
        Folder that holds this case's stores.
    zarr_format
        2 or 3.
    label
        Folder name for the stores (unique within ``workdir``).
    implementation
        The Zarr library doing the writing and reading (see
        :mod:`zarr_benchmarks.suite.implementations`); ``"zarr-python"`` by default.
    write_empty_chunks
        zarr's array setting (default: zarr's own default, ``False``): whether
        chunks holding only the fill value are written or skipped after a scan.
    """

    data: np.ndarray
    codec: CodecSpec | str | dict[str, Any]
    layout: Layout | str | tuple[int, ...]
    workdir: Path
    zarr_format: int = 3
    label: str = "case"
    implementation: str = "zarr-python"
    write_empty_chunks: bool = zarr_io.WRITE_EMPTY_CHUNKS_DEFAULT
    # Separate handles: a benchmark may prepare both a write and a read.
    _write_array: Any = field(default=None, init=False, repr=False)
    _array: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.codec = get_codec(self.codec)
        if not isinstance(self.layout, Layout):
            self.layout = resolve_layout(self.layout, self.data.shape)
        self.settings = zarr_io.ArraySettings(
            self.codec, self.layout, self.zarr_format, bool(self.write_empty_chunks)
        )
        # zarr-python's handle calls are the zarr_io functions themselves; others
        # raise ImplementationUnavailable (asv's skip) when missing or unable.
        self._impl = implementations.get_implementation(self.implementation)
        if self._impl.name != implementations.DEFAULT_IMPLEMENTATION:
            implementations.require(self._impl, self.settings, self.data.dtype)
        self.workdir = Path(self.workdir)
        self.write_path = self.workdir / f"{self.label}-write.zarr"
        self.read_path = self.workdir / f"{self.label}-read.zarr"

    @classmethod
    def synthetic(
        cls,
        modality: str,
        codec: str,
        layout: str,
        workdir: Path,
        *,
        zarr_format: int = 3,
        size: str = "small",
        seed: int = 0,
    ) -> Case:
        """A case on a modality's synthetic data at a preset size."""
        mod = get_modality(modality)
        data = synthetic_data(mod.id, shape_for(mod, size), mod.dtype, seed)
        label = f"{mod.id}-{get_codec(codec).id}-{layout}-v{zarr_format}-{size}-{seed}"
        return cls(data, codec, layout, workdir, zarr_format, label)

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)

    # -- writing ---------------------------------------------------------------
    def prepare_write(self) -> None:
        """Create a fresh, empty array to write into."""
        zarr_io.remove_tree(self.write_path)
        self._write_array = self._impl.create_array(
            self.write_path, self.data.shape, self.data.dtype, self.settings
        )

    def write(self) -> None:
        """Timed: write the whole array."""
        self._impl.write(self._write_array, self.data)

    def cleanup_write(self) -> None:
        """Remove the written store (the verified read store stays)."""
        self._write_array = None
        zarr_io.remove_tree(self.write_path)

    def written_ratio(self) -> float:
        """Compression ratio of the array last written by :meth:`write`."""
        return zarr_io.compression_ratio(self.nbytes, self.write_path)

    # -- reading ---------------------------------------------------------------
    def prepare_read(self) -> None:
        """Make sure the array to read exists and holds the data, then open it.

        The array is written and checked once; later calls (asv re-runs set-up
        before every sample) only reopen it.
        """
        marker = self.read_path / ".verified"
        if not marker.exists():
            zarr_io.remove_tree(self.read_path)
            array = self._impl.create_array(
                self.read_path, self.data.shape, self.data.dtype, self.settings
            )
            self._impl.write(array, self.data)
            self._array = self._impl.open_array(self.read_path)
            self.verify()
            marker.touch()
        self._array = self._impl.open_array(self.read_path)
        self._chunk = self._impl.first_chunk_selection(self._array)
        self._plane = zarr_io.middle_plane_selection(self.data.shape)

    def read(self) -> np.ndarray:
        """Timed: read the whole array."""
        return self._impl.read(self._array)

    def read_chunk(self) -> np.ndarray:
        """Timed: read exactly the first chunk."""
        return self._impl.read_selection(self._array, self._chunk)

    def read_plane(self) -> np.ndarray:
        """Timed: read the middle plane."""
        return self._impl.read_selection(self._array, self._plane)

    def verify(self) -> None:
        """Check (untimed) that the stored array equals the data (for a lossy codec:
        lies within the codec's documented error); raise otherwise."""
        back = self._impl.read(self._array)
        codec = get_codec(self.codec)  # the spec itself: __post_init__ resolved it
        if codec.lossless or back.shape != self.data.shape:
            same = back.shape == self.data.shape and np.array_equal(back, self.data)
            detail = ""
        else:
            within = getattr(codec, "within_tolerance", None)
            same = within is None or within(self.data, back)
            detail = f" by more than {codec.id}'s documented error"
        if not same:
            raise DataMismatchError(
                f"{self.label}: data read back from {self.read_path.name} differs from the "
                f"data written{detail}"
            )

    def read_ratio(self) -> float:
        """Compression ratio of the array prepared for reading."""
        return zarr_io.compression_ratio(self.nbytes, self.read_path)

    def cleanup(self) -> None:
        """Remove both stores."""
        self._array = self._write_array = None
        zarr_io.remove_tree(self.write_path)
        zarr_io.remove_tree(self.read_path)
