"""JSON errors: every failure is ``{"error": ..., "detail": ...}`` with its status code.

Handlers are registered for :class:`ApiError`, every :class:`HTTPException` (404, 405,
413, 429, ...) and any other exception (500, logged server-side, never a traceback).
A value quoted in a message is cut to :data:`MAX_VALUE_CHARS` characters (with its
original length), so an invalid 3 MB string does not come back as a 3 MB answer.
"""

from __future__ import annotations

import logging
import re
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


#: longest quoted value kept in an error message (the rest is replaced by an ellipsis)
MAX_VALUE_CHARS = 200
#: longest error message, after cutting the quoted values
MAX_DETAIL_CHARS = 2000
# A quoted literal as repr() writes it (escapes included); one left open at the end of
# a message (cut by whoever built it) counts too.  Unrolled loops: linear time.
_QUOTED = re.compile(r"'[^'\\\n]*(?:\\.[^'\\\n]*)*(?:'|$)|\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*(?:\"|$)")


def _cut_value(match: re.Match[str]) -> str:
    text = match.group(0)
    quote = text[0]
    inner = text[1:-1] if len(text) > 1 and text.endswith(quote) else text[1:]
    if len(inner) <= MAX_VALUE_CHARS:
        return text
    return f"{quote}{inner[:MAX_VALUE_CHARS]}\u2026{quote} ({len(inner):,} characters)"


def shorten(text: str) -> str:
    """``text`` with every quoted value over :data:`MAX_VALUE_CHARS` characters cut.

    A value keeps its first characters, an ellipsis and its original length; a message
    still longer than :data:`MAX_DETAIL_CHARS` (an unquoted dump) is cut the same way.
    """
    if len(text) <= MAX_VALUE_CHARS:
        return text
    text = _QUOTED.sub(_cut_value, text)
    if len(text) > MAX_DETAIL_CHARS:
        text = f"{text[:MAX_DETAIL_CHARS]}\u2026 ({len(text):,} characters)"
    return text


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
    """Build the JSON error response (long quoted values cut, see :func:`shorten`)."""
    extra = {k: shorten(v) if isinstance(v, str) else v for k, v in extra.items()}
    body = {"error": error or _phrase(status), "detail": shorten(detail), **extra}
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
