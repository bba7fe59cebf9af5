"""Run the asv suite in the current environment and collect what the run produced.

The steps are separate functions so other commands (e.g. a future A/B ``--against REF``
run) can reuse them: :func:`find_clone`, :func:`head_commit`, :func:`is_dirty`,
:func:`filter_env`, :func:`asv_command`, :func:`run_asv` (streams asv's output through a
:class:`ProgressParser`), :func:`new_result_files`, :func:`write_run_records` and
:func:`run_and_reduce` which ties them together.

Everything that leaves this module (console lines, log files) goes through :func:`scrub`,
which removes home paths, the hostname, the user name and IP/MAC addresses.
"""

from __future__ import annotations

import contextlib
import getpass
import importlib.util
import math
import os
import platform
import pwd
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, overload

from zarr_benchmarks._jsonio import atomic_write_json, atomic_write_text
from zarr_benchmarks.presets import get_matrix
from zarr_benchmarks.reduce import ReduceReport, RunMeta, reduce_paths, sidecar_path

__all__ = [
    "PRESETS",
    "SIZES",
    "ProgressParser",
    "RunError",
    "RunOptions",
    "RunOutcome",
    "asv_command",
    "asv_results_dir",
    "filter_env",
    "find_clone",
    "head_commit",
    "is_dirty",
    "new_result_files",
    "run_and_reduce",
    "run_asv",
    "scrub",
    "summary_rows",
    "write_run_records",
]

PRESETS = ("quick", "default", "full")
SIZES = ("tiny", "small", "medium", "large")
#: Whole-array benchmark methods: bytes processed = the uncompressed array size.
_WHOLE_ARRAY_METHODS = frozenset({"time_write", "time_read", "time_encode", "time_decode"})


class RunError(RuntimeError):
    """A user-facing failure; ``code`` is the exit code (2 usage/input, 1 operation)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- privacy


@cache
def _private_patterns() -> list[tuple[re.Pattern[str], str]]:
    homes = {os.path.expanduser("~")}
    with contextlib.suppress(KeyError, OSError):
        homes.add(pwd.getpwuid(os.getuid()).pw_dir)
    hosts = {socket.gethostname(), platform.node()}
    users = set()
    with contextlib.suppress(Exception):
        users.add(getpass.getuser())
    pats: list[tuple[re.Pattern[str], str]] = []
    for home in sorted((h for h in homes if h and h != "/"), key=len, reverse=True):
        pats.append((re.compile(re.escape(home.rstrip("/")) + r"(?=/|\b|$)"), "~"))
    for host in sorted((h for h in hosts if h), key=len, reverse=True):
        pats.append((re.compile(rf"(?<![\w.-]){re.escape(host)}(?![\w-])"), "<host>"))
    for user in sorted((u for u in users if u), key=len, reverse=True):
        pats.append((re.compile(rf"(?<![\w.-]){re.escape(user)}(?![\w-])"), "<user>"))
    pats.append((re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "<ip>"))
    pats.append((re.compile(r"\b(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}\b"), "<mac>"))
    return pats


@overload
def scrub(text: str) -> str: ...
@overload
def scrub(text: Iterable[str]) -> list[str]: ...
def scrub(text: str | Iterable[str]) -> str | list[str]:
    """Remove home paths, hostname, user name and IP/MAC addresses from text."""
    if not isinstance(text, str):
        return [scrub(t) for t in text]
    for pattern, repl in _private_patterns():
        text = pattern.sub(repl, text)
    return text


# --------------------------------------------------------------------------- repository


def _git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, timeout=60, check=False
    )
    if proc.returncode != 0:
        raise RunError(f"git {' '.join(args)} failed: {scrub(proc.stderr.strip())}", 2)
    return proc.stdout.strip()


def find_clone(start: str | os.PathLike[str] = ".") -> Path:
    """The root of the git clone holding ``start`` that has an ``asv.conf.json``.

    Raises
    ------
    RunError
        (exit 2) outside a git clone, without git, or without ``asv.conf.json``.
    """
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=start,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError as exc:
        raise RunError("git is not installed; zarr-benchmarks runs inside a git clone", 2) from exc
    if proc.returncode != 0:
        raise RunError(
            "not inside a git clone of zarr-benchmarks: run this command from the "
            "repository (git clone ...; cd zarr-benchmarks)",
            2,
        )
    root = Path(proc.stdout.strip())
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


def filter_env(options: RunOptions, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for asv: the benchmark modules read these at import."""
    env = dict(os.environ if base is None else base)
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
    return env


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


def write_run_records(files: Iterable[Path], meta: RunMeta) -> list[Path]:
    """Store the run record next to each asv result file (read back by ``reduce``)."""
    return [atomic_write_json(sidecar_path(f), meta.to_json()) for f in files]


# --------------------------------------------------------------------------- summary


def _bytes_for(bench: str, params: Mapping[str, Any], size: str | None) -> int | None:
    if bench.rsplit(".", 1)[-1] not in _WHOLE_ARRAY_METHODS or "modality" not in params:
        return None
    try:
        import numpy as np

        from zarr_benchmarks.modalities import get_modality
        from zarr_benchmarks.presets import shape_for

        modality = get_modality(str(params["modality"]))
        shape = shape_for(modality, size or get_matrix().size)
        return int(math.prod(shape)) * np.dtype(modality.dtype).itemsize
    except Exception:  # unknown modality or an older suite: no throughput, just medians
        return None


def summary_rows(documents: Iterable[Mapping[str, Any]], size: str | None = None) -> list[dict]:
    """One row per benchmark and parameter set: status, median, unit, MB/s if known."""
    rows = []
    for doc in documents:
        for name, bench in sorted(doc["benchmarks"].items()):
            for entry in bench["results"]:
                median = None
                if entry["status"] == "ok":
                    median = statistics.median(entry["samples"] or [entry["value"]])
                mbps = None
                if median and bench["type"] == "time":
                    nbytes = _bytes_for(name, entry["params"], doc.get("size") or size)
                    if nbytes:
                        mbps = nbytes / median / 1e6
                rows.append(
                    {
                        "benchmark": name,
                        "params": ", ".join(f"{k}={v}" for k, v in entry["params"].items()),
                        "status": entry["status"],
                        "median": median,
                        "unit": bench["unit"],
                        "mb_per_s": mbps,
                    }
                )
    return rows


# --------------------------------------------------------------------------- orchestration


@dataclass
class RunOutcome:
    """What :func:`run_and_reduce` produced."""

    returncode: int
    commit: str
    dirty: bool
    asv_files: list[Path]
    report: ReduceReport | None
    log: Path
    failed: list[str]

    @property
    def ok(self) -> bool:
        """No benchmark failed and asv exited cleanly."""
        return self.returncode == 0 and not self.failed


def run_and_reduce(
    root: Path,
    machine: dict[str, Any],
    environment: dict[str, Any],
    options: RunOptions,
    on_stdout: Callable[[str], None],
    on_stderr: Callable[[str], None],
    commit: str | None = None,
) -> RunOutcome:
    """Run asv for ``commit`` (default HEAD) and reduce what it wrote.

    Parameters
    ----------
    root
        Clone root (with ``asv.conf.json``).
    machine, environment
        Documents describing where the run happens (recorded with the results).
    options
        Filters, preset and output folder.
    on_stdout, on_stderr
        Receive asv's scrubbed output lines (progress display, ``--debug``).
    commit
        Commit hash to record; HEAD when None.
    """
    commit = commit or head_commit(root)
    dirty = is_dirty(root)
    results_dir = asv_results_dir(root)
    started = time.time()
    lines: list[str] = []

    def out(line: str) -> None:
        lines.append(line)
        on_stdout(line)

    def err(line: str) -> None:
        lines.append("[stderr] " + line)
        on_stderr(line)

    cmd = asv_command(machine["name"], commit, options)
    rc = run_asv(cmd, root, filter_env(options), out, err)
    files = new_result_files(results_dir, machine["name"], commit, started)
    stamp = datetime.fromtimestamp(started, tz=UTC).strftime("%Y-%m-%d-%H-%M-%S")
    log = atomic_write_text(
        root / ".asv" / "zarr-benchmarks-logs" / f"run-{stamp}.log",
        "\n".join(scrub([" ".join(cmd[1:]), *lines])) + "\n",
    )
    parser = ProgressParser()
    for line in lines:
        parser.feed(line)
    meta = RunMeta(
        dirty=dirty,
        quick=options.preset == "quick",
        preset=options.preset,
        size=options.size or get_matrix(options.preset, environ={}).size,
        started_ms=int(started * 1000) - 1000,
        machine=machine,
        environment=environment,
    )
    report = None
    if files:
        write_run_records(files, meta)
        report = reduce_paths(files, options.output)
    failed = sorted(set(parser.failed))
    if report is not None:
        failed = sorted(
            set(failed)
            | {
                name
                for d in report.documents
                for name, b in d["benchmarks"].items()
                if any(e["status"] == "failed" for e in b["results"])
            }
        )
    return RunOutcome(rc, commit, dirty, files, report, log, failed)
