"""A/B benchmarking in one job: a git ref against the working tree, interleaved.

On a shared CI runner the machine's speed drifts over minutes, so results of two
separate jobs (or even two consecutive runs) are not comparable. :func:`run_ab`
checks REF out into a temporary git worktree and runs the asv suite of REF (A) and
of the working tree (B) in alternating rounds (A B, B A, A B, ...) with
``asv run --python=same``, so both sides sample the same periods of machine noise.
Each round is a block of its own (its own asv results folder, reduced on its own);
the rounds of a side are merged keeping the blocks
(:func:`zarr_benchmarks.results.blocks.merge_blocks`) and the sides compared with paired
block statistics (:mod:`zarr_benchmarks.analyse.compare`). This A/B is for changes to the
suite itself; to compare versions of Zarr or numcodecs use ``zarr-benchmarks ab``.

Each side runs its *own* code: the side's ``src/`` folder is put first on
``ASV_PYTHONPATH`` (ahead of the editable install) and asv reads the side's
``benchmarks/``. Everything asv writes goes to a temporary folder; only the
comparison (and the two reduced results) are written to ``output``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zarr_benchmarks._git import GitError, git, try_git
from zarr_benchmarks._jsonio import atomic_write_json, atomic_write_text
from zarr_benchmarks.analyse import compare as cmp
from zarr_benchmarks.results.blocks import merge_blocks
from zarr_benchmarks.results.reduce import ReduceError, prepare
from zarr_benchmarks.run.records import RunMeta

#: Where ``run --against`` writes the comparison, relative to the clone root.
DEFAULT_OUTPUT = Path(".asv") / "ab"


class ABError(RuntimeError):
    """The A/B run cannot proceed; ``code`` is the CLI exit code (2 bad input, 1 failure)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class ABOutcome:
    """What :func:`run_ab` produced."""

    ref: str
    ref_commit: str
    head_commit: str
    dirty: bool
    comparison: cmp.Comparison
    base_doc: dict[str, Any]
    new_doc: dict[str, Any]
    rounds: int
    returncodes: list[int] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    @property
    def asv_ok(self) -> bool:
        return all(rc == 0 for rc in self.returncodes)


def _git(root: Path, *args: str) -> str:
    try:
        return git(root, *args)
    except GitError as exc:
        raise ABError(str(exc), 1) from exc


def resolve_ref(root: Path, ref: str) -> str:
    """Full commit hash of ``ref`` (exit code 2 naming ``ref`` when it does not exist)."""
    if not ref or ref.startswith("-"):
        raise ABError(f"--against: invalid git ref {ref!r}", 2)
    try:
        returncode, stdout, _ = try_git(
            root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"
        )
    except GitError as exc:
        raise ABError(str(exc), 2) from exc
    sha = stdout.strip()
    if returncode != 0 or not re.fullmatch(r"[0-9a-f]{40}", sha):
        raise ABError(
            f"--against: {ref!r} is not a commit in this clone (fetch it first, e.g. "
            f"`git fetch origin {ref.removeprefix('origin/')}`)",
            2,
        )
    return sha


def side_config(tree: Path, repo: Path, work: Path, side: str) -> Path:
    """A copy of ``tree``'s asv config that reads ``tree``'s suite and writes into ``work``.

    ``side`` names the run (e.g. ``A0`` for side A's first round): each gets its own
    results folder, so every round's samples stay a block of their own.
    """
    from asv import util as asv_util

    source = tree / "asv.conf.json"
    if not source.is_file():
        raise ABError(f"{side}: {source.name} missing in {'REF' if side == 'A' else 'the tree'}", 2)
    try:
        conf = asv_util.load_json(str(source), js_comments=True)
    except Exception as exc:  # asv raises its own UserError types
        raise ABError(f"{source}: cannot be read by asv: {exc}", 2) from exc
    conf.update(
        repo=str(repo),
        benchmark_dir=str(tree / conf.get("benchmark_dir", "benchmarks")),
        results_dir=str(work / f"results-{side}"),
        env_dir=str(work / f"env-{side}"),
        html_dir=str(work / f"html-{side}"),
    )

    return atomic_write_json(work / f"asv-{side}.conf.json", conf)


def side_env(tree: Path, base_env: Mapping[str, str]) -> dict[str, str]:
    """Environment of one side: its own ``src`` first on the benchmarks' ``sys.path``.

    asv's benchmark processes drop ``PYTHONPATH`` and prepend ``ASV_PYTHONPATH``
    instead (asv >= 0.6), so both are set: the latter for the benchmarks, the former
    for anything else the side starts.
    """
    env = dict(base_env)
    src = tree / "src"
    if src.is_dir():
        for var in ("ASV_PYTHONPATH", "PYTHONPATH"):
            env[var] = os.pathsep.join(p for p in (str(src), env.get(var, "")) if p)
    return env


def round_order(rounds: int) -> list[str]:
    """``A B B A A B ...``: each side goes first equally often (no order bias)."""
    out: list[str] = []
    for r in range(rounds):
        out += ["A", "B"] if r % 2 == 0 else ["B", "A"]
    return out


def run_ab(
    ref: str,
    *,
    root: Path,
    machine: dict[str, Any],
    environment: dict[str, Any],
    asv_args: list[str],
    env: Mapping[str, str],
    preset: str,
    rounds: int = 4,
    output: Path | None = None,
    on_line: Callable[[str, str], None] | None = None,
    factor: float = cmp.DEFAULT_FACTOR,
    alpha: float = cmp.DEFAULT_ALPHA,
) -> ABOutcome:
    """Benchmark ``ref`` (A) and the working tree at ``root`` (B) interleaved; compare.

    Parameters
    ----------
    ref
        Any git ref or commit of the clone (e.g. ``origin/main``).
    root
        Root of the clone (the working tree, B).
    machine, environment
        Machine and environment documents recorded with both results.
    asv_args
        ``asv run`` command line without ``--config`` (e.g. from
        :func:`zarr_benchmarks.run.asv_run.asv_command`); ``--set-commit-hash`` is replaced
        per side and ``--append-samples`` added.
    env
        Environment for asv (preset and filters); each side's ``src`` is prepended to
        ``PYTHONPATH``.
    preset
        Preset name recorded in the reduced results.
    rounds
        Rounds per side; each side's samples from all rounds are pooled.
    output
        Folder for ``comparison.md``, ``comparison.json`` and the two reduced results
        (default ``<root>/.asv/ab``).
    on_line
        Called with ``(side, line)`` for each line asv prints.
    """

    if rounds < 1:
        raise ABError(f"--rounds must be at least 1, got {rounds}", 2)
    ref_sha = resolve_ref(root, ref)
    head_sha = _git(root, "rev-parse", "--verify", "HEAD^{commit}")
    dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    output = output or root / DEFAULT_OUTPUT
    machine_name = str(machine["name"])
    work = Path(tempfile.mkdtemp(prefix="zarr-benchmarks-ab-"))
    worktree = work / "ref"
    returncodes: list[int] = []
    try:
        _git(root, "worktree", "add", "--detach", str(worktree), ref_sha)
        trees = {"A": (worktree, ref_sha), "B": (root, head_sha)}
        started = time.time()
        block_files: dict[str, list[Path]] = {"A": [], "B": []}
        for index, side in enumerate(round_order(rounds)):
            tree, sha = trees[side]
            name = f"{side}{index // 2}"
            cmd = _side_command(asv_args, side_config(tree, root, work, name), sha)
            proc = subprocess.Popen(
                cmd,
                cwd=tree,
                env=side_env(tree, env),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                if on_line is not None:
                    on_line(side, line.rstrip("\n"))
            returncodes.append(proc.wait())
            folder = work / f"results-{name}" / machine_name
            files = sorted(folder.glob(f"{sha[:8]}-*.json")) if folder.is_dir() else []
            if not files:
                which = f"REF {ref}" if side == "A" else "the working tree"
                raise ABError(
                    f"asv wrote no results for {which}; rerun with --debug to see asv's output",
                    1,
                )
            block_files[side].append(files[0])
        meta = RunMeta(
            dirty=False,
            quick=preset == "quick",
            preset=preset,
            started_ms=int(started * 1000) - 1000,
            machine=machine,
            environment=environment,
        )
        docs = {}
        for side in trees:
            side_meta = meta if side == "A" else replace(meta, dirty=dirty)
            blocks = []
            for path in block_files[side]:
                try:
                    reduced, _notes = prepare([path], machine, environment, side_meta)
                except ReduceError as exc:
                    raise ABError(f"reducing side {side} failed: {exc}", 1) from exc
                blocks += [r.document for r in reduced]
            if not blocks:
                raise ABError(f"side {side}: asv recorded no benchmark results", 1)
            docs[side] = merge_blocks(blocks)
    finally:
        with contextlib.suppress(ABError):
            _git(root, "worktree", "remove", "--force", str(worktree))
        with contextlib.suppress(ABError):
            _git(root, "worktree", "prune")
        shutil.rmtree(work, ignore_errors=True)
    label_a = f"{ref} ({ref_sha[:10]})"
    label_b = f"working tree ({head_sha[:10]}{', dirty' if dirty else ''})"
    try:
        comparison = cmp.compare_docs(
            [(label_a, docs["A"])], [(label_b, docs["B"])], factor=factor, alpha=alpha
        )
    except cmp.CompareInputError as exc:
        raise ABError(f"cannot compare the two sides: {exc}", 1) from exc
    comparison.notes.append(
        f"A/B in one job: {rounds} interleaved round(s) per side; base = {label_a}, new = {label_b}"
    )
    written = [
        atomic_write_text(output / "comparison.md", cmp.render_markdown(comparison)),
        atomic_write_json(output / "comparison.json", comparison.to_dict()),
        atomic_write_json(output / "base" / "result_base.json", docs["A"]),
        atomic_write_json(output / "new" / "result_new.json", docs["B"]),
    ]
    return ABOutcome(
        ref=ref,
        ref_commit=ref_sha,
        head_commit=head_sha,
        dirty=dirty,
        comparison=comparison,
        base_doc=docs["A"],
        new_doc=docs["B"],
        rounds=rounds,
        returncodes=returncodes,
        written=written,
    )


def _side_command(asv_args: list[str], config: Path, sha: str) -> list[str]:
    """``asv run`` for one round of one side: its own config and results, its commit."""
    cmd = list(asv_args)
    if "--set-commit-hash" in cmd:
        cmd[cmd.index("--set-commit-hash") + 1] = sha
    else:
        cmd += ["--set-commit-hash", sha]
    if "--record-samples" not in cmd:
        cmd.append("--record-samples")
    return [*cmd, "--config", str(config)]
