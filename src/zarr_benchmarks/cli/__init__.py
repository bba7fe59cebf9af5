"""The ``zarr-benchmarks`` command line: a thin typer app over the package's modules.

Each sub-command lives in its own private module ``_<name>.py`` that defines a
``register(app)`` function; this module only wires them together.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="zarr-benchmarks",
    help="Benchmark Zarr on scientific imaging data, share the results, catch regressions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Benchmark Zarr on scientific imaging data, share the results, catch regressions."""


# One module per command (or command group); missing optional pieces are skipped.
_COMMAND_MODULES = (
    "_recommend",
    "_catalogue",
    "_setup",
    "_run",
    "_reduce",
    "_upload",
    "_serve",
    "_db",
    "_compare",
    "_ab",
    "_history",
    "_report",
)

for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"zarr_benchmarks.cli.{_name}")
    except ModuleNotFoundError as exc:  # a command module not written yet
        if exc.name != f"zarr_benchmarks.cli.{_name}":
            raise
        continue
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
