"""``write_empty_chunks``: an explicit, recorded setting of the write benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import zarr
from conftest import VENV_BIN

from zarr_benchmarks.data.dataset_types import create_metadata
from zarr_benchmarks.run.runner import DatasetBenchmarkRunner
from zarr_benchmarks.suite import zarr_io
from zarr_benchmarks.suite.cases import Case
from zarr_benchmarks.suite.config import BenchmarkConfig
from zarr_benchmarks.suite.presets import get_matrix


def _chunk_files(path: Path) -> int:
    return sum(1 for p in path.rglob("*") if p.is_file() and p.name not in {"zarr.json"})


def test_default_is_zarrs_own_and_false_skips_empty_chunks(tmp_path: Path) -> None:
    assert zarr_io.WRITE_EMPTY_CHUNKS_DEFAULT is bool(zarr.config.get("array.write_empty_chunks"))
    data = np.zeros((64, 64, 64), np.uint16)
    data[:16, :16, :16] = 7  # one chunk of 64 (16^3 chunks) holds data
    counts = {}
    for flag in (False, True):
        case = Case(
            data, "zstd-3", (16, 16, 16), tmp_path, label=f"c{flag}", write_empty_chunks=flag
        )
        case.prepare_write()
        case.write()
        counts[flag] = _chunk_files(case.write_path)
        np.testing.assert_array_equal(zarr.open_array(str(case.write_path))[...], data)
    assert counts == {False: 1, True: 64}
    assert Case(data, "zstd-3", (16, 16, 16), tmp_path).write_empty_chunks is False


def test_recommend_records_the_setting() -> None:
    meta = create_metadata("synthetic", (8, 32, 32))
    for flag, expected in ((None, zarr_io.WRITE_EMPTY_CHUNKS_DEFAULT), (True, True)):
        config = BenchmarkConfig(meta, codecs_to_test=["none"], num_runs=1, write_empty_chunks=flag)
        results = DatasetBenchmarkRunner(config).run()
        assert results["config"]["write_empty_chunks"] is expected


def test_presets_time_the_default_everywhere_and_both_values_on_a_slice() -> None:
    default = get_matrix("default", environ={})
    assert default.write_empty_chunks == (zarr_io.WRITE_EMPTY_CHUNKS_DEFAULT,)
    assert "ct" in default.empty_chunks_modalities and default.empty_chunks_codecs
    assert get_matrix("quick", environ={}).empty_chunks_modalities == ()  # quick stays quick
    both = get_matrix("quick", environ={"ZARR_BENCHMARKS_WRITE_EMPTY_CHUNKS": "false,true"})
    assert both.write_empty_chunks == (False, True)
    with pytest.raises(ValueError, match="WRITE_EMPTY_CHUNKS: 'maybe' is not true or false"):
        get_matrix("quick", environ={"ZARR_BENCHMARKS_WRITE_EMPTY_CHUNKS": "maybe"})


@pytest.mark.slow
def test_default_matrix_records_the_parameter_in_reduced_results(
    suite_clone: Path, tmp_path: Path
) -> None:
    from zarr_benchmarks.results.reduce import reduce_paths
    from zarr_benchmarks.run.environment import environment_document
    from zarr_benchmarks.run.hardware import collect_machine_info
    from zarr_benchmarks.run.machine import machine_document

    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "ZARR_BENCHMARKS_PRESET": "default",
        "ZARR_BENCHMARKS_SIZE": "tiny",
        "ZARR_BENCHMARKS_MODALITIES": "ct",
        "ZARR_BENCHMARKS_CODECS": "none",
        "ZARR_BENCHMARKS_LAYOUTS": "cube64",
        "ZARR_BENCHMARKS_DATA_CACHE": str(tmp_path / "data"),
    }
    asv = str(VENV_BIN / "asv")

    def run(*args: str) -> None:
        proc = subprocess.run(
            [asv, *args], cwd=suite_clone, env=env, text=True, capture_output=True, timeout=600
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    run("machine", "--yes", "--machine", "ci-box")
    run(
        "run", "--python=same", "--machine", "ci-box", "--set-commit-hash",
        subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=suite_clone, text=True, capture_output=True
        ).stdout.strip(),
        "--bench", r"bench_write\.(Write|WriteEmptyChunks)\.time_write",
    )  # fmt: skip
    out = tmp_path / "reduced"
    reduce_paths(
        [suite_clone / ".asv" / "results"],
        out,
        machine=machine_document("ci-box", collect_machine_info(".")),
        environment=environment_document(),
    )
    docs = [json.loads(p.read_text()) for p in out.glob("*.json")]
    result = next(d for d in docs if d.get("kind") == "result")
    write = result["benchmarks"]["bench_write.Write.time_write"]
    assert write["param_names"][-1] == "write_empty_chunks"
    assert {str(e["params"]["write_empty_chunks"]) for e in write["results"]} == {"False"}
    both = result["benchmarks"]["bench_write.WriteEmptyChunks.time_write"]
    values = {
        (e["params"]["modality"], str(e["params"]["write_empty_chunks"]))
        for e in both["results"]
        if e["status"] == "ok"
    }
    assert {("ct", "False"), ("ct", "True"), ("labels_sparse", "True")} <= values
