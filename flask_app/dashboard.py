"""The dashboard at ``/``: machines, a filterable results table and charts, all offline.

The page (``templates/dashboard/index.html``) loads ``static/dashboard.js`` and
``static/dashboard.css`` from this app (no CDN) and fetches ``/dashboard/data.json``.
That data comes from the store's Parquet parts (:mod:`flask_app.ingest`), queried with
DuckDB, never by re-reading every stored file: the answer is cached until the set of
parts changes, a new contribution adds one part, and the default view is folded
incrementally (only the parts newer than the fold are read, see :data:`_FOLDS`).
Medians and throughput follow the report's rules
(:mod:`zarr_benchmarks.analyse.report.table`: median of the finite samples, MB/s =
uncompressed array bytes / median seconds / 1e6), so the dashboard and
``zarr-benchmarks report`` show the same numbers.

Rows carry the preset and the array ``size``; "newest" is per machine, preset, size
and case (modality, codec, chunks), and the page shows one size at a time, so runs at different
array sizes are never mixed in one chart or median.  Charts are drawn client-side as
SVG by plain JavaScript.
"""

from __future__ import annotations

import logging
import math
import threading
import weakref
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue

from flask_app._request import service
from flask_app.errors import ApiError
from flask_app.ingest import REQUEST_BATCH, Ingestor, for_store
from zarr_benchmarks.share.aggregate import AggregateError, Tables, arrow_tables
from zarr_benchmarks.share.parts import PartStore, scan_sql

log = logging.getLogger(__name__)

bp = Blueprint(
    "dashboard",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/dashboard/static",
)

#: most rows ``?rows=all`` returns (newest results first); the rest is in ``db query``
ALL_ROWS_MAX = 50_000
_cache_lock = threading.Lock()
_cache: dict[tuple[int, str], tuple[tuple[Any, ...], bytes]] = {}


@bp.get("/")
def index() -> ResponseReturnValue:
    """The dashboard page (charts and table are filled in by JavaScript).
    ---
    tags: [dashboard]
    responses:
      200:
        description: An HTML page; its data comes from /dashboard/data.json.
        content:
          text/html: {}
    """
    return render_template("dashboard/index.html")


@bp.get("/dashboard/data.json")
def data() -> ResponseReturnValue:
    """Everything the dashboard shows: machines, result rows, sizes and notes.
    ---
    tags: [dashboard]
    parameters:
      - name: rows
        in: query
        required: false
        description: "``latest`` (default): the newest row per machine, preset, size and
          parameters; ``all``: every run too (at most 50,000 rows, newest first)."
        schema: {type: string, enum: [latest, all]}
    responses:
      200:
        description: Machines, rows of modality/codec/chunks with preset, array size,
          ratio and write/read MB/s (``latest`` marks each machine's newest row per
          preset and size), the sizes present, and notes.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/DashboardData'}
      400: {$ref: '#/components/responses/BadRequest'}
      503: {$ref: '#/components/responses/Unavailable'}
    """
    mode = request.args.get("rows", "latest")
    if mode not in {"latest", "all"}:
        raise ApiError(400, f"rows: expected 'latest' or 'all', got {mode[:40]!r}")
    if not _db_libraries():
        raise ApiError(
            503, "the dashboard needs duckdb and pyarrow (pip install 'zarr-benchmarks[db]')"
        )
    return _json(_answer(for_store(service().store), mode))


def _answer(ingestor: Ingestor, mode: str) -> bytes:
    """The serialised ``data.json`` body for ``mode``, from the cache while the parts are
    unchanged (needs an app context: the app's JSON provider encodes it)."""
    left = ingestor.catch_up_for_request(REQUEST_BATCH)  # e.g. spooled, not yet committed
    if left:
        ingestor.catch_up_in_background()
    key = (ingestor.parts.signature(), tuple(sorted(ingestor.notes.values())), left)
    with _cache_lock:
        cached = _cache.get((id(ingestor), mode))
        if cached is not None and cached[0] == key:
            return cached[1]
    payload = build_payload(ingestor, all_rows=mode == "all")
    if left:
        payload["notes"].append(f"{left} stored file(s) are still being added to the dashboard")
    with _cache_lock:
        for k in [k for k in _cache if k[0] != id(ingestor)]:
            del _cache[k]  # one store per app; keep only its newest payloads
        # the serialised body: a cached answer costs no re-encoding of thousands of rows
        body = current_app.json.dumps(payload).encode()
        _cache[(id(ingestor), mode)] = (key, body)
    return body


def _db_libraries() -> bool:
    """Whether duckdb and pyarrow (the ``db`` extra) are installed."""
    try:
        import duckdb  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _json(body: bytes) -> Response:
    return Response(body, mimetype="application/json")


#: the rules, each stated once: the newest version of each machine document; the newest
#: result per machine, preset, size and case (a group-by: no window over every row); the
#: machine columns the page shows
_NEWEST_MACHINE = (
    "SELECT * FROM {src} QUALIFY row_number() OVER "
    "(PARTITION BY machine_id ORDER BY ingest_seq DESC) = 1"
)
_NEWEST_CASE = """SELECT arg_max(result_id, (timestamp, result_id)) AS result_id,
       modality, codec, chunks
FROM {src} GROUP BY machine_id, preset, size, modality, codec, chunks"""
_MACHINE_FIELDS = """SELECT {counts}.machine_id, n, machine_name, cpu_model, cpu_logical_cores,
       memory_total_bytes, machine_system, machine_release
FROM {counts} LEFT JOIN {machines} USING (machine_id)"""

#: ``?rows=all``: every row of the cases table with ``latest`` marked
_ROWS_SQL = f"""
WITH mm AS ({_NEWEST_MACHINE.format(src="m")}), pick AS ({_NEWEST_CASE.format(src="c")})
SELECT c.*, pick.result_id IS NOT NULL AS latest, mm.machine_name
FROM c LEFT JOIN pick USING (result_id, modality, codec, chunks)
LEFT JOIN mm USING (machine_id)
ORDER BY timestamp DESC, result_id LIMIT {ALL_ROWS_MAX + 1}
"""
_MACHINES_SQL = f"""
WITH mm AS ({_NEWEST_MACHINE.format(src="m")}),
counts AS (SELECT machine_id, count(*) AS n FROM s GROUP BY 1)
{_MACHINE_FIELDS.format(counts="counts", machines="mm")}
"""

#: The default (``latest``) view is folded incrementally, table by table: the folded
#: rows of a table (``prev``) and its parts newer than the fold (``new``) give the new
#: fold, so one more contribution costs a query over its own small part and the few
#: thousand folded rows, not over every stored result.  Each fold applies the same rule
#: as the query over all the parts above (``?rows=all``).
_FOLDS = {
    # newest result per machine, preset, size and case, all of its case row
    "c": (
        "SELECT * FROM {new}",
        "SELECT src.* FROM src JOIN ("
        + _NEWEST_CASE.format(src="src")
        + ") AS pick USING (result_id, modality, codec, chunks)",
    ),
    # results per machine
    "s": (
        "SELECT machine_id, count(*) AS n FROM {new} GROUP BY 1",
        "SELECT machine_id, sum(n)::BIGINT AS n FROM src GROUP BY 1",
    ),
    # newest version of each machine document
    "m": ("SELECT * FROM {new}", _NEWEST_MACHINE.format(src="src")),
}
_MACHINES_OF_FOLD = _MACHINE_FIELDS.format(counts="s", machines="m")


class _Fold:
    """The folded rows of the tables of :data:`_FOLDS` for one parts folder."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hi: dict[str, int] = dict.fromkeys(_FOLDS, 0)
        self.rows: dict[str, Any] = {}

    def update(self, parts: PartStore) -> None:
        """Fold the parts written since the last call (all of them the first time)."""
        import duckdb

        for table, (project, fold) in _FOLDS.items():
            for attempt in range(3):
                hi, files, whole = parts.newer(table, self.hi[table])
                prev = None if whole else self.rows.get(table)
                if not files and prev is not None:
                    break
                con = duckdb.connect(":memory:")
                try:
                    if files:
                        sql = project.format(new=scan_sql(files))
                    else:  # nothing yet: the table's typed, empty rows
                        con.register("empty", arrow_tables(Tables())[table])
                        sql = project.format(new="empty")
                    if prev is not None:
                        con.register("prev", prev)
                        sql = f"SELECT * FROM prev UNION ALL BY NAME ({sql})"
                    con.execute(f"CREATE TEMP VIEW src AS {sql}")
                    self.rows[table] = con.sql(fold).to_arrow_table()
                    self.hi[table] = hi
                    break
                except duckdb.IOException:  # a part was compacted away: list again
                    if attempt == 2:
                        raise
                finally:
                    con.close()

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        import duckdb

        con = duckdb.connect(":memory:")
        try:
            for table, rows in self.rows.items():
                con.register(table, rows)
            cursor = con.execute(sql)
            return [d[0] for d in cursor.description], cursor.fetchall()
        finally:
            con.close()


_folds: weakref.WeakKeyDictionary[PartStore, _Fold] = weakref.WeakKeyDictionary()


def _latest(parts: PartStore) -> tuple[list[str], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Columns and rows of the newest cases, and the machine rows, from the fold."""
    with _cache_lock:
        fold = _folds.setdefault(parts, _Fold())
    with fold.lock:
        fold.update(parts)
        columns, rows = fold.query("SELECT *, true AS latest FROM c")
        _, machines = fold.query(_MACHINES_OF_FOLD)
    return columns, rows, machines


def warm_up(app: Flask, store: Any) -> threading.Thread | None:
    """Build the default ``data.json`` answer in a background thread, so the first
    request after a start is served from the cache (at 100,000 results folding every
    part and building the answer takes about a second).

    Returns the thread, or None when the dashboard's libraries are not installed.
    """
    if not _db_libraries():
        return None

    def build() -> None:
        try:
            with app.app_context():
                _answer(for_store(store), "latest")
        except Exception as exc:  # the first request builds (and reports) instead
            log.info("dashboard warm-up skipped: %s", exc)

    thread = threading.Thread(target=build, name="dashboard-warm-up", daemon=True)
    thread.start()
    return thread


def build_payload(ingestor: Ingestor, *, all_rows: bool = False) -> dict[str, Any]:
    """Build the ``data.json`` document from the parts' cases and results tables."""
    import duckdb

    from zarr_benchmarks.analyse.report.table import FALLBACK_SIZE, array_nbytes

    parts = ingestor.parts
    if all_rows:
        columns, records = parts.query(_ROWS_SQL)
        _, machine_records = parts.query(_MACHINES_SQL)
    else:
        try:
            columns, records, machine_records = _latest(parts)
        except duckdb.Error as exc:
            raise AggregateError(f"{parts.root}: cannot read the parts: {exc}") from None
    notes = sorted(ingestor.notes.values())
    truncated = all_rows and len(records) > ALL_ROWS_MAX
    if truncated:
        records = records[:ALL_ROWS_MAX]
        notes.append(
            f"only the newest {ALL_ROWS_MAX} rows are shown; query the rest with "
            "`zarr-benchmarks db query --db <instance>/aggregate/parts`"
        )
    names = {mid: name or f"machine {str(mid)[:8]}" for mid, _, name, *_ in machine_records}
    missing = sorted(str(mid)[:8] for mid, _, name, *_ in machine_records if name is None)
    if missing:
        notes.append("no info_machine file for " + ", ".join(missing) + "; shown by id")

    rows = []
    unknown_size: set[str] = set()
    for rec in records:
        r = dict(zip(columns, rec, strict=True))
        size = r["size"]
        if size is None:
            unknown_size.add(str(r["preset"]))
        nbytes = array_nbytes(r["modality"], size or FALLBACK_SIZE)
        stamp = r["timestamp"]
        rows.append(
            {
                "result_id": r["result_id"],
                "machine_id": r["machine_id"],
                "machine": names.get(r["machine_id"], f"machine {str(r['machine_id'])[:8]}"),
                "timestamp": stamp.strftime("%Y-%m-%d-%H-%M-%S") if stamp else None,
                "commit": (r["commit_hash"] or "")[:12],
                "preset": r["preset"],
                "size": size or FALLBACK_SIZE,
                "size_known": size is not None,
                "modality": r["modality"],
                "codec": r["codec"],
                "chunks": r["chunks"],
                "ratio": _finite(r["ratio"]),
                "write_mb_s": _mb_s(nbytes, r["write_s"]),
                "read_mb_s": _mb_s(nbytes, r["read_s"]),
                "status": "failed" if r["failed"] else "ok",
                "latest": bool(r["latest"]),
            }
        )
    if unknown_size:
        notes.append(
            "array size unknown for preset(s) "
            + ", ".join(sorted(unknown_size))
            + f"; throughput assumes the '{FALLBACK_SIZE}' size"
        )
    rows.sort(
        key=lambda r: (
            r["size"],
            r["modality"],
            r["machine"],
            r["codec"],
            r["chunks"],
            r["timestamp"] or "",
        )
    )
    machine_rows = [
        {
            "machine_id": mid,
            "name": names[mid],
            "cpu": cpu,
            "cores": cores,
            "memory_bytes": memory,
            "os": " ".join(str(x) for x in (system, release) if x),
            "results": int(n),
        }
        for mid, n, _, cpu, cores, memory, system, release in machine_records
    ]
    machine_rows.sort(key=lambda m: (m["name"], m["machine_id"]))
    sizes: dict[str, int] = {}
    for row in rows:
        if row["latest"]:
            sizes[row["size"]] = sizes.get(row["size"], 0) + 1
    return {
        "machines": machine_rows,
        "rows": rows,
        "rows_mode": "all" if all_rows else "latest",
        "sizes": sorted(sizes, key=lambda s: (-sizes[s], s)),
        "results": sum(m["results"] for m in machine_rows),
        "notes": notes,
    }


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _mb_s(nbytes: int | None, seconds: float | None) -> float | None:
    if not nbytes or seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return None
    return nbytes / seconds / 1e6
