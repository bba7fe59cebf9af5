"""Dataset types, metadata and benchmark configuration: the public API of the seed guide.

``DatasetType`` behaves like an ``Enum`` (``DatasetType.CRYOET``, ``DatasetType("cryoet")``,
iteration, ``.value``/``.name``) but its members come from the modality registry, so a
new modality registered with :func:`zarr_benchmarks.data.modalities.register_modality` is a
member at once, with a ``create_<id>_metadata`` helper, without editing this module.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.data.modalities import Modality, get_modality, list_modalities


class _DatasetTypeMeta(type):
    """Gives the registry-backed ``DatasetType`` its enum-like class behaviour."""

    def __getattr__(cls, name: str) -> DatasetType:
        if name.isupper():
            for modality in list_modalities():
                if modality.name == name:
                    return cls(modality.id)
        raise AttributeError(name)

    def __iter__(cls) -> Iterator[DatasetType]:
        return iter([cls(m.id) for m in list_modalities()])

    def __len__(cls) -> int:
        return len(list_modalities())

    def __contains__(cls, item: object) -> bool:
        try:
            cls(item)
        except ValueError:
            return False
        return True

    def __dir__(cls) -> list[str]:
        return [*super().__dir__(), *(m.name for m in list_modalities())]


class DatasetType(str, metaclass=_DatasetTypeMeta):
    """An imaging modality, e.g. ``DatasetType.CRYOET`` (value ``"cryoet"``).

    Construct from a value (``DatasetType("light_sheet")``) or a member name in any
    case; unknown values raise :class:`~zarr_benchmarks.data.modalities.UnknownModalityError`
    (a ``ValueError``).
    """

    __slots__ = ()

    def __new__(cls, value: str | DatasetType) -> DatasetType:
        if isinstance(value, DatasetType):
            return value
        return str.__new__(cls, get_modality(value).id)

    @property
    def value(self) -> str:
        return str.__str__(self)

    @property
    def name(self) -> str:
        return self.modality.name

    @property
    def modality(self) -> Modality:
        return get_modality(self.value)

    def __repr__(self) -> str:
        return f"<DatasetType.{self.name}: {self.value!r}>"

    def __str__(self) -> str:
        return self.value

    def __reduce__(self) -> tuple[Any, ...]:
        return (DatasetType, (self.value,))


class CompressionProfile(enum.Enum):
    """What a user optimises for; each profile maps to a set of codecs worth testing."""

    ARCHIVAL = "archival"  # smallest files, speed secondary
    BALANCED = "balanced"  # good ratio at good speed
    FAST = "fast"  # fastest writes (acquisition)
    LOSSLESS = "lossless"  # broad survey of lossless codecs
    ANALYSIS = "analysis"  # fastest reads (repeated analysis passes)

    @property
    def codecs(self) -> tuple[str, ...]:
        """Codec ids benchmarked for this profile."""
        return _PROFILE_CODECS[self]

    @property
    def goal(self) -> str:
        """What the profile ranks by: compression, write, read or balanced."""
        return _PROFILE_GOAL[self]


_PROFILE_CODECS: dict[CompressionProfile, tuple[str, ...]] = {
    CompressionProfile.ARCHIVAL: (
        "blosc-zstd-9-bitshuffle",
        "blosc-zstd-9-shuffle",
        "blosc-zlib-9-shuffle",
        "zstd-9",
        "gzip-9",
    ),
    CompressionProfile.BALANCED: (
        "blosc-zstd-5-shuffle",
        "blosc-zstd-3-bitshuffle",
        "blosc-lz4hc-5-shuffle",
        "blosc-lz4-5-shuffle",
        "zstd-3",
    ),
    CompressionProfile.FAST: (
        "blosc-lz4-1-shuffle",
        "blosc-lz4-5-shuffle",
        "blosc-lz4-5-bitshuffle",
        "blosc-blosclz-5-shuffle",
        "none",
    ),
    CompressionProfile.LOSSLESS: (
        "blosc-zstd-5-shuffle",
        "blosc-lz4-5-shuffle",
        "blosc-zlib-5-shuffle",
        "blosc-blosclz-5-shuffle",
        "zstd-5",
        "gzip-5",
        "none",
    ),
    CompressionProfile.ANALYSIS: (
        "blosc-lz4-5-shuffle",
        "blosc-lz4-5-bitshuffle",
        "blosc-zstd-1-shuffle",
        "blosc-blosclz-5-shuffle",
        "none",
    ),
}
_PROFILE_GOAL = {
    CompressionProfile.ARCHIVAL: "compression",
    CompressionProfile.BALANCED: "balanced",
    CompressionProfile.FAST: "write",
    CompressionProfile.LOSSLESS: "compression",
    CompressionProfile.ANALYSIS: "read",
}


@dataclass
class DatasetMetadata:
    """What is known about a dataset before benchmarking it.

    Parameters
    ----------
    name
        A label for reports.
    dataset_type
        The modality (a ``DatasetType`` or its value).
    shape, dtype
        Array shape and dtype.
    voxel_size, units
        Physical voxel size per spatial axis and its unit.
    timepoints
        Number of time points (1 for a single volume).
    source
        Where the data came from (free text, e.g. an instrument or ``"synthetic"``).
    modality_specific
        Extra metadata that only means something for this modality.
    """

    name: str
    dataset_type: DatasetType | str
    shape: tuple[int, ...]
    dtype: np.dtype | str = "uint16"
    voxel_size: tuple[float, ...] | None = None
    units: str = "um"
    timepoints: int = 1
    source: str = "unknown"
    modality_specific: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dataset_type = DatasetType(self.dataset_type)
        self.shape = tuple(int(s) for s in self.shape)
        if not self.shape or any(s <= 0 for s in self.shape):
            raise ValueError(f"shape must be non-empty with positive lengths, got {self.shape}")
        self.dtype = np.dtype(self.dtype)
        if self.voxel_size is not None:
            self.voxel_size = tuple(float(v) for v in self.voxel_size)

    @property
    def total_size_mb(self) -> float:
        """Uncompressed size in MB (10^6 bytes)."""
        return math.prod(self.shape) * np.dtype(self.dtype).itemsize / 1e6

    def suggest_compression(self) -> str:
        """The codec id recommended for this modality before measuring anything."""
        return DatasetType(self.dataset_type).modality.suggested_codec

    def suggest_chunk_size(self) -> tuple[int, ...]:
        """A chunk shape for this modality's suggested layout, fitted to ``shape``."""

        layout = DatasetType(self.dataset_type).modality.chunk_layouts[0]
        return resolve_layout(layout, self.shape).chunks

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (for the webhook API and result files)."""
        return {
            "name": self.name,
            "type": DatasetType(self.dataset_type).value,
            "shape": list(self.shape),
            "dtype": np.dtype(self.dtype).name,
            "voxel_size": list(self.voxel_size) if self.voxel_size else None,
            "units": self.units,
            "timepoints": self.timepoints,
            "source": self.source,
            "modality_specific": dict(self.modality_specific),
        }


def create_metadata(
    dataset_type: DatasetType | str,
    shape: Sequence[int] | None = None,
    *,
    dtype: np.dtype | str | None = None,
    voxel_size: Sequence[float] | None = None,
    source: str = "synthetic",
    name: str | None = None,
    timepoints: int | None = None,
    **modality_specific: Any,
) -> DatasetMetadata:
    """Metadata for any registered modality, filled with that modality's defaults."""
    kind = DatasetType(dataset_type)
    modality = kind.modality
    shape = tuple(int(s) for s in (shape or modality.shape))
    if timepoints is None:
        timepoints = shape[modality.axes.index("t")] if "t" in modality.axes[-len(shape) :] else 1
    return DatasetMetadata(
        name=name or f"{modality.id}_{'x'.join(map(str, shape))}",
        dataset_type=kind,
        shape=shape,
        dtype=np.dtype(dtype or modality.dtype),
        voxel_size=tuple(voxel_size) if voxel_size is not None else modality.voxel_size,
        units=modality.units,
        timepoints=timepoints,
        source=source,
        modality_specific={**modality.modality_specific, **modality_specific},
    )


def __getattr__(name: str) -> Any:
    # create_<modality>_metadata exists for every registered modality, including
    # ones registered by third parties after import.
    if name.startswith("create_") and name.endswith("_metadata"):
        modality_id = name[len("create_") : -len("_metadata")]
        try:
            get_modality(modality_id)
        except ValueError:
            raise AttributeError(name) from None

        def factory(shape: Sequence[int] | None = None, **kwargs: Any) -> DatasetMetadata:
            return create_metadata(modality_id, shape, **kwargs)

        factory.__name__ = name
        factory.__doc__ = f"Metadata for a {modality_id} dataset (see :func:`create_metadata`)."
        return factory
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
