"""What the direct API benchmarks for one dataset: :class:`BenchmarkConfig`.

It lives in the suite stage, not beside ``DatasetMetadata`` in the data stage, because
it names codecs, implementations and storages, which the suite defines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zarr_benchmarks.data.dataset_types import CompressionProfile, DatasetMetadata
from zarr_benchmarks.suite.codecs import get_codec
from zarr_benchmarks.suite.implementations import get_implementation
from zarr_benchmarks.suite.storage import parse_storage
from zarr_benchmarks.suite.zarr_io import default_write_empty_chunks


@dataclass
class BenchmarkConfig:
    """What the direct API benchmarks for one dataset.

    Parameters
    ----------
    dataset_metadata
        The dataset being benchmarked.
    compression_profile
        Used for the codec set when ``codecs_to_test`` is empty, and to pick the goal.
    codecs_to_test
        Codec ids or configs; empty means the profile's codecs.
    num_runs
        Timed repetitions per codec; medians are reported.
    output_dir
        Where the Zarr arrays are written (a temporary folder when ``None``).
    chunk_layout
        A chunk layout name (``"cube64"``, ``"cube32-shard128"`` ...) or an explicit
        chunk shape; ``None`` uses the modality's suggestion.
    zarr_format
        2 or 3.
    keep_arrays
        Keep the written arrays in ``output_dir`` after the run.
    implementation
        The Zarr library measured: ``"zarr-python"`` (default), ``"tensorstore"`` or
        ``"zarrs"`` (see :mod:`zarr_benchmarks.suite.implementations`).
    write_empty_chunks
        zarr's array setting for the written arrays; ``None`` (default) means zarr's
        own default (``False``: chunks are scanned and those holding only the fill
        value are skipped). Recorded in the results.
    storage
        Where the user's data will live, for the storage-aware ranking (see
        :mod:`zarr_benchmarks.suite.storage`): ``"local"``, ``"nfs"``, ``"s3"`` or a
        bandwidth in MB/s; ``None`` ranks by the local measurements alone.
    """

    dataset_metadata: DatasetMetadata
    compression_profile: CompressionProfile | str = CompressionProfile.BALANCED
    codecs_to_test: Sequence[Any] = ()
    num_runs: int = 3
    output_dir: str | Path | None = None
    chunk_layout: str | Sequence[int] | None = None
    zarr_format: int = 3
    keep_arrays: bool = False
    implementation: str = "zarr-python"
    write_empty_chunks: bool | None = None
    storage: str | float | None = None

    def __post_init__(self) -> None:
        self.compression_profile = CompressionProfile(self.compression_profile)
        if not 1 <= int(self.num_runs) <= 100:
            raise ValueError(f"num_runs must be between 1 and 100, got {self.num_runs}")
        self.num_runs = int(self.num_runs)
        if self.zarr_format not in (2, 3):
            raise ValueError(f"zarr_format must be 2 or 3, got {self.zarr_format}")
        self.implementation = get_implementation(self.implementation).name
        if self.write_empty_chunks is None:
            self.write_empty_chunks = default_write_empty_chunks()
        self.write_empty_chunks = bool(self.write_empty_chunks)
        if self.storage is not None:
            parse_storage(self.storage)  # raises ValueError naming the bad value

    @property
    def codecs(self) -> tuple[str, ...]:
        """Codec ids to test (normalised through the registry)."""
        chosen = self.codecs_to_test or CompressionProfile(self.compression_profile).codecs
        return tuple(get_codec(c).id for c in chosen)
