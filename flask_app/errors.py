"""JSON errors: every failure is ``{"error": ..., "detail": ...}`` with its status code.

Handlers are registered for :class:`ApiError`, every :class:`HTTPException` (404, 405,
413, 429, ...) and any other exception (500, logged server-side, never a traceback).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered to the client as JSON.

    Parameters
    ----------
    status
        HTTP status code.
    detail
        Human-readable explanation naming what is wrong and where.
    error
        Short title; defaults to the status phrase.
    headers
        Extra response headers (e.g. ``WWW-Authenticate``, ``Retry-After``).
    extra
        Extra JSON members (e.g. ``path`` of a schema error).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        error: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.error = error
        self.headers = headers or {}
        self.extra = extra


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_response(
    status: int,
    detail: str,
    error: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ResponseReturnValue:
    """Build the JSON error response."""
    body = {"error": error or _phrase(status), "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the JSON error handlers on ``app``."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> ResponseReturnValue:
        return error_response(exc.status, exc.detail, exc.error, exc.headers, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        headers = {}
        original = exc.get_response()
        for key in ("Allow", "Retry-After", "WWW-Authenticate", "Location"):
            if key in original.headers:
                headers[key] = original.headers[key]
        detail = exc.description or _phrase(status)
        if status == 429:
            detail = f"rate limit exceeded ({exc.description}); retry later"
        return error_response(status, detail, exc.name, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error")
        return error_response(500, "an unexpected error occurred; it has been logged")
