"""history.py, ``zarr-benchmarks history`` and the Zarr-version asv config."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from regression_helpers import (
    MACHINE_A,
    MACHINE_B,
    draw_timings,
    make_doc,
    sample_suite,
    suite_spec,
)
from typer.testing import CliRunner

from zarr_benchmarks.analyse import history as hist
from zarr_benchmarks.cli import app

ROOT = Path(__file__).resolve().parents[2]
# Deliberately not in time order: the version axis must sort by version.
VERSIONS = [("3.1.6", "2026-11-01-00-00-00"), ("3.0.10", "2026-11-02-00-00-00"),
            ("3.1.5", "2026-11-03-00-00-00")]  # fmt: skip


def _env_id(version: str) -> str:
    return hashlib.sha256(version.encode()).hexdigest()


def _write(path: Path, doc: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _interleaved_blocks(
    rng: np.random.Generator, spec: list[dict], versions: list[str], slow: dict[str, dict]
) -> dict[str, list[dict]]:
    """Entries per version as ``history-run`` records them: blocks of every version run
    side by side, sharing each block's machine state."""
    out: dict[str, list[dict]] = {v: [] for v in versions}
    for i, s in enumerate(spec):
        blocks: dict[str, list[list[float]]] = {v: [] for v in versions}
        for _ in range(8):
            state = s["median"] * float(np.exp(rng.normal(0.0, 0.10)))
            for v in versions:
                level = state * slow.get(v, {}).get(i, 1.0)
                blocks[v].append(draw_timings(rng, level, s["sigma"], 5))
        for v in versions:
            out[v].append({"name": s["name"], "params": s["params"], "blocks": blocks[v]})
    return out


@pytest.fixture
def results_dir(tmp_path: Path) -> tuple[Path, list[dict]]:
    """Releases run side by side; benchmark 4 gets 30 % slower in 3.1.6 only."""
    rng = np.random.default_rng(12)
    spec = suite_spec(rng, 30)
    spec[4]["sigma"] = 0.03
    versions = [v for v, _ in VERSIONS]
    per_version = _interleaved_blocks(rng, spec, versions, {"3.1.6": {4: 1.3}})
    for i, (version, ts) in enumerate(VERSIONS):
        _write(
            tmp_path / f"info_environment-{_env_id(version)}.json",
            {"schema_version": 1, "kind": "environment", "environment_id": _env_id(version),
             "python": {"implementation": "CPython", "version": "3.11.7"},
             "packages": {"zarr": version}},
        )  # fmt: skip
        entries = per_version[version]
        if version == "3.1.6":  # the read benchmark's code changed in this run
            for e in entries:
                if e["name"] == "bench_read.Read.time_read":
                    e["version"] = "f" * 64
        doc = make_doc(entries, timestamp=ts, commit=str(i) * 40, environment_id=_env_id(version))
        _write(tmp_path / "sub" / f"result_{ts}_a.json", doc)
    # another machine: its own series, never mixed into machine A's trend
    other = make_doc(sample_suite(rng, spec, slowdown={4: 3.0}), machine_id=MACHINE_B,
                     environment_id=_env_id("3.1.6"))  # fmt: skip
    _write(tmp_path / "result_b.json", other)
    return tmp_path, spec


def test_version_history_flags_only_the_injected_step(results_dir: tuple[Path, list]) -> None:
    path, spec = results_dir
    h = hist.history_from_path(path)
    series_a = [s for s in h.series if s.machine_id == MACHINE_A]
    assert len(series_a) == 30
    assert {s.axis for s in series_a} == {"version"}
    flagged = [(s, st) for s in h.series for st in s.flagged]
    assert len(flagged) == 1
    s, step = flagged[0]
    assert (s.name, s.params, s.machine_id) == (spec[4]["name"], spec[4]["params"], MACHINE_A)
    assert [p.label for p in s.points] == ["3.0.10", "3.1.5", "3.1.6"]
    assert (step.from_label, step.to_label, step.status) == ("3.1.5", "3.1.6", "regression")
    assert step.method == "blocks" and step.ci_low <= 1.3 <= step.ci_high
    reads = [x for x in series_a if x.name == "bench_read.Read.time_read"]
    assert len(reads) == 15
    # the first step is decided by the blocks (noisy ones stay inconclusive, never flagged)
    assert {x.steps[0].status for x in reads} <= {"unchanged", "inconclusive"}
    assert {x.steps[1].status for x in reads} == {"not comparable"}
    # machine B has a single point: no steps, even though it is 3x slower
    assert all(not s.steps for s in h.series if s.machine_id == MACHINE_B)


def test_commit_axis_orders_by_time(results_dir: tuple[Path, list]) -> None:
    path, _ = results_dir
    h = hist.history_from_path(path, axis="commit", bench=r"time_write")
    s = next(x for x in h.series if x.machine_id == MACHINE_A)
    assert {x.name for x in h.series} == {"bench_write.Write.time_write"}
    assert [p.label for p in s.points] == ["0" * 10, "1" * 10, "2" * 10]
    assert [p.zarr for p in s.points] == ["3.1.6", "3.0.10", "3.1.5"]


def test_identical_runs_flag_nothing(tmp_path: Path) -> None:
    """Separate runs without blocks: single values against the value factor."""
    rng = np.random.default_rng(21)
    spec = suite_spec(rng, 40)
    for i in range(5):
        doc = make_doc(sample_suite(rng, spec), timestamp=f"2026-11-0{i + 1}-00-00-00",
                       commit=str(i) * 40)  # fmt: skip
        _write(tmp_path / f"result_{i}.json", doc)
    h = hist.history_from_path(tmp_path)
    assert sum(len(s.steps) for s in h.series) == 160
    assert not [st for s in h.series for st in s.flagged]


def test_cli_history_table_json_and_errors(results_dir: tuple[Path, list], tmp_path: Path) -> None:
    path, _ = results_dir
    res = CliRunner().invoke(app, ["history", str(path)])
    assert res.exit_code == 0, res.output
    assert "1 step change(s) flagged" in res.stdout and "regression" in res.stdout
    res = CliRunner().invoke(app, ["history", str(path), "--json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["kind"] == "history" and doc["flagged_steps"] == 1
    res = CliRunner().invoke(app, ["history", str(path), "--by", "planet"])
    assert res.exit_code == 2 and "unknown axis" in res.stderr
    res = CliRunner().invoke(app, ["history", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "missing" in res.stderr
    (path / "sub" / "result_broken.json").write_text("[1,", encoding="utf-8")
    res = CliRunner().invoke(app, ["history", str(path)])
    assert res.exit_code == 2
    assert "result_broken.json" in res.stderr.replace("\n", "")
    assert "Traceback" not in res.output


@pytest.mark.report
def test_report_draws_each_release_history_with_flagged_steps(
    results_dir: tuple[Path, list], tmp_path: Path
) -> None:
    from zarr_benchmarks.analyse.history import HISTORY_MANIFEST
    from zarr_benchmarks.analyse.report.build import history_sections

    path, spec = results_dir
    for other in path.glob("result_b.json"):
        other.unlink()  # one machine only, as history-run writes it
    (path / HISTORY_MANIFEST).write_text(json.dumps({"package": "zarr"}), encoding="utf-8")
    figures = tmp_path / "figures"
    (section,) = history_sections(path, figures)
    assert section["package"] == "zarr" and len(section["flagged"]) == 1
    (flag,) = section["flagged"]
    assert (flag["from"], flag["to"], flag["status"]) == ("3.1.5", "3.1.6", "regression")
    fig = next(f for f in section["figures"] if f.name.endswith(_slug(spec[4]["name"])))
    assert fig.series["versions"] == ["3.0.10", "3.1.5", "3.1.6"]
    marked = {k: v for k, v in fig.series["steps"].items() if v}
    assert list(marked.values()) == [[[2, "regression"]]]
    assert (figures / fig.png).is_file() and (figures / fig.svg).is_file()


def _slug(text: str) -> str:
    from zarr_benchmarks.analyse.report.build import _slug as slug

    return slug(text)
