"""The package's JSON Schemas stay as written whatever validated with them before."""

from __future__ import annotations

import json

from flask_app import samples
from zarr_benchmarks.results.schemas import KINDS, load_schema, validate


def test_validating_does_not_rewrite_the_schemas_later_callers_see() -> None:
    before = {kind: json.dumps(load_schema(kind), sort_keys=True) for kind in KINDS}
    # compiles both validators; fastjsonschema rewrites $ref in the dict it is given
    validate(samples.machine_document())
    validate(samples.environment_document())
    validate(samples.result_document())
    for kind in KINDS:
        after = json.dumps(load_schema(kind), sort_keys=True)
        assert after == before[kind], kind
        assert '"$ref": "http' not in after  # references stay local (#/$defs/...)
