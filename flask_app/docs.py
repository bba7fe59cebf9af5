"""OpenAPI 3 document (``/openapi.json``) and Swagger UI (``/docs``), fully offline.

Paths come from the YAML blocks in the view docstrings (parsed by flasgger); shared
components (schemas, responses, security) are declared here with apispec.  The request
bodies are the real ones: the contribution schemas are the package's own JSON Schemas
(:mod:`zarr_benchmarks.results.schemas`) and the webhook body is the runner's
``BENCHMARK_REQUEST_SCHEMA``, each converted to the OpenAPI 3.0 dialect by
:func:`openapi_schema` (Swagger UI 3, which flasgger ships, reads 3.0 only).  Swagger UI's
assets are served by flasgger from its package; the templates in ``docs_templates/`` drop
the web-font link of flasgger's default page so nothing is fetched from the web.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, Flask

from flask_app._request import INT_LIMIT

TITLE = "zarr-benchmarks contribution service"

#: component names of the contribution kinds (``kind`` -> schema name)
CONTRIBUTION_SCHEMAS = {
    "result": "Result",
    "machine": "MachineInfo",
    "environment": "EnvironmentInfo",
}

# JSON Schema keywords that OpenAPI 3.0 Schema Objects do not have.
_DROPPED = ("$schema", "$id", "$comment", "examples")


def register_docs_templates(app: Flask) -> None:
    """Register the template overrides (must come before flasgger's blueprint)."""
    app.register_blueprint(Blueprint("docs_templates", __name__, template_folder="docs_templates"))


# -- JSON Schema (2020-12) -> OpenAPI 3.0 Schema Object --------------------------------


def openapi_schema(schema: dict[str, Any], prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Convert a JSON Schema (draft 2020-12) to an OpenAPI 3.0 Schema Object.

    ``$defs`` become components named ``prefix + Name`` (``#/$defs/entry`` ->
    ``#/components/schemas/ResultEntry``); ``const`` becomes a one-value ``enum``; a list
    of types becomes ``nullable`` and/or ``anyOf``; ``if``/``then``/``else`` becomes
    ``anyOf [allOf [if, then], allOf [not if, else]]`` (the same set of documents);
    ``propertyNames``, which 3.0 lacks, is kept as ``x-propertyNames`` and said in the
    description (the server enforces it with 422).

    Parameters
    ----------
    schema
        The JSON Schema (not modified).
    prefix
        Prefix of the component names of its ``$defs``.

    Returns
    -------
    tuple
        The converted schema and the components made from its ``$defs``.
    """
    defs = schema.get("$defs", {})
    names = {key: prefix + key[:1].upper() + key[1:] for key in defs}
    components = {names[key]: _convert(value, names) for key, value in defs.items()}
    root = {k: v for k, v in schema.items() if k != "$defs"}
    return _convert(root, names), components


def _convert(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_convert(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key == "$ref":
            target = str(value)
            if target.startswith("#/$defs/"):
                target = "#/components/schemas/" + names[target.removeprefix("#/$defs/")]
            out["$ref"] = target
        elif key == "const":
            out["enum"] = [value]
        elif key == "propertyNames":
            out["x-propertyNames"] = copy.deepcopy(value)
            notes.append(f"property names: {_describe(value)}")
        elif key in ("properties", "patternProperties", "dependentSchemas"):
            out[key] = {name: _convert(sub, names) for name, sub in value.items()}
        elif key in ("if", "then", "else"):
            continue  # handled below
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            # 2020-12 gives the bound; 3.0 (draft 4) a flag beside minimum/maximum
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key in ("enum", "required", "default", "example"):
            out[key] = copy.deepcopy(value)
        else:
            out[key] = _convert(value, names)
    if "enum" in out and None in out["enum"]:
        out["nullable"] = True
    _convert_type(out)
    if out.get("type") == "integer":
        # the boundary refuses integers outside the signed 64-bit range (422)
        out.setdefault("minimum", -INT_LIMIT)
        out.setdefault("maximum", INT_LIMIT - 1)
    if "if" in node:
        condition = _convert(node["if"], names)
        then = _convert(node.get("then", {}), names)
        otherwise = _convert(node.get("else", {}), names)
        branches = [{"allOf": [condition, then]}, {"allOf": [{"not": condition}, otherwise]}]
        if "anyOf" in out:
            out.setdefault("allOf", []).append({"anyOf": branches})
        else:
            out["anyOf"] = branches
    if notes:
        text = "; ".join(notes)
        out["description"] = f"{out['description']} ({text})" if "description" in out else text
    return out


def _convert_type(out: dict[str, Any]) -> None:
    """Rewrite ``type`` lists and ``"null"`` in place (OpenAPI 3.0 has one type and
    ``nullable``)."""
    types = out.get("type")
    if types is None:
        return
    types = list(types) if isinstance(types, list) else [types]
    nullable = "null" in types
    types = [t for t in types if t != "null"]
    if nullable:
        out["nullable"] = True
    if not types:  # "type": "null" alone
        del out["type"]
        out["enum"] = [None]
    elif len(types) == 1:
        out["type"] = types[0]
    else:
        del out["type"]
        branch = {"nullable": True} if nullable else {}
        out["anyOf"] = [{"type": t, **branch} for t in types]


def _describe(schema: Any) -> str:
    if not isinstance(schema, dict):
        return str(schema)
    parts = []
    if "pattern" in schema:
        parts.append(f"match {schema['pattern']}")
    if "minLength" in schema:
        parts.append(f"at least {schema['minLength']} characters")
    if "maxLength" in schema:
        parts.append(f"at most {schema['maxLength']} characters")
    return ", ".join(parts) or "any"


# -- components --------------------------------------------------------------------------


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


def _str(**extra: Any) -> dict[str, Any]:
    return {"type": "string", **extra}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


_HEX64 = "^[0-9a-f]{64}$"
_STATE = {"type": "string", "enum": ["pending", "committed", "stored"]}


def _contribution_components() -> dict[str, Any]:
    """Result, MachineInfo, EnvironmentInfo (and their ``$defs``) and the ``Contribution``
    union, from the package's JSON Schemas."""
    from zarr_benchmarks.results.schemas import load_schema

    out: dict[str, Any] = {}
    for kind, name in CONTRIBUTION_SCHEMAS.items():
        root, parts = openapi_schema(load_schema(kind), name)
        out.update(parts)
        out[name] = root
    out["Contribution"] = {
        "description": "One file of docs/formats.md; its `kind` picks the schema.  Every "
        "number must be finite and every integer literal (in any number field) must fit a "
        "signed 64-bit integer, else 422 names its JSON path.",
        "oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in CONTRIBUTION_SCHEMAS.values()],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {k: f"#/components/schemas/{n}" for k, n in CONTRIBUTION_SCHEMAS.items()},
        },
    }
    return out


def _benchmark_request() -> dict[str, Any]:
    """The webhook body: the runner's own request schema."""
    try:
        from zarr_benchmarks.run.runner import BENCHMARK_REQUEST_SCHEMA
    except ImportError:  # the runner is missing: the endpoint answers 503 anyway
        return {"type": "object"}
    from zarr_benchmarks.data.modalities import list_modalities

    root, parts = openapi_schema(BENCHMARK_REQUEST_SCHEMA, "BenchmarkRequest")
    if parts:
        raise ValueError("the benchmark request schema has $defs; name its components")
    # the modalities this server knows (entry points included); `custom` is refused
    known = sorted(m.id for m in list_modalities() if m.id != "custom")
    root["properties"]["dataset"]["properties"]["type"]["enum"] = known
    root["description"] = (
        "A synthetic dataset of a modality and the codecs to try.  Checked beyond this "
        "schema (422 naming the field): `dataset.dtype` is a NumPy dtype, the data is at "
        "most 512 MiB (shape x dtype size), each codec is a known id or config "
        "(`zarr-benchmarks codecs`), `benchmark.chunks` and `implementation` fit."
    )
    return root


def _summary_components() -> dict[str, Any]:
    """What the read endpoints list: summaries kept by the store's index."""
    info_common = {
        "path": _nullable(_str(description="stored path; null if only results name it")),
        "state": {"type": "string", "enum": ["pending", "committed", "stored", "missing"]},
        "results": {"type": "integer", "minimum": 0, "description": "results naming it"},
    }
    return {
        "ResultSummary": {
            "type": "object",
            "required": ["id", "path", "state"],
            "properties": {
                "id": _str(pattern=_HEX64, description="content hash"),
                "path": _str(),
                "state": _STATE,
                "timestamp": _nullable(_str(example="2026-01-31-12-00-00")),
                "machine_id": _nullable(_str()),
                "environment_id": _nullable(_str()),
                "commit_hash": _nullable(_str()),
                "preset": _nullable(_str()),
                "benchmarks": {"type": "integer", "minimum": 0},
                "modalities": {"type": "array", "items": _str()},
                "codecs": {"type": "array", "items": _str()},
            },
        },
        "ResultList": {
            "type": "object",
            "required": ["count", "limit", "offset", "results"],
            "properties": {
                "count": {"type": "integer", "minimum": 0, "description": "all matches"},
                "limit": {"type": "integer", "minimum": 1},
                "offset": {"type": "integer", "minimum": 0},
                "results": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/ResultSummary"},
                },
            },
        },
        "MachineSummary": {
            "type": "object",
            "required": ["machine_id", "path", "state", "results"],
            "properties": {
                "machine_id": _str(),
                **info_common,
                "name": _nullable(_str()),
                "os": _nullable({"type": "object"}),
                "python": _nullable({"type": "object"}),
                "cpu": _nullable(_str()),
                "memory_bytes": _nullable({"type": "integer"}),
            },
        },
        "MachineList": {
            "type": "object",
            "required": ["count", "machines"],
            "properties": {
                "count": {"type": "integer", "minimum": 0},
                "machines": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/MachineSummary"},
                },
            },
        },
        "EnvironmentSummary": {
            "type": "object",
            "required": ["environment_id", "path", "state", "results"],
            "properties": {
                "environment_id": _str(),
                **info_common,
                "python": _nullable({"type": "object"}),
                "packages": _nullable({"type": "object", "additionalProperties": _str()}),
            },
        },
        "EnvironmentList": {
            "type": "object",
            "required": ["count", "environments"],
            "properties": {
                "count": {"type": "integer", "minimum": 0},
                "environments": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/EnvironmentSummary"},
                },
            },
        },
    }


def _service_components() -> dict[str, Any]:
    """Receipts, health, job states and the dashboard data."""
    number = {"type": "number"}
    codec_result = {
        "type": "object",
        "properties": {
            "codec": _str(),
            "ratio": number,
            "nbytes": {"type": "integer"},
            "stored_nbytes": {"type": "integer"},
            "write_time_s": number,
            "read_time_s": number,
            "write_mb_s": number,
            "read_mb_s": number,
            "write_times_s": {"type": "array", "items": number},
            "read_times_s": {"type": "array", "items": number},
            "quality": {"type": "object", "additionalProperties": number},
        },
    }
    best = {"type": "object", "properties": {"codec": _str()}}
    return {
        "Receipt": {
            "type": "object",
            "required": ["id", "kind", "path", "status", "state"],
            "properties": {
                "id": _str(pattern=_HEX64, description="result: content hash; info: its id"),
                "kind": {"type": "string", "enum": list(CONTRIBUTION_SCHEMAS)},
                "path": _str(description="stored path, derived by the server"),
                "status": {"type": "string", "enum": ["accepted", "stored", "duplicate"]},
                "state": _STATE,
                "note": _str(description="why the request did not wait for the push"),
            },
        },
        "Health": {
            "type": "object",
            "required": ["status", "problems", "store", "spool_depth", "jobs"],
            "properties": {
                "status": {"type": "string", "enum": ["ok", "degraded"]},
                "problems": {
                    "type": "array",
                    "items": _str(),
                    "description": "why the status is degraded (empty when ok)",
                },
                "store": {
                    "type": "object",
                    "required": ["writer_alive"],
                    "properties": {
                        "remote": _nullable(_str(description="no credentials, no local path")),
                        "remote_state": {
                            "type": "object",
                            "description": "the last contact with the remote",
                            "properties": {
                                "reachable": _nullable({"type": "boolean"}),
                                "at": _nullable(_str()),
                                "error": _nullable(_str()),
                            },
                        },
                        "branch": _str(),
                        "head": _nullable(_str(description="commit checked out")),
                        "writer_alive": {"type": "boolean"},
                        "pushes": {"type": "boolean", "description": "false in debug mode"},
                        "files": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "conflicts": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "contributions kept aside after a conflicting push "
                            "(GET /contributions/{id} says which)",
                        },
                    },
                },
                "spool_depth": {"type": "integer", "minimum": 0},
                "uncommitted": {"type": "integer", "minimum": 0},
                "unpushed": {"type": "integer", "minimum": 0},
                "last_commit_at": _nullable(_str()),
                "last_push": _nullable(
                    {
                        "type": "object",
                        "properties": {
                            "at": _str(),
                            "ok": {"type": "boolean"},
                            "files": {"type": "integer"},
                            "error": _nullable(_str()),
                            "retry_in_s": {
                                "type": "number",
                                "description": "failed pushes: seconds until the next try",
                            },
                            "failures": {
                                "type": "integer",
                                "description": "failed pushes in a row",
                            },
                        },
                    }
                ),
                "push_in_progress": _nullable(
                    {
                        "type": "object",
                        "description": "the push running now",
                        "properties": {"since": _str(), "seconds": number},
                    }
                ),
                "last_error": _nullable(_str()),
                "last_error_at": _nullable(_str()),
                "aggregate": _nullable({"type": "object"}),
                "jobs": {
                    "type": "object",
                    "description": "jobs per state",
                    "additionalProperties": {"type": "integer", "minimum": 0},
                },
                "debug": {"type": "boolean"},
            },
        },
        "JobAccepted": {
            "type": "object",
            "required": ["job_id", "status", "status_url"],
            "properties": {
                "job_id": _str(pattern="^[0-9a-f]{32}$"),
                "status": {"type": "string", "enum": ["queued"]},
                "status_url": _str(example="/status/0123456789abcdef0123456789abcdef"),
            },
        },
        "JobStatus": {
            "type": "object",
            "required": ["job_id", "status", "created_at", "started_at", "finished_at"],
            "properties": {
                "job_id": _str(pattern="^[0-9a-f]{32}$"),
                "status": {"type": "string", "enum": ["queued", "running", "completed", "failed"]},
                "results": {
                    "type": "object",
                    "description": "completed jobs: what `run_benchmark_request` returns",
                    "properties": {
                        "dataset": {"type": "object"},
                        "config": {"type": "object"},
                        "environment": {"type": "object", "additionalProperties": _str()},
                        "results": {"type": "array", "items": codec_result},
                        "best_write": best,
                        "best_read": best,
                        "best_compression": best,
                        "best_balanced": best,
                        "recommended": best,
                    },
                },
                "error": _str(description="why the job failed"),
                "created_at": _str(),
                "started_at": _nullable(_str()),
                "finished_at": _nullable(_str()),
            },
        },
        "DashboardData": {
            "type": "object",
            "required": ["machines", "rows", "results", "notes"],
            "properties": {
                "machines": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["machine_id", "name", "results"],
                        "properties": {
                            "machine_id": _str(),
                            "name": _str(),
                            "cpu": _nullable(_str()),
                            "cores": _nullable({"type": "integer"}),
                            "memory_bytes": _nullable({"type": "integer"}),
                            "os": _str(),
                            "results": {"type": "integer", "minimum": 0},
                        },
                    },
                },
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["result_id", "modality", "codec", "chunks", "latest"],
                        "properties": {
                            "result_id": _str(),
                            "machine_id": _nullable(_str()),
                            "machine": _nullable(_str()),
                            "timestamp": _nullable(_str()),
                            "commit": _nullable(_str()),
                            "preset": _nullable(_str()),
                            "size": _nullable(_str()),
                            "modality": _str(),
                            "codec": _str(),
                            "chunks": _str(),
                            "size_known": {"type": "boolean"},
                            "ratio": _nullable(number),
                            "write_mb_s": _nullable(number),
                            "read_mb_s": _nullable(number),
                            "status": {"type": "string", "enum": ["ok", "failed"]},
                            "latest": {"type": "boolean"},
                        },
                    },
                },
                "rows_mode": {"type": "string", "enum": ["latest", "all"]},
                "sizes": {"type": "array", "items": _str(), "description": "newest first"},
                "results": {"type": "integer", "minimum": 0},
                "notes": {"type": "array", "items": _str()},
            },
        },
    }


#: shared error responses: name -> (description, extra documented headers)
_RESPONSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Error": ("Error", ()),
    "BadRequest": ("Malformed request (bad JSON, bad query parameter)", ()),
    "Unauthorized": ("No Bearer token (tokens are configured)", ("WWW-Authenticate",)),
    "Forbidden": ("The Bearer token is not accepted", ()),
    "NotFound": ("No such item", ()),
    "Conflict": ("An info file with this id but other content exists", ()),
    "TooLarge": ("The body exceeds the size limit (`ZARR_BENCHMARKS_MAX_BODY`)", ()),
    "UnsupportedMediaType": ("The body is not sent as `application/json`", ()),
    "Invalid": ("The document does not match its schema (`path` names the place)", ()),
    "RateLimited": ("Too many requests from this client; see Retry-After", ("Retry-After",)),
    "Unavailable": ("The service cannot take this now; see Retry-After if sent", ()),
}

_HEADERS = {
    "WWW-Authenticate": "The authentication scheme (Bearer)",
    "Retry-After": "Seconds to wait before retrying",
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
    for group in (
        _contribution_components(),
        {"BenchmarkRequest": _benchmark_request()},
        _summary_components(),
        _service_components(),
    ):
        for name, schema in group.items():
            spec.components.schema(name, schema)
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for name, (text, headers) in _RESPONSES.items():
        response: dict[str, Any] = {"description": text, "content": error_content}
        if headers:
            # always sent with these answers: schemathesis checks that they are there
            response["headers"] = {
                h: {"description": _HEADERS[h], "required": True, "schema": {"type": "string"}}
                for h in headers
            }
        spec.components.response(name, response)
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
