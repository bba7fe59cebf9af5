"""``zarr-benchmarks compare BASE NEW``: significant changes between two result sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from zarr_benchmarks.cli._common import fail, shown_path

if TYPE_CHECKING:
    from zarr_benchmarks.run.asv_run import RunOptions
    from zarr_benchmarks.run.machine import SetupResult


def output_comparison(
    comp: object,
    *,
    as_json: bool,
    as_markdown: bool,
    show_all: bool,
    output: Path | None,
) -> None:
    """Print (or write atomically to ``output``) a comparison in the chosen format."""
    from rich.console import Console

    from zarr_benchmarks.analyse import compare as cmp

    assert isinstance(comp, cmp.Comparison)
    if as_json:
        text = json.dumps(comp.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    elif as_markdown:
        text = cmp.render_markdown(comp, show_all=show_all)
    else:
        text = None
    if output is not None:
        from zarr_benchmarks._jsonio import atomic_write_text

        if text is None:
            text = cmp.render_markdown(comp, show_all=show_all)
        atomic_write_text(output, text)
        Console(stderr=True).print(cmp.summary_line(comp), highlight=False)
    elif text is not None:
        typer.echo(text, nl=False)
    else:
        Console().print(cmp.render_rich(comp, show_all=show_all))


def register(app: typer.Typer) -> None:
    @app.command("compare")
    def compare_cmd(
        base: Path = typer.Argument(
            ..., help="BASE: reduced result file, folder of them, or asv result file."
        ),
        new: Path = typer.Argument(..., help="NEW: same kinds as BASE."),
        factor: float = typer.Option(
            1.10,
            "--factor",
            "-f",
            help="Single values (peak memory, rates) change only beyond this ratio.",
        ),
        value_factor: float = typer.Option(
            1.25,
            "--value-factor",
            help="Timings without blocks (one process per side) change only beyond this ratio.",
        ),
        min_effect: float = typer.Option(
            0.03,
            "--min-effect",
            help="Block verdicts: relative change below which a benchmark is 'unchanged' "
            "(without a noise model).",
        ),
        noise: Path | None = typer.Option(
            None,
            "--noise",
            help="Noise model from A/A runs (`zarr-benchmarks noise learn`): each benchmark's "
            "own threshold.",
        ),
        alpha: float = typer.Option(0.01, "--alpha", help="1 - confidence of each block interval."),
        cross_machine: bool = typer.Option(
            False,
            "--cross-machine",
            help="Allow different machines: normalise each side by its reference benchmarks.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        as_markdown: bool = typer.Option(
            False, "--markdown", help="Print markdown (for a pull-request comment)."
        ),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the JSON/markdown to this file instead."
        ),
        show_all: bool = typer.Option(False, "--all", help="Also list unchanged benchmarks."),
    ) -> None:
        """Compare NEW against BASE. Results measured in blocks (ab, run --against) get
        paired block intervals against each benchmark's noise threshold; compression ratios
        and bytes any change; single values a factor. Exit 1 on a regression (including a
        benchmark that newly fails)."""
        from zarr_benchmarks.analyse import compare as cmp

        if as_json and as_markdown:
            fail("choose one of --json and --markdown")
        try:
            model = None
            if noise is not None:
                from zarr_benchmarks.analyse.noise import load_noise

                model = load_noise(noise)
            comp = cmp.compare_paths(
                base,
                new,
                factor=factor,
                value_factor=value_factor,
                min_effect=min_effect,
                noise=model,
                alpha=alpha,
                cross_machine=cross_machine,
            )
        except cmp.CompareInputError as exc:
            fail(str(exc), 2)
        output_comparison(
            comp, as_json=as_json, as_markdown=as_markdown, show_all=show_all, output=output
        )
        if comp.has_regression:
            raise typer.Exit(1)


def run_against(
    ref: str,
    *,
    root: Path,
    machine: SetupResult,
    environment: dict,
    options: RunOptions,
    rounds: int,
) -> None:
    """``zarr-benchmarks run --against REF``: A/B in one job, then compare (exit 1 on a
    significant regression, 2 on a bad REF)."""
    from rich.console import Console

    from zarr_benchmarks._privacy import scrub
    from zarr_benchmarks.analyse import ab
    from zarr_benchmarks.analyse import compare as cmp
    from zarr_benchmarks.run.asv_run import asv_command, filter_env, head_commit

    console = Console()
    err = Console(stderr=True)

    def on_line(side: str, line: str) -> None:
        # asv's per-benchmark "finished" lines (or everything with --debug)
        if options.debug or ("%]" in line and "Running" not in line and "·" in line):
            err.print(f"{side} {scrub(line)}", markup=False, highlight=False)

    cmd = asv_command(str(machine.name), head_commit(root), options)
    console.print(
        f"A/B: {ref} (A) against the working tree (B), {rounds} interleaved round(s) each, "
        f"preset {options.preset}"
    )
    try:
        outcome = ab.run_ab(
            ref,
            root=root,
            machine=machine.document,
            environment=environment,
            asv_args=cmd,
            env=filter_env(options),
            preset=options.preset,
            rounds=rounds,
            on_line=on_line,
        )
    except ab.ABError as exc:
        fail(str(exc), exc.code)
    console.print(cmp.render_rich(outcome.comparison))
    for path in outcome.written:
        console.print(f"wrote {shown_path(path, root)}", highlight=False, markup=False)
    if not outcome.asv_ok:
        err.print("[yellow]warning:[/] asv exited with an error in some rounds (see --debug)")
    if outcome.comparison.has_regression:
        raise typer.Exit(1)
