"""``POST /contribute``: store one result, machine-info or environment-info file."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from flask_app._request import json_body, service
from flask_app.auth import require_write_token
from flask_app.errors import ApiError

bp = Blueprint("contribute", __name__)

#: longest ``?wait=`` a client may ask for, in seconds
MAX_WAIT = 30.0


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
        description: Wait up to this many seconds (max 30) for the push; 201 if it happened.
        schema: {type: number, minimum: 0, maximum: 30}
    requestBody:
      required: true
      content:
        application/json:
          schema: {type: object, description: "A result, machine or environment document"}
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
      415: {$ref: '#/components/responses/Error'}
      422: {$ref: '#/components/responses/Invalid'}
      429: {$ref: '#/components/responses/RateLimited'}
      503: {$ref: '#/components/responses/Error'}
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
    if wait and svc.store.wait_stored(entry, wait):
        return {**body, "status": "stored", "state": entry.state}, 201, headers
    return {**body, "status": "accepted", "state": entry.state}, 202, headers


def _wait_seconds() -> float:
    raw = request.args.get("wait")
    if raw is None or raw == "":
        return 0.0
    try:
        wait = float(raw)
    except ValueError:
        raise ApiError(400, f"query parameter 'wait': expected seconds, got {raw!r}") from None
    if not 0 <= wait <= MAX_WAIT:
        raise ApiError(400, f"query parameter 'wait': must be between 0 and {MAX_WAIT:g}")
    return wait
