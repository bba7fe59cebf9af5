"""The codec protocol shared by every codec family."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np


class UnknownCodecError(ValueError):
    """Raised for a codec id or config that no registered family understands."""


class CodecSpec(ABC):
    """One compressor configuration, usable with Zarr format 3 and 2 and raw numcodecs.

    Subclasses are immutable value objects: equal configs give equal specs.
    """

    #: family name, the ``"id"`` key of :attr:`config` (``"blosc"``, ``"zstd"``...)
    family: str = ""
    #: whether decoding returns exactly the input
    lossless: bool = True

    @property
    @abstractmethod
    def id(self) -> str:
        """Stable, readable id such as ``"blosc-zstd-5-shuffle"``."""

    @property
    @abstractmethod
    def config(self) -> dict[str, Any]:
        """JSON-able configuration; ``get_codec(spec.config) == spec``."""

    @abstractmethod
    def zarr_v3_compressors(self, dtype: np.dtype) -> tuple[Any, ...]:
        """Bytes-to-bytes codecs for ``zarr.create_array(..., zarr_format=3)``."""

    @abstractmethod
    def zarr_v2_compressor(self, dtype: np.dtype) -> Any | None:
        """The numcodecs compressor for ``zarr.create_array(..., zarr_format=2)``."""

    @abstractmethod
    def numcodecs_codec(self, dtype: np.dtype) -> Any | None:
        """The same compressor as a raw numcodecs codec (for codec-ceiling measurements)."""

    def zarr_v3_filters(self, dtype: np.dtype) -> tuple[Any, ...]:
        """Array-to-array codecs (lossy codecs use these); none by default."""
        return ()

    def zarr_v2_filters(self, dtype: np.dtype) -> tuple[Any, ...]:
        """numcodecs filters for Zarr format 2; none by default."""
        return ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodecSpec) and self.config == other.config

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<codec {self.id}>"
