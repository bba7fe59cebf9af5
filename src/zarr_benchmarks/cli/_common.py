"""Small helpers shared by the CLI commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as an error and exit with ``code`` (2: bad input, 1: failure)."""
    # soft_wrap: long paths stay on one line (greppable); escape: paths may hold "[...]".
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def shown_path(path: Path, root: Path) -> Path:
    """``path`` relative to ``root`` when it lies inside it, else as given."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve())
    except ValueError:
        return Path(path)


def write_json_atomic(path: Path, document: Any) -> None:
    """Write JSON (indented, keys sorted) atomically; non-finite numbers become null."""
    from zarr_benchmarks._jsonio import atomic_write_json, json_safe

    atomic_write_json(path, json_safe(document))
