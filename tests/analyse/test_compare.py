"""compare.py and ``zarr-benchmarks compare`` on synthetic results of every kind.

The statistical claims themselves (false alarms, detection power) are measured on
real runs (scripts/ab_campaign.py, docs/regression-tracking.md); these tests pin the
rules.
"""

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
    paired_blocks,
    reference_benchmarks,
    sample_suite,
    suite_spec,
)
from typer.testing import CliRunner

from zarr_benchmarks.analyse import compare as cmp
from zarr_benchmarks.analyse import stats
from zarr_benchmarks.analyse.compare._render import _verdict_text as verdict_text
from zarr_benchmarks.cli import app

N_BENCHMARKS = 50


def _alarms(comp: cmp.Comparison) -> list[cmp.Row]:
    return [r for r in comp.rows if r.status in {"regression", "improvement"}]


def _one(name: str, samples: list[float] | None = None, **kw: object) -> dict:
    entry: dict = {"name": name, "params": {"modality": "ct", "codec": "zstd-3"}}
    if samples is not None:
        entry["samples"] = samples
    entry.update(kw)
    return entry


def _block_suite(
    rng: np.random.Generator, n: int, slowdown: dict[int, float] | None = None, **kw: float
) -> tuple[dict, dict]:
    slowdown = slowdown or {}
    base, new = [], []
    for i in range(n):
        b, w = paired_blocks(rng, 0.01 * (1 + i), change=slowdown.get(i, 1.0), **kw)
        params = {"modality": "ct", "codec": f"c{i}"}
        base.append({"name": "bench_write.Write.time_write", "params": params, "blocks": b})
        new.append({"name": "bench_write.Write.time_write", "params": params, "blocks": w})
    return make_doc(base), make_doc(new)


# ------------------------------------------------------------------- paired blocks


def test_block_aa_with_shared_drift_raises_no_alarm() -> None:
    """Machine drift shared by the two sides of each block pair cancels in the pairing.

    600 comparisons of identical code under a 15% drift: at most 1% may alarm (the
    99% intervals allow 0.5% per direction before the threshold is even applied).
    """
    rng = np.random.default_rng(1)
    alarms = 0
    for _ in range(20):
        base, new = _block_suite(rng, 30, drift=0.15)
        comp = cmp.compare_docs([("base", base)], [("new", new)])
        alarms += len(_alarms(comp))
        assert {r.method for r in comp.rows} == {"blocks"}
    assert alarms <= 6


def test_block_slowdown_found_with_interval_containing_the_truth() -> None:
    rng = np.random.default_rng(2)
    base, new = _block_suite(rng, 30, slowdown={7: 1.20})
    comp = cmp.compare_docs([("base", base)], [("new", new)])
    (row,) = _alarms(comp)
    assert row.status == "regression" and row.params["codec"] == "c7"
    assert row.ci_low is not None and row.ci_high is not None
    assert row.ci_low <= 1.20 <= row.ci_high
    assert row.n_blocks == 10 and row.threshold == pytest.approx(stats.DEFAULT_MIN_EFFECT)
    assert "slower" in verdict_text(row)


def test_pooling_samples_inside_blocks_would_be_over_confident() -> None:
    """Each block has its own state: the pooled samples look precise, the blocks do not.
    A 4% difference that is mostly one block's state is inconclusive, not a change."""
    rng = np.random.default_rng(3)
    base, new = paired_blocks(rng, 0.01, n_blocks=4, per_block=40, drift=0.0, block_sigma=0.04)
    doc_b = make_doc([_one("b.B.time_x", blocks=base)])
    doc_n = make_doc([_one("b.B.time_x", blocks=new)])
    (row,) = cmp.compare_docs([("b", doc_b)], [("n", doc_n)]).rows
    assert row.status in {"unchanged", "inconclusive"}
    assert row.ci_high is not None and row.ci_low is not None
    assert row.ci_high / row.ci_low > 1.05  # the interval reflects the block-to-block spread


def test_block_verdicts_unchanged_and_inconclusive() -> None:
    rng = np.random.default_rng(4)
    quiet_b, quiet_n = paired_blocks(rng, 0.01, drift=0.05, block_sigma=0.002, sample_sigma=0.002)
    noisy_b, noisy_n = paired_blocks(
        rng, 0.01, n_blocks=4, drift=0.05, block_sigma=0.08, change=1.04
    )
    base = make_doc(
        [_one("b.B.time_quiet", blocks=quiet_b), _one("b.B.time_noisy", blocks=noisy_b)]
    )
    new = make_doc([_one("b.B.time_quiet", blocks=quiet_n), _one("b.B.time_noisy", blocks=noisy_n)])
    rows = {r.name: r for r in cmp.compare_docs([("b", base)], [("n", new)]).rows}
    assert rows["b.B.time_quiet"].status == "unchanged"
    assert rows["b.B.time_noisy"].status == "inconclusive"
    assert rows["b.B.time_noisy"].mdc is not None and rows["b.B.time_noisy"].mdc > 0.04


def test_noise_model_sets_each_benchmarks_threshold(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    base, new = _block_suite(
        rng, 2, slowdown={1: 1.02}, drift=0.05, block_sigma=0.001, sample_sigma=0.001
    )
    key0 = ("bench_write.Write.time_write", cmp.params_key({"modality": "ct", "codec": "c0"}))
    key1 = ("bench_write.Write.time_write", cmp.params_key({"modality": "ct", "codec": "c1"}))
    # default threshold (3%) hides a 2% change; a quiet benchmark's learned 1% shows it
    assert _alarms(cmp.compare_docs([("b", base)], [("n", new)])) == []
    quiet = stats.Noise(n_runs=10, sd_run_log=0.002, se_log=0.001)
    comp = cmp.compare_docs(
        [("b", base)], [("n", new)], noise={key0: quiet, key1: quiet}, min_effect=0.0
    )
    (row,) = _alarms(comp)
    assert row.params["codec"] == "c1" and row.threshold == pytest.approx(stats.MODEL_FLOOR)
    assert row.noise_source == "learned from 10 A/A runs"


# ------------------------------------------------------- deterministic and single values


def test_halved_compression_ratio_and_doubled_peak_memory_are_regressions() -> None:
    base = make_doc(
        [
            _one("b.W.track_compression_ratio", [3.0], type="track", unit="ratio"),
            _one("b.W.peakmem_write", [1.0e8], type="peakmem"),
        ]
    )
    new = make_doc(
        [
            _one("b.W.track_compression_ratio", [1.5], type="track", unit="ratio"),
            _one("b.W.peakmem_write", [2.0e8], type="peakmem"),
        ]
    )
    rows = {r.name: r for r in cmp.compare_docs([("b", base)], [("n", new)]).rows}
    assert rows["b.W.track_compression_ratio"].status == "regression"
    assert rows["b.W.track_compression_ratio"].method == "deterministic"
    assert rows["b.W.peakmem_write"].status == "regression"
    assert rows["b.W.peakmem_write"].method == "value"
    assert "beyond factor 1.1" in rows["b.W.peakmem_write"].detail


def test_deterministic_values_ignore_rounding_and_report_any_other_change() -> None:
    base = make_doc([_one("b.W.track_compression_ratio", [3.0], type="track", unit="ratio")])
    rounding = make_doc(
        [_one("b.W.track_compression_ratio", [3.0 * (1 + 1e-12)], type="track", unit="ratio")]
    )
    better = make_doc([_one("b.W.track_compression_ratio", [3.03], type="track", unit="ratio")])
    (row,) = cmp.compare_docs([("b", base)], [("n", rounding)]).rows
    assert row.status == "unchanged"
    (row,) = cmp.compare_docs([("b", base)], [("n", better)]).rows
    assert row.status == "improvement" and "behaves differently" in row.detail


def test_peak_memory_within_factor_is_unchanged_even_with_tight_blocks() -> None:
    """Peak memory is a single value per run: judged by factor, never by block
    intervals (a 3% offset between two benchmark servers is not a regression)."""
    base = make_doc([_one("b.W.peakmem_write", type="peakmem", blocks=[[1.0e8]] * 5)])
    new = make_doc([_one("b.W.peakmem_write", type="peakmem", blocks=[[1.05e8]] * 5)])
    (row,) = cmp.compare_docs([("b", base)], [("n", new)]).rows
    assert row.status == "unchanged" and row.method == "value" and "within factor" in row.detail


def test_value_only_timings_compare_by_factor() -> None:
    base = make_doc([_one("b.B.time_x", [0.010])])
    slow = make_doc([_one("b.B.time_x", [0.020])])
    noisy = make_doc([_one("b.B.time_x", [0.0115])])
    (row,) = cmp.compare_docs([("b", base)], [("n", slow)]).rows
    assert row.status == "regression" and row.method == "value"
    assert "lower confidence" in row.detail
    (row,) = cmp.compare_docs([("b", base)], [("n", noisy)]).rows
    assert row.status == "unchanged"  # 15%: within the value factor of separate runs
    (row,) = cmp.compare_docs([("b", base)], [("n", base)]).rows
    assert row.status == "unchanged"


def test_samples_without_blocks_are_one_block_not_independent_evidence() -> None:
    """20 samples per side from one process each: judged as single values (the old
    test that treated them as independent raised false alarms on real A/A runs)."""
    rng = np.random.default_rng(6)
    base = make_doc([_one("b.B.time_x", draw_timings(rng, 1.0, 0.005, 20))])
    new = make_doc([_one("b.B.time_x", draw_timings(rng, 1.08, 0.005, 20))])
    (row,) = cmp.compare_docs([("b", base)], [("n", new)]).rows
    assert row.method == "value" and row.status == "unchanged"


@pytest.mark.parametrize(
    ("typ", "unit", "factor", "expected"),
    [
        ("time", "seconds", 2.0, "regression"),
        ("time", "seconds", 0.5, "improvement"),
        ("peakmem", "bytes", 2.0, "regression"),
        ("track", "MB/s", 2.0, "improvement"),
        ("track", "MB/s", 0.5, "regression"),
        ("track", "ratio", 0.5, "regression"),
        ("track", "ratio", 2.0, "improvement"),
    ],
)
def test_direction_depends_on_type_and_unit(
    typ: str, unit: str, factor: float, expected: str
) -> None:
    base = make_doc([_one("b.B.x", [100.0], type=typ, unit=unit)])
    new = make_doc([_one("b.B.x", [100.0 * factor], type=typ, unit=unit)])
    (row,) = cmp.compare_docs([("b", base)], [("n", new)]).rows
    assert row.status == expected


# --------------------------------------------------------------- status transitions


def test_status_transitions() -> None:
    base = make_doc(
        [
            _one("b.B.time_breaks", [1.0]),
            _one("b.B.time_skips", [1.0]),
            _one("b.B.time_fixed", [], status="failed"),
            _one("b.B.time_both", [], status="failed"),
            _one("b.B.time_gone", [1.0]),
        ]
    )
    new = make_doc(
        [
            _one("b.B.time_breaks", [], status="failed"),
            _one("b.B.time_skips", [], status="skipped"),
            _one("b.B.time_fixed", [1.0]),
            _one("b.B.time_both", [], status="failed"),
            _one("b.B.time_new", [1.0]),
        ]
    )
    comp = cmp.compare_docs([("b", base)], [("n", new)])
    statuses = {r.name: r.status for r in comp.rows}
    assert statuses == {
        "b.B.time_breaks": "regression",
        "b.B.time_skips": "newly skipped",
        "b.B.time_fixed": "fixed",
        "b.B.time_both": "not run",
        "b.B.time_gone": "removed",
        "b.B.time_new": "added",
    }
    assert comp.has_regression
    assert "newly failing" in next(r for r in comp.rows if r.name == "b.B.time_breaks").detail


def test_version_hash_change_is_not_comparable() -> None:
    base = make_doc([_one("b.B.time_x", [1.0], version="a" * 64)])
    new = make_doc([_one("b.B.time_x", [5.0], version="b" * 64)])
    (row,) = cmp.compare_docs([("b", base)], [("n", new)]).rows
    assert row.status == "not comparable" and "version hash" in row.detail


def test_reference_benchmarks_are_only_tested_when_asked() -> None:
    refs = reference_benchmarks(10.0, {("ct", "zstd-3"): 0.01})
    slow_refs = reference_benchmarks(5.0, {("ct", "zstd-3"): 0.02})
    base = make_doc([_one("b.B.time_x", [1.0])], extra_benchmarks=refs)
    new = make_doc([_one("b.B.time_x", [1.0])], extra_benchmarks=slow_refs)
    comp = cmp.compare_docs([("b", base)], [("n", new)])
    assert {r.status for r in comp.rows} == {"unchanged", "reference"}
    comp = cmp.compare_docs([("b", base)], [("n", new)], test_references=True)
    assert comp.has_regression  # in an environment A/B they measure the codecs under test
    status = {r.name.rsplit(".", 1)[-1]: r.status for r in comp.rows}
    assert status["track_memory_copy_bandwidth"] == "reference"  # the machine, always


def test_sizes_not_presets_decide_comparability() -> None:
    plain = make_doc([_one("b.B.time_x", [1.0])], preset="unknown")
    quick = make_doc([_one("b.B.time_x", [1.0])], preset="quick")
    default = make_doc([_one("b.B.time_x", [1.0])], preset="default")
    small = make_doc([_one("b.B.time_x", [1.0])], preset="quick", size="small")
    comp = cmp.compare_docs([("plain.json", plain)], [("run.json", default)])
    assert any("plain.json" in n and "size not recorded" in n for n in comp.notes)
    assert cmp.compare_docs([("q", small)], [("d", default)]).rows[0].status == "unchanged"
    with pytest.raises(cmp.CompareInputError, match="different array sizes"):
        cmp.compare_docs([("q", quick)], [("d", default)])


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
    assert {r.status for r in tested if r.type == "time"} == {"unchanged"}
    # compression ratios are machine independent and deterministic: unchanged
    assert {(r.status, r.method) for r in tested if r.type == "track"} == {
        ("unchanged", "deterministic")
    }
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
    assert "no regression" in res.output


def test_cli_exit_1_on_regression_json_and_markdown(
    result_pair: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    base, _, slow = result_pair
    res = CliRunner().invoke(app, ["compare", str(base), str(slow), "--json"])
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    assert doc["kind"] == "comparison" and doc["has_regression"] is True
    (reg,) = [r for r in doc["rows"] if r["status"] == "regression"]
    assert reg["method"] == "value" and reg["ratio"] == pytest.approx(1.5, rel=0.1)

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
    res = CliRunner().invoke(app, ["compare", str(base), str(folder), "--value-factor", "2.0"])
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


def test_cli_halved_ratio_doubled_memory_failing_and_value_only(tmp_path: Path) -> None:
    """The four "compare" cases of the regression-tracking issue, through the CLI."""
    ratio = {"type": "track", "unit": "ratio"}
    base = make_doc(
        [
            _one("bench_write.Write.track_compression_ratio", [3.0], **ratio),
            _one("bench_write.Write.peakmem_write", [1.0e8], type="peakmem"),
            _one("bench_read.Read.time_read", [0.010]),
            _one("bench_read.ReadRegion.time_read_plane", [0.002]),
        ]
    )
    bigger = make_doc(
        [
            _one("bench_write.Write.track_compression_ratio", [1.5], **ratio),
            _one("bench_write.Write.peakmem_write", [2.0e8], type="peakmem"),
            _one("bench_read.Read.time_read", [0.010]),
            _one("bench_read.ReadRegion.time_read_plane", [0.002]),
        ]
    )
    slower = make_doc(
        [
            _one("bench_write.Write.track_compression_ratio", [3.0], **ratio),
            _one("bench_write.Write.peakmem_write", [1.0e8], type="peakmem"),
            _one("bench_read.Read.time_read", [0.020]),
            _one("bench_read.ReadRegion.time_read_plane", [], status="failed"),
        ]
    )
    paths = {n: _write(tmp_path / f"result_{n}.json", d) for n, d in
             (("base", base), ("bigger", bigger), ("slower", slower))}  # fmt: skip
    runner = CliRunner()
    res = runner.invoke(app, ["compare", str(paths["base"]), str(paths["bigger"]), "--markdown"])
    assert res.exit_code == 1, res.output
    regressions = [line for line in res.stdout.splitlines() if "| 🔴 |" in line]
    assert len(regressions) == 2
    assert any("track_compression_ratio" in line and "lower" in line for line in regressions)
    assert any("peakmem_write" in line and "more memory" in line for line in regressions)
    res = runner.invoke(app, ["compare", str(paths["base"]), str(paths["slower"]), "--json"])
    assert res.exit_code == 1
    status = {r["name"]: (r["status"], r["detail"]) for r in json.loads(res.stdout)["rows"]}
    assert status["bench_read.Read.time_read"][0] == "regression"  # value only, 2x
    assert status["bench_read.ReadRegion.time_read_plane"] == (
        "regression",
        "newly failing (ran in base, fails in new)",
    )
    res = runner.invoke(app, ["compare", str(paths["base"]), str(paths["base"])])
    assert res.exit_code == 0 and "no regression" in res.stdout
