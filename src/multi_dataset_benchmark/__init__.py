"""Compatibility module for code written against the origin guide's layout.

The guide's scripts do ``from multi_dataset_benchmark import DatasetBenchmarkRunner``
and run ``python multi_dataset_benchmark.py --dataset-type ... --shape ...``. Both
keep working: this package re-exports the direct API of :mod:`zarr_benchmarks`, and
``python -m multi_dataset_benchmark ARGS`` is ``zarr-benchmarks recommend ARGS``.

Examples
--------
>>> from multi_dataset_benchmark import DatasetBenchmarkRunner  # doctest: +SKIP
"""

from zarr_benchmarks.data.dataset_types import (
    CompressionProfile,
    DatasetMetadata,
    DatasetType,
    create_metadata,
)
from zarr_benchmarks.run.runner import DatasetBenchmarkRunner, run_benchmark_request
from zarr_benchmarks.suite.config import BenchmarkConfig

__all__ = [
    "BenchmarkConfig",
    "CompressionProfile",
    "DatasetBenchmarkRunner",
    "DatasetMetadata",
    "DatasetType",
    "create_metadata",
    "main",
    "run_benchmark_request",
]


def main(argv: list[str] | None = None) -> None:
    """Run ``zarr-benchmarks recommend`` with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv
        The guide's options: ``--dataset-type``, ``--shape``, ``--codecs ...``,
        ``--profile`` and every other option of ``recommend``.
    """
    import sys

    from zarr_benchmarks.cli import app

    args = list(sys.argv[1:] if argv is None else argv)
    app(["recommend", *args], prog_name="multi_dataset_benchmark")
