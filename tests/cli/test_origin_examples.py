"""The origin guide's examples run unchanged: its MRI script, the
``multi_dataset_benchmark`` import and its command-line shape.

``tests/fixtures/origin/mri_benchmark.py`` is the guide's "Example 2" copied
verbatim. The test runs it with one substitution, the 256^3 volume replaced by
32^3 (the unchanged script takes ~50 s here; docs/data.md gives the command).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import multi_dataset_benchmark
from zarr_benchmarks.data.dataset_types import create_mri_metadata
from zarr_benchmarks.run import runner as zb_runner
from zarr_benchmarks.suite.config import BenchmarkConfig

EXAMPLE = Path(__file__).parents[1] / "fixtures" / "origin" / "mri_benchmark.py"


def test_mri_example_runs(tmp_path: Path) -> None:
    source = EXAMPLE.read_text()
    assert source.count("shape = (10, 256, 256, 256)") == 1
    script = tmp_path / "mri_benchmark.py"
    script.write_text(source.replace("(10, 256, 256, 256)", "(10, 32, 32, 32)"))
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert proc.stdout.count("Best compression:") == 3
    assert "Dataset: mri_1x32x32x32" in proc.stdout
    assert (tmp_path / "data" / "output" / "mri_benchmarks" / "balanced").is_dir()


def test_singleton_time_axis_metadata_accepts_3d_data_and_real_mismatches_fail() -> None:
    meta = create_mri_metadata(shape=(1, 16, 16, 16), voxel_size=(1.0, 1.0, 1.0))
    assert meta.timepoints == 1
    data = np.random.default_rng(0).random((16, 16, 16), dtype=np.float32)
    config = BenchmarkConfig(meta, codecs_to_test=["zstd"], num_runs=1)
    results = multi_dataset_benchmark.DatasetBenchmarkRunner(config).run(data)
    assert results["best_write"]["time_s"] > 0
    assert results["dataset"]["shape"] == [1, 16, 16, 16]
    with pytest.raises(ValueError, match=r"data is \(16, 16, 8\) float32 but the metadata"):
        multi_dataset_benchmark.DatasetBenchmarkRunner(config).run(data[..., :8])


def test_compatibility_import_is_the_package_api() -> None:
    assert multi_dataset_benchmark.DatasetBenchmarkRunner is zb_runner.DatasetBenchmarkRunner
    from multi_dataset_benchmark import BenchmarkConfig as Config

    assert Config is BenchmarkConfig


def _alias(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "multi_dataset_benchmark", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_cli_shape_is_an_alias_of_recommend(tmp_path: Path) -> None:
    proc = _alias(
        "--dataset-type", "cryoet", "--shape", "32,32,32", "--codecs", "blosc_zstd", "blosc_lz4",
        "--profile", "balanced", "--json", "out.json", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "blosc-zstd-5-shuffle" in proc.stdout and "blosc-lz4-5-shuffle" in proc.stdout
    assert "Recommended for profile balanced" in proc.stdout
    assert (tmp_path / "out.json").is_file()
    bad = _alias("--dataset-type", "cryoet", "--codecs", "lzma", cwd=tmp_path)
    assert bad.returncode == 2
    assert "unknown codec id 'lzma'" in bad.stderr and "Traceback" not in bad.stderr
