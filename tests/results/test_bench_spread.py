"""scripts/bench_spread.py reads asv's result files and reduced result files alike
(through the one result model), as docs/benchmark-notes.md says."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO_ROOT, VENV_BIN

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "asv" / "results"
FIX1 = "FixtureMachine/0123abcd-existing-py_home_alice_venv_bin_python.json"
SCRIPT = REPO_ROOT / "scripts" / "bench_spread.py"


def _spread(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "python"), str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(asv file, the same run reduced, a copy of the asv file 10% slower)."""
    asv_dir = tmp_path / "asv"
    shutil.copytree(FIXTURES, asv_dir)
    asv_file = asv_dir / FIX1
    reduced_dir = tmp_path / "reduced"
    done = subprocess.run(
        [str(VENV_BIN / "zarr-benchmarks"), "reduce", str(asv_file), "-o", str(reduced_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (reduced,) = reduced_dir.glob("result_*.json")
    doc = json.loads(asv_file.read_text())
    columns = doc["result_columns"]
    for row in doc["results"].values():
        for col in ("result", "samples"):
            i = columns.index(col)
            if i < len(row) and row[i] is not None:
                row[i] = _scaled(row[i], 1.10)
    slower = asv_dir / "FixtureMachine" / "fedcba98-existing-py_home_alice_venv_bin_python.json"
    slower.write_text(json.dumps(doc))
    return asv_file, reduced, slower


def _scaled(value: object, factor: float) -> object:
    if isinstance(value, list):
        return [_scaled(v, factor) for v in value]
    if isinstance(value, float) and value == value:
        return value * factor
    return value


def test_asv_file_and_its_reduced_form_give_the_same_medians(runs: tuple[Path, Path, Path]) -> None:
    asv_file, reduced, _ = runs
    done = _spread(asv_file, reduced, "--pattern", "time_")
    assert done.returncode == 0, done.stderr
    assert "2 medians in both runs" in done.stdout
    assert "within 5%: 2 (100%)" in done.stdout
    assert "max: 0.0%" in done.stdout


def test_a_reduced_file_against_an_asv_file_shows_the_difference(
    runs: tuple[Path, Path, Path],
) -> None:
    _, reduced, slower = runs
    done = _spread(reduced, slower, "--pattern", r"Write\.time_write")
    assert done.returncode == 0, done.stderr
    assert "2 medians in both runs" in done.stdout
    assert "within 5%: 0 (0%)" in done.stdout
    assert "median |difference|: 10.0%" in done.stdout
    assert "bench_write.Write.time_write [chunks=cube64" in done.stdout


def test_unreadable_input_is_one_clear_line_and_exit_2(
    tmp_path: Path, runs: tuple[Path, Path, Path]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    done = _spread(runs[1], broken)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ") and "broken.json" in done.stderr
    nothing = _spread(runs[0], runs[1], "--pattern", "no_such_benchmark")
    assert nothing.returncode == 2
    assert "no time benchmark matching 'no_such_benchmark'" in nothing.stderr
