"""Running benchmarks of several environments interleaved, block by block.

Each side is a Python environment with the suite installed; every benchmark parameter
combination runs in a fresh process per side and block, the sides alternating
(:func:`side_order`: A B, B A, ...), so slow drifts of the machine hit both alike. The
result of each side is one reduced result document with its blocks kept.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks._format import SCHEMA_VERSION
from zarr_benchmarks._jsonio import atomic_write_json
from zarr_benchmarks._privacy import scrub
from zarr_benchmarks.analyse import compare as cmp
from zarr_benchmarks.analyse import stats
from zarr_benchmarks.results.reduce import UNITS, benchmark_type, parse_param
from zarr_benchmarks.results.schemas import SchemaError, validate
from zarr_benchmarks.run.envs import EnvError, SideEnv, child_environ, environment_of

__all__ = [
    "VALUE_BLOCKS",
    "ABOptions",
    "EnvABError",
    "Interleaved",
    "run_interleaved",
    "select",
    "side_order",
]

#: asv's types of memory benchmarks (run in a fresh interpreter, not forked)
MEMORY_TYPES = ("peakmemory", "memory")
#: blocks run for benchmarks with a single value per run (tracks, memory)
VALUE_BLOCKS = 3

#: Where ``ab`` writes by default, relative to the clone root.


class EnvABError(RuntimeError):
    """The A/B cannot proceed; ``code`` is the CLI exit code (2 bad input, 1 failure)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class ABOptions:
    """What to run and how to judge it."""

    blocks: int = 12
    #: samples per benchmark per block (asv ``repeat``); ``None`` keeps the preset's
    samples: int | None = 7
    bench: list[str] = field(default_factory=list)
    #: ``ZARR_BENCHMARKS_*`` variables for the suite (preset, size, filters)
    suite_env: dict[str, str] = field(default_factory=dict)
    preset: str = "quick"
    size: str | None = None
    alpha: float = cmp.DEFAULT_ALPHA
    min_effect: float = stats.DEFAULT_MIN_EFFECT
    noise: Mapping[tuple[str, str], stats.Noise] | None = None


def _asv_config(root: Path, work: Path, name: str) -> Path:
    """An asv config reading this tree's suite and writing only into ``work``."""
    from asv import util as asv_util

    try:
        conf = asv_util.load_json(str(root / "asv.conf.json"), js_comments=True)
    except Exception as exc:  # asv raises its own UserError types
        raise EnvABError(f"{root / 'asv.conf.json'}: cannot be read by asv: {exc}", 2) from exc
    conf.update(
        repo=str(root),
        benchmark_dir=str(root / conf.get("benchmark_dir", "benchmarks")),
        results_dir=str(work / name / "results"),
        env_dir=str(work / name / "env"),
        html_dir=str(work / name / "html"),
    )
    return atomic_write_json(work / f"{name}.conf.json", conf)


def select(benchmarks: Sequence[dict[str, Any]], patterns: Sequence[str]) -> list[dict[str, Any]]:
    """The benchmarks whose name matches any regex in ``patterns`` (all when empty)."""
    try:
        compiled = [re.compile(p) for p in patterns]
    except re.error as exc:
        raise EnvABError(f"--bench: invalid regular expression ({exc})", 2) from exc
    chosen = [b for b in benchmarks if not compiled or any(c.search(b["name"]) for c in compiled)]
    if not chosen:
        raise EnvABError(
            "no benchmark selected" + (f" by --bench {' '.join(patterns)}" if patterns else ""),
            2,
        )
    return sorted(chosen, key=lambda b: b["name"])


@contextlib.contextmanager
def _process_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set this process's environment to ``values`` for the duration (asv's spawners
    read ``os.environ`` when they start the benchmark processes)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class _Side:
    """One side's asv environment, forkserver and setup caches."""

    def __init__(self, label: str, env: SideEnv, conf: Any, benchmark_dir: Path) -> None:
        from asv import environment as asv_environment

        self.label = label
        self.env = env
        self.benchmark_dir = benchmark_dir
        (self.asv_env,) = asv_environment.get_environments(conf, [f"existing:{env.python}"])
        self.spawner: Any = None
        self.fresh: Any = None
        self.cache_dirs: dict[str | None, str | None] = {None: None}
        self.cache_errors: dict[str | None, str] = {}

    def discover(self, work: Path) -> list[dict[str, Any]]:
        from asv.runner import BENCHMARK_RUN_SCRIPT

        out = work / f"benchmarks-{self.label}.json"
        try:
            self.asv_env.run([BENCHMARK_RUN_SCRIPT, "discover", str(self.benchmark_dir), str(out)])
            found = json.loads(out.read_text(encoding="utf-8"))
        except Exception as exc:  # asv raises ProcessError with the benchmark's output
            raise EnvABError(
                f"side {self.label}: asv could not discover the benchmarks: "
                f"{scrub(str(exc)).strip().splitlines()[-1:]}",
                1,
            ) from exc
        return [b for b in found if isinstance(b, dict) and "name" in b]

    def start(self) -> None:
        from asv.runner import ForkServer, Spawner

        self.spawner = ForkServer(self.asv_env, str(self.benchmark_dir))
        # Memory benchmarks get a fresh interpreter (asv's spawn): a forked child's peak
        # RSS includes the pages it inherits from the server, which differ between servers.
        self.fresh = Spawner(self.asv_env, str(self.benchmark_dir))
        ok, out = self.spawner.preimport()
        if not ok:
            raise EnvABError(f"side {self.label}: importing the suite failed: {scrub(out)}", 1)

    def cache_dir(self, benchmark: dict[str, Any], extra: str) -> str | None:
        key = benchmark.get("setup_cache_key")
        if key in self.cache_dirs:
            return self.cache_dirs[key]
        if key in self.cache_errors:
            return None
        cache, err = self.spawner.create_setup_cache(benchmark["name"], benchmark["timeout"], extra)
        if cache is None:
            self.cache_errors[key] = err or "setup_cache failed"
        self.cache_dirs[key] = cache
        return cache

    def close(self) -> None:
        if self.spawner is not None:
            self.spawner.close()
        for path in self.cache_dirs.values():
            if path:
                shutil.rmtree(path, ignore_errors=True)


@dataclass
class _Outcome:
    """What the runs of one benchmark combination on one side gave, block by block."""

    blocks: list[list[float]] = field(default_factory=list)
    status: str = "ok"
    problem: str = ""


def _run_one(
    side: _Side, benchmark: dict[str, Any], index: int | None, extra: dict[str, Any]
) -> tuple[str, list[float] | None, str]:
    """Run one combination once on one side: ``(status, values, problem)``."""
    from asv import runner as asv_runner

    cache = side.cache_dir(benchmark, json.dumps(extra))
    if benchmark.get("setup_cache_key") in side.cache_errors:
        return (
            "failed",
            None,
            "setup_cache failed: " + side.cache_errors[benchmark["setup_cache_key"]],
        )
    spawner = side.fresh if benchmark["type"] in MEMORY_TYPES else side.spawner
    result = asv_runner._run_benchmark_single_param(benchmark, spawner, index, False, extra, cache)
    if result.errcode != 0:
        return "failed", None, (result.stderr or f"exit {result.errcode}").strip()
    value = result.result[0]
    if benchmark["type"] == "time":
        samples = result.samples[0]
        if not samples:
            return "failed", None, "no samples"
        return "ok", [float(x) for x in samples], ""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "skipped", None, ""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return "failed", None, f"non-numeric result {value!r}"
    return "ok", [float(value)], ""


def _combinations(benchmark: dict[str, Any]) -> list[tuple[int | None, dict[str, Any]]]:

    params = benchmark.get("params") or []
    if not params:
        return [(None, {})]
    names = list(benchmark.get("param_names") or [f"param{i + 1}" for i in range(len(params))])
    combos = itertools.product(*([parse_param(v) for v in values] for values in params))
    return [(i, dict(zip(names, combo, strict=True))) for i, combo in enumerate(combos)]


def _document(
    benchmarks: Sequence[dict[str, Any]],
    outcomes: Mapping[tuple[str, int | None], _Outcome],
    *,
    started: float,
    commit: str,
    machine_id: str,
    environment_id: str,
    options: ABOptions,
) -> dict[str, Any]:
    """The reduced ``result`` document of one side (docs/formats.md), blocks kept."""
    out: dict[str, Any] = {}
    problems: list[str] = []
    for b in benchmarks:
        results: list[dict[str, Any]] = []
        for index, params in _combinations(b):
            o = outcomes[(b["name"], index)]
            if o.status != "ok":
                results.append({"params": params, "status": o.status, "samples": [], "value": None})
                if o.problem:
                    label = ", ".join(f"{k}={v}" for k, v in params.items())
                    problems.append(f"{b['name']}({label}): {o.status}: {o.problem[-400:]}")
                continue
            pooled = [x for block in o.blocks for x in block]
            results.append(
                {
                    "params": params,
                    "status": "ok",
                    "samples": pooled,
                    "value": float(np.median(pooled)),
                    "blocks": o.blocks,
                }
            )
        kind = benchmark_type(b["name"], b.get("type"))
        out[b["name"]] = {
            "version": str(b.get("version") or ""),
            "unit": UNITS.get(kind) or str(b.get("unit") or "unit"),
            "type": kind,
            "param_names": list(b.get("param_names") or []),
            "results": results,
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "result",
        "timestamp": datetime.fromtimestamp(started, tz=UTC).strftime("%Y-%m-%d-%H-%M-%S"),
        "commit_hash": commit,
        "dirty": False,
        "quick": options.preset == "quick",
        "preset": options.preset,
        **({"size": options.size} if options.size else {}),
        "machine_id": machine_id,
        "environment_id": environment_id,
        "benchmarks": out,
        "problems": [scrub(p) for p in problems],
    }


@dataclass
class Interleaved:
    """What :func:`run_interleaved` measured: one reduced result per side."""

    docs: dict[str, dict[str, Any]]
    environments: dict[str, dict[str, Any]]
    seconds: float


def side_order(labels: Sequence[str], combination: int, block: int) -> list[str]:
    """Order of the sides for one combination in one block: rotated by both indices.

    With two sides this is A B for even ``combination + block`` and B A for odd, so
    along the blocks of one combination the sides run A B, B A, A B, ...; with more
    sides each goes first equally often.
    """
    shift = (combination + block) % len(labels)
    return [*labels[shift:], *labels[:shift]]


def run_interleaved(
    sides: Mapping[str, SideEnv],
    *,
    root: Path,
    commit: str,
    machine: dict[str, Any],
    options: ABOptions,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> Interleaved:
    """Run every selected combination ``options.blocks`` times on every side, interleaved.

    Parameters
    ----------
    sides
        Label -> built environment (:func:`zarr_benchmarks.run.envs.build_env`), two for an
        A/B, one per release for a history.
    root
        Root of this clone: its ``benchmarks/`` and ``src/`` run on every side.
    commit
        Commit hash recorded with the results (this tree's HEAD).
    machine
        Machine document (``machine.json`` info) recorded with the results.
    options
        Blocks, samples and the benchmark selection.
    on_progress
        Called with ``(done, total, benchmark name)`` after each round of the sides.
    """
    from asv import config as asv_config

    if len(sides) < 2:
        raise EnvABError("an interleaved run needs at least two sides", 2)
    if options.blocks < stats.MIN_BLOCKS:
        raise EnvABError(
            f"--blocks must be at least {stats.MIN_BLOCKS} (paired blocks are the unit of "
            f"replication), got {options.blocks}",
            2,
        )
    if options.samples is not None and options.samples < 1:
        raise EnvABError(f"--samples must be at least 1, got {options.samples}", 2)
    labels = list(sides)
    try:
        environments = {label: environment_of(sides[label].python, root) for label in labels}
    except EnvError as exc:
        raise EnvABError(str(exc), exc.code) from exc
    process_env = child_environ()
    process_env.update(options.suite_env)
    process_env["ASV_PYTHONPATH"] = str(root / "src")
    extra: dict[str, Any] = {} if options.samples is None else {"repeat": options.samples}
    work = Path(tempfile.mkdtemp(prefix="zarr-benchmarks-envab-"))
    running: dict[str, _Side] = {}
    started = time.time()
    try:
        with _process_environ(process_env):
            conf = asv_config.Config.load(str(_asv_config(root, work, "ab")))
            benchmark_dir = Path(conf.benchmark_dir)
            for label in labels:
                running[label] = _Side(label, sides[label], conf, benchmark_dir)
            found = {label: side.discover(work) for label, side in running.items()}
            chosen = select(found[labels[0]], options.bench)
            for label in labels[1:]:
                versions = {b["name"]: b.get("version") for b in found[label]}
                for b in chosen:
                    if versions.get(b["name"]) != b.get("version"):
                        raise EnvABError(
                            f"{b['name']}: side {label} discovered different benchmark code", 1
                        )
            for side in running.values():
                side.start()
            plan = [(b, index) for b in chosen for index, _ in _combinations(b)]
            outcomes = {
                label: {(b["name"], index): _Outcome() for b, index in plan} for label in labels
            }
            total = sum(
                options.blocks if b["type"] == "time" else min(options.blocks, VALUE_BLOCKS)
                for b, _ in plan
            )
            done = 0
            for k in range(options.blocks):
                for j, (b, index) in enumerate(plan):
                    if k >= VALUE_BLOCKS and b["type"] != "time":
                        continue  # single values (ratios, memory) need only a few blocks
                    for label in side_order(labels, j, k):
                        o = outcomes[label][(b["name"], index)]
                        if o.status != "ok":
                            continue  # failed once: not run again on this side
                        status, values, problem = _run_one(running[label], b, index, extra)
                        if status == "ok" and values is not None:
                            o.blocks.append(values)
                        else:
                            o.status, o.problem = status, problem
                    done += 1
                    if on_progress is not None:
                        on_progress(done, total, b["name"])
    finally:
        for side in running.values():
            side.close()
        shutil.rmtree(work, ignore_errors=True)
    docs = {
        label: _document(
            chosen,
            outcomes[label],
            started=started,
            commit=commit,
            machine_id=str(machine["machine_id"]),
            environment_id=str(environments[label]["environment_id"]),
            options=options,
        )
        for label in labels
    }
    for label, doc in docs.items():
        try:
            validate(doc)
        except SchemaError as exc:
            raise EnvABError(f"side {label}: the result is invalid: {exc}", 1) from exc
    return Interleaved(docs, environments, time.time() - started)
