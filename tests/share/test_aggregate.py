"""Parquet aggregation of result files and DuckDB queries (library, CLI, service)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flask_app import create_app, samples, shutdown
from flask_app.config import PREFIX
from zarr_benchmarks._jsonio import atomic_write_json
from zarr_benchmarks.share.aggregate import AggregateError, build_parquet, collect_rows, query

pytestmark = pytest.mark.db


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    machine = samples.machine_document(name="BraveOtter")
    env = samples.environment_document()
    atomic_write_json(folder / f"info_machine-{machine['machine_id']}.json", machine)
    atomic_write_json(folder / f"info_environment-{env['environment_id']}.json", env)
    for i in range(2):
        doc = samples.result_document(
            machine["machine_id"],
            env["environment_id"],
            timestamp=f"2026-01-0{i + 1}-00-00-00",
            n_entries=3,
        )
        atomic_write_json(folder / f"result_{i}.json", doc)
    # A result whose machine and environment files are missing, with an extra param.
    orphan = samples.result_document(n_entries=1)
    bench = orphan["benchmarks"]["bench_write.Write.time_write"]
    bench["param_names"].append("threads")
    for entry in bench["results"]:
        entry["params"]["threads"] = 4
    atomic_write_json(folder / "result_orphan.json", orphan)
    return folder


def test_one_row_per_sample_with_machine_environment_and_params(results_dir, tmp_path):
    out = tmp_path / "agg" / "results.parquet"
    rows = build_parquet(results_dir, out)
    # per result: n_entries*3 samples + 1 skipped row + 1 track sample
    assert rows == 2 * (3 * 3 + 1 + 1) + (1 * 3 + 1 + 1)
    table = pq.read_table(out)
    assert table.num_rows == rows
    names = set(table.column_names)
    assert {
        "machine_id",
        "machine_name",
        "environment_id",
        "pkg_zarr",
        "benchmark",
        "unit",
        "modality",
        "codec",
        "chunks",
        "value",
        "status",
        "timestamp",
    } <= names
    assert str(table.schema.field("threads").type) == "int64"  # numeric param stays numeric
    assert str(table.schema.field("value").type) == "double"

    columns, result = query(
        "SELECT machine_name, pkg_zarr, count(*) FROM results "
        "WHERE benchmark = 'bench_write.Write.time_write' AND status = 'ok' "
        "GROUP BY ALL ORDER BY 1 NULLS LAST",
        out,
    )
    assert columns[:2] == ["machine_name", "pkg_zarr"]
    assert result == [("BraveOtter", "3.1.6", 18), (None, None, 3)]
    _, skipped = query("SELECT count(*), count(value) FROM results WHERE status='skipped'", out)
    assert skipped == [(3, 0)]
    _, units = query("SELECT DISTINCT unit FROM results ORDER BY 1", out)
    assert units == [("ratio",), ("seconds",)]


def test_errors_name_the_problem(results_dir, tmp_path):
    with pytest.raises(AggregateError, match="results folder not found"):
        collect_rows(tmp_path / "nope")
    (results_dir / "result_broken.json").write_text("{oops")
    with pytest.raises(AggregateError, match=r"result_broken\.json"):
        collect_rows(results_dir)
    with pytest.raises(AggregateError, match="db build"):
        query("SELECT 1", tmp_path / "missing.parquet")
    (results_dir / "result_broken.json").unlink()
    out = tmp_path / "r.parquet"
    build_parquet(results_dir, out)
    with pytest.raises(AggregateError, match="query failed"):
        query("SELECT no_such_column FROM results", out)


def test_a_folder_without_results_fails_clearly(tmp_path):
    (tmp_path / "results").mkdir()
    out = tmp_path / "r.parquet"
    with pytest.raises(AggregateError, match="no result_"):
        build_parquet(tmp_path / "results", out)
    assert not out.exists()
    built = _cli("db", "build", "--results-dir", "results", "--out", "r.parquet", cwd=tmp_path)
    assert built.returncode == 2
    lines = built.stderr.strip().splitlines()
    assert len(lines) == 1 and "results" in lines[0] and "no result_" in lines[0], built.stderr
    assert not out.exists()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zarr_benchmarks", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_cli(results_dir, tmp_path):
    built = _cli(
        "db", "build", "--results-dir", str(results_dir), "--out", "agg.parquet", cwd=tmp_path
    )
    assert built.returncode == 0, built.stderr
    assert "wrote 27 rows" in built.stderr
    out = _cli(
        "db",
        "query",
        "SELECT codec, count(*) AS n FROM results GROUP BY 1 ORDER BY 1",
        "--db",
        "agg.parquet",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)
    assert {r["codec"] for r in records} >= {"zstd-3", "none"}
    bad = _cli("db", "query", "SELEC nonsense", "--db", "agg.parquet", cwd=tmp_path)
    assert bad.returncode == 2 and "query failed" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = _cli("db", "build", "--results-dir", "nope", cwd=tmp_path)
    assert missing.returncode == 2 and "not found" in missing.stderr


@pytest.mark.service
def test_service_ingests_contributions_into_parts_consistent_with_db_build(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith(PREFIX):
            monkeypatch.delenv(key)
    app = create_app({"instance_dir": tmp_path / "inst", "aggregate_debounce": 0.1})
    try:
        client = app.test_client()
        machine = samples.machine_document()
        client.post("/contribute", json=machine)
        for _ in range(3):
            client.post(
                "/contribute", json=samples.result_document(machine["machine_id"], n_entries=2)
            )
        expected = 3 * (2 * 3 + 1 + 1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            agg = client.get("/health").get_json()["aggregate"]
            if agg and agg["rows"] == expected:
                break
            time.sleep(0.1)
        assert agg and agg["rows"] == expected and agg["results"] == 3, agg
        parts = tmp_path / "inst" / "aggregate" / "parts"
        worktree = next(p for p in (tmp_path / "inst").iterdir() if (p / "results").is_dir())
        built = tmp_path / "built.parquet"
        assert build_parquet(worktree / "results", built) == expected
    finally:
        shutdown(app)
    # `db query` reads the parts folder; it holds the same rows as `db build` of the store.
    sql = "SELECT * FROM results ORDER BY ALL"
    out = _cli("db", "query", sql, "--db", str(parts), "--format", "csv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    from_file = _cli("db", "query", sql, "--db", str(built), "--format", "csv", cwd=tmp_path)
    assert out.stdout == from_file.stdout and out.stdout.count("\n") == expected + 1


def test_an_out_of_range_integer_in_a_parameter_is_skipped_with_a_note(results_dir, tmp_path):
    doc = samples.result_document(timestamp="2026-01-08-00-00-00", n_entries=1)
    bench = doc["benchmarks"]["bench_write.Write.time_write"]
    bench["param_names"].append("threads")
    for entry in bench["results"]:
        entry["params"]["threads"] = 424242
    text = json.dumps(doc).replace("424242", "9" * 400)
    (results_dir / "result_param.json").write_text(text)
    notes: list[str] = []
    out = tmp_path / "agg.parquet"
    assert build_parquet(results_dir, out, notes) == 27  # the fixture's results only
    assert len(notes) == 1 and "result_param.json" in notes[0] and "threads" in notes[0]
    built = _cli(
        "db", "build", "--results-dir", str(results_dir), "--out", "a.parquet", cwd=tmp_path
    )
    assert built.returncode == 0, built.stderr
    assert "skipped: " in built.stderr and "result_param.json" in built.stderr
    assert "Traceback" not in built.stderr and "wrote 27 rows" in built.stderr


def test_a_result_with_an_oversized_integer_is_left_out_with_a_note(results_dir, tmp_path):
    doc = samples.result_document(timestamp="2026-01-09-00-00-00", n_entries=1)
    next(iter(doc["benchmarks"].values()))["results"][0]["samples"][0] = 987654.125
    text = json.dumps(doc).replace("987654.125", "1" + "0" * 400)
    (results_dir / "result_huge.json").write_text(text)
    good = len(collect_rows(results_dir))  # reads the folder without failing
    notes: list[str] = []
    out = tmp_path / "agg.parquet"
    assert build_parquet(results_dir, out, notes) == good
    assert len(notes) == 1 and "result_huge.json" in notes[0] and "left out" in notes[0]
    assert query("SELECT count(*) FROM results WHERE timestamp = '2026-01-09'", out)[1] == [(0,)]
    built = _cli(
        "db", "build", "--results-dir", str(results_dir), "--out", "a.parquet", cwd=tmp_path
    )
    assert built.returncode == 0, built.stderr
    assert "result_huge.json" in built.stderr and "Traceback" not in built.stderr
