"""Environment A/B: the same suite against two environments, finely interleaved.

``zarr-benchmarks ab --base "zarr==3.0.10" --new "zarr==3.1.6"`` answers the question
maintainers of Zarr, numcodecs and the other pipelines ask: did this release or pull
request make something slower, bigger or hungrier? Both sides run *this* tree's suite
(``benchmarks/`` and ``src/``); only the packages under test differ
(:mod:`zarr_benchmarks.envs` builds and caches each side's virtual environment).

The run is a sequence of blocks. In each block every side runs the selected benchmarks
once through ``asv run --environment existing:PYTHON`` (asv runs each parameter
combination in a fresh process), the sides alternating A B, B A, A B, ... so that slow
drifts of the machine hit both alike and block ``i`` of A sits next to block ``i`` of
B. Each block's asv file is reduced on its own; the blocks of a side are merged
(:func:`zarr_benchmarks.blocks.merge_blocks`) and the two sides compared with paired
block statistics (:mod:`zarr_benchmarks.compare`). The output folder receives
``comparison.md``, ``comparison.json`` (with the package versions that differ) and
the two reduced results.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zarr_benchmarks import compare as cmp
from zarr_benchmarks import stats
from zarr_benchmarks.blocks import merge_blocks
from zarr_benchmarks.envs import EnvError, SideEnv, child_environ, environment_of
from zarr_benchmarks.envs import package_differences as _package_differences

__all__ = ["ABOptions", "EnvABError", "EnvABOutcome", "block_order", "run_env_ab"]

#: Where ``ab`` writes by default, relative to the clone root.
DEFAULT_OUTPUT = Path(".asv") / "env-ab"


class EnvABError(RuntimeError):
    """The A/B cannot proceed; ``code`` is the CLI exit code (2 bad input, 1 failure)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class ABOptions:
    """What to run and how to judge it."""

    blocks: int = 6
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


@dataclass
class EnvABOutcome:
    """What :func:`run_env_ab` produced."""

    comparison: cmp.Comparison
    base_doc: dict[str, Any]
    new_doc: dict[str, Any]
    environments: dict[str, dict[str, Any]]
    differences: list[str]
    seconds: float
    returncodes: list[int] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    @property
    def asv_ok(self) -> bool:
        return all(rc == 0 for rc in self.returncodes)


def block_order(blocks: int) -> list[tuple[int, str]]:
    """``(block, side)`` in run order: A B, B A, A B, ... (each side first equally often)."""
    out: list[tuple[int, str]] = []
    for k in range(blocks):
        out += [(k, "A"), (k, "B")] if k % 2 == 0 else [(k, "B"), (k, "A")]
    return out


def _asv_config(root: Path, work: Path, name: str) -> Path:
    """An asv config reading this tree's suite and writing into ``work/name``."""
    from asv import util as asv_util

    from zarr_benchmarks._jsonio import atomic_write_json

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


def _block_command(
    config: Path, python: Path, machine: str, commit: str, options: ABOptions
) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "asv",
        "run",
        "--config",
        str(config),
        "--environment",
        f"existing:{python}",
        "--set-commit-hash",
        commit,
        "--record-samples",
        "--machine",
        machine,
    ]
    if options.samples is not None:
        cmd += ["-a", f"repeat={options.samples}"]
    for regex in options.bench:
        cmd += ["--bench", regex]
    return cmd


def _run_block(
    cmd: Sequence[str],
    root: Path,
    env: Mapping[str, str],
    on_line: Callable[[str], None] | None,
) -> int:
    proc = subprocess.Popen(
        list(cmd),
        cwd=root,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if on_line is not None:
            on_line(line.rstrip("\n"))
    return proc.wait()


def run_env_ab(
    base: SideEnv,
    new: SideEnv,
    *,
    root: Path,
    commit: str,
    machine: dict[str, Any],
    options: ABOptions,
    output: Path | None = None,
    on_line: Callable[[int, str, str], None] | None = None,
) -> EnvABOutcome:
    """Run ``options.blocks`` interleaved blocks per side, reduce, merge and compare.

    Parameters
    ----------
    base, new
        The two built environments (:func:`zarr_benchmarks.envs.build_env`).
    root
        Root of this clone: its ``benchmarks/`` and ``src/`` run on both sides.
    commit
        Commit hash recorded with both results (this tree's HEAD).
    machine
        Machine document (``machine.json`` info) recorded with both results.
    options
        Blocks, samples, benchmark selection and the verdict settings.
    output
        Folder for the comparison and the reduced results (default
        ``<root>/.asv/env-ab``).
    on_line
        Called with ``(block, side, line)`` for each line asv prints.
    """
    from zarr_benchmarks._jsonio import atomic_write_json, atomic_write_text
    from zarr_benchmarks.reduce import ReduceError, RunMeta, prepare, result_filename

    if options.blocks < stats.MIN_BLOCKS:
        raise EnvABError(
            f"--blocks must be at least {stats.MIN_BLOCKS} (paired blocks are the unit of "
            f"replication), got {options.blocks}",
            2,
        )
    if options.samples is not None and options.samples < 1:
        raise EnvABError(f"--samples must be at least 1, got {options.samples}", 2)
    output = output or root / DEFAULT_OUTPUT
    sides = {"A": base, "B": new}
    try:
        environments = {s: environment_of(env.python, root) for s, env in sides.items()}
    except EnvError as exc:
        raise EnvABError(str(exc), exc.code) from exc
    differences = _package_differences(environments["A"], environments["B"])
    env = child_environ()
    env.update(options.suite_env)
    env["ASV_PYTHONPATH"] = str(root / "src")
    env.setdefault("PYTHONUNBUFFERED", "1")
    machine_name = str(machine["name"])
    work = Path(tempfile.mkdtemp(prefix="zarr-benchmarks-envab-"))
    returncodes: list[int] = []
    block_docs: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    started = time.time()
    try:
        for k, side in block_order(options.blocks):
            name = f"{side}{k}"
            config = _asv_config(root, work, name)
            cmd = _block_command(config, sides[side].python, machine_name, commit, options)
            t0 = int(time.time() * 1000) - 1000
            returncodes.append(
                _run_block(
                    cmd,
                    root,
                    env,
                    None if on_line is None else (lambda line, k=k, s=side: on_line(k, s, line)),
                )
            )
            files = sorted((work / name / "results" / machine_name).glob(f"{commit[:8]}-*.json"))
            if not files:
                raise EnvABError(
                    f"block {k + 1}, side {side}: asv wrote no results (exit "
                    f"{returncodes[-1]}); rerun with --debug to see asv's output",
                    1,
                )
            meta = RunMeta(
                dirty=False,
                quick=options.preset == "quick",
                preset=options.preset,
                size=options.size,
                started_ms=t0,
                machine=machine,
                environment=environments[side],
            )
            try:
                reduced, _notes = prepare(files, machine, environments[side], meta)
            except ReduceError as exc:
                raise EnvABError(f"block {k + 1}, side {side}: reducing failed: {exc}", 1) from exc
            if not reduced:
                raise EnvABError(f"block {k + 1}, side {side}: asv recorded no results", 1)
            block_docs[side].append(reduced[0].document)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.time() - started
    docs = {s: merge_blocks(block_docs[s]) for s in sides}
    label = {s: f"{s} = {sides[s].spec.text}" for s in sides}
    try:
        comparison = cmp.compare_docs(
            [(label["A"], docs["A"])],
            [(label["B"], docs["B"])],
            alpha=options.alpha,
            min_effect=options.min_effect,
            noise=options.noise,
            test_references=True,
        )
    except cmp.CompareInputError as exc:
        raise EnvABError(f"cannot compare the two sides: {exc}", 1) from exc
    comparison.notes.append(
        f"environment A/B: {options.blocks} interleaved blocks per side (A B, B A, ...), "
        f"{seconds / 60:.1f} min; base {label['A']}; new {label['B']}"
    )
    comparison.notes.append(
        "packages that differ: " + ("; ".join(differences) if differences else "none (A/A)")
    )
    summary = comparison.to_dict()
    summary["environments"] = {
        "base": {"spec": base.spec.text, **environments["A"]},
        "new": {"spec": new.spec.text, **environments["B"]},
        "differences": differences,
    }
    summary["blocks"] = options.blocks
    summary["seconds"] = round(seconds, 1)
    written = [
        atomic_write_text(output / "comparison.md", cmp.render_markdown(comparison)),
        atomic_write_json(output / "comparison.json", summary),
    ]
    for side, folder in (("A", "base"), ("B", "new")):
        written.append(atomic_write_json(output / folder / result_filename(docs[side]), docs[side]))
        written.append(
            atomic_write_json(
                output / folder / f"info_environment-{environments[side]['environment_id']}.json",
                environments[side],
            )
        )
    return EnvABOutcome(
        comparison=comparison,
        base_doc=docs["A"],
        new_doc=docs["B"],
        environments=environments,
        differences=differences,
        seconds=seconds,
        returncodes=returncodes,
        written=written,
    )
