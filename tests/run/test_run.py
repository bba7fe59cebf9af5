"""``setup`` + a real ``asv run`` of a tiny suite in a temporary clone and HOME, then reduce.

The tiny suite has a time_ and a track_ benchmark over two parameters, one failing
combination and one skipped (NotImplementedError in setup). The last test runs the
project's real suite on the smallest matrix.
"""

from __future__ import annotations

import getpass
import json
import os
import pwd
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from zarr_benchmarks._git import git
from zarr_benchmarks._privacy import scrub
from zarr_benchmarks.results.schemas import validate
from zarr_benchmarks.run.asv_run import ProgressParser

REPO = Path(__file__).resolve().parents[2]

ASV_CONF = {
    "version": 1,
    "project": "tiny",
    "repo": ".",
    "branches": ["HEAD"],
    "environment_type": "existing",
    "benchmark_dir": "benchmarks",
    "results_dir": ".asv/results",
    "env_dir": ".asv/env",
    "html_dir": ".asv/html",
}

TINY_SUITE = textwrap.dedent(
    '''
    """Tiny suite for the run wrapper tests."""
    import os

    MODALITIES = os.environ.get("ZARR_BENCHMARKS_MODALITIES", "cryoet,lightsheet").split(",")


    class Suite:
        params = (MODALITIES, [1, 2])
        param_names = ["modality", "level"]
        number = 1
        repeat = 3
        rounds = 1
        warmup_time = 0

        def setup(self, modality, level):
            if modality == "lightsheet" and level == 2:
                raise NotImplementedError("combination not supported")
            self.data = bytes(1000 * level)

        def time_copy(self, modality, level):
            if modality == "cryoet" and level == 2:
                raise RuntimeError("boom")
            bytearray(self.data)

        def track_ratio(self, modality, level):
            return 1.5 * level

        track_ratio.unit = "ratio"


    def time_simple():
        sum(range(100))
    '''
)


def _git(repo: Path, *args: str) -> str:
    return git(repo, "-c", "user.email=t@example.org", "-c", "user.name=t", *args)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "ZARR_BENCHMARKS_"))}
    env.update(HOME=str(home), COLUMNS="200", NO_COLOR="1")
    return env


def _cli(repo: Path, home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "zarr_benchmarks", *args],
        cwd=repo,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    """(clone, HOME) with the tiny suite committed."""
    repo, home = tmp_path / "repo", tmp_path / "home"
    (repo / "benchmarks").mkdir(parents=True)
    home.mkdir()
    (repo / "asv.conf.json").write_text(json.dumps(ASV_CONF, indent=2))
    (repo / ".gitignore").write_text(".asv/\n")
    (repo / "benchmarks" / "__init__.py").write_text("")
    (repo / "benchmarks" / "bench_tiny.py").write_text(TINY_SUITE)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "tiny suite")
    return repo, home


def _written_files(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]


def _assert_private(texts: dict[str, str], home: Path) -> None:
    host = socket.gethostname()
    user = getpass.getuser()
    homes = {str(home), os.path.expanduser("~"), pwd.getpwuid(os.getuid()).pw_dir} - {"/"}
    patterns = [re.compile(rf"(?<![\w.-]){re.escape(x)}(?![\w-])") for x in (host, user) if x]
    for where, text in texts.items():
        for h in homes:
            assert h not in text, f"home path {h} in {where}"
        for pat in patterns:
            assert not pat.search(text), f"{pat.pattern} found in {where}"


def test_progress_parser_follows_asv_lines() -> None:
    p = ProgressParser()
    p.feed("· Running 4 total benchmarks (1 commits * 1 environments * 4 benchmarks)")
    assert p.total == 4
    p.feed("[50.00%] ··· Running (bench_tiny.time_simple--).")
    assert p.current == "bench_tiny.time_simple" and p.percent == 50.0
    assert p.feed("[62.50%] ··· bench_tiny.Suite.time_copy                 1/4 failed") == (
        "bench_tiny.Suite.time_copy",
        "1/4 failed",
    )
    assert p.feed("[62.50%] ··· ============ =========== ========") is None
    assert p.feed("[100.00%] ··· bench_tiny.time_simple     557±5ns")[0] == "bench_tiny.time_simple"
    assert p.failed == ["bench_tiny.Suite.time_copy"]


def test_scrub_removes_private_strings() -> None:
    home = os.path.expanduser("~")
    text = f"{home}/x {socket.gethostname()} 10.0.0.12 aa:bb:cc:dd:ee:ff"
    out = scrub(text)
    assert out == "~/x <host> <ip> <mac>"


def test_scrub_removes_the_home_from_asv_environment_names() -> None:
    """asv's result and log names flatten the interpreter path (``/`` -> ``_``)."""
    home = os.path.expanduser("~").rstrip("/")
    name = "existing-py" + f"{home}/clone/.venv/bin/python".replace("/", "_")
    out = scrub(f"0123abcd-{name}.json")
    assert home.replace("/", "_") not in out
    assert out == "0123abcd-existing-py_~_clone_.venv_bin_python.json"
    assert scrub("store_root and zarr_root_dir") == "store_root and zarr_root_dir"


@pytest.mark.slow
def test_setup_run_reduce_in_temporary_clone(tiny: tuple[Path, Path]) -> None:
    repo, home = tiny
    setup = _cli(repo, home, "setup")
    assert setup.returncode == 0, setup.stderr
    name = json.loads((home / ".config" / "zarr-benchmarks" / "machine.json").read_text())["name"]

    run = _cli(repo, home, "run")
    # One combination fails: exit 1, but every other result is kept and reduced.
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert "failed" in run.stderr and "bench_tiny.Suite.time_copy" in run.stderr
    assert "Summary" in run.stdout
    asv_files = list((repo / ".asv" / "results" / name).glob("*.json"))
    assert any(f.name != "machine.json" for f in asv_files)  # asv used the friendly name
    results = sorted((repo / "results").glob("result_*.json"))
    assert len(results) == 1
    doc = json.loads(results[0].read_text())
    validate(doc)
    assert doc["commit_hash"] == _git(repo, "rev-parse", "HEAD")
    assert (doc["dirty"], doc["quick"], doc["preset"]) == (False, False, "default")
    status = {
        (e["params"]["modality"], e["params"]["level"]): e["status"]
        for e in doc["benchmarks"]["bench_tiny.Suite.time_copy"]["results"]
    }
    assert status == {
        ("cryoet", 1): "ok",
        ("cryoet", 2): "failed",
        ("lightsheet", 1): "ok",
        ("lightsheet", 2): "skipped",
    }
    ok = doc["benchmarks"]["bench_tiny.Suite.time_copy"]["results"][0]
    assert len(ok["samples"]) == 3  # --record-samples was passed
    track = doc["benchmarks"]["bench_tiny.Suite.track_ratio"]
    assert track["unit"] == "ratio" and track["results"][1]["value"] == 3.0
    assert any(p.endswith("failed") for p in doc["problems"])
    infos = sorted(p.name for p in (repo / "results").glob("info_*.json"))
    assert len(infos) == 2
    for info in infos:
        validate(json.loads((repo / "results" / info).read_text()))

    # Second run: dirty tree, quick preset, a filter that reaches the suite through the
    # environment, and a --bench regex. Earlier results in asv's file are not re-reported.
    (repo / "benchmarks" / "bench_tiny.py").write_text(TINY_SUITE + "\n# edited\n")
    quick = _cli(
        repo, home, "run", "--preset", "quick", "--modality", "cryoet", "--bench", "track_ratio"
    )
    assert quick.returncode == 0, quick.stdout + quick.stderr
    newest = max((repo / "results").glob("result_*.json"), key=lambda p: p.stat().st_mtime)
    qdoc = json.loads(newest.read_text())
    validate(qdoc)
    assert (qdoc["dirty"], qdoc["quick"], qdoc["preset"]) == (True, True, "quick")
    assert list(qdoc["benchmarks"]) == ["bench_tiny.Suite.track_ratio"]
    assert {
        e["params"]["modality"]
        for e in qdoc["benchmarks"]["bench_tiny.Suite.track_ratio"]["results"]
    } == {"cryoet"}

    # Reduce again from asv's files with the standalone command: same ids, valid files.
    out = repo / "reduced"
    red = _cli(repo, home, "reduce", ".asv/results", "-o", str(out))
    assert red.returncode == 0, red.stderr
    for path in out.glob("*.json"):
        validate(json.loads(path.read_text()))
    assert {p.name for p in out.glob("info_*.json")} == set(infos)

    # Privacy: nothing written (machine file, config, asv results, logs, reduced results)
    # nor printed holds the hostname, user name or a home path.
    texts = {
        str(p): p.read_text(errors="replace")
        for p in _written_files(home, repo / ".asv", repo / "results", out)
    }
    assert any("zarr-benchmarks-logs" in k for k in texts)
    for label, proc in (("setup", setup), ("run", run), ("quick", quick), ("reduce", red)):
        texts[f"{label} stdout"] = proc.stdout
        texts[f"{label} stderr"] = proc.stderr
    _assert_private(texts, home)


@pytest.mark.slow
def test_debug_shows_asv_stderr(tiny: tuple[Path, Path]) -> None:
    repo, home = tiny
    proc = _cli(repo, home, "run", "--debug", "--bench", "time_copy")
    assert proc.returncode == 1
    assert "RuntimeError: boom" in proc.stdout + proc.stderr  # benchmark stderr shown
    plain = _cli(repo, home, "run", "--bench", "time_copy")
    assert "RuntimeError: boom" not in plain.stdout + plain.stderr


def test_run_outside_clone_exits_2(tmp_path: Path) -> None:
    proc = _cli(tmp_path, tmp_path, "run", timeout=120)
    assert proc.returncode == 2
    assert "not inside a git clone" in proc.stderr and "Traceback" not in proc.stderr


def test_run_without_asv_exits_2(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    repo, home = tiny
    block = tmp_path / "block"
    block.mkdir()
    # Make `asv` unimportable for the child process (it cannot be uninstalled here).
    (block / "sitecustomize.py").write_text("import sys\nsys.modules['asv'] = None\n")
    env = _env(home)
    env["PYTHONPATH"] = str(block)
    proc = subprocess.run(
        [sys.executable, "-m", "zarr_benchmarks", "run"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "asv is not installed" in proc.stderr


def test_bad_preset_exits_2(tiny: tuple[Path, Path]) -> None:
    repo, home = tiny
    proc = _cli(repo, home, "run", "--preset", "huge", timeout=120)
    assert proc.returncode == 2 and "--preset" in proc.stderr


@pytest.mark.slow
def test_project_suite_quick_tiny(tmp_path: Path) -> None:
    """The project's real suite on the smallest matrix in a temporary clone."""
    assert (REPO / "asv.conf.json").is_file() and (REPO / "benchmarks" / "bench_write.py").is_file()
    repo, home = tmp_path / "clone", tmp_path / "home"
    home.mkdir()
    subprocess.run(["git", "clone", "-q", str(REPO), str(repo)], check=True, timeout=300)
    setup = _cli(repo, home, "setup")
    assert setup.returncode == 0, setup.stderr
    proc = _cli(
        repo,
        home,
        "run",
        "--preset",
        "quick",
        "--size",
        "tiny",
        "--modality",
        "cryoet",
        "--codec",
        "none",
        "--bench",
        r"bench_write\.Write\.(time_write|track_compression_ratio)",
        "--output",
        str(tmp_path / "elsewhere"),  # a results folder outside the clone
        "--table",
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (result,) = (tmp_path / "elsewhere").glob("result_*.json")
    doc = json.loads(result.read_text())
    validate(doc)
    assert doc["quick"] is True and doc["preset"] == "quick" and doc["size"] == "tiny"
    write = doc["benchmarks"]["bench_write.Write.time_write"]
    assert write["param_names"] == ["modality", "codec", "chunks", "write_empty_chunks"]
    assert {e["params"]["modality"] for e in write["results"]} == {"cryoet"}
    assert {e["params"]["codec"] for e in write["results"]} == {"none"}
    assert all(e["status"] == "ok" and e["samples"] for e in write["results"])
    # --table adds the full table; whole-array writes get a throughput column computed
    # from the array size.
    assert re.search(r"Write\.time_write\s.*│\s*\d+\s*│\s*$", proc.stdout, re.M), proc.stdout
    assert "Summary of this run" in proc.stdout


def test_asv_environment_has_no_secrets() -> None:
    from zarr_benchmarks.run.asv_run import RunOptions, filter_env

    base = {"PATH": "/usr/bin", "ZARR_BENCHMARKS_TOKEN": "s3cret", "GITHUB_TOKEN": "t"}
    env = filter_env(RunOptions(), base)
    assert "ZARR_BENCHMARKS_TOKEN" not in env and "GITHUB_TOKEN" not in env
    assert env["PATH"] == "/usr/bin"
