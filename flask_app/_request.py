"""Helpers shared by the blueprints: the service object and strict JSON bodies."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request

from flask_app.errors import ApiError


def service() -> Any:
    """The :class:`flask_app.Service` of the current app."""
    return current_app.extensions["zarr_benchmarks"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_body() -> Any:
    """Parse the request body as strict JSON (no NaN/Infinity).

    Raises
    ------
    ApiError
        415 for a non-JSON content type, 400 for an empty or malformed body.
        (413 for an oversized body is raised by Werkzeug from ``MAX_CONTENT_LENGTH``.)
    """
    mimetype = request.mimetype or ""
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError(415, f"expected Content-Type application/json, got {mimetype!r}")
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise ApiError(400, "the request body is empty; send one JSON document")
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
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
