"""``GET /health``: store, spool depth, last push, jobs."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from flask_app._request import service

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Service health.
    ---
    tags: [service]
    responses:
      200:
        description: >
          The service works. `status` is `degraded` (and `problems` says why) while
          pushes fail, a push has run longer than `PUSH_STALL_AFTER` seconds
          (`push_in_progress` gives its start), the remote cannot be reached, or a
          writer step fails (`last_error`); contributions are still accepted and kept
          in the spool.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Health'}
      503:
        description: The store writer is not running.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Health'}
    """
    svc = service()
    body = svc.store.health()
    body["jobs"] = svc.jobs.counts()
    body["debug"] = svc.config.debug
    response = jsonify(body)
    response.status_code = 200 if body["store"]["writer_alive"] else 503
    return response
