"""Read endpoints: ``/results``, ``/results/<id>``, ``/machines``, ``/environments``."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from flask_app._request import service
from flask_app.errors import ApiError

bp = Blueprint("results", __name__)

_HEX = re.compile(r"^[0-9a-f]{4,64}$")
_ID = re.compile(r"^[0-9a-f]{64}$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_NAME = re.compile(r"^[A-Za-z0-9._:+-]{1,100}$")


def _arg(name: str, pattern: re.Pattern[str], what: str) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not pattern.match(value):
        raise ApiError(400, f"query parameter {name!r}: expected {what}, got {value[:80]!r}")
    return value


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"query parameter {name!r}: expected an integer") from None
    if not low <= value <= high:
        raise ApiError(400, f"query parameter {name!r}: must be between {low} and {high}")
    return value


@bp.get("/results")
def list_results() -> ResponseReturnValue:
    """List stored results, newest first.
    ---
    tags: [results]
    description: An empty query parameter counts as absent.
    parameters:
      - name: machine
        in: query
        allowEmptyValue: true
        schema: {type: string, pattern: "^[0-9a-f]{4,64}$"}
        description: machine id (or a prefix of at least 4 hex characters)
      - name: environment
        in: query
        allowEmptyValue: true
        schema: {type: string, pattern: "^[0-9a-f]{4,64}$"}
        description: environment id (or a prefix)
      - name: modality
        in: query
        allowEmptyValue: true
        schema: {type: string, pattern: "^[A-Za-z0-9._:+-]{1,100}$"}
        description: "e.g. cryoet"
      - name: codec
        in: query
        allowEmptyValue: true
        schema: {type: string, pattern: "^[A-Za-z0-9._:+-]{1,100}$"}
        description: "e.g. blosc-zstd-5-shuffle"
      - name: date
        in: query
        allowEmptyValue: true
        schema: {type: string, pattern: "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"}
        description: YYYY, YYYY-MM or YYYY-MM-DD (UTC)
      - name: since
        in: query
        allowEmptyValue: true
        schema: {type: string, pattern: "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"}
        description: "YYYY-MM-DD (or YYYY, YYYY-MM), inclusive"
      - name: until
        in: query
        allowEmptyValue: true
        schema: {type: string, pattern: "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"}
        description: "YYYY-MM-DD (or YYYY, YYYY-MM), inclusive"
      - name: limit
        in: query
        allowEmptyValue: true
        schema: {type: integer, minimum: 1, maximum: 1000, default: 100}
      - name: offset
        in: query
        allowEmptyValue: true
        schema: {type: integer, minimum: 0, maximum: 1000000000, default: 0}
    responses:
      200:
        description: Matching results (summaries).
        content:
          application/json:
            schema: {$ref: '#/components/schemas/ResultList'}
      400: {$ref: '#/components/responses/BadRequest'}
    """
    machine = _arg("machine", _HEX, "a hex machine id")
    environment = _arg("environment", _HEX, "a hex environment id")
    modality = _arg("modality", _NAME, "a modality id")
    codec = _arg("codec", _NAME, "a codec id")
    date = _arg("date", _DATE, "YYYY, YYYY-MM or YYYY-MM-DD")
    since = _arg("since", _DATE, "YYYY-MM-DD")
    until = _arg("until", _DATE, "YYYY-MM-DD")
    limit = _int_arg("limit", 100, 1, 1000)
    offset = _int_arg("offset", 0, 0, 10**9)

    matches: list[dict[str, Any]] = []
    for entry in service().store.entries("result"):
        meta = entry.meta
        stamp = meta.get("timestamp") or ""
        if machine and not meta.get("machine_id", "").startswith(machine):
            continue
        if environment and not meta.get("environment_id", "").startswith(environment):
            continue
        if modality and modality not in meta.get("modalities", ()):
            continue
        if codec and codec not in meta.get("codecs", ()):
            continue
        if date and not stamp.startswith(date):
            continue
        if since and stamp[: len(since)] < since:
            continue
        if until and stamp[: len(until)] > until:
            continue
        matches.append({"id": entry.id, "path": entry.path, "state": entry.state, **meta})
    matches.sort(key=lambda m: (m.get("timestamp") or "", m["id"]), reverse=True)
    return jsonify(
        {
            "count": len(matches),
            "limit": limit,
            "offset": offset,
            "results": matches[offset : offset + limit],
        }
    )


def _document(kind: str, ident: str) -> ResponseReturnValue:
    if not _ID.match(ident):
        raise ApiError(404, f"no {kind} with id {ident[:80]!r} (ids are 64 hex characters)")
    store = service().store
    entry = store.get(kind, ident)
    if entry is None:
        raise ApiError(404, f"no {kind} with id {ident}")
    response = jsonify(store.read(entry))
    response.headers["X-Store-State"] = entry.state
    response.headers["X-Store-Path"] = entry.path
    return response


@bp.get("/results/<string:result_id>")
def get_result(result_id: str) -> ResponseReturnValue:
    """One stored result file.
    ---
    tags: [results]
    parameters:
      - name: result_id
        in: path
        required: true
        schema: {type: string, pattern: "^[0-9a-f]{64}$"}
    responses:
      200:
        description: The result document as stored; `X-Store-State` says pending/committed/stored.
        headers:
          X-Store-State: {description: "pending, committed or stored", schema: {type: string}}
          X-Store-Path: {description: path in the results repository, schema: {type: string}}
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Result'}
      404: {$ref: '#/components/responses/NotFound'}
    """
    return _document("result", result_id)


def _info_list(kind: str) -> list[dict[str, Any]]:
    store = service().store
    counts: dict[str, int] = {}
    for entry in store.entries("result"):
        key = entry.meta.get(f"{kind}_id") or ""
        counts[key] = counts.get(key, 0) + 1
    items = [
        {
            f"{kind}_id": e.id,
            "path": e.path,
            "state": e.state,
            **e.meta,
            "results": counts.get(e.id, 0),
        }
        for e in store.entries(kind)
    ]
    known = {e.id for e in store.entries(kind)}
    # Results may arrive before their info file: list those ids too.
    items += [
        {f"{kind}_id": k, "path": None, "state": "missing", "results": n}
        for k, n in counts.items()
        if k and k not in known
    ]
    items.sort(key=lambda item: item[f"{kind}_id"])
    return items


@bp.get("/machines")
def list_machines() -> ResponseReturnValue:
    """Machines with an info file or with results.
    ---
    tags: [machines]
    responses:
      200:
        description: Machine summaries with their number of results.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/MachineList'}
    """
    items = _info_list("machine")
    return jsonify({"count": len(items), "machines": items})


@bp.get("/machines/<string:machine_id>")
def get_machine(machine_id: str) -> ResponseReturnValue:
    """One machine info file.
    ---
    tags: [machines]
    parameters:
      - name: machine_id
        in: path
        required: true
        schema: {type: string, pattern: "^[0-9a-f]{64}$"}
    responses:
      200:
        description: The machine document.
        content: {application/json: {schema: {$ref: '#/components/schemas/MachineInfo'}}}
      404: {$ref: '#/components/responses/NotFound'}
    """
    return _document("machine", machine_id)


@bp.get("/environments")
def list_environments() -> ResponseReturnValue:
    """Environments with an info file or with results.
    ---
    tags: [environments]
    responses:
      200:
        description: Environment summaries with their number of results.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/EnvironmentList'}
    """
    items = _info_list("environment")
    return jsonify({"count": len(items), "environments": items})


@bp.get("/environments/<string:environment_id>")
def get_environment(environment_id: str) -> ResponseReturnValue:
    """One environment info file.
    ---
    tags: [environments]
    parameters:
      - name: environment_id
        in: path
        required: true
        schema: {type: string, pattern: "^[0-9a-f]{64}$"}
    responses:
      200:
        description: The environment document.
        content: {application/json: {schema: {$ref: '#/components/schemas/EnvironmentInfo'}}}
      404: {$ref: '#/components/responses/NotFound'}
    """
    return _document("environment", environment_id)
