"""``zarr-benchmarks run --bench REGEX`` enables the suites of the modules it names."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from zarr_benchmarks.cli import app
from zarr_benchmarks.run import asv_run
from zarr_benchmarks.run.asv_run import (
    BENCH_SUITES,
    RunOptions,
    enable_bench_suites,
    filter_env,
    suites_for_bench,
)
from zarr_benchmarks.suite.presets import get_matrix

REPO = Path(__file__).resolve().parents[2]


def _keep_suite_calls() -> dict[str, tuple[str, tuple[str, ...]]]:
    found = {}
    for path in sorted((REPO / "benchmarks").glob("bench_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "keep_suite"
            ):
                suite, _, *classes = (getattr(a, "value", None) for a in node.args)
                found[path.stem] = (suite, tuple(classes))
    return found


def test_bench_suites_matches_the_benchmark_modules():
    assert _keep_suite_calls() == BENCH_SUITES


@pytest.mark.parametrize(
    ("regex", "suites"),
    [
        ("bench_streaming|bench_parallel", {"streaming", "parallel"}),
        ("bench_streaming", {"streaming"}),
        ("Streaming", {"streaming"}),
        ("bench_streaming.Streaming.time_frames", {"streaming"}),
        ("bench_(lossy|format)", {"lossy", "format"}),
        ("bench_write", set()),
        ("time_write", set()),
        ("[", set()),
    ],
)
def test_suites_for_bench(regex, suites):
    assert set(suites_for_bench([regex]).values()) == suites


def test_quick_preset_env_enables_the_named_suites_and_keeps_the_presets():
    quick = get_matrix("quick", environ={})
    assert "streaming" not in quick.suites  # the reason this is needed
    options = RunOptions(bench=["bench_streaming|bench_parallel"], preset="quick")
    assert enable_bench_suites(options, quick.suites) == ["parallel", "streaming"]
    env = filter_env(options, {})
    assert env["ZARR_BENCHMARKS_SUITES"] == "core,parallel,streaming"
    matrix = get_matrix("quick", environ=env)
    assert {"core", "parallel", "streaming"} <= set(matrix.suites)


def test_explicit_suites_are_kept_and_already_enabled_ones_not_repeated():
    options = RunOptions(bench=["bench_streaming|bench_lossy"], suites=["lossy"])
    assert enable_bench_suites(options, ("core",)) == ["streaming"]
    assert options.suites == ["lossy", "streaming"]
    options = RunOptions(bench=["bench_streaming"], suites=["all"])
    assert enable_bench_suites(options, ("core",)) == []
    default = get_matrix("default", environ={})
    options = RunOptions(bench=["bench_streaming"])
    if "streaming" in default.suites:
        assert enable_bench_suites(options, default.suites) == []
        assert "ZARR_BENCHMARKS_SUITES" not in filter_env(options, {})


def test_run_cli_passes_the_suites_to_asv_and_says_so(monkeypatch, tmp_path):
    """The real `run` command up to asv: the options asv would get, and the messages."""
    from zarr_benchmarks.results import pipeline
    from zarr_benchmarks.run import environment, machine

    seen = {}

    def fake_run_and_reduce(root, machine_doc, env_doc, options, on_stdout, on_stderr):
        seen["env"] = filter_env(options, {})
        seen["cmd"] = asv_run.asv_command("m", "0" * 40, options)
        return pipeline.RunOutcome(0, "0" * 40, False, [], None, tmp_path / "asv.log", [])

    monkeypatch.setattr(asv_run, "check_asv", lambda: None)
    monkeypatch.setattr(asv_run, "find_clone", lambda _: tmp_path)
    monkeypatch.setattr(asv_run, "head_commit", lambda _: "0" * 40)
    monkeypatch.setattr(
        machine,
        "check_machine",
        lambda _: SimpleNamespace(created=False, changed=[], name="m", document={}),
    )
    monkeypatch.setattr(environment, "environment_document", lambda: {})
    monkeypatch.setattr(pipeline, "run_and_reduce", fake_run_and_reduce)
    res = CliRunner().invoke(
        app, ["run", "--preset", "quick", "--bench", "bench_streaming|bench_parallel"]
    )
    assert res.exit_code == 1, res.output
    assert seen["env"]["ZARR_BENCHMARKS_SUITES"] == "core,parallel,streaming"
    assert seen["cmd"][-2:] == ["--bench", "bench_streaming|bench_parallel"]
    out = " ".join(res.output.split())
    assert "--bench names the streaming suite" in out and "--suite streaming" in out
    assert "--bench names the parallel suite" in out and "--suite parallel" in out
    assert "asv produced no results" in out
    assert "check that --bench bench_streaming|bench_parallel matches a benchmark" in out
