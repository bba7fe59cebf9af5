"""OpenAPI 3 document (``/openapi.json``) and Swagger UI (``/docs``), fully offline.

Paths come from the YAML blocks in the view docstrings (parsed by flasgger); shared
components (schemas, responses, security) are declared with apispec.  Swagger UI's
assets are served by flasgger from its package; the templates in ``docs_templates/``
drop the web-font link of flasgger's default page so nothing is fetched from the web.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

TITLE = "zarr-benchmarks contribution service"


def register_docs_templates(app: Flask) -> None:
    """Register the template overrides (must come before flasgger's blueprint)."""
    app.register_blueprint(Blueprint("docs_templates", __name__, template_folder="docs_templates"))


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {
            "error": {"type": "string", "description": "Short title (HTTP status phrase)"},
            "detail": {"type": "string", "description": "What is wrong and where"},
            "path": {"type": "string", "description": "JSON path of a schema problem"},
        },
    }


def build_template() -> dict[str, Any]:
    """The OpenAPI skeleton with shared components, built with apispec."""
    from apispec import APISpec

    from zarr_benchmarks import __version__ as version

    spec = APISpec(
        title=TITLE,
        version=str(version),
        openapi_version="3.0.3",
        info={
            "description": "Contribute reduced benchmark results (docs/formats.md), browse "
            "them, and run benchmark jobs. Errors are JSON "
            '`{"error", "detail"}`.'
        },
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", _error_schema())
    spec.components.schema(
        "Receipt",
        {
            "type": "object",
            "properties": {
                "id": {"type": "string", "description": "result: content hash; info: its id"},
                "kind": {"type": "string", "enum": ["result", "machine", "environment"]},
                "path": {"type": "string", "description": "stored path, derived by the server"},
                "status": {"type": "string", "enum": ["accepted", "stored", "duplicate"]},
                "state": {"type": "string", "enum": ["pending", "committed", "stored"]},
            },
        },
    )
    spec.components.schema(
        "ResultList",
        {
            "type": "object",
            "properties": {
                "count": {"type": "integer"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "results": {"type": "array", "items": {"type": "object"}},
            },
        },
    )
    spec.components.schema(
        "Health",
        {
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": ["ok", "degraded"]},
                "store": {"type": "object"},
                "spool_depth": {"type": "integer"},
                "last_push": {"type": "object", "nullable": True},
                "jobs": {"type": "object"},
            },
        },
    )
    spec.components.schema(
        "BenchmarkRequest",
        {
            "type": "object",
            "required": ["dataset"],
            "properties": {
                "dataset": {
                    "type": "object",
                    "required": ["type", "shape"],
                    "properties": {
                        "name": {"type": "string"},
                        "type": {"type": "string", "example": "cryoet"},
                        "shape": {"type": "array", "items": {"type": "integer"}, "maxItems": 5},
                        "dtype": {"type": "string", "example": "uint16"},
                        "voxel_size": {"type": "array", "items": {"type": "number"}},
                    },
                },
                "benchmark": {
                    "type": "object",
                    "properties": {
                        "codecs": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
                        "compression_profile": {"type": "string"},
                        "num_runs": {"type": "integer", "minimum": 1, "maximum": 20},
                    },
                },
            },
        },
    )
    spec.components.schema(
        "JobStatus",
        {
            "type": "object",
            "properties": {
                "job_id": {"type": "string"},
                "status": {"type": "string", "enum": ["queued", "running", "completed", "failed"]},
                "results": {
                    "type": "object",
                    "description": "per-codec results and "
                    "best_write / best_read / best_compression (completed jobs)",
                },
                "error": {"type": "string", "description": "why the job failed"},
                "created_at": {"type": "string"},
                "started_at": {"type": "string", "nullable": True},
                "finished_at": {"type": "string", "nullable": True},
            },
        },
    )
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for name, text in {
        "Error": "Error",
        "BadRequest": "Malformed request (bad JSON, bad query parameter)",
        "Unauthorized": "No Bearer token (tokens are configured)",
        "Forbidden": "The Bearer token is not accepted",
        "NotFound": "No such item",
        "Conflict": "An info file with this id but other content exists",
        "TooLarge": "The body exceeds the size limit",
        "Invalid": "The document does not match its schema (`path` names the place)",
        "RateLimited": "Too many requests from this client; see Retry-After",
    }.items():
        spec.components.response(name, {"description": text, "content": error_content})
    return spec.to_dict()


def init_openapi(app: Flask) -> None:
    """Serve ``/openapi.json`` and Swagger UI at ``/docs/`` with flasgger."""
    from flasgger import Swagger

    config = {
        "openapi": "3.0.3",
        "title": TITLE,
        "uiversion": 3,
        "headers": [],
        "specs": [
            {
                "endpoint": "openapi",
                "route": "/openapi.json",
                "rule_filter": lambda rule: not rule.rule.startswith("/flasgger"),
                "model_filter": lambda tag: True,
            }
        ],
        "static_url_path": "/flasgger_static",
        "swagger_ui": True,
        "specs_route": "/docs/",
        "hide_top_bar": True,
        "footer_text": "",
        "head_text": "",
        "top_text": "",
    }
    Swagger(app, config=config, template=build_template(), merge=False)
