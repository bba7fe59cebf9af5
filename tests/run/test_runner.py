"""The direct API: DatasetBenchmarkRunner and the best_* selection."""

from __future__ import annotations

import numpy as np
import pytest

from zarr_benchmarks import (
    BenchmarkConfig,
    CompressionProfile,
    DatasetBenchmarkRunner,
    DatasetType,
    create_metadata,
)
from zarr_benchmarks.run.runner import CodecResult, _best, parse_benchmark_request


def _result(codec, write, read, stored, nbytes=1_000_000):
    return CodecResult(codec, nbytes, stored, [write] * 3, [read] * 3)


def test_best_selection_by_goal():
    results = [
        _result("fast-write", 0.010, 0.020, 900_000),
        _result("fast-read", 0.030, 0.005, 800_000),
        _result("small", 0.200, 0.100, 200_000),
        _result("good-balance", 0.015, 0.008, 400_000),
    ]
    assert _best(results, "write")["codec"] == "fast-write"
    assert _best(results, "read")["codec"] == "fast-read"
    best_c = _best(results, "compression")
    assert best_c["codec"] == "small" and best_c["ratio"] == pytest.approx(5.0)
    # "small" compresses most but is >2x slower than the fastest: balanced skips it.
    assert _best(results, "balanced")["codec"] == "good-balance"
    assert _best(results, "write")["throughput_mb_s"] == pytest.approx(100.0)


def test_medians_not_means():
    r = CodecResult("x", 1_000_000, 1, [0.01, 0.01, 5.0], [0.02, 0.02, 9.0])
    assert r.write_time_s == 0.01 and r.read_time_s == 0.02


def test_runner_on_synthetic_data(tmp_path):
    meta = create_metadata("synthetic", (16, 48, 48))
    config = BenchmarkConfig(
        meta,
        CompressionProfile.ARCHIVAL,
        ["none", "blosc-lz4-5-shuffle", "zstd-9"],
        num_runs=2,
        output_dir=tmp_path,
        chunk_layout="cube16",
    )
    calls = []
    out = DatasetBenchmarkRunner(config, lambda *a: calls.append(a)).run()
    assert [r["codec"] for r in out["results"]] == ["none", "blosc-lz4-5-shuffle", "zstd-9"]
    by = {r["codec"]: r for r in out["results"]}
    assert by["none"]["ratio"] == pytest.approx(1.0, rel=0.01)
    assert by["zstd-9"]["ratio"] > 1.3
    assert all(len(r["write_times_s"]) == 2 for r in out["results"])
    assert out["best_compression"]["codec"] in ("zstd-9", "blosc-lz4-5-shuffle")
    assert out["best_compression"]["ratio"] == max(r["ratio"] for r in out["results"])
    assert out["recommended"]["goal"] == "compression"
    assert out["config"]["chunks"] == [16, 16, 16]
    assert calls[-1][1] == calls[-1][2]  # progress reached its total
    assert list(tmp_path.iterdir()) == []  # arrays removed unless keep_arrays


def test_runner_rejects_data_that_does_not_match_metadata():
    meta = create_metadata("synthetic", (8, 8, 8))
    runner = DatasetBenchmarkRunner(BenchmarkConfig(meta, codecs_to_test=["zstd"]))
    with pytest.raises(ValueError, match="metadata says"):
        runner.run(np.zeros((8, 8, 9), dtype=meta.dtype))


def test_metadata_helpers():
    meta = create_metadata(DatasetType.SYNTHETIC, (4, 32, 32), voxel_size=(2, 1, 1))
    assert meta.dataset_type is not None and meta.dataset_type.value == "synthetic"
    assert meta.total_size_mb == pytest.approx(4 * 32 * 32 * 2 / 1e6)
    assert meta.voxel_size == (2.0, 1.0, 1.0)
    assert all(c > 0 for c in meta.suggest_chunk_size())
    assert meta.suggest_compression()
    with pytest.raises(ValueError):
        create_metadata("synthetic", (0, 4, 4))
    with pytest.raises(ValueError):
        BenchmarkConfig(meta, num_runs=0)
    with pytest.raises(ValueError):
        BenchmarkConfig(meta, compression_profile="extreme")


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({}, "dataset"),
        ({"dataset": {"type": "synthetic"}}, "shape"),
        ({"dataset": {"type": "synthetic", "shape": [0, 4]}}, "dataset/shape/0"),
        ({"dataset": {"type": "xray", "shape": [4, 4]}}, "xray"),
        ({"dataset": {"type": "synthetic", "shape": [4096, 4096, 4096]}}, "exceeds"),
        (
            {"dataset": {"type": "synthetic", "shape": [4, 4]}, "benchmark": {"codecs": ["lzma"]}},
            "benchmark/codecs/0",
        ),
        (
            {"dataset": {"type": "synthetic", "shape": [4, 4]}, "benchmark": {"num_runs": 1000}},
            "benchmark/num_runs",
        ),
        ({"dataset": {"type": "synthetic", "shape": [4, 4], "path": "/etc/passwd"}}, "path"),
    ],
)
def test_bad_requests_name_the_field(payload, where):
    with pytest.raises(ValueError, match=where.replace("/", "/")):
        parse_benchmark_request(payload)


def test_request_round_trip():
    from zarr_benchmarks import run_benchmark_request

    out = run_benchmark_request(
        {
            "dataset": {"name": "t", "type": "synthetic", "shape": [8, 32, 32], "dtype": "uint16"},
            "benchmark": {
                "codecs": ["blosc_zstd", "blosc_lz4"],
                "compression_profile": "fast",
                "num_runs": 1,
            },
        }
    )
    assert {r["codec"] for r in out["results"]} == {"blosc-zstd-5-shuffle", "blosc-lz4-5-shuffle"}
    for key in ("best_write", "best_read", "best_compression"):
        assert out[key]["codec"] in {"blosc-zstd-5-shuffle", "blosc-lz4-5-shuffle"}
