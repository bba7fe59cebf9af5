"""``GET /contributions/<id>``: what became of one accepted contribution."""

from __future__ import annotations

import re

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from flask_app._request import service
from flask_app.errors import ApiError

bp = Blueprint("contributions", __name__)

_ID = re.compile(r"^[0-9a-f]{64}$")


@bp.get("/contributions/<ident>")
def contribution_status(ident: str) -> ResponseReturnValue:
    """State of one contribution (the `id` answered by `POST /contribute`).
    ---
    tags: [contribute]
    parameters:
      - name: ident
        in: path
        required: true
        schema: {type: string, pattern: '^[0-9a-f]{64}$'}
        description: the `id` of the contribution
    responses:
      200:
        description: >
          `state` is `pending` (spooled, not committed yet), `committed` (waiting for a
          push to the results repository), `stored` (in the results repository) or
          `conflict`: an info file accepted (202) while the remote could not be reached
          whose id was stored meanwhile with other content; it was not stored, the
          stored version was kept, and `conflicts` says why (the document is kept on
          the server). Send it again with a new id.
        content:
          application/json:
            schema:
              type: object
              required: [id, kind, state, conflicts]
              properties:
                id: {type: string}
                kind: {type: string, enum: [result, machine, environment]}
                state: {type: string, enum: [pending, committed, stored, conflict]}
                path: {type: string, nullable: true}
                stored_sha256: {type: string, nullable: true}
                conflicts:
                  type: array
                  items:
                    type: object
                    properties:
                      kind: {type: string}
                      id: {type: string}
                      sha256: {type: string}
                      reason: {type: string}
                      at: {type: string}
      400: {$ref: '#/components/responses/BadRequest'}
      404: {$ref: '#/components/responses/NotFound'}
    """
    if not _ID.match(ident):
        raise ApiError(
            400, f"contribution id: expected 64 lower-case hex characters, got {ident[:80]!r}"
        )
    status = service().store.contribution(ident)
    if status is None:
        raise ApiError(404, f"no contribution with id {ident} is known to this server")
    return jsonify(status)
