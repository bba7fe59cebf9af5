"""The dashboard at ``/``: machines, a filterable results table and charts, all offline.

The page (``templates/dashboard/index.html``) loads ``static/dashboard.js`` and
``static/dashboard.css`` from this app (no CDN) and fetches ``/dashboard/data.json``,
which this blueprint builds from the store with the report's own table code
(:mod:`zarr_benchmarks.analyse.report.table`), so the dashboard and ``zarr-benchmarks report``
show the same numbers.  Charts are drawn client-side as SVG by plain JavaScript.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue

from flask_app._request import service

log = logging.getLogger(__name__)

bp = Blueprint(
    "dashboard",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/dashboard/static",
)

#: metrics the dashboard tabulates and charts (see zarr_benchmarks.analyse.report.table.METRICS)
_ROW_METRICS = ("write", "read", "ratio")
_cache_lock = threading.Lock()
_cache: dict[int, tuple[tuple[Any, ...], dict[str, Any]]] = {}


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
    """Everything the dashboard shows: machines, result rows and notes.
    ---
    tags: [dashboard]
    responses:
      200:
        description: Machines, one row per result and modality/codec/chunks with ratio
          and write/read MB/s (``latest`` marks each machine's newest row), and notes.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/DashboardData'}
      400: {$ref: '#/components/responses/BadRequest'}
      503: {$ref: '#/components/responses/Unavailable'}
    """
    store = service().store
    entries = {kind: store.entries(kind) for kind in ("result", "machine", "environment")}
    key = tuple(sorted((e.kind, e.id) for group in entries.values() for e in group))
    with _cache_lock:
        cached = _cache.get(id(store))
        if cached is not None and cached[0] == key:
            return jsonify(cached[1])
    payload = build_payload(store, entries)
    with _cache_lock:
        _cache.clear()  # one store per app; keep only the newest payload
        _cache[id(store)] = (key, payload)
    return jsonify(payload)


def _read_all(store: Any, entries: list[Any], notes: list[str]) -> list[tuple[str, Any]]:
    out = []
    for entry in entries:
        try:
            out.append((entry.id, store.read(entry)))
        except Exception as exc:  # a file vanished or is unreadable: show the rest
            log.warning("dashboard: cannot read %s %s: %s", entry.kind, entry.id, exc)
            notes.append(f"{entry.kind} {entry.id[:12]} could not be read and is left out")
    return out


def _usable_results(results: list[tuple[str, Any]], notes: list[str]) -> list[tuple[str, Any]]:
    """The results whose numbers convert to floats; the others are left out with a note."""
    from zarr_benchmarks.results.model import ResultDoc

    out = []
    for ident, doc in results:
        problems = ResultDoc(ident, doc).number_problems() if isinstance(doc, dict) else []
        if problems:
            log.warning("dashboard: leaving out result %s: %s", ident, problems[0])
            notes.append(
                f"result {ident[:12]} holds a number that cannot be converted to a float "
                "and is left out"
            )
            continue
        out.append((ident, doc))
    return out


def build_payload(store: Any, entries: dict[str, list[Any]]) -> dict[str, Any]:
    """Build the ``data.json`` document from the store's entries."""
    from zarr_benchmarks.analyse.report.table import latest, records_from_documents

    notes: list[str] = []
    machines = {
        doc.get("machine_id"): doc for _, doc in _read_all(store, entries["machine"], notes)
    }
    environments = {
        doc.get("environment_id"): doc for _, doc in _read_all(store, entries["environment"], notes)
    }
    results = _usable_results(_read_all(store, entries["result"], notes), notes)
    rs = records_from_documents(results, machines, environments)
    notes.extend(rs.notes)
    newest = {id(r) for r in latest(rs.records)}

    rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for r in rs.records:
        if r.metric not in _ROW_METRICS or not (r.modality and r.codec and r.chunks):
            continue
        row = rows.setdefault(
            (r.result_id, r.modality, r.codec, r.chunks),
            {
                "result_id": r.result_id,
                "machine_id": r.machine_id,
                "machine": r.machine_name,
                "timestamp": r.timestamp,
                "commit": r.commit_hash[:12],
                "preset": r.preset,
                "size": r.size,
                "modality": r.modality,
                "codec": r.codec,
                "chunks": r.chunks,
                "ratio": None,
                "write_mb_s": None,
                "read_mb_s": None,
                "status": "ok",
                "latest": False,
            },
        )
        if r.status != "ok":
            row["status"] = "failed" if r.status == "failed" else row["status"]
        value = r.value if r.metric == "ratio" else r.mb_s
        row["ratio" if r.metric == "ratio" else f"{r.metric}_mb_s"] = _finite(value)
        row["latest"] = row["latest"] or id(r) in newest

    machine_rows = []
    counts: dict[str, int] = {}
    for res in rs.results.values():
        counts[res["machine_id"]] = counts.get(res["machine_id"], 0) + 1
    for mid in sorted(counts, key=lambda m: (rs.machine_name(m), m)):
        doc = machines.get(mid) or {}
        hw = doc.get("hardware") or {}
        cpu = hw.get("cpu") or {}
        osinfo = doc.get("os") or {}
        machine_rows.append(
            {
                "machine_id": mid,
                "name": rs.machine_name(mid),
                "cpu": cpu.get("model"),
                "cores": cpu.get("logical_cores"),
                "memory_bytes": (hw.get("memory") or {}).get("total_bytes"),
                "os": " ".join(str(osinfo[k]) for k in ("system", "release") if osinfo.get(k)),
                "results": counts[mid],
            }
        )
    return {
        "machines": machine_rows,
        "rows": sorted(
            rows.values(),
            key=lambda r: (r["modality"], r["machine"], r["codec"], r["chunks"], r["timestamp"]),
        ),
        "results": len(rs.results),
        "notes": notes,
    }


def _finite(value: float | None) -> float | None:
    import math

    return value if value is not None and math.isfinite(value) else None
