"""``zarr-benchmarks db build`` / ``db query``: Parquet aggregate queried with DuckDB.

``db query --db`` takes the one file ``db build`` writes or a parts folder (the
service's ``<instance>/aggregate/parts``, see :mod:`zarr_benchmarks.share.parts`).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from zarr_benchmarks.cli._common import fail

DEFAULT_DB = Path("results.parquet")


def register(app: typer.Typer) -> None:
    """Add the ``db`` command group to ``app``."""
    db = typer.Typer(
        help="Aggregate result files into Parquet and query them with SQL.", no_args_is_help=True
    )
    app.add_typer(db, name="db")

    @db.command("build")
    def build(
        results_dir: Annotated[
            Path, typer.Option(help="Folder with result_*.json and info_*.json files.")
        ] = Path("results"),
        out: Annotated[Path, typer.Option(help="Parquet file to write.")] = DEFAULT_DB,
    ) -> None:
        """Aggregate every result file into one Parquet table (one row per sample)."""
        import logging

        from zarr_benchmarks.share.aggregate import AggregateError, build_parquet

        logging.getLogger("zarr_benchmarks.share.aggregate").setLevel(logging.ERROR)
        notes: list[str] = []  # printed below, once each
        try:
            rows = build_parquet(results_dir, out, notes)
        except AggregateError as exc:
            fail(str(exc), 2)
        except OSError as exc:
            fail(f"{out}: cannot write ({exc.strerror or exc})", 1)
        for note in notes:
            typer.echo(f"skipped: {note}", err=True)
        typer.echo(f"wrote {rows} rows to {out}", err=True)

    @db.command("query")
    def query(
        sql: Annotated[str, typer.Argument(help="SQL over the view `results`.")],
        db_path: Annotated[
            Path, typer.Option("--db", help="Parquet file, or a parts folder of the service.")
        ] = DEFAULT_DB,
        fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    ) -> None:
        """Run SQL against the aggregate (the table is the view `results`)."""
        from zarr_benchmarks.share.aggregate import AggregateError
        from zarr_benchmarks.share.aggregate import query as run_query
        from zarr_benchmarks.share.parts import PartStore

        if fmt not in {"table", "csv", "json"}:
            fail(f"--format: expected table, csv or json, got {fmt!r}", 2)
        try:
            if db_path.is_dir():
                columns, rows = PartStore(db_path).query(sql)
            else:
                columns, rows = run_query(sql, db_path)
        except AggregateError as exc:
            fail(str(exc), 2)
        if fmt == "csv":
            writer = csv.writer(sys.stdout)
            writer.writerow(columns)
            writer.writerows(rows)
        elif fmt == "json":
            records = [dict(zip(columns, row, strict=True)) for row in rows]
            typer.echo(json.dumps(records, indent=2, default=str))
        else:
            from rich.console import Console
            from rich.table import Table

            table = Table(*columns)
            for row in rows:
                table.add_row(*("" if v is None else str(v) for v in row))
            Console().print(table)
