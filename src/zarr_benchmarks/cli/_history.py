"""``zarr-benchmarks history [RESULTS]``: trends across Zarr versions or commits."""

from __future__ import annotations

from pathlib import Path

import typer

from zarr_benchmarks.cli._common import fail


def register(app: typer.Typer) -> None:
    @app.command("history")
    def history_cmd(
        results: Path = typer.Argument(
            Path("results"),
            help="Folder of reduced results (or asv results); searched recursively.",
        ),
        by: str = typer.Option(
            "auto", "--by", help="Axis: 'version' (Zarr version), 'commit', or 'auto'."
        ),
        bench: str | None = typer.Option(
            None, "--bench", "-b", help="Regular expression selecting benchmark names."
        ),
        factor: float = typer.Option(
            1.10, "--factor", "-f", help="Only steps beyond this ratio (either way) are flagged."
        ),
        alpha: float = typer.Option(0.01, "--alpha", help="1 - confidence of each block interval."),
        package: str = typer.Option(
            "zarr", "--package", help="With --by version: whose version (zarr, numcodecs, ...)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        show_all: bool = typer.Option(False, "--all", help="List every series, not only flagged."),
    ) -> None:
        """Show each benchmark's trend and flag significant step changes."""
        from rich.console import Console

        from zarr_benchmarks.analyse import history as hist
        from zarr_benchmarks.analyse.compare import CompareInputError

        try:
            h = hist.history_from_path(
                results, package=package, axis=by, factor=factor, alpha=alpha, bench=bench
            )
        except CompareInputError as exc:
            fail(str(exc), 2)
        if as_json:
            typer.echo(hist.history_json(h), nl=False)
        else:
            Console().print(hist.render_rich(h, show_all=show_all))
