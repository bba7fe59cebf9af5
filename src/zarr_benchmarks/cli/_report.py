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
    """Write an HTML report (PNG and SVG figures, tables, recommendations).

    Results are shown per modality, preset and array size (never averaged across
    them); results from machines other than this one (`zarr-benchmarks setup`) are
    labelled reference results.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        fail("the report needs matplotlib: pip install 'zarr-benchmarks[report]'", 1)
    from zarr_benchmarks.analyse.report import ReportInputError, build_report
    from zarr_benchmarks.run.machine import MachineError, load_config

    if output.exists() and not output.is_dir():
        fail(f"--output {output}: exists and is not a folder")
    try:
        config = load_config()
    except MachineError as exc:
        fail(str(exc), 1)
    local = str(config["machine_id"]) if config and config.get("machine_id") else None
    try:
        out = build_report(results_dir, output, local_machine_id=local)
    except ReportInputError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"could not write the report into {output}: {exc.strerror or exc}", 1)
    for note in out.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    for line in out.kept_apart:
        console.print(line, highlight=False, markup=False)
    console.print(
        f"wrote {out.index} ({len(out.figures)} figure files) and {out.data.name}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add the ``report`` command."""
    app.command("report")(report)
