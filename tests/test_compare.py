"""compare.py and ``zarr-benchmarks compare`` on realistic synthetic samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from regression_helpers import (
    MACHINE_A,
    MACHINE_B,
    draw_timings,
    make_doc,
    reference_benchmarks,
    sample_suite,
    suite_spec,
)
from typer.testing import CliRunner

from zarr_benchmarks import compare as cmp
from zarr_benchmarks.cli import app

N_BENCHMARKS = 50


def _alarms(comp: cmp.Comparison) -> list[cmp.Row]:
    return [r for r in comp.rows if r.status in {"regression", "improvement"}]


def test_identical_distributions_rarely_alarm() -> None:
    """200 comparisons of 50 benchmarks resampled from identical distributions."""
    rng = np.random.default_rng(2026)
    spec = suite_spec(rng, N_BENCHMARKS)
    comparisons_with_alarm = 0
    n_comparisons = 200
    for _ in range(n_comparisons):
        base = make_doc(sample_suite(rng, spec))
        new = make_doc(sample_suite(rng, spec))
        comp = cmp.compare_docs([("base", base)], [("new", new)], n_boot=100)
        assert len(comp.rows) == N_BENCHMARKS
        comparisons_with_alarm += bool(_alarms(comp))
        assert not comp.has_regression or _alarms(comp)
    rate = comparisons_with_alarm / n_comparisons
    print(f"false-alarm rate: {rate:.3%} of {n_comparisons} comparisons of {N_BENCHMARKS}")
    assert rate <= 0.01


def test_injected_slowdown_is_reported_with_ci_containing_true_ratio() -> None:
    rng = np.random.default_rng(5)
    spec = suite_spec(rng, N_BENCHMARKS)
    spec[7]["sigma"] = 0.05  # a typical 5 % CV benchmark
    base = make_doc(sample_suite(rng, spec))
    new = make_doc(sample_suite(rng, spec, slowdown={7: 1.20}))
    comp = cmp.compare_docs([("base", base)], [("new", new)])
    alarms = _alarms(comp)
    assert [(r.name, r.params) for r in alarms] == [(spec[7]["name"], spec[7]["params"])]
    row = alarms[0]
    print(
        f"injected 1.20: ratio {row.ratio:.3f}, 95% CI [{row.ci_low:.3f}, {row.ci_high:.3f}], "
        f"q={row.q_value:.2g}"
    )
    assert row.status == "regression"
    assert row.ci_low <= 1.20 <= row.ci_high
    assert comp.has_regression


def test_injected_slowdown_detection_and_coverage_over_repeats() -> None:
    """Over repeated runs: the 20 % slowdown is mostly found, the CI mostly covers 1.20."""
    rng = np.random.default_rng(99)
    spec = suite_spec(rng, 20)
    spec[3]["sigma"] = 0.05
    found = covered = 0
    trials = 40
    for _ in range(trials):
        base = make_doc(sample_suite(rng, spec))
        new = make_doc(sample_suite(rng, spec, slowdown={3: 1.20}))
        comp = cmp.compare_docs([("b", base)], [("n", new)], n_boot=1000)
        row = next(
            r for r in comp.rows if r.params == spec[3]["params"] and r.name == spec[3]["name"]
        )
        found += row.status == "regression"
        covered += row.ci_low <= 1.20 <= row.ci_high
    print(f"20% slowdown found in {found}/{trials}, CI covered 1.20 in {covered}/{trials}")
    assert found / trials >= 0.7
    assert covered / trials >= 0.85


def _one(name: str, samples: list[float], **kw: object) -> dict:
    return {"name": name, "params": {"codec": "zstd-3"}, "samples": samples, **kw}


@pytest.mark.parametrize(
    ("typ", "unit", "factor", "expected"),
    [
        ("time", "seconds", 1.3, "regression"),
        ("time", "seconds", 0.7, "improvement"),
        ("peakmem", "bytes", 1.3, "regression"),
        ("track", "MB/s", 0.7, "regression"),
        ("track", "GB/s", 1.3, "improvement"),
        ("track", "ratio", 0.7, "regression"),
        ("track", "ratio", 1.3, "improvement"),
    ],
)
def test_direction_depends_on_type_and_unit(
    typ: str, unit: str, factor: float, expected: str
) -> None:
    rng = np.random.default_rng(1)
    base = make_doc([_one("b.B.x", draw_timings(rng, 100.0, 0.02, 12), type=typ, unit=unit)])
    new = make_doc(
        [_one("b.B.x", draw_timings(rng, 100.0 * factor, 0.02, 12), type=typ, unit=unit)]
    )
    (row,) = cmp.compare_docs([("b", base)], [("n", new)]).rows
    assert row.status == expected
    assert row.ratio == pytest.approx(factor, rel=0.05)


def test_small_change_beyond_noise_but_within_factor_is_not_reported() -> None:
    rng = np.random.default_rng(2)
    base = make_doc([_one("b.B.time_x", draw_timings(rng, 1.0, 0.005, 20))])
    new = make_doc([_one("b.B.time_x", draw_timings(rng, 1.05, 0.005, 20))])
    (row,) = cmp.compare_docs([("b", base)], [("n", new)]).rows
    assert row.q_value < 1e-4  # clearly significant ...
    assert row.status == "unchanged"  # ... but only 5 %: below the factor


def test_insufficient_samples_never_alarm() -> None:
    base = make_doc([_one("b.B.time_x", [1.0, 1.01])])
    new = make_doc([_one("b.B.time_x", [5.0, 5.1, 5.2])])
    (row,) = cmp.compare_docs([("b", base)], [("n", new)]).rows
    assert row.status == "insufficient samples"
    assert row.ratio == pytest.approx(5.1 / 1.005)
    assert row.q_value is None


def test_version_hash_change_is_not_comparable() -> None:
    base = make_doc([_one("b.B.time_x", [1.0, 1.01, 1.02], version="1" * 64)])
    new = make_doc([_one("b.B.time_x", [5.0, 5.1, 5.2], version="2" * 64)])
    (row,) = cmp.compare_docs([("b", base)], [("n", new)]).rows
    assert row.status == "not comparable"
    assert "version" in row.detail
    assert row.ratio is None


def test_failed_added_removed_rows() -> None:
    base = make_doc([_one("b.B.time_x", [], status="failed"), _one("b.B.time_gone", [1, 1, 1])])
    new = make_doc([_one("b.B.time_x", [1.0, 1.1, 1.2]), _one("b.B.time_new", [1, 1, 1])])
    comp = cmp.compare_docs([("b", base)], [("n", new)])
    statuses = {r.name: r.status for r in comp.rows}
    assert statuses == {
        "b.B.time_x": "not run",
        "b.B.time_gone": "removed",
        "b.B.time_new": "added",
    }
    assert not comp.has_regression


def test_reference_benchmarks_are_not_regressions() -> None:
    refs_fast = reference_benchmarks(20.0, {})
    refs_slow = reference_benchmarks(5.0, {})
    base = make_doc([_one("b.B.time_x", [1, 1.01, 0.99])], extra_benchmarks=refs_fast)
    new = make_doc([_one("b.B.time_x", [1, 1.01, 0.99])], extra_benchmarks=refs_slow)
    comp = cmp.compare_docs([("b", base)], [("n", new)])
    assert {r.status for r in comp.rows} == {"unchanged", "reference"}


def _cross_machine_docs(with_refs: bool = True) -> tuple[dict, dict]:
    """Machine B is exactly twice as fast as machine A, code unchanged."""
    rng = np.random.default_rng(4)
    entries_a, entries_b = [], []
    for codec in ("zstd-3", "blosc-lz4-5-shuffle"):
        params = {"modality": "ct", "codec": codec, "chunks": "cube64"}
        entries_a.append(
            {
                "name": "bench_write.Write.time_write",
                "params": params,
                "samples": draw_timings(rng, 0.2, 0.02, 12),
            }
        )
        entries_b.append(
            {
                "name": "bench_write.Write.time_write",
                "params": params,
                "samples": draw_timings(rng, 0.1, 0.02, 12),
            }
        )
        entries_a.append(
            {
                "name": "bench_write.Write.track_compression_ratio",
                "params": params,
                "samples": [3.0],
                "type": "track",
                "unit": "ratio",
            }
        )
        entries_b.append(
            {
                "name": "bench_write.Write.track_compression_ratio",
                "params": params,
                "samples": [3.0],
                "type": "track",
                "unit": "ratio",
            }
        )
    # a codec without its own reference: falls back on memory bandwidth
    params = {"modality": "ct", "codec": "gzip-5", "chunks": "cube64"}
    entries_a.append(
        {
            "name": "bench_read.Read.time_read",
            "params": params,
            "samples": draw_timings(rng, 0.4, 0.02, 12),
        }
    )
    entries_b.append(
        {
            "name": "bench_read.Read.time_read",
            "params": params,
            "samples": draw_timings(rng, 0.2, 0.02, 12),
        }
    )
    codecs = ("zstd-3", "blosc-lz4-5-shuffle")
    refs_a = reference_benchmarks(10.0, {("ct", c): 0.02 for c in codecs}) if with_refs else {}
    refs_b = reference_benchmarks(20.0, {("ct", c): 0.01 for c in codecs}) if with_refs else {}
    a = make_doc(entries_a, machine_id=MACHINE_A, extra_benchmarks=refs_a)
    b = make_doc(entries_b, machine_id=MACHINE_B, extra_benchmarks=refs_b)
    return a, b


def test_different_machines_refused_without_flag() -> None:
    a, b = _cross_machine_docs()
    with pytest.raises(cmp.CompareInputError, match=r"different machines.*--cross-machine") as ei:
        cmp.compare_docs([("base.json", a)], [("new.json", b)])
    assert "base.json" in str(ei.value) and "new.json" in str(ei.value)


def test_cross_machine_normalises_by_references() -> None:
    a, b = _cross_machine_docs()
    raw = cmp.compare_docs([("a", a)], [("b", a | {"benchmarks": b["benchmarks"]})])
    assert sum(r.status == "improvement" for r in raw.rows) == 3  # 2x faster, unnormalised
    comp = cmp.compare_docs([("a", a)], [("b", b)], cross_machine=True)
    tested = [r for r in comp.rows if r.status != "reference"]
    # track benchmarks record one value: shown, never tested
    assert {r.status for r in tested if r.type == "time"} == {"unchanged"}
    assert {r.status for r in tested if r.type == "track"} == {"insufficient samples"}
    how = {(r.name, r.params["codec"]): r.normalisation for r in tested}
    assert how[("bench_write.Write.time_write", "zstd-3")] == "raw zstd-3 encode time"
    assert how[("bench_read.Read.time_read", "gzip-5")] == "memory-copy bandwidth"
    assert how[("bench_write.Write.track_compression_ratio", "zstd-3")].startswith("none")
    for r in tested:
        if r.type == "time":
            assert r.ratio == pytest.approx(1.0, abs=0.05)
    assert comp.notes and "normalised" in comp.notes[0]
    assert "memory-copy bandwidth" in cmp.render_markdown(comp)


def test_cross_machine_without_references_is_a_clear_error() -> None:
    a, b = _cross_machine_docs(with_refs=False)
    with pytest.raises(cmp.CompareInputError, match=r"base.json: --cross-machine needs reference"):
        cmp.compare_docs([("base.json", a)], [("new.json", b)], cross_machine=True)


def test_different_presets_refused() -> None:
    base = make_doc([_one("b.B.time_x", [1, 1, 1])], preset="quick")
    new = make_doc([_one("b.B.time_x", [1, 1, 1])], preset="default")
    with pytest.raises(cmp.CompareInputError, match="different presets"):
        cmp.compare_docs([("b", base)], [("n", new)])


# ------------------------------------------------------------------------------ CLI


def _err(res: object) -> str:
    """stderr with rich's line wrapping undone."""
    return res.stderr.replace("\n", "")


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def result_pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(8)
    spec = suite_spec(rng, 10)
    spec[2]["sigma"] = 0.03
    base = _write(tmp_path / "result_base.json", make_doc(sample_suite(rng, spec)))
    same = _write(tmp_path / "result_same.json", make_doc(sample_suite(rng, spec)))
    slow = _write(
        tmp_path / "result_slow.json", make_doc(sample_suite(rng, spec, slowdown={2: 1.5}))
    )
    return base, same, slow


def test_cli_exit_0_without_regression(result_pair: tuple[Path, Path, Path]) -> None:
    base, same, _ = result_pair
    res = CliRunner().invoke(app, ["compare", str(base), str(same)])
    assert res.exit_code == 0, res.output
    assert "no significant regression" in res.output


def test_cli_exit_1_on_regression_json_and_markdown(
    result_pair: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    base, _, slow = result_pair
    res = CliRunner().invoke(app, ["compare", str(base), str(slow), "--json"])
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    assert doc["kind"] == "comparison" and doc["has_regression"] is True
    (reg,) = [r for r in doc["rows"] if r["status"] == "regression"]
    assert reg["ci_low"] <= 1.5 <= reg["ci_high"]

    res = CliRunner().invoke(app, ["compare", str(base), str(slow), "--markdown"])
    assert res.exit_code == 1
    assert "| 🔴 |" in res.stdout and "regression: " in res.stdout

    out = tmp_path / "comment.md"
    res = CliRunner().invoke(app, ["compare", str(base), str(slow), "--markdown", "-o", str(out)])
    assert res.exit_code == 1
    assert out.read_text(encoding="utf-8").startswith("## zarr-benchmarks comparison")


def test_cli_folder_input_and_factor(result_pair: tuple[Path, Path, Path], tmp_path: Path) -> None:
    base, _, slow = result_pair
    folder = tmp_path / "new"
    folder.mkdir()
    slow.rename(folder / slow.name)
    res = CliRunner().invoke(app, ["compare", str(base), str(folder), "--factor", "2.0"])
    assert res.exit_code == 0, res.output  # a 1.5x change is within a factor of 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"kind": "machine", "schema_version": 1}), "not a result file"),
        (json.dumps({"kind": "result", "schema_version": 1, "benchmarks": 3}), "invalid result"),
    ],
)
def test_cli_exit_2_on_bad_input(
    result_pair: tuple[Path, Path, Path], tmp_path: Path, content: str, message: str
) -> None:
    base, _, _ = result_pair
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    res = CliRunner().invoke(app, ["compare", str(base), str(bad)])
    assert res.exit_code == 2
    assert "bad.json" in _err(res) and message in _err(res)
    assert "Traceback" not in res.output


def test_cli_exit_2_on_missing_and_cross_machine(
    tmp_path: Path, result_pair: tuple[Path, Path, Path]
) -> None:
    base, _, _ = result_pair
    res = CliRunner().invoke(app, ["compare", str(base), str(tmp_path / "nope.json")])
    assert res.exit_code == 2 and "nope.json: no such file" in _err(res)
    empty = tmp_path / "empty"
    empty.mkdir()
    res = CliRunner().invoke(app, ["compare", str(base), str(empty)])
    assert res.exit_code == 2 and "holds no result files" in _err(res)

    a, b = _cross_machine_docs()
    pa, pb = _write(tmp_path / "a.json", a), _write(tmp_path / "b.json", b)
    res = CliRunner().invoke(app, ["compare", str(pa), str(pb)])
    assert res.exit_code == 2 and "--cross-machine" in _err(res)
    res = CliRunner().invoke(app, ["compare", str(pa), str(pb), "--cross-machine"])
    assert res.exit_code == 0, res.output
    assert "normalised" in res.stdout
