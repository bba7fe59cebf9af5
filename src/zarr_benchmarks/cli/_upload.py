"""``zarr-benchmarks upload``: post reduced results to the contribution service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from zarr_benchmarks.cli._common import fail

console = Console()
err_console = Console(stderr=True)


def report_upload(outcome, out: Console = console) -> None:
    """Print one line per file and a total."""
    for path in outcome.accepted:
        out.print(f"uploaded  {path.name}", markup=False, highlight=False)
    for path, why in outcome.skipped:
        out.print(f"skipped   {path.name}: {why}", markup=False, highlight=False)
    for path, why in outcome.rejected:
        err_console.print(f"rejected  {path.name}: {why}", markup=False, highlight=False)
    for path, why in outcome.failed:
        err_console.print(f"failed    {path.name}: {why}", markup=False, highlight=False)
    out.print(
        f"{len(outcome.accepted)} uploaded, {len(outcome.skipped)} skipped, "
        f"{len(outcome.rejected)} rejected, {len(outcome.failed)} failed",
        highlight=False,
    )


def do_upload(paths: list[Path], url: str | None) -> bool:
    """Upload files/folders; print the outcome; return True when nothing went wrong."""
    from zarr_benchmarks.share.upload import Uploader, UploadError, collect_upload_files

    try:
        files = collect_upload_files(paths)
        if not files:
            fail("no reduced files (result_*.json, info_*.json) found to upload", 2)
        uploader = Uploader(url)
        console.print(f"uploading {len(files)} file(s) to {uploader.endpoint}", highlight=False)
        outcome = uploader.upload(
            files, note=lambda m: err_console.print(m, markup=False, highlight=False)
        )
    except UploadError as exc:
        fail(str(exc), 2)
    report_upload(outcome)
    return outcome.ok


def register(app: typer.Typer) -> None:
    """Add the ``upload`` command to ``app``."""

    @app.command("upload")
    def upload(
        paths: Annotated[
            list[Path] | None,
            typer.Argument(help="Reduced files or folders (default: results/)."),
        ] = None,
        url: Annotated[
            str | None,
            typer.Option(help="Service URL (default: $ZARR_BENCHMARKS_URL or local server)."),
        ] = None,
    ) -> None:
        """Upload reduced results (and their machine/environment info) to the service.

        Retries with back-off on connection errors, 5xx and 429; each accepted file is
        remembered by content hash so it is never sent twice; quick results are never
        sent. The bearer token comes from $ZARR_BENCHMARKS_TOKEN.
        """
        if not do_upload(paths or [Path("results")], url):
            raise typer.Exit(1)
