"""JSON Schemas of the shared file formats (docs/formats.md) and a validator.

``validate(document)`` picks the schema from the document's ``kind`` and raises
:class:`SchemaError` (a ``ValueError``) naming the JSON path of the first problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema
from jsonschema.exceptions import best_match

__all__ = ["KINDS", "SchemaError", "load_schema", "validate", "validator"]

#: Document kinds that ship a schema (``<kind>.schema.json`` in this package).
KINDS: tuple[str, ...] = ("result", "machine", "environment")


class SchemaError(ValueError):
    """A document does not match its schema.

    Attributes
    ----------
    path
        JSON path of the first problem, e.g. ``$.benchmarks['a.b'].results[0].status``.
    """

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message


@cache
def _schema_text(kind: str) -> str:
    if kind not in KINDS:
        raise KeyError(f"no schema for document kind {kind!r}; known: {', '.join(KINDS)}")
    return resources.files(__name__).joinpath(f"{kind}.schema.json").read_text("utf-8")


def load_schema(kind: str) -> dict[str, Any]:
    """Return the JSON Schema (a dict) of a document kind: a fresh copy on every call.

    Not a shared cached dict: schema compilers rewrite ``$ref`` in place
    (fastjsonschema makes them absolute), which would change the schema every later
    caller sees, e.g. the OpenAPI document's converted references.

    Raises
    ------
    KeyError
        If ``kind`` has no schema.
    """
    return json.loads(_schema_text(kind))


@cache
def validator(kind: str) -> jsonschema.protocols.Validator:
    """Return a compiled (cached) validator for a document kind."""
    schema = load_schema(kind)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _json_path(parts: Any) -> str:
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


def validate(document: Any) -> None:
    """Validate a document against the schema chosen by its ``kind``.

    Parameters
    ----------
    document
        A parsed JSON document (``result``, ``machine`` or ``environment``).

    Raises
    ------
    SchemaError
        With the JSON path of the first (most relevant) problem.
    """
    if not isinstance(document, dict):
        raise SchemaError(f"expected a JSON object, got {type(document).__name__}")
    kind = document.get("kind")
    if kind not in KINDS:
        raise SchemaError(f"unknown document kind {kind!r} (expected one of {KINDS})", "$.kind")
    try:
        _fast_validator(kind)(document)
    except fastjsonschema.JsonSchemaException:
        pass  # invalid: let jsonschema find the most relevant error and its path
    else:
        return
    error = best_match(validator(kind).iter_errors(document))
    if error is not None:
        raise SchemaError(error.message, _json_path(error.absolute_path))
    raise SchemaError("document does not match the schema")  # validators disagree


@cache
def _fast_validator(kind: str) -> Callable[[Any], Any]:
    """Compiled validator (fastjsonschema): ~50x faster on the common, valid case.

    The schemas only use draft-07 keywords (plus ``$defs`` references), so the
    compiled form accepts exactly what jsonschema accepts; errors are still reported
    by jsonschema, which gives the better message and path.
    """
    schema = load_schema(kind)
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(schema)
