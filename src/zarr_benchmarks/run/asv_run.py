"""Run the asv suite in the current environment and collect what the run produced.

The steps are separate functions so other commands (e.g. a future A/B ``--against REF``
run) can reuse them: :func:`find_clone`, :func:`head_commit`, :func:`is_dirty`,
:func:`filter_env`, :func:`asv_command`, :func:`run_asv` (streams asv's output through a
:class:`ProgressParser`) and :func:`new_result_files`;
:func:`zarr_benchmarks.results.pipeline.run_and_reduce` ties them to ``reduce``.

Everything that leaves this module (console lines, log files) goes through :func:`scrub`,
which removes home paths, the hostname, the user name and IP/MAC addresses.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zarr_benchmarks._git import GitError, git, try_git
from zarr_benchmarks._privacy import scrub, without_secrets

__all__ = [
    "PRESETS",
    "SIZES",
    "ProgressParser",
    "RunError",
    "RunOptions",
    "asv_command",
    "asv_results_dir",
    "enable_bench_suites",
    "filter_env",
    "find_clone",
    "head_commit",
    "is_dirty",
    "new_result_files",
    "run_asv",
    "suites_for_bench",
]

PRESETS = ("quick", "default", "full")
SIZES = ("tiny", "small", "medium", "large")


class RunError(RuntimeError):
    """A user-facing failure; ``code`` is the exit code (2 usage/input, 1 operation)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- repository


def _git(root: Path, *args: str) -> str:
    try:
        return git(root, *args, timeout=60)
    except GitError as exc:
        raise RunError(str(exc), 2) from exc


def find_clone(start: str | os.PathLike[str] = ".") -> Path:
    """The root of the git clone holding ``start`` that has an ``asv.conf.json``.

    Raises
    ------
    RunError
        (exit 2) outside a git clone, without git, or without ``asv.conf.json``.
    """
    try:
        returncode, stdout, _ = try_git(start, "rev-parse", "--show-toplevel", timeout=60)
    except GitError as exc:
        raise RunError(f"{exc}; zarr-benchmarks runs inside a git clone", 2) from exc
    if returncode != 0:
        raise RunError(
            "not inside a git clone of zarr-benchmarks: run this command from the "
            "repository (git clone ...; cd zarr-benchmarks)",
            2,
        )
    root = Path(stdout.strip())
    if not (root / "asv.conf.json").is_file():
        raise RunError(f"{scrub(str(root))} has no asv.conf.json: not a benchmark clone", 2)
    return root


def check_asv() -> None:
    """Raise :class:`RunError` (exit 2) when asv is not importable here."""
    if importlib.util.find_spec("asv") is None:
        raise RunError("asv is not installed in this environment: pip install 'asv>=0.6'", 2)


def head_commit(root: Path) -> str:
    """Full 40-character hash of HEAD (RunError exit 2 if there is no commit)."""
    sha = _git(root, "rev-parse", "--verify", "HEAD^{commit}")
    if not re.fullmatch(r"[0-9a-f]{40}", sha):
        raise RunError(f"unexpected HEAD hash {sha!r}", 2)
    return sha


def is_dirty(root: Path) -> bool:
    """Whether tracked files differ from HEAD (untracked files such as results ignored)."""
    return bool(_git(root, "status", "--porcelain", "--untracked-files=no"))


def asv_results_dir(root: Path) -> Path:
    """asv's results folder from ``asv.conf.json`` (which may hold // comments)."""
    from asv import util as asv_util

    try:
        conf = asv_util.load_json(str(root / "asv.conf.json"), js_comments=True)
    except Exception as exc:  # asv raises its own UserError types
        raise RunError(f"asv.conf.json cannot be read: {exc}", 2) from exc
    return (root / conf.get("results_dir", "results")).resolve()


# --------------------------------------------------------------------------- asv command


@dataclass
class RunOptions:
    """Choices for one ``zarr-benchmarks run``."""

    bench: list[str] = field(default_factory=list)
    modalities: list[str] = field(default_factory=list)
    codecs: list[str] = field(default_factory=list)
    layouts: list[str] = field(default_factory=list)
    suites: list[str] = field(default_factory=list)
    preset: str = "default"
    size: str | None = None
    debug: bool = False
    output: Path = Path("results")


#: terminal width asv is told it has: names up to ASV_COLUMNS - 33 characters stay whole
ASV_COLUMNS = 200


def filter_env(options: RunOptions, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for asv (without secrets): the benchmark modules read these at import."""
    env = without_secrets(os.environ if base is None else base)
    env["ZARR_BENCHMARKS_PRESET"] = options.preset
    for key, values in (
        ("ZARR_BENCHMARKS_MODALITIES", options.modalities),
        ("ZARR_BENCHMARKS_CODECS", options.codecs),
        ("ZARR_BENCHMARKS_LAYOUTS", options.layouts),
        ("ZARR_BENCHMARKS_SUITES", options.suites),
    ):
        if values:
            env[key] = ",".join(values)
        else:
            env.pop(key, None)
    if options.size:
        env["ZARR_BENCHMARKS_SIZE"] = options.size
    else:
        env.pop("ZARR_BENCHMARKS_SIZE", None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # asv cuts benchmark names to fit the terminal ("....MemoryBandwidth.track_..." at
    # 80 columns), and the progress lines are parsed for names: give it room.
    env["COLUMNS"] = str(ASV_COLUMNS)
    return env


#: benchmark modules whose classes only exist when their suite is enabled
#: (``keep_suite(SUITE, globals(), *CLASSES)`` at the end of each module)
BENCH_SUITES: dict[str, tuple[str, tuple[str, ...]]] = {
    "bench_cputime": ("cputime", ("WriteCPU", "ReadCPU")),
    "bench_format": ("format", ("Format",)),
    "bench_implementations": ("implementations", ("ImplementationWrite", "ImplementationRead")),
    "bench_lossy": ("lossy", ("LossyWrite", "LossyRead")),
    "bench_parallel": ("parallel", ("ParallelWrite",)),
    "bench_patterns": ("patterns", ("RegionPatterns", "PatternCeilings", "ColdWarmRead")),
    "bench_remote": ("remote", ("RemoteWrite", "RemoteRead")),
    "bench_streaming": ("streaming", ("Streaming",)),
}


def suites_for_bench(regexes: Sequence[str]) -> dict[str, str]:
    """``{module: suite}`` for the suite-gated benchmark modules ``--bench`` names.

    A module counts as named when a regex matches (``re.search``, as asv does) the
    module or one of its ``module.Class`` names, or spells the module or a class name
    out (``bench_streaming.Streaming.time_frames``). Matching more than asv will is
    harmless: asv's own filter still decides what runs.
    """
    named: dict[str, str] = {}
    for regex in regexes:
        try:
            pattern: re.Pattern[str] | None = re.compile(regex)
        except re.error:
            pattern = None  # asv reports the bad regex itself
        for module, (suite, classes) in BENCH_SUITES.items():
            names = [module, *(f"{module}.{cls}" for cls in classes)]
            if (pattern is not None and any(pattern.search(n) for n in names)) or any(
                re.search(rf"(?<![A-Za-z0-9_]){re.escape(w)}(?![A-Za-z0-9_])", regex)
                for w in (module, *classes)
            ):
                named[module] = suite
    return named


def enable_bench_suites(options: RunOptions, preset_suites: Sequence[str]) -> list[str]:
    """Add to ``options.suites`` the suites of the modules ``options.bench`` names that
    would not otherwise be enabled; returns the suites added.

    ``ZARR_BENCHMARKS_SUITES`` replaces the preset's suites, so when the user gave no
    ``--suite`` the preset's own are kept beside the added ones.
    """
    current = list(options.suites) or list(preset_suites)
    if "all" in current:
        return []
    added = sorted({s for s in suites_for_bench(options.bench).values() if s not in current})
    if added:
        options.suites = [*current, *added]
    return added


def asv_command(machine: str, commit: str, options: RunOptions) -> list[str]:
    """``asv run`` in this interpreter, recording samples under the friendly name."""
    cmd = [
        sys.executable,
        "-m",
        "asv",
        "run",
        "--python=same",
        "--set-commit-hash",
        commit,
        "--record-samples",
        "--machine",
        machine,
    ]
    for regex in options.bench:
        cmd += ["--bench", regex]
    if options.debug:
        cmd.append("--show-stderr")
    return cmd


_LINE = re.compile(r"^\[\s*(\d+(?:\.\d+)?)%\]\s*(·+)\s*(.*?)\s*$")
_TOTAL = re.compile(r"Running (\d+) total benchmarks")


@dataclass
class ProgressParser:
    """Follows asv's console output: percentage, current benchmark, finished ones.

    asv prints ``[ 62.50%] ··· bench.Class.time_x    1/4 failed`` when a benchmark
    finishes and ``[ 50.00%] ··· Running (bench.Class.time_x--).`` when it starts.
    """

    percent: float = 0.0
    total: int | None = None
    current: str = ""
    finished: list[tuple[str, str]] = field(default_factory=list)

    def feed(self, line: str) -> tuple[str, str] | None:
        """Parse a line; return ``(benchmark, status)`` when one finished."""
        m = _TOTAL.search(line)
        if m:
            self.total = int(m.group(1))
        m = _LINE.match(line)
        if not m:
            return None
        self.percent = float(m.group(1))
        dots, text = m.group(2), m.group(3)
        if text.startswith("Running (") and text.endswith(")."):
            self.current = text[len("Running (") : -2].rstrip("-")
            return None
        if len(dots) == 3 and text and not text.startswith(("=", "-")):
            name, _, status = text.partition(" ")
            if "." in name and " " not in name and not name.startswith(("For", "Running")):
                self.current = name
                item = (name, status.strip() or "ok")
                self.finished.append(item)
                return item
        return None

    @property
    def failed(self) -> list[str]:
        """Benchmarks asv reported as (partly) failed."""
        return [n for n, s in self.finished if "failed" in s]


def run_asv(
    cmd: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    on_stdout: Callable[[str], None],
    on_stderr: Callable[[str], None],
) -> int:
    """Run asv, calling the callbacks with each (already scrubbed) line; return its exit code."""
    try:
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
    except OSError as exc:
        raise RunError(f"cannot start asv: {exc}", 2) from exc

    def pump_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            on_stderr(scrub(line.rstrip("\n")))

    reader = threading.Thread(target=pump_stderr, daemon=True)
    reader.start()
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            on_stdout(scrub(line.rstrip("\n")))
        proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        raise
    reader.join(timeout=10)
    return proc.returncode


def new_result_files(results_dir: Path, machine: str, commit: str, since: float) -> list[Path]:
    """asv result files of ``commit`` on ``machine`` written at or after ``since`` (epoch s)."""
    folder = results_dir / machine
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.glob(f"{commit[:8]}-*.json")
        if p.is_file() and p.stat().st_mtime >= since - 1
    )
