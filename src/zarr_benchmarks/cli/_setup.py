"""``zarr-benchmarks setup``: name this machine, describe it and register it with asv."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from zarr_benchmarks.cli._common import fail

console = Console()


def machine_table(document: dict[str, Any]) -> Table:
    """A short human-readable view of a machine document."""
    from zarr_benchmarks.run.machine import asv_entry

    entry = asv_entry(document)
    table = Table(title=f"Machine {document['name']}", show_header=False)
    from zarr_benchmarks._units import format_value

    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")  # nothing cut with "…"
    for key in sorted(entry):
        if key == "machine_id":
            continue  # printed whole on its own line below the table
        value = entry[key] or "-"
        if key in ("ram", "swap") and value.isdigit():
            value = format_value(int(value), "bytes")  # 23.5 GiB, not 25275973632
        table.add_row(key, value)
    table.add_row(
        "python", f"{document['python']['implementation']} {document['python']['version']}"
    )
    return table


def register(app: typer.Typer) -> None:
    """Add the ``setup`` command to ``app``."""

    @app.command("setup")
    def setup(
        name: Annotated[
            str | None,
            typer.Option(help="Friendly machine name (default: remembered, else random)."),
        ] = None,
        directory: Annotated[
            Path,
            typer.Option("--dir", help="Clone to benchmark in (its disk is described)."),
        ] = Path("."),
    ) -> None:
        """Describe this machine for asv under a random friendly name (e.g. HappySun).

        Runs `asv machine --yes --machine <name>`, fills asv's entry in ~/.asv-machine.json
        with CPU, caches, memory, disk and GPU facts, removes asv's hostname entry, and
        remembers the name so reruns keep it. No hostname, user or path is recorded.
        """
        import re

        from zarr_benchmarks.run.asv_run import RunError, check_asv, find_clone
        from zarr_benchmarks.run.machine import MachineError, setup_machine

        if name is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,63}", name):
            fail(f"--name: use letters, digits, '-' or '_' (starting with a letter), not {name!r}")
        try:
            check_asv()
            root = find_clone(directory)
            result = setup_machine(root, name=name)
        except RunError as exc:
            fail(str(exc), exc.code)
        except MachineError as exc:
            fail(str(exc), 1)
        if result.created:
            console.print(f"Named this machine [bold]{result.name}[/].")
        elif result.changed:
            console.print(
                f"Machine [bold]{result.name}[/] changed ({', '.join(result.changed[:8])}); "
                "information updated."
            )
        else:
            console.print(f"Machine [bold]{result.name}[/] is up to date.")
        console.print(machine_table(result.document))
        console.print(f"machine id: {result.machine_id}")
