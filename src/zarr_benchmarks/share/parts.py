"""An append-only aggregate: small Parquet parts, compacted into larger files, read by DuckDB.

A :class:`PartStore` is a folder with one sub-folder per table of
:mod:`zarr_benchmarks.share.aggregate` (``r`` samples, ``m`` machines, ``e``
environments, and the dashboard's ``s`` results and ``c`` cases).  Each ingest
appends one *part* per table it has rows for, named by a sequence number:
``r/000000000042-000000000042.parquet``.  Compaction merges a run of
neighbouring files into one named by the range it covers
(``r/000000000001-000000000016.parquet``).

Why this is safe without a manifest:

* every file is written to a temp file in the same folder, fsynced and renamed, so a
  visible file is always complete; temp files (``.*.tmp``) are never read and are
  removed by the next writer;
* the live files are those whose range no other file's range contains; a compaction
  that died after renaming its output but before deleting its inputs therefore hides
  the inputs (no row is counted twice), and one that died earlier left only a temp file;
* an append writes its ``s`` part (one row per result) last; samples or cases of a
  sequence number no ``s`` file covers are from an append that died half-way and are
  removed before anything else is written (so a result is never half there, nor
  there twice when it is ingested again);
* compaction merges only neighbouring files of the same level (a level is a power of
  ``fanout`` parts), so ranges nest and never partly overlap.

One process writes a store at a time (the service's writer, or ``db build``); readers
in other threads re-list the files when a compaction removed one under them.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zarr_benchmarks._jsonio import atomic_output
from zarr_benchmarks.share.aggregate import (
    AggregateError,
    Tables,
    arrow_tables,
    results_view_sql,
    write_parquet_atomically,
)

__all__ = ["PartFile", "PartStore", "scan_sql"]

log = logging.getLogger(__name__)

TABLES = ("r", "m", "e", "s", "c")
#: ``s`` last: its part marks an append complete (see :meth:`PartStore.remove_leftovers`)
_WRITE_ORDER = ("r", "c", "m", "e", "s")
_NAME = re.compile(r"^(\d{12})-(\d{12})\.parquet$")


@dataclass(frozen=True, order=True)
class PartFile:
    """One visible Parquet file of a table: the sequence range it covers."""

    lo: int
    hi: int
    path: Path

    @property
    def span(self) -> int:
        return self.hi - self.lo + 1

    def covers(self, other: PartFile) -> bool:
        return self.lo <= other.lo and other.hi <= self.hi and self != other


def _name(lo: int, hi: int) -> str:
    return f"{lo:012d}-{hi:012d}.parquet"


class PartStore:
    """The parts folder ``root`` (created on first write).

    Parameters
    ----------
    root
        Folder holding ``r/``, ``m/`` and ``e/``.
    fanout
        Files of one level merged together: ``fanout`` parts make a level-1 file,
        ``fanout`` level-1 files a level-2 file, ...
    """

    def __init__(self, root: str | os.PathLike[str], fanout: int = 16):
        self.root = Path(root)
        self.fanout = max(2, fanout)
        self._write_lock = threading.Lock()  # sequence numbers and appends
        self._compact_lock = threading.Lock()  # one compaction at a time
        self._seq: int | None = None

    # -- listing ------------------------------------------------------------------------

    def files(self, table: str) -> list[PartFile]:
        """Every complete file of ``table``, live or covered, sorted by range."""
        folder = self.root / table
        out = []
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return []
        for name in names:
            match = _NAME.match(name)
            if match:
                out.append(PartFile(int(match[1]), int(match[2]), folder / name))
        return sorted(out)

    def live(self, table: str) -> list[PartFile]:
        """The files whose rows are visible: those no larger file covers (and, for the
        samples and cases, whose append is complete: an ``s`` file covers its number)."""
        files = self.files(table)
        out = [f for f in files if not any(g.covers(f) for g in files if g.span > f.span)]
        if table in ("r", "c"):
            marks = self.files("s")
            out = [f for f in out if f.span > 1 or _marked(f, marks)]
        return out

    def newer(self, table: str, after: int) -> tuple[int, list[PartFile], bool]:
        """The live files of ``table`` holding sequence numbers above ``after``.

        For folding the parts incrementally (a reader that has folded every number up
        to ``after`` reads only these).  Returns ``(hi, files, whole)``: ``hi`` the
        highest number now live; ``whole`` is True when a live file holds numbers on
        both sides of ``after`` (a compaction merged folded and new parts) or nothing
        above ``after`` is live any more (files were removed): then ``files`` are all the
        live files and the reader starts over from them.
        """
        live = self.live(table)
        hi = max((f.hi for f in live), default=0)
        if hi < after or any(f.lo <= after < f.hi for f in live):
            return hi, live, True
        return max(hi, after), [f for f in live if f.lo > after], False

    def signature(self) -> tuple[str, ...]:
        """Names of the live files of every table: changes whenever the rows do."""
        return tuple(f"{t}/{f.path.name}" for t in TABLES for f in self.live(t))

    # -- writing ------------------------------------------------------------------------

    def _next_seq(self) -> int:
        if self._seq is None:
            self._seq = max((f.hi for t in TABLES for f in self.files(t)), default=0)
        self._seq += 1
        return self._seq

    def append(self, tables: Tables) -> list[Path]:
        """Write the rows of ``tables`` as one new part per non-empty table.

        Returns the paths written (none when every table is empty).
        """
        import pyarrow.parquet as pq

        arrow = arrow_tables(tables)
        written = []
        with self._write_lock:
            seq = self._next_seq()
            for table in _WRITE_ORDER:
                data = arrow[table]
                if data.num_rows == 0:
                    continue
                dest = self.root / table / _name(seq, seq)
                with atomic_output(dest) as tmp:
                    pq.write_table(data, tmp, compression="zstd")
                written.append(dest)
        return written

    def _level(self, f: PartFile) -> int:
        level, span = 0, f.span
        while span >= self.fanout:
            span //= self.fanout
            level += 1
        return level

    def pending_compaction(self, table: str) -> list[PartFile]:
        """The newest run of ``fanout`` neighbouring live files of one level, or []."""
        live = self.live(table)
        run: list[PartFile] = []
        for f in live:
            if run and (self._level(f) != self._level(run[-1]) or f.lo != run[-1].hi + 1):
                run = []
            run.append(f)
            if len(run) == self.fanout:
                return run
        return []

    def compact(self, table: str | None = None) -> int:
        """Merge runs of ``fanout`` same-level files until none is left; files merged.

        The merged file is written atomically before its inputs are deleted; see the
        module docstring for why a crash at any point leaves a consistent view.
        """
        import duckdb

        merged = 0
        with self._compact_lock:
            with self._write_lock:  # no append is half-way through its temp file
                self.remove_leftovers()
            for name in TABLES if table is None else (table,):
                while run := self.pending_compaction(name):
                    dest = self.root / name / _name(run[0].lo, run[-1].hi)
                    con = duckdb.connect(":memory:")
                    try:
                        write_parquet_atomically(con, f"SELECT * FROM {scan_sql(run)}", dest)
                    finally:
                        con.close()
                    for f in run:
                        f.path.unlink(missing_ok=True)
                    merged += len(run)
        return merged

    def remove_leftovers(self) -> int:
        """Delete temp files of a crashed writer and files a merged file covers.

        Call it only while no append or compaction of this store runs (:meth:`compact`
        does, holding both locks).
        """
        removed = 0
        marks = self.files("s")
        for table in TABLES:
            folder = self.root / table
            if not folder.is_dir():
                continue
            for path in folder.glob(".*.tmp"):
                path.unlink(missing_ok=True)
                removed += 1
            live = set(self.live(table))
            for f in self.files(table):
                half = table in ("r", "c") and f.span == 1 and not _marked(f, marks)
                if f not in live or half:
                    f.path.unlink(missing_ok=True)
                    removed += 1
        return removed

    # -- reading ------------------------------------------------------------------------

    def connect(self) -> Any:
        """A DuckDB connection with the views ``r``, ``m``, ``e`` and ``results``.

        The views read the files live at the time of the call; a query racing a
        compaction may find a file gone (retry with a new connection, see :meth:`query`).
        """
        import duckdb

        con = duckdb.connect(":memory:")
        empty = arrow_tables(Tables())
        for table in TABLES:
            live = self.live(table)
            if live:
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM {scan_sql(live)}")
            else:
                con.register(f"_empty_{table}", empty[table])
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM _empty_{table}")
        con.execute(f"CREATE VIEW results AS {results_view_sql(con)}")
        return con

    def query(
        self, sql: str, params: Iterable[Any] | Mapping[str, Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run ``sql`` over the views of :meth:`connect`.

        Raises
        ------
        AggregateError
            If the query fails (DuckDB's message included).
        """
        import duckdb

        for attempt in range(3):
            con = None
            try:
                con = self.connect()
                cursor = con.execute(sql) if params is None else con.execute(sql, params)
                if cursor.description is None:
                    return [], []
                return [d[0] for d in cursor.description], cursor.fetchall()
            except duckdb.IOException as exc:
                if attempt == 2:
                    raise AggregateError(f"{self.root}: cannot read the parts: {exc}") from None
                log.info("a part was compacted away while reading; listing again")
            except duckdb.Error as exc:
                raise AggregateError(f"query failed: {exc}") from None
            finally:
                if con is not None:
                    con.close()
        raise AssertionError("unreachable")

    def result_ids(self) -> set[str]:
        """Ids of the results held (one query over the parts)."""
        return {row[0] for row in self.query("SELECT result_id FROM s")[1]}

    def info_keys(self) -> set[tuple[str, str]]:
        """``(kind, id)`` of the machine and environment documents held."""
        _, rows = self.query(
            "SELECT 'machine', machine_id FROM m UNION ALL "
            "SELECT 'environment', environment_id FROM e"
        )
        return {(str(k), str(i)) for k, i in rows}


def _marked(f: PartFile, marks: list[PartFile]) -> bool:
    return any(m.lo <= f.lo <= m.hi for m in marks)


def scan_sql(files: Iterable[PartFile]) -> str:
    """DuckDB's ``read_parquet`` of ``files`` (columns matched by name)."""
    paths = ", ".join("'" + str(f.path).replace("'", "''") + "'" for f in files)
    return f"read_parquet([{paths}], union_by_name = true)"
