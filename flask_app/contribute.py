"""``POST /contribute``: store one result, machine-info or environment-info file.

``?wait=SECONDS`` holds the request thread until the push (or the timeout), so at most
``WAIT_SLOTS`` requests wait at once: beyond that the answer is the usual 202 at once,
with a ``note`` saying the wait was skipped.  During a push outage, waiting clients
therefore cannot take every request thread from ``/health`` and plain contributions.
"""

from __future__ import annotations

import threading

from flask import Blueprint, current_app, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from flask_app._request import json_body, service
from flask_app.auth import require_write_token
from flask_app.errors import ApiError

bp = Blueprint("contribute", __name__)

_SLOTS = "zarr_benchmarks.wait_slots"


@bp.record_once
def _make_wait_slots(state: BlueprintSetupState) -> None:
    slots = state.app.extensions["zarr_benchmarks"].config.wait_slots
    state.app.extensions[_SLOTS] = threading.BoundedSemaphore(slots) if slots else None


@bp.post("/contribute")
@require_write_token
def contribute() -> ResponseReturnValue:
    """Contribute one result, machine or environment file.
    ---
    tags: [contributions]
    summary: Contribute one file (docs/formats.md)
    description: >
      The body is validated against the JSON Schema of its `kind`.  The server derives
      the stored path from the kind, the ids and the content hash; nothing the client
      names is used as a path.  The file is written to a durable spool before the answer;
      a background writer commits and pushes it to the results repository.
      Re-sending identical content answers 200 and stores nothing new.
    security:
      - bearerAuth: []
      - {}
    parameters:
      - name: wait
        in: query
        required: false
        allowEmptyValue: true
        description: >
          Wait up to this many seconds (max 30, `ZARR_BENCHMARKS_WAIT_MAX`) for the push;
          201 if it happened; empty or absent: no wait.  When `ZARR_BENCHMARKS_WAIT_SLOTS`
          requests are already waiting, the answer is 202 at once with a `note` saying so.
        schema: {type: number, minimum: 0, maximum: 30}
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Contribution'}
    responses:
      200:
        description: Identical content is already stored or spooled.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Receipt'}
      201:
        description: Stored and pushed (only with `wait`).
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Receipt'}
      202:
        description: Accepted and durably spooled; the push is pending.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Receipt'}
      400: {$ref: '#/components/responses/BadRequest'}
      401: {$ref: '#/components/responses/Unauthorized'}
      403: {$ref: '#/components/responses/Forbidden'}
      409: {$ref: '#/components/responses/Conflict'}
      413: {$ref: '#/components/responses/TooLarge'}
      415: {$ref: '#/components/responses/UnsupportedMediaType'}
      422: {$ref: '#/components/responses/Invalid'}
      429: {$ref: '#/components/responses/RateLimited'}
      503: {$ref: '#/components/responses/Unavailable'}
    """
    from flask_app.store import ConflictError, DocumentError

    wait = _wait_seconds()
    document = json_body()
    try:
        from zarr_benchmarks.results.schemas import SchemaError, validate
    except ImportError:
        raise ApiError(503, "schema validation is not available on this server") from None
    try:
        validate(document)
    except SchemaError as exc:
        path = getattr(exc, "path", "$")
        raise ApiError(422, str(exc), path=path) from None
    svc = service()
    try:
        entry, created = svc.store.submit(document)
    except DocumentError as exc:
        raise ApiError(422, str(exc), path=str(exc).split(":", 1)[0]) from None
    except ConflictError as exc:
        raise ApiError(409, str(exc)) from None
    body = {"id": entry.id, "kind": entry.kind, "path": entry.path}
    headers = {}
    if entry.kind == "result":
        headers["Location"] = f"/results/{entry.id}"
    if not created:
        return {**body, "status": "duplicate", "state": entry.state}, 200, headers
    if wait:
        slots = current_app.extensions[_SLOTS]
        if slots is None or not slots.acquire(blocking=False):
            limit = svc.config.wait_slots
            note = (
                f"did not wait for the push: {limit} requests are already waiting "
                "(ZARR_BENCHMARKS_WAIT_SLOTS); the file is spooled and will be pushed"
            )
            return {**body, "status": "accepted", "state": entry.state, "note": note}, 202, headers
        try:
            if svc.store.wait_stored(entry, wait):
                return {**body, "status": "stored", "state": entry.state}, 201, headers
        finally:
            slots.release()
    return {**body, "status": "accepted", "state": entry.state}, 202, headers


def _wait_seconds() -> float:
    raw = request.args.get("wait")
    if raw is None or raw == "":
        return 0.0
    try:
        wait = float(raw)
    except ValueError:
        raise ApiError(400, f"query parameter 'wait': expected seconds, got {raw!r}") from None
    limit = service().config.wait_max
    if not 0 <= wait <= limit:
        raise ApiError(400, f"query parameter 'wait': must be between 0 and {limit:g}")
    return wait
