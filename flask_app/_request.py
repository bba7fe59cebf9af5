"""Helpers shared by the blueprints: the service object and strict JSON bodies."""

from __future__ import annotations

import json
import math
from typing import Any

from flask import current_app, request

from flask_app.errors import ApiError


def service() -> Any:
    """The :class:`flask_app.Service` of the current app."""
    return current_app.extensions["zarr_benchmarks"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


#: integers in a request body must fit a signed 64-bit integer (and so a float, and the
#: aggregate's int64 columns); anything larger is refused with 422
INT_LIMIT = 2**63


def _json_path(parts: list[Any]) -> str:
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


def _bad_number(document: Any) -> tuple[str, str] | None:
    """``(JSON path, reason)`` of the first number in ``document`` that is not usable.

    Floats must be finite (``1e999`` parses as infinity) and integers must lie in
    ``[-2**63, 2**63)``; booleans are not numbers here.
    """
    stack: list[tuple[Any, list[Any]]] = [(document, [])]
    while stack:
        value, parts = stack.pop()
        if isinstance(value, bool):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            return _json_path(parts), "a number is not finite (too large for a float)"
        if isinstance(value, int) and not -INT_LIMIT <= value < INT_LIMIT:
            return _json_path(parts), "an integer is outside the 64-bit range"
        if isinstance(value, dict):
            stack.extend((v, [*parts, str(k)]) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((v, [*parts, i]) for i, v in reversed(list(enumerate(value))))
    return None


def json_body() -> Any:
    """Parse the request body as strict JSON (no NaN/Infinity, no out-of-range numbers).

    Raises
    ------
    ApiError
        415 for a missing or non-JSON content type, 400 for an empty or malformed body, 422 (with
        the JSON path) for a number that is not finite (``1e999``) or an integer outside
        the signed 64-bit range.
        (413 for an oversized body is raised by Werkzeug from ``MAX_CONTENT_LENGTH``.)
    """
    mimetype = request.mimetype or ""
    if not mimetype:
        raise ApiError(415, "the request has no Content-Type; send application/json")
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError(415, f"expected Content-Type application/json, got {mimetype!r}")
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise ApiError(400, "the request body is empty; send one JSON document")
    try:
        text = raw.decode("utf-8")
        document = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"the request body is not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            f"the request body is not valid JSON: {exc.msg} at line "
            f"{exc.lineno}, column {exc.colno}",
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}") from None
    bad = _bad_number(document)
    if bad is not None:
        path, reason = bad
        raise ApiError(422, f"{path}: {reason}", path=path)
    return document
