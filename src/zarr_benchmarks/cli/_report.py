"""``zarr-benchmarks report``: an HTML report with figures from a results folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from zarr_benchmarks.cli._common import fail

console = Console()


def report(
    results_dir: Annotated[
        Path,
        typer.Argument(help="Folder of reduced result_*.json and info_*.json files."),
    ] = Path("results"),
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Folder for index.html, report.json and figures/."),
    ] = Path("report"),
) -> None:
    """Write an HTML report (PNG and SVG figures, tables, recommendations)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        fail("the report needs matplotlib: pip install 'zarr-benchmarks[report]'", 1)
    from zarr_benchmarks.analyse.report import ReportInputError, build_report

    if output.exists() and not output.is_dir():
        fail(f"--output {output}: exists and is not a folder")
    try:
        out = build_report(results_dir, output)
    except ReportInputError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"could not write the report into {output}: {exc.strerror or exc}", 1)
    for note in out.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    console.print(
        f"wrote {out.index} ({len(out.figures)} figure files) and {out.data.name}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add the ``report`` command."""
    app.command("report")(report)
