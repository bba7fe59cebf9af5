"""zarr-benchmarks: how fast Zarr writes and reads scientific imaging data.

The public API follows the seed guide's names::

    from zarr_benchmarks import (
        BenchmarkConfig, CompressionProfile, DatasetBenchmarkRunner, DatasetMetadata,
        DatasetType, create_metadata,
    )

The package is laid out by pipeline stage (docs/architecture.md): :mod:`.data` ->
:mod:`.suite` -> :mod:`.run` -> :mod:`.results` -> :mod:`.share` / :mod:`.analyse` ->
:mod:`.cli`. The names below are imported on first use, so ``import zarr_benchmarks``
(or any small submodule) does not pay for Zarr and the runner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zarr_benchmarks._once import lazy_attributes
from zarr_benchmarks._version import __version__

#: public name -> module that defines it
_PUBLIC = {
    "get_codec": "zarr_benchmarks.suite.codecs",
    "list_codec_ids": "zarr_benchmarks.suite.codecs",
    "register_codec": "zarr_benchmarks.suite.codecs",
    "BenchmarkConfig": "zarr_benchmarks.suite.config",
    "CompressionProfile": "zarr_benchmarks.data.dataset_types",
    "DatasetMetadata": "zarr_benchmarks.data.dataset_types",
    "DatasetType": "zarr_benchmarks.data.dataset_types",
    "create_metadata": "zarr_benchmarks.data.dataset_types",
    "Modality": "zarr_benchmarks.data.modalities",
    "RatioBand": "zarr_benchmarks.data.modalities",
    "get_modality": "zarr_benchmarks.data.modalities",
    "register_modality": "zarr_benchmarks.data.modalities",
    "DatasetBenchmarkRunner": "zarr_benchmarks.run.runner",
    "run_benchmark_request": "zarr_benchmarks.run.runner",
}

__all__ = [
    "BenchmarkConfig",
    "CompressionProfile",
    "DatasetBenchmarkRunner",
    "DatasetMetadata",
    "DatasetType",
    "Modality",
    "RatioBand",
    "__version__",
    "create_metadata",
    "get_codec",
    "get_modality",
    "list_codec_ids",
    "register_codec",
    "register_modality",
    "run_benchmark_request",
]

if TYPE_CHECKING:
    from zarr_benchmarks.data.dataset_types import (
        CompressionProfile,
        DatasetMetadata,
        DatasetType,
        create_metadata,
    )
    from zarr_benchmarks.data.modalities import Modality, RatioBand, get_modality, register_modality
    from zarr_benchmarks.run.runner import DatasetBenchmarkRunner, run_benchmark_request
    from zarr_benchmarks.suite.codecs import get_codec, list_codec_ids, register_codec
    from zarr_benchmarks.suite.config import BenchmarkConfig


__getattr__, __dir__ = lazy_attributes(globals(), _PUBLIC)
