"""``zarr-benchmarks compare BASE NEW``: significant changes between two result sets."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from zarr_benchmarks.cli._common import fail


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

    from zarr_benchmarks import compare as cmp

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
            1.10, "--factor", "-f", help="Only changes beyond this ratio (either way) count."
        ),
        alpha: float = typer.Option(
            0.01, "--alpha", help="False-discovery rate for the Benjamini-Hochberg correction."
        ),
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
        seed: int = typer.Option(20261122, "--seed", help="Seed of the bootstrap."),
    ) -> None:
        """Compare NEW against BASE: ratio of medians with a bootstrap 95% CI, Mann-Whitney
        U with Benjamini-Hochberg correction. Exit 1 on a significant regression."""
        from zarr_benchmarks import compare as cmp

        if as_json and as_markdown:
            fail("choose one of --json and --markdown")
        try:
            comp = cmp.compare_paths(
                base, new, factor=factor, alpha=alpha, cross_machine=cross_machine, seed=seed
            )
        except cmp.CompareInputError as exc:
            fail(str(exc), 2)
        output_comparison(
            comp, as_json=as_json, as_markdown=as_markdown, show_all=show_all, output=output
        )
        if comp.has_regression:
            raise typer.Exit(1)
