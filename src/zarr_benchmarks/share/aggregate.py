"""Aggregate reduced result files into Parquet and query them with DuckDB.

The table ``results`` has one row per sample: the result's provenance (timestamp,
commit, preset and array ``size``), the machine and environment described by the info
files next to it, the benchmark, its parameters as their own columns (``modality``,
``codec``, ``chunks``, ...) and all of them as canonical JSON (``params``), the unit and
the sample ``value``.  Failed and skipped entries have no samples; they appear as one
row with ``value`` null and their ``status``, so failures can be counted too.

The rows are kept as three tables, joined by :func:`results_view_sql`: ``r`` (one row
per sample, the result's own fields), ``m`` (one row per machine document) and ``e``
(one row per environment document).  Two small derived tables serve the dashboard
without touching the samples: ``s`` (one row per result) and ``c`` (one row per result
and case, i.e. modality, codec and chunks, with the median write and read seconds and
the compression ratio, following the report's median rule).  The same conversion
feeds the one-file aggregate built here (``zarr-benchmarks db build``) and the
service's incremental Parquet parts (:mod:`zarr_benchmarks.share.parts`), so both give
the same rows.

Examples
--------
>>> from zarr_benchmarks.share.aggregate import build_parquet, query
>>> build_parquet("results", "results.parquet")  # doctest: +SKIP
>>> query("SELECT codec, median(value) FROM results WHERE unit = 'seconds' GROUP BY codec",
...       "results.parquet")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from zarr_benchmarks._jsonio import atomic_output, canonical_dumps, sha256_id
from zarr_benchmarks.results.model import ResultDoc, ResultInputError, read_folder, summary_value
from zarr_benchmarks.suite.presets import PRESETS

__all__ = [
    "AggregateError",
    "Tables",
    "build_parquet",
    "collect_rows",
    "environment_row",
    "machine_row",
    "query",
    "result_rows",
    "results_view_sql",
]

log = logging.getLogger(__name__)

#: columns of the joined ``results`` view, in order; parameter and package columns follow
BASE_COLUMNS: dict[str, str] = {
    "result_id": "string",
    "timestamp": "timestamp",
    "commit_hash": "string",
    "dirty": "bool",
    "quick": "bool",
    "preset": "string",
    "size": "string",
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
    "params": "string",
    "sample_index": "int",
    "value": "float",
    "result_value": "float",
}
_RESERVED = set(BASE_COLUMNS)
#: which of the three tables each base column comes from
MACHINE_COLUMNS = (
    "machine_id",
    "machine_name",
    "machine_system",
    "machine_release",
    "machine_arch",
    "cpu_model",
    "cpu_logical_cores",
    "memory_total_bytes",
    "disk_kind",
)
ENVIRONMENT_COLUMNS = ("environment_id", "python_implementation", "python_version")
RESULT_COLUMNS = tuple(
    c for c in BASE_COLUMNS if c not in MACHINE_COLUMNS[1:] and c not in ENVIRONMENT_COLUMNS[1:]
)
#: benchmarks summarised per case in ``c`` (see zarr_benchmarks.analyse.report.table.METRICS)
CASE_BENCHMARKS = {
    "bench_write.Write.track_compression_ratio": "ratio",
    "bench_write.Write.time_write": "write_s",
    "bench_read.Read.time_read": "read_s",
}
SUMMARY_COLUMNS = ("result_id", "timestamp", "preset", "size", "machine_id", "environment_id")
CASE_COLUMNS: dict[str, str] = {
    "result_id": "string",
    "timestamp": "timestamp",
    "commit_hash": "string",
    "preset": "string",
    "size": "string",
    "machine_id": "string",
    "modality": "string",
    "codec": "string",
    "chunks": "string",
    "ratio": "float",
    "write_s": "float",
    "read_s": "float",
    "failed": "bool",
}
#: ingest order of an info document (the newest version of an id wins in the view)
SEQ_COLUMN = "ingest_seq"
_INT64 = (-(2**63), 2**63 - 1)


class AggregateError(ValueError):
    """The aggregate cannot be built or queried; the message says which file or query."""


def _column_name(name: str, prefix: str = "") -> str:
    clean = re.sub(r"[^0-9a-zA-Z_]+", "_", str(name)).strip("_").lower() or "unnamed"
    return prefix + clean


def _outside_int64(row: Mapping[str, Any]) -> str | None:
    """The first column holding an integer Parquet's int64 and float64 cannot take."""
    for key, value in row.items():
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if is_int and not _INT64[0] <= value <= _INT64[1]:
            return key
    return None


def size_of(doc: Mapping[str, Any]) -> str | None:
    """The array size label of a result: its own ``size``, else its preset's."""
    if doc.get("size"):
        return str(doc["size"])
    matrix = PRESETS.get(str(doc.get("preset")))
    return matrix.size if matrix is not None else None


def result_base(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a result every one of its rows carries (``result_id`` is the
    document's content hash: computed once here for the ``r``, ``s`` and ``c`` rows)."""
    try:
        stamp = datetime.strptime(str(doc.get("timestamp")), "%Y-%m-%d-%H-%M-%S")
    except ValueError:
        stamp = None
    return {
        "result_id": sha256_id(doc),
        "timestamp": stamp,
        "commit_hash": doc.get("commit_hash"),
        "dirty": doc.get("dirty"),
        "quick": doc.get("quick"),
        "preset": doc.get("preset"),
        "size": size_of(doc),
        "machine_id": doc.get("machine_id"),
        "environment_id": doc.get("environment_id"),
    }


def result_rows(
    doc: Mapping[str, Any], base: Mapping[str, Any], source: str = "result"
) -> tuple[list[dict[str, Any]], str]:
    """The ``r`` rows of one result document, or ``([], why)`` when it is left out.

    A result is left out when a sample or value cannot be converted to a float
    (:meth:`ResultDoc.number_problems`) or any number (e.g. a parameter) does not fit a
    64-bit integer column.  ``base`` is :func:`result_base` of ``doc``.
    """
    result = ResultDoc(source, doc)
    problems = result.number_problems()
    if problems:
        return [], f"{problems[0]}; the result is left out"
    rows: list[dict[str, Any]] = []
    for entry in sorted(result.entries(), key=lambda e: e.benchmark):
        row = dict(base)
        row.update(
            {
                "benchmark": entry.benchmark,
                "benchmark_type": entry.type,
                "unit": entry.unit,
                "status": entry.status,
                "result_value": entry.value,
                "params": canonical_dumps(dict(entry.params)),
            }
        )
        for key, value in entry.params.items():
            col = _column_name(key)
            if col in _RESERVED and col not in {"modality", "codec", "chunks"}:
                col = _column_name(key, "param_")
            row[col] = value
        bad = _outside_int64(row)
        if bad is not None:
            return [], (
                f"{source}: {entry.benchmark} parameter {bad!r} holds an integer outside the "
                "signed 64-bit range; the result is left out"
            )
        if entry.samples:
            rows.extend({**row, "sample_index": i, "value": s} for i, s in enumerate(entry.samples))
        else:
            rows.append({**row, "sample_index": None, "value": None})
    return rows, ""


def case_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``c`` rows of one result's ``r`` rows: one per modality, codec and chunks."""
    samples: dict[tuple[str, str], list[float]] = {}
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        if row["benchmark"] not in CASE_BENCHMARKS or None in (
            row.get("modality"),
            row.get("codec"),
            row.get("chunks"),
        ):
            continue
        key = (row["benchmark"], row["params"])
        first.setdefault(key, row)
        if row["value"] is not None:
            samples.setdefault(key, []).append(row["value"])
    cases: dict[tuple[str, str, str], dict[str, Any]] = {}
    for key, row in first.items():
        case = (str(row["modality"]), str(row["codec"]), str(row["chunks"]))
        out = cases.setdefault(
            case,
            {
                **{c: row.get(c) for c in CASE_COLUMNS if c in row},
                "modality": case[0],
                "codec": case[1],
                "chunks": case[2],
                "ratio": None,
                "write_s": None,
                "read_s": None,
                "failed": False,
            },
        )
        ok = row["status"] == "ok"
        value = summary_value(samples.get(key, []), row["result_value"]) if ok else None
        out[CASE_BENCHMARKS[row["benchmark"]]] = value
        out["failed"] = out["failed"] or row["status"] == "failed"
    return list(cases.values())


def machine_row(doc: Mapping[str, Any], source: str = "machine") -> tuple[dict[str, Any], str]:
    """The ``m`` row of a machine document, or ``({}, why)`` when it is left out."""
    hardware = doc.get("hardware") or {}
    osinfo = doc.get("os") or {}
    row = {
        "machine_id": doc.get("machine_id"),
        "machine_name": doc.get("name"),
        "machine_system": osinfo.get("system"),
        "machine_release": osinfo.get("release"),
        "machine_arch": osinfo.get("machine"),
        "cpu_model": (hardware.get("cpu") or {}).get("model"),
        "cpu_logical_cores": (hardware.get("cpu") or {}).get("logical_cores"),
        "memory_total_bytes": (hardware.get("memory") or {}).get("total_bytes"),
        "disk_kind": (hardware.get("disk") or {}).get("kind"),
    }
    bad = _outside_int64(row)
    if bad is not None:
        return {}, f"{source}: {bad} is outside the signed 64-bit range; the file is left out"
    return row, ""


def environment_row(
    doc: Mapping[str, Any], source: str = "environment"
) -> tuple[dict[str, Any], str]:
    """The ``e`` row of an environment document (``pkg_<name>`` per package)."""
    python = doc.get("python") or {}
    row: dict[str, Any] = {
        "environment_id": doc.get("environment_id"),
        "python_implementation": python.get("implementation"),
        "python_version": python.get("version"),
    }
    for package, version in sorted((doc.get("packages") or {}).items()):
        row[_column_name(package, "pkg_")] = version
    bad = _outside_int64(row)
    if bad is not None:
        return {}, f"{source}: {bad} is outside the signed 64-bit range; the file is left out"
    return row, ""


@dataclass
class Tables:
    """Rows of the three tables, and why documents were left out."""

    r: list[dict[str, Any]] = field(default_factory=list)
    m: list[dict[str, Any]] = field(default_factory=list)
    e: list[dict[str, Any]] = field(default_factory=list)
    s: list[dict[str, Any]] = field(default_factory=list)
    c: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    results: int = 0

    def add(self, kind: str, doc: Mapping[str, Any], source: str, seq: int = 0) -> bool:
        """Convert one document of ``kind``; False (and a note) when it is left out."""
        if kind == "result":
            base = result_base(doc)
            rows, why = result_rows(doc, base, source)
            if not why:
                self.r.extend(rows)
                self.c.extend(case_rows(rows))
                self.s.append({c: base[c] for c in SUMMARY_COLUMNS})
                self.results += 1
        elif kind == "machine":
            row, why = machine_row(doc, source)
            if not why:
                self.m.append({**row, SEQ_COLUMN: seq})
        else:
            row, why = environment_row(doc, source)
            if not why:
                self.e.append({**row, SEQ_COLUMN: seq})
        if why:
            log.warning("%s", why)
            self.notes.append(why)
        return not why


def _tables_of_folder(results_dir: str | os.PathLike[str]) -> Tables:
    folder = Path(results_dir)
    try:
        loaded = read_folder(folder, check=False)
    except ResultInputError as exc:
        raise AggregateError(str(exc)) from None
    tables = Tables()
    for seq, (mid, doc) in enumerate(loaded.machines.items()):
        tables.add("machine", doc, f"info_machine-{mid}", seq)
    for seq, (eid, doc) in enumerate(loaded.environments.items()):
        tables.add("environment", doc, f"info_environment-{eid}", seq)
    for result in loaded.results:
        tables.add("result", result.data, result.source)
    return tables


def collect_rows(
    results_dir: str | os.PathLike[str], notes: list[str] | None = None
) -> list[dict[str, Any]]:
    """Read every ``result_*.json`` (and the info files) under ``results_dir`` into rows.

    A result holding a number that cannot be converted to a float (e.g. a 400-digit
    integer sample) or a number outside the 64-bit range (e.g. in a parameter) is left
    out; why is logged as a warning and appended to ``notes``.

    Raises
    ------
    AggregateError
        If ``results_dir`` is not a folder or a file is not valid JSON.
    """
    tables = _tables_of_folder(results_dir)
    if notes is not None:
        notes.extend(tables.notes)
    machines = {row["machine_id"]: row for row in tables.m}
    envs = {row["environment_id"]: row for row in tables.e}
    out = []
    for row in tables.r:
        joined = dict(row)
        for info in (machines.get(row["machine_id"]), envs.get(row["environment_id"])):
            for key, value in (info or {}).items():
                if key != SEQ_COLUMN:
                    joined.setdefault(key, value)
        out.append(joined)
    return out


_TYPES = {"string": "string", "bool": "bool_", "int": "int64", "float": "float64"}


def arrow_table(rows: list[dict[str, Any]], columns: Iterable[str]) -> Any:
    """A pyarrow table of ``rows``: ``columns`` first (typed as in the view), then extras.

    An extra (parameter or package) column is int64 when every value is an integer,
    float64 when every value is a number, else string.
    """
    import pyarrow as pa

    names = list(columns)
    extra = sorted({k for row in rows for k in row} - set(names))
    arrays = {}
    for name in names + extra:
        values = [row.get(name) for row in rows]
        kind = "int" if name == SEQ_COLUMN else (BASE_COLUMNS.get(name) or CASE_COLUMNS.get(name))
        if kind is None:
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
        dtype = pa.timestamp("s") if kind == "timestamp" else getattr(pa, _TYPES[kind])()
        arrays[name] = pa.array(values, type=dtype)
    return pa.table(arrays)


def arrow_tables(tables: Tables) -> dict[str, Any]:
    """``{"r": ..., "m": ..., "e": ..., "s": ..., "c": ...}`` as pyarrow tables
    (typed even when empty)."""
    return {
        "r": arrow_table(tables.r, RESULT_COLUMNS),
        "m": arrow_table(tables.m, (*MACHINE_COLUMNS, SEQ_COLUMN)),
        "e": arrow_table(tables.e, (*ENVIRONMENT_COLUMNS, SEQ_COLUMN)),
        "s": arrow_table(tables.s, SUMMARY_COLUMNS),
        "c": arrow_table(tables.c, CASE_COLUMNS),
    }


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def results_view_sql(con: Any, r: str = "r", m: str = "m", e: str = "e") -> str:
    """``SELECT`` of the joined ``results`` view over the relations ``r``, ``m``, ``e``.

    Info documents are deduplicated by id (the highest ``ingest_seq`` wins); columns
    are in :data:`BASE_COLUMNS` order, then every other column sorted by name.
    """

    def cols(rel: str) -> list[str]:
        return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]

    have = {"r": cols(r), "m": cols(m), "e": cols(e)}
    source: dict[str, str] = {}
    for alias in ("r", "m", "e"):  # the result's own columns win a name clash
        for col in have[alias]:
            if col != SEQ_COLUMN:
                source.setdefault(col, alias)
    order = [c for c in BASE_COLUMNS if c in source]
    order += sorted(set(source) - set(order))
    select = ", ".join(f"{source[c]}.{_quote(c)}" for c in order)
    latest = f"QUALIFY row_number() OVER (PARTITION BY {{0}} ORDER BY {SEQ_COLUMN} DESC) = 1"
    return (
        f"WITH mm AS (SELECT * FROM {m} {latest.format('machine_id')}), "
        f"ee AS (SELECT * FROM {e} {latest.format('environment_id')}) "
        f"SELECT {select} FROM {r} AS r "
        "LEFT JOIN mm AS m ON r.machine_id = m.machine_id "
        "LEFT JOIN ee AS e ON r.environment_id = e.environment_id"
    )


def write_parquet_atomically(con: Any, select_sql: str, dest: Path) -> None:
    """``COPY (select_sql)`` to ``dest`` through a temp file in the same folder, fsynced."""
    with atomic_output(dest) as tmp:
        quoted = str(tmp).replace("'", "''")
        con.execute(f"COPY ({select_sql}) TO '{quoted}' (FORMAT parquet, COMPRESSION zstd)")


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
        If the folder is missing, holds no ``result_*.json`` file, or a file is
        unreadable.
    """
    import duckdb

    folder = Path(results_dir)
    tables = _tables_of_folder(folder)
    if notes is not None:
        notes.extend(tables.notes)
    if tables.results == 0 and not tables.notes:
        raise AggregateError(
            f"{folder}: no result_*.json files (make some with `zarr-benchmarks run` "
            "or `zarr-benchmarks reduce`)"
        )
    arrow = arrow_tables(tables)
    con = duckdb.connect(":memory:")
    try:
        for name in ("r", "m", "e"):
            con.register(name, arrow[name])
        write_parquet_atomically(con, results_view_sql(con) + " ORDER BY ALL", Path(out))
    finally:
        con.close()
    return len(tables.r)


def run_query(con: Any, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` on ``con``; DuckDB's error becomes an :class:`AggregateError`."""
    import duckdb

    try:
        cursor = con.execute(sql)
    except duckdb.Error as exc:
        raise AggregateError(f"query failed: {exc}") from None
    if cursor.description is None:
        return [], []
    return [d[0] for d in cursor.description], cursor.fetchall()


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
        return run_query(con, sql)
    finally:
        con.close()
