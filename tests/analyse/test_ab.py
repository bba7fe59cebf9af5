"""A/B in one job with real git and real asv, on a tiny suite (fast, but spawns asv)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from zarr_benchmarks._git import git
from zarr_benchmarks.analyse import ab

ASV_CONF = """{
    // tiny suite for the A/B tests
    "version": 1,
    "project": "tiny",
    "repo": ".",
    "branches": ["main"],
    "dvcs": "git",
    "environment_type": "virtualenv",
    "benchmark_dir": "benchmarks",
    "env_dir": ".asv/env",
    "results_dir": ".asv/results",
    "html_dir": ".asv/html",
    "launch_method": "spawn"
}
"""

BENCH = """import tinypkg


class Tiny:
    repeat = (8, 8, 5.0)
    number = 1
    rounds = 1
    warmup_time = 0.0

    def time_work(self):
        tinypkg.work()

    def time_other(self):
        tinypkg.other()
"""

PKG = """import time

DELAY = {delay}


def work():
    time.sleep(DELAY)


def other():
    time.sleep(0.003)
"""


def _git(cwd: Path, *args: str) -> str:
    return git(cwd, *args)


@pytest.fixture
def tiny_clone(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A git clone whose working tree makes ``work()`` 5x slower than ``main``."""
    repo = tmp_path / "tiny"
    (repo / "benchmarks").mkdir(parents=True)
    (repo / "src" / "tinypkg").mkdir(parents=True)
    (repo / "asv.conf.json").write_text(ASV_CONF, encoding="utf-8")
    (repo / "benchmarks" / "__init__.py").write_text("", encoding="utf-8")
    (repo / "benchmarks" / "bench_tiny.py").write_text(BENCH, encoding="utf-8")
    pkg = repo / "src" / "tinypkg" / "__init__.py"
    pkg.write_text(PKG.format(delay=0.002), encoding="utf-8")
    (repo / ".gitignore").write_text(".asv/\n", encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "tiny")
    pkg.write_text(PKG.format(delay=0.010), encoding="utf-8")  # 5x slower: clear on a busy box
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    env.pop("PYTHONPATH", None)
    subprocess.run(
        [sys.executable, "-m", "asv", "machine", "--yes", "--machine", "ab-test"],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
    )
    return repo, env


def test_round_order_alternates_who_goes_first() -> None:
    assert ab.round_order(3) == ["A", "B", "B", "A", "A", "B"]


def test_resolve_ref_errors_name_the_ref(tiny_clone: tuple[Path, dict]) -> None:
    repo, _ = tiny_clone
    assert ab.resolve_ref(repo, "main") == _git(repo, "rev-parse", "main")
    with pytest.raises(ab.ABError, match="'no-such-branch' is not a commit") as ei:
        ab.resolve_ref(repo, "no-such-branch")
    assert ei.value.code == 2
    with pytest.raises(ab.ABError, match="invalid git ref"):
        ab.resolve_ref(repo, "--help")


@pytest.mark.slow
def test_run_ab_detects_the_slowdown_in_the_working_tree(tiny_clone: tuple[Path, dict]) -> None:
    from zarr_benchmarks.run.asv_run import RunOptions, asv_command, filter_env
    from zarr_benchmarks.run.environment import environment_document
    from zarr_benchmarks.run.hardware import collect_machine_info
    from zarr_benchmarks.run.machine import machine_document

    repo, env = tiny_clone
    machine = machine_document("ab-test", collect_machine_info(repo))
    options = RunOptions(preset="quick")
    lines: list[tuple[str, str]] = []
    outcome = ab.run_ab(
        "main",
        root=repo,
        machine=machine,
        environment=environment_document(),
        asv_args=asv_command("ab-test", "0" * 40, options),
        env=filter_env(options, env),
        preset="quick",
        rounds=3,
        on_line=lambda side, line: lines.append((side, line)),
    )
    assert outcome.asv_ok, "\n".join(f"{s} {line}" for s, line in lines)
    # interleaved: A B B A A B
    starts = [side for side, line in lines if "Discovering benchmarks" in line]
    assert starts == ["A", "B", "B", "A", "A", "B"]
    assert outcome.base_doc["commit_hash"] == _git(repo, "rev-parse", "main")
    assert outcome.new_doc["dirty"] is True and outcome.base_doc["dirty"] is False
    rows = {r.name.rsplit(".", 1)[-1]: r for r in outcome.comparison.rows}
    work, other = rows["time_work"], rows["time_other"]
    assert (work.n_base, work.n_new) == (24, 24)  # 8 samples x 3 rounds per side
    assert work.method == "blocks" and work.n_blocks == 3  # each round is a block
    (entry,) = outcome.new_doc["benchmarks"]["bench_tiny.Tiny.time_work"]["results"]
    assert [len(b) for b in entry["blocks"]] == [8, 8, 8]
    assert work.status == "regression", work
    assert work.ratio > 2.0 and work.ci_low is not None and work.ci_low > 1.5
    assert other.status in {"unchanged", "insufficient samples"} or other.ratio < 1.5
    assert outcome.comparison.has_regression
    assert (repo / ".asv" / "ab" / "comparison.md").read_text().count("regression") >= 1
    # the temporary worktree is gone
    assert len(_git(repo, "worktree", "list").splitlines()) == 1


@pytest.mark.slow
def test_cli_run_against_bad_ref_exits_2(tiny_clone: tuple[Path, dict]) -> None:
    repo, env = tiny_clone
    proc = subprocess.run(
        [sys.executable, "-m", "zarr_benchmarks", "run", "--against", "nope", "--preset", "quick"],
        cwd=repo,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "'nope' is not a commit" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_cli_compare_reads_asv_result_files(tiny_clone: tuple[Path, dict]) -> None:
    """compare accepts asv's own result files (reduced in memory) and asv results folders."""
    repo, env = tiny_clone
    sha = _git(repo, "rev-parse", "HEAD")
    cmd = [sys.executable, "-m", "asv", "run", "--python=same", "--set-commit-hash", sha,
           "--record-samples", "--machine", "ab-test", "--bench", "time_other"]  # fmt: skip
    asv_env = {**env, "ASV_PYTHONPATH": str(repo / "src")}
    subprocess.run(cmd, cwd=repo, env=asv_env, check=True, capture_output=True, timeout=300)
    results = repo / ".asv" / "results"
    (asv_file,) = [p for p in (results / "ab-test").glob("*.json") if p.name != "machine.json"]
    compare = [sys.executable, "-m", "zarr_benchmarks", "compare"]
    run = {"env": {**env, "COLUMNS": "200"}, "capture_output": True, "text": True}
    proc = subprocess.run([*compare, str(asv_file), str(results), "--json"], **run, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = __import__("json").loads(proc.stdout)
    (row,) = doc["rows"]
    assert row["name"] == "bench_tiny.Tiny.time_other"
    assert row["n_base"] == row["n_new"] == 8 and row["ratio"] == 1.0
    asv_file.write_text('{"version": 2, "results": {}, "commit_hash": "x", "params": 1}')
    proc = subprocess.run([*compare, str(asv_file), str(asv_file)], **run, timeout=120)
    assert proc.returncode == 2
    assert asv_file.name in proc.stderr.replace("\n", "") and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_plain_asv_runs_without_samples_still_catch_a_slowdown(
    tiny_clone: tuple[Path, dict],
) -> None:
    """`asv run --python=same` without --record-samples (asv's default) records one value
    per benchmark: compare judges it by value and factor, never skips it."""
    repo, env = tiny_clone
    sha = _git(repo, "rev-parse", "HEAD")
    asv_env = {**env, "ASV_PYTHONPATH": str(repo / "src")}
    folders = {}
    for label in ("fast", "slow"):
        if label == "fast":
            _git(repo, "stash")  # the committed code: work() sleeps 2 ms
        else:
            _git(repo, "stash", "pop")  # the working tree: 10 ms
        results = repo / f"results-{label}"
        conf = json.loads(re.sub(r"^\s*//.*$", "", ASV_CONF, flags=re.M))
        conf["results_dir"] = str(results)
        (repo / f"asv-{label}.json").write_text(json.dumps(conf))
        cmd = [sys.executable, "-m", "asv", "run", "--python=same", "--set-commit-hash", sha,
               "--machine", "ab-test", "--config", str(repo / f"asv-{label}.json")]  # fmt: skip
        subprocess.run(cmd, cwd=repo, env=asv_env, check=True, capture_output=True, timeout=300)
        folders[label] = results
    compare = [sys.executable, "-m", "zarr_benchmarks", "compare"]
    run = {"env": {**env, "COLUMNS": "200"}, "capture_output": True, "text": True}
    proc = subprocess.run(
        [*compare, str(folders["fast"]), str(folders["slow"]), "--json"], **run, timeout=120
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = {r["name"].rsplit(".", 1)[-1]: r for r in json.loads(proc.stdout)["rows"]}
    assert rows["time_work"]["status"] == "regression" and rows["time_work"]["method"] == "value"
    assert rows["time_work"]["ratio"] > 2.0
    assert rows["time_other"]["status"] == "unchanged"
    proc = subprocess.run(
        [*compare, str(folders["fast"]), str(folders["fast"])], **run, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
