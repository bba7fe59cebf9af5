"""The asv suite itself: discovery, and a real quick run that writes results."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import VENV_BIN

QUICK_ENV = {
    "ZARR_BENCHMARKS_PRESET": "quick",
    "ZARR_BENCHMARKS_SIZE": "tiny",
}


def _asv(args, cwd, home, extra_env=None, timeout=600):
    env = {**os.environ, "HOME": str(home), **QUICK_ENV, **(extra_env or {})}
    return subprocess.run(
        [str(VENV_BIN / "asv"), *args],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
    )


def test_asv_check_discovers_the_suite_without_errors(repo_root, tmp_path):
    for preset in ("quick", "default", "full"):
        proc = _asv(
            ["check", "--python=same"], repo_root, tmp_path, {"ZARR_BENCHMARKS_PRESET": preset}
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "No problems found" in proc.stdout


@pytest.mark.slow
def test_quick_asv_run_completes_and_records_samples(suite_clone, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    proc = _asv(["machine", "--yes", "--machine", "ci-box"], suite_clone, home)
    assert proc.returncode == 0, proc.stderr
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=suite_clone, text=True, capture_output=True, check=True
    ).stdout.strip()
    proc = _asv(
        [
            "run",
            "--python=same",
            "--machine",
            "ci-box",
            "--set-commit-hash",
            sha,
            "--record-samples",
            "--bench",
            "bench_write|bench_read.Read\\b",
        ],
        suite_clone,
        home,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result_files = [
        p
        for p in (suite_clone / ".asv" / "results" / "ci-box").glob("*.json")
        if p.name != "machine.json"
    ]
    assert len(result_files) == 1
    doc = json.loads(result_files[0].read_text())
    columns = doc["result_columns"]
    results = doc["results"]
    write = dict(zip(columns, results["bench_write.Write.time_write"]))
    assert all(v is not None and v > 0 for v in write["result"])
    assert all(len(s) >= 3 for s in write["samples"])  # raw samples were recorded
    ratio = dict(zip(columns, results["bench_write.Write.track_compression_ratio"]))
    assert all(r > 1.0 for r in ratio["result"])
    read = dict(zip(columns, results["bench_read.Read.time_read"]))
    assert all(v is not None and v > 0 for v in read["result"])
