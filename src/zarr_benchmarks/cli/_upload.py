"""``zarr-benchmarks upload``: post reduced results to the contribution service."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from zarr_benchmarks.cli._common import fail

console = Console()
err_console = Console(stderr=True)


def _name(out: Console, prefix: str, path: Path, why: str = "") -> None:
    # File names are one long token (~190 characters): printed whole on one line
    # (soft_wrap), never broken mid-name by the console; the reason goes on its own line.
    out.print(f"{prefix}{path.name}", markup=False, highlight=False, soft_wrap=True)
    if why:
        out.print(f"    {why}", markup=False, highlight=False)


def report_upload(outcome, out: Console = console) -> None:
    """Print what was sent, what was skipped (grouped by reason) and a total."""
    for path in outcome.accepted:
        _name(out, "uploaded  ", path)
    by_reason: dict[str, list[Path]] = defaultdict(list)
    for path, why in outcome.skipped:
        by_reason[why].append(path)
    for why, paths in by_reason.items():
        out.print(f"skipped {len(paths)} file(s): {why}", markup=False, highlight=False)
        for path in paths:
            _name(out, "  ", path)
    for path, why in outcome.rejected:
        _name(err_console, "rejected  ", path, why)
    for path, why in outcome.failed:
        _name(err_console, "failed    ", path, why)
    out.print(
        f"{len(outcome.accepted)} uploaded, {len(outcome.skipped)} skipped, "
        f"{len(outcome.rejected)} rejected, {len(outcome.failed)} failed",
        highlight=False,
    )


def local_machine_id() -> str:
    """This machine's id from the machine file ``setup`` writes; exit 2 when there is none."""
    from zarr_benchmarks.run.machine import MachineError, load_config

    try:
        config = load_config()
    except MachineError as exc:
        fail(str(exc), 2)
    if not config or not config.get("machine_id"):
        fail(
            "no machine set up here, so this machine's results cannot be told apart from "
            "others': run `zarr-benchmarks setup` first, or pass --all-machines to send "
            "every machine's results",
            2,
        )
    return str(config["machine_id"])


def do_upload(paths: list[Path], url: str | None, all_machines: bool = False) -> bool:
    """Upload files/folders; print the outcome; return True when nothing went wrong.

    Only this machine's results are sent unless ``all_machines``.
    """
    from zarr_benchmarks.share.upload import Uploader, UploadError, collect_upload_files

    machine_id = None if all_machines else local_machine_id()
    try:
        files = collect_upload_files(paths)
        if not files:
            fail("no reduced files (result_*.json, info_*.json) found to upload", 2)
        uploader = Uploader(url)
        whose = "every machine's" if all_machines else "this machine's"
        console.print(
            f"uploading {whose} results among {len(files)} file(s) to {uploader.endpoint}",
            highlight=False,
        )
        outcome = uploader.upload(
            files,
            note=lambda m: err_console.print(m, markup=False, highlight=False, soft_wrap=True),
            machine_id=machine_id,
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
        all_machines: Annotated[
            bool,
            typer.Option(
                "--all-machines",
                help="Also send results of other machines (e.g. the repository's "
                "reference results); by default only this machine's are sent.",
            ),
        ] = False,
    ) -> None:
        """Upload this machine's reduced results (and their machine/environment info).

        Only results measured on this machine (`zarr-benchmarks setup`) are sent unless
        --all-machines; every file left out is listed with the reason. Retries with
        back-off on connection errors, 5xx and 429; each accepted file is remembered by
        content hash so it is never sent twice; quick results are never sent. The
        bearer token comes from $ZARR_BENCHMARKS_TOKEN.
        """
        if not do_upload(paths or [Path("results")], url, all_machines):
            raise typer.Exit(1)
