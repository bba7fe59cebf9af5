"""Aggregate reduced result files into one Parquet table and query it with DuckDB.

The table has one row per sample: the result's provenance (timestamp, commit, preset),
the machine and environment described by the info files next to it, the benchmark, its
parameters as their own columns (``modality``, ``codec``, ``chunks``, ...), the unit and
the sample ``value``.  Failed and skipped entries have no samples; they appear as one row
with ``value`` null and their ``status``, so failures can be counted too.

Examples
--------
>>> from zarr_benchmarks.share.aggregate import build_parquet, query
>>> build_parquet("results", "results.parquet")  # doctest: +SKIP
>>> query("SELECT codec, median(value) FROM results GROUP BY codec", "results.parquet")
... # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from zarr_benchmarks._jsonio import sha256_id
from zarr_benchmarks.results.model import ResultInputError, read_folder

__all__ = ["AggregateError", "build_parquet", "collect_rows", "query"]

log = logging.getLogger(__name__)

#: columns present in every table, in order; parameter and package columns follow
BASE_COLUMNS: dict[str, str] = {
    "result_id": "string",
    "timestamp": "timestamp",
    "commit_hash": "string",
    "dirty": "bool",
    "quick": "bool",
    "preset": "string",
    "machine_id": "string",
    "machine_name": "string",
    "machine_system": "string",
    "machine_release": "string",
    "machine_arch": "string",
    "cpu_model": "string",
    "cpu_logical_cores": "int",
    "memory_total_bytes": "int",
    "disk_kind": "string",
    "environment_id": "string",
    "python_implementation": "string",
    "python_version": "string",
    "benchmark": "string",
    "benchmark_type": "string",
    "unit": "string",
    "status": "string",
    "modality": "string",
    "codec": "string",
    "chunks": "string",
    "sample_index": "int",
    "value": "float",
    "result_value": "float",
}
_RESERVED = set(BASE_COLUMNS)


class AggregateError(ValueError):
    """The aggregate cannot be built or queried; the message says which file or query."""


def _column_name(name: str, prefix: str = "") -> str:
    clean = re.sub(r"[^0-9a-zA-Z_]+", "_", str(name)).strip("_").lower() or "unnamed"
    return prefix + clean


def collect_rows(
    results_dir: str | os.PathLike[str], notes: list[str] | None = None
) -> list[dict[str, Any]]:
    """Read every ``result_*.json`` (and the info files) under ``results_dir`` into rows.

    A result holding a number that cannot be converted to a float (e.g. a 400-digit
    integer sample) is left out; why is logged as a warning and appended to ``notes``.

    Raises
    ------
    AggregateError
        If ``results_dir`` is not a folder or a file is not valid JSON.
    """

    folder = Path(results_dir)
    try:
        loaded = read_folder(folder, check=False)
    except ResultInputError as exc:
        raise AggregateError(str(exc)) from None
    machines, environments = loaded.machines, loaded.environments

    rows: list[dict[str, Any]] = []
    for result in loaded.results:
        problems = result.number_problems()
        if problems:
            note = f"{problems[0]}; the result is left out"
            log.warning("%s", note)
            if notes is not None:
                notes.append(note)
            continue
        doc = result.data
        machine = machines.get(str(doc.get("machine_id"))) or {}
        hardware = machine.get("hardware") or {}
        env = environments.get(str(doc.get("environment_id"))) or {}
        try:
            stamp = datetime.strptime(str(doc.get("timestamp")), "%Y-%m-%d-%H-%M-%S")
        except ValueError:
            stamp = None
        base: dict[str, Any] = {
            "result_id": sha256_id(doc),
            "timestamp": stamp,
            "commit_hash": doc.get("commit_hash"),
            "dirty": doc.get("dirty"),
            "quick": doc.get("quick"),
            "preset": doc.get("preset"),
            "machine_id": doc.get("machine_id"),
            "machine_name": machine.get("name"),
            "machine_system": (machine.get("os") or {}).get("system"),
            "machine_release": (machine.get("os") or {}).get("release"),
            "machine_arch": (machine.get("os") or {}).get("machine"),
            "cpu_model": (hardware.get("cpu") or {}).get("model"),
            "cpu_logical_cores": (hardware.get("cpu") or {}).get("logical_cores"),
            "memory_total_bytes": (hardware.get("memory") or {}).get("total_bytes"),
            "disk_kind": (hardware.get("disk") or {}).get("kind"),
            "environment_id": doc.get("environment_id"),
            "python_implementation": (env.get("python") or {}).get("implementation"),
            "python_version": (env.get("python") or {}).get("version"),
        }
        for package, version in sorted((env.get("packages") or {}).items()):
            base[_column_name(package, "pkg_")] = version
        for entry in sorted(result.entries(), key=lambda e: e.benchmark):
            row = dict(base)
            row.update(
                {
                    "benchmark": entry.benchmark,
                    "benchmark_type": entry.type,
                    "unit": entry.unit,
                    "status": entry.status,
                    "result_value": entry.value,
                }
            )
            for key, value in entry.params.items():
                col = _column_name(key)
                if col in _RESERVED and col not in {"modality", "codec", "chunks"}:
                    col = _column_name(key, "param_")
                row[col] = value
            if entry.samples:
                for i, sample in enumerate(entry.samples):
                    rows.append({**row, "sample_index": i, "value": sample})
            else:
                rows.append({**row, "sample_index": None, "value": None})
    return rows


def _arrow_table(rows: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    columns = list(BASE_COLUMNS)
    extra = sorted({k for row in rows for k in row} - set(columns))
    types: dict[str, pa.DataType] = {
        "string": pa.string(),
        "bool": pa.bool_(),
        "int": pa.int64(),
        "float": pa.float64(),
        "timestamp": pa.timestamp("s"),
    }
    arrays = {}
    for name in columns + extra:
        values = [row.get(name) for row in rows]
        kind = BASE_COLUMNS.get(name)
        if kind is None:  # a parameter or package column: numeric if every value is
            present = [v for v in values if v is not None]
            if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
                kind = "int"
            elif present and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in present
            ):
                kind = "float"
            else:
                kind = "string"
        if kind == "string":
            values = [None if v is None else str(v) for v in values]
        elif kind == "float":
            values = [None if v is None else float(v) for v in values]
        arrays[name] = pa.array(values, type=types[kind])
    return pa.table(arrays)


def build_parquet(
    results_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    notes: list[str] | None = None,
) -> int:
    """Aggregate ``results_dir`` into the Parquet file ``out`` (written atomically).

    Results left out (see :func:`collect_rows`) are noted in ``notes``.

    Returns
    -------
    int
        Number of rows written.

    Raises
    ------
    AggregateError
        If the folder is missing or a file is unreadable.
    """
    import pyarrow.parquet as pq

    rows = collect_rows(results_dir, notes)
    table = _arrow_table(rows)
    dest = Path(out)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(rows)


def query(sql: str, parquet: str | os.PathLike[str]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` with DuckDB against the aggregate, visible as the view ``results``.

    Returns
    -------
    tuple
        Column names and rows.

    Raises
    ------
    AggregateError
        If the Parquet file is missing or the query fails (DuckDB's message included).
    """
    import duckdb

    path = Path(parquet)
    if not path.is_file():
        raise AggregateError(f"{path}: aggregate not found; run `zarr-benchmarks db build`")
    con = duckdb.connect(":memory:")
    try:
        quoted = str(path.resolve()).replace("'", "''")
        con.execute(f"CREATE VIEW results AS SELECT * FROM read_parquet('{quoted}')")
        try:
            cursor = con.execute(sql)
        except duckdb.Error as exc:
            raise AggregateError(f"query failed: {exc}") from None
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        con.close()
