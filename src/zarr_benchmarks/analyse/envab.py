"""Environment A/B: the same suite against two environments, finely interleaved.

``zarr-benchmarks ab --base "zarr==3.0.10" --new "zarr==3.1.6"`` answers the question
maintainers of Zarr, numcodecs and the other pipelines ask: did this release or pull
request make something slower, bigger or hungrier? Both sides run *this* tree's suite
(``benchmarks/`` and ``src/``); only the packages under test differ
(:mod:`zarr_benchmarks.run.envs` builds and caches each side's virtual environment).

The benchmarks run through asv's own machinery: asv's discovery, ``setup_cache`` and
forkserver (:class:`asv.runner.ForkServer`, which imports the suite once per side and
forks a fresh process for every benchmark run) and asv's single-run function, so each
run is exactly what ``asv run --launch-method forkserver`` would do. What differs from
``asv run`` is the order: for every benchmark and parameter combination, one short
process per side, alternating A B, B A, A B, ... in each of ``blocks`` passes over the
selection. Block ``i`` of A and block ``i`` of B of one benchmark ran a fraction of a
second apart, so the machine's slow drifts hit both alike and cancel in the paired
block statistics of :mod:`zarr_benchmarks.analyse.compare`. Benchmarks with a single value
per run (compression ratios, peak memory) run in the first few blocks only, and memory
benchmarks in a fresh interpreter (a forked child's peak memory would include the
server's pages). The output folder receives
``comparison.md``, ``comparison.json`` (with the package versions that differ) and the
two reduced results, whose entries keep their samples grouped by block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zarr_benchmarks._jsonio import atomic_write_json, atomic_write_text
from zarr_benchmarks.analyse import compare as cmp
from zarr_benchmarks.analyse.interleave import ABOptions, EnvABError, run_interleaved
from zarr_benchmarks.results.reduce import result_filename
from zarr_benchmarks.run.envs import SideEnv
from zarr_benchmarks.run.envs import package_differences as _package_differences

__all__ = ["ABOptions", "EnvABError", "EnvABOutcome", "run_env_ab"]

#: Where ``ab`` writes by default, relative to the clone root.
DEFAULT_OUTPUT = Path(".asv") / "env-ab"


@dataclass
class EnvABOutcome:
    """What :func:`run_env_ab` produced."""

    comparison: cmp.Comparison
    base_doc: dict[str, Any]
    new_doc: dict[str, Any]
    environments: dict[str, dict[str, Any]]
    differences: list[str]
    seconds: float
    written: list[Path] = field(default_factory=list)


def run_env_ab(
    base: SideEnv,
    new: SideEnv,
    *,
    root: Path,
    commit: str,
    machine: dict[str, Any],
    options: ABOptions,
    output: Path | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> EnvABOutcome:
    """Run both sides interleaved (:func:`run_interleaved`), compare, write the outcome.

    ``output`` (default ``<root>/.asv/env-ab``) receives ``comparison.md``,
    ``comparison.json`` and each side's reduced result and environment info.
    """

    output = output or root / DEFAULT_OUTPUT
    run = run_interleaved(
        {"A": base, "B": new},
        root=root,
        commit=commit,
        machine=machine,
        options=options,
        on_progress=on_progress,
    )
    docs, environments, seconds = run.docs, run.environments, run.seconds
    differences = _package_differences(environments["A"], environments["B"])
    label_text = {"A": f"A = {base.spec.text}", "B": f"B = {new.spec.text}"}
    try:
        comparison = cmp.compare_docs(
            [(label_text["A"], docs["A"])],
            [(label_text["B"], docs["B"])],
            alpha=options.alpha,
            min_effect=options.min_effect,
            noise=options.noise,
            test_references=True,
        )
    except cmp.CompareInputError as exc:
        raise EnvABError(f"cannot compare the two sides: {exc}", 1) from exc
    comparison.notes.append(
        f"environment A/B: {options.blocks} blocks per side, interleaved per benchmark "
        f"(A B, B A, ...), {seconds / 60:.1f} min; base {label_text['A']}; new {label_text['B']}"
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
    for label, folder in (("A", "base"), ("B", "new")):
        env_doc = environments[label]
        written.append(
            atomic_write_json(output / folder / result_filename(docs[label]), docs[label])
        )
        written.append(
            atomic_write_json(
                output / folder / f"info_environment-{env_doc['environment_id']}.json", env_doc
            )
        )
    return EnvABOutcome(
        comparison=comparison,
        base_doc=docs["A"],
        new_doc=docs["B"],
        environments=environments,
        differences=differences,
        seconds=seconds,
        written=written,
    )
