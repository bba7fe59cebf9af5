"""``zarr-benchmarks reduce``: turn asv result files into the shared result format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from zarr_benchmarks.cli._common import fail

console = Console()
err_console = Console(stderr=True)


def print_report(report, out: Console = console) -> None:
    """Print what a reduce wrote and the problems it found."""
    for note in report.notes:
        err_console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    for path in report.results:
        out.print(f"wrote {path}", highlight=False, markup=False, soft_wrap=True)
    for path, reason in report.skipped:
        err_console.print(
            f"skipped {path}: {reason}", highlight=False, markup=False, soft_wrap=True
        )
    problems = report.problems
    if problems:
        out.print(f"{len(problems)} problem(s):", highlight=False)
        for p in problems[:50]:
            out.print(f"  - {p}", highlight=False, markup=False)
        if len(problems) > 50:
            out.print(f"  ... and {len(problems) - 50} more (see the files' 'problems')")


def register(app: typer.Typer) -> None:
    """Add the ``reduce`` command to ``app``."""

    @app.command("reduce")
    def reduce(
        paths: Annotated[
            list[Path] | None,
            typer.Argument(help="asv result files or folders (default: .asv/results)."),
        ] = None,
        output: Annotated[
            Path, typer.Option("--output", "-o", help="Folder for the reduced files.")
        ] = Path("results"),
    ) -> None:
        """Reduce asv result files to readable, validated JSON (docs/formats.md).

        Writes result_timestamp-<UTC>_machine-<id>_environment-<id>.json per asv file plus
        info_machine-<id>.json and info_environment-<id>.json (once per id). Nothing is
        written for an input that is not a readable asv result file: it is skipped and
        named, the others are reduced (exit 0), and the exit status is 2 when inputs were
        skipped and nothing could be reduced.
        """
        from zarr_benchmarks.results.reduce import ReduceError, reduce_paths

        sources = paths or [Path(".asv/results")]
        try:
            report = reduce_paths(sources, output, skip_bad=True)
        except ReduceError as exc:
            fail(str(exc), 2)
        except OSError as exc:
            fail(f"cannot write to {output}: {exc.strerror or exc}", 1)
        print_report(report)
        if report.skipped and not report.results:
            fail(f"nothing reduced: {len(report.skipped)} input(s) skipped", 2)
