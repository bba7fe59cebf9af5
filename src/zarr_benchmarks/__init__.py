"""zarr-benchmarks: how fast Zarr writes and reads scientific imaging data.

The public API follows the seed guide's names::

    from zarr_benchmarks import (
        BenchmarkConfig, CompressionProfile, DatasetBenchmarkRunner, DatasetMetadata,
        DatasetType, create_metadata,
    )
"""

from zarr_benchmarks.codecs import get_codec, list_codec_ids, register_codec
from zarr_benchmarks.dataset_types import (
    BenchmarkConfig,
    CompressionProfile,
    DatasetMetadata,
    DatasetType,
    create_metadata,
)
from zarr_benchmarks.modalities import Modality, RatioBand, get_modality, register_modality
from zarr_benchmarks.runner import DatasetBenchmarkRunner, run_benchmark_request

__version__ = "0.1.0"

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
