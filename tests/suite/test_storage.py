"""Storage-aware recommendations: bandwidths, effective throughput, ties, reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zarr_benchmarks.cli import app
from zarr_benchmarks.suite.storage import (
    NFS_NOMINAL_MB_S,
    Storage,
    effective_samples,
    measure_local,
    parse_storage,
    rank,
    resolve_storage,
)

runner = CliRunner()
MB = 1_000_000


def _result(codec: str, ratio: float, write_s: list[float], read_s: list[float]) -> dict:
    nbytes = 100 * MB
    return {
        "codec": codec,
        "ratio": ratio,
        "nbytes": nbytes,
        "stored_nbytes": int(nbytes / ratio),
        "write_times_s": write_s,
        "read_times_s": read_s,
        "write_mb_s": nbytes / sorted(write_s)[len(write_s) // 2] / MB,
        "read_mb_s": nbytes / sorted(read_s)[len(read_s) // 2] / MB,
    }


def test_parse_storage() -> None:
    assert parse_storage("S3") == "s3" and parse_storage("local") == "local"
    assert parse_storage("250") == 250.0 and parse_storage("80 MB/s") == 80.0
    for bad in ("fast", "-5", "0", "inf"):
        with pytest.raises(ValueError, match="--storage"):
            parse_storage(bad)
    nfs = resolve_storage("nfs")
    assert nfs.write_mb_s == NFS_NOMINAL_MB_S and "nominal" in nfs.basis
    given = resolve_storage("42")
    assert (given.name, given.read_mb_s) == ("42 MB/s", 42.0)


def test_effective_throughput_adds_the_transfer_of_the_stored_bytes() -> None:
    # 100 MB written in 0.1 s, 50 MB stored, 100 MB/s storage: 0.1 + 0.5 s
    assert effective_samples(100 * MB, 50 * MB, [0.1], 100.0) == [pytest.approx(100 / 0.6)]
    paired = effective_samples(100 * MB, 100 * MB, [0.0, 0.0], 100.0, (50.0, 200.0))
    assert paired == [pytest.approx(50.0), pytest.approx(200.0)]


def test_slow_storage_favours_compression_fast_storage_favours_none() -> None:
    results = [
        _result("none", 1.0, [0.10, 0.11, 0.10], [0.05, 0.05, 0.06]),
        _result("zstd-3", 3.0, [0.40, 0.41, 0.40], [0.10, 0.10, 0.11]),
    ]
    slow = rank(results, Storage("nfs", 100.0, 100.0, "given"))
    assert slow["write"]["pick"]["codec"] == "zstd-3"
    assert slow["write"]["pick"]["tied_with"] == []
    assert "none reaches only" in slow["write"]["pick"]["reason"]
    fast = rank(results, Storage("local", 1e6, 1e6, "given"))
    pick = fast["write"]["pick"]
    assert pick["codec"] == "none" and pick["tied_with"] == []
    assert (
        pick["reason"].startswith("none: on local")
        and "outside the measured noise" in pick["reason"]
    )


def test_codecs_within_noise_are_a_tie_and_the_higher_ratio_is_picked() -> None:
    results = [
        _result("none", 1.0, [0.100, 0.120, 0.080], [0.05, 0.05, 0.05]),
        _result("blosc-lz4-5-shuffle", 1.3, [0.102, 0.125, 0.085], [0.05, 0.05, 0.05]),
        _result("zstd-3", 1.4, [0.300, 0.310, 0.290], [0.05, 0.05, 0.05]),
    ]
    doc = rank(results, Storage("local", 1e6, 1e6, "given"))
    pick = doc["write"]["pick"]
    assert pick["codec"] == "blosc-lz4-5-shuffle"  # tied with none: fewer bytes wins
    assert pick["tied_with"] == ["none"]
    assert "a tie within the measured noise with none" in pick["reason"]
    assert [r["codec"] for r in doc["write"]["ranking"]][-1] == "zstd-3"


def test_local_bandwidth_is_measured(tmp_path: Path) -> None:
    local = measure_local(tmp_path, nbytes=4 * 2**20, repeats=2)
    assert local.write_mb_s > 0 and local.read_mb_s > 0
    assert len(local.write_samples) == 2 and "fsync" in local.basis
    assert list(tmp_path.iterdir()) == []  # the probe file is gone


def test_recommend_storage_option_ranks_and_explains(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = runner.invoke(
        app,
        [
            "recommend", "--dataset-type", "ct_clinical", "--shape", "16,128,128",
            "--codecs", "none", "blosc-lz4-5-shuffle", "--profile", "fast", "--runs", "3",
            "--storage", "10", "--json", str(out),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Throughput as seen on 10 MB/s" in res.output and "why:" in res.output
    doc = json.loads(out.read_text())
    rec = doc["recommended"]
    # 10 MB/s: moving 0.5 MB uncompressed costs ~50 ms against a few ms of lz4
    assert rec["codec"] == "blosc-lz4-5-shuffle" and rec["storage"] == "10 MB/s"
    assert doc["storage"]["storage"]["write_mb_s"] == 10.0
    bad = runner.invoke(app, ["recommend", "--shape", "8,16,16", "--storage", "fast"])
    assert bad.exit_code == 2 and "not local, nfs, s3" in bad.output


@pytest.mark.slow
@pytest.mark.s3
def test_recommend_storage_s3_measures_the_loopback_object_store(tmp_path: Path) -> None:
    out = tmp_path / "s3.json"
    res = runner.invoke(
        app,
        [
            "recommend", "--dataset-type", "ct", "--shape", "32,64,64", "--codecs", "none",
            "blosc-lz4-5-shuffle", "--profile", "analysis", "--runs", "3", "--storage", "s3",
            "--json", str(out),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    st = doc["storage"]["storage"]
    assert st["name"] == "s3" and "loopback SeaweedFS" in st["basis"]
    assert len(st["read_samples"]) == 3 and st["read_mb_s"] > 0
    ranking = doc["storage"]["read"]["ranking"]
    pick = doc["recommended"]
    assert pick["codec"] in {r["codec"] for r in ranking} and pick["reason"]
    best = ranking[0]
    chosen = next(r for r in ranking if r["codec"] == pick["codec"])
    # the pick is the fastest, or tied with it within the measured noise
    assert chosen is best or best["codec"] in pick["tied_with"]
