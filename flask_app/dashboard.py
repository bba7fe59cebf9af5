"""Placeholder landing page at ``/`` (the real dashboard replaces this module)."""

from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("dashboard", __name__)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zarr-benchmarks</title></head>
<body>
<h1>zarr-benchmarks contribution service</h1>
<ul>
  <li><a href="docs/">API documentation (Swagger UI)</a></li>
  <li><a href="openapi.json">OpenAPI document</a></li>
  <li><a href="results">Results</a> &middot; <a href="machines">Machines</a>
      &middot; <a href="health">Health</a></li>
</ul>
</body></html>
"""


@bp.get("/")
def index() -> Response:
    """Landing page.
    ---
    tags: [dashboard]
    responses:
      200:
        description: A minimal HTML page linking to the API.
        content:
          text/html: {}
    """
    return Response(_PAGE, mimetype="text/html")
