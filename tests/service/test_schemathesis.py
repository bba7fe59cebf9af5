"""The OpenAPI document (``/openapi.json``) against the real service.

The fast tests check that the document names every route and carries the real request
bodies (the converted JSON Schemas accept exactly what the package's schemas accept).
The slow test is a schemathesis run of at least 1,000 generated requests over every
operation against ``zarr-benchmarks serve`` (waitress on 127.0.0.1) with a bare git
remote: no 5xx and no answer that breaks the documented status codes, content types,
headers or response schemas.
"""

from __future__ import annotations

import collections
import copy
import re
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from flask_app import samples
from flask_app.docs import CONTRIBUTION_SCHEMAS
from flask_app.testing import ServerProcess
from zarr_benchmarks.results.schemas import load_schema

pytestmark = [pytest.mark.service, pytest.mark.usefixtures("no_service_env")]

TOKEN = "schemathesis-write-token"

# Endpoints that are not part of the API: assets, and flasgger's Swagger UI and document.
_NOT_API = re.compile(r"^(flasgger\.|static$|dashboard\.static$)")


def _spec(app: Any) -> dict[str, Any]:
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 Schema Object -> JSON Schema (draft 7) for validating in the tests:
    ``nullable`` adds ``null``, boolean exclusive bounds take the bound's value."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _as_json_schema(v) for k, v in node.items() if k != "nullable"}
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if out.get(flag) is True:
            out[flag] = out.pop(bound)
        elif out.get(flag) is False:
            del out[flag]
    if "x-propertyNames" in out:
        out["propertyNames"] = out.pop("x-propertyNames")
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    return out


def _component_validator(spec: dict[str, Any], name: str) -> jsonschema.Draft7Validator:
    root = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return jsonschema.Draft7Validator(_as_json_schema(root))


def _route_paths(app: Any) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if _NOT_API.match(rule.endpoint):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((path, method.lower()))
    return out


# -- the document ----------------------------------------------------------------------


def test_every_route_is_documented_with_real_bodies(make_app):
    app = make_app()
    spec = _spec(app)
    documented = {(p, m) for p, ops in spec["paths"].items() for m in ops if m != "parameters"}
    routes = _route_paths(app)
    assert routes - documented == set(), "routes missing from /openapi.json"
    assert documented - routes == set(), "documented operations the app does not have"

    def described(schema: dict[str, Any]) -> bool:
        return "$ref" in schema or any(
            k in schema for k in ("properties", "oneOf", "anyOf", "items", "enum")
        )

    for path, method in sorted(routes):
        operation = spec["paths"][path][method]
        body = operation.get("requestBody")
        if body is not None:
            schema = body["content"]["application/json"]["schema"]
            assert described(schema), (path, method, schema)
        for status, response in operation["responses"].items():
            if "$ref" in response:
                name = response["$ref"].rsplit("/", 1)[-1]
                response = spec["components"]["responses"][name]
            media = response.get("content", {}).get("application/json")
            if media is not None:
                assert described(media["schema"]), (path, method, status)
            if str(status).startswith(("4", "5")):
                assert media is not None, f"{method} {path} {status}: no JSON error body"

    contribute = spec["paths"]["/contribute"]["post"]
    assert contribute["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Contribution"
    }
    union = spec["components"]["schemas"]["Contribution"]["oneOf"]
    assert [u["$ref"].rsplit("/", 1)[-1] for u in union] == list(CONTRIBUTION_SCHEMAS.values())
    assert {"400", "401", "403", "409", "413", "415", "422", "429", "503"} <= set(
        map(str, contribute["responses"])
    )
    assert {p["name"] for p in contribute["parameters"]} == {"wait"}
    webhook = spec["paths"]["/webhook/benchmark"]["post"]["requestBody"]
    assert webhook["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BenchmarkRequest"
    }
    limited = spec["components"]["responses"]["RateLimited"]
    assert "Retry-After" in limited["headers"]


def _result_variants() -> list[tuple[str, dict[str, Any]]]:
    base = samples.result_document(n_entries=2)
    name = next(iter(base["benchmarks"]))
    out = [("as made", base)]

    def variant(label: str, change: Any) -> None:
        doc = copy.deepcopy(base)
        change(doc, doc["benchmarks"][name]["results"][0])
        out.append((label, doc))

    variant("failed with a value", lambda d, e: e.update(status="failed"))
    variant("failed, no value", lambda d, e: e.update(status="failed", value=None, samples=[]))
    variant("failed with samples", lambda d, e: e.update(status="failed", value=None))
    variant("ok without value", lambda d, e: e.update(value=None))
    variant("skipped, no value", lambda d, e: e.update(status="skipped", value=None, samples=[]))
    variant("bool param", lambda d, e: e["params"].update(codec=True))
    variant("float param", lambda d, e: e["params"].update(level=1.5))
    variant("schema version 2", lambda d, e: d.update(schema_version=2))
    variant(
        "empty benchmark name", lambda d, e: d["benchmarks"].update({"": d["benchmarks"][name]})
    )
    variant("unknown member", lambda d, e: d.update(extra=1))
    variant("short id", lambda d, e: d.update(machine_id="abc"))
    variant("bad size", lambda d, e: d.update(size="huge"))
    variant("no problems", lambda d, e: d.pop("problems"))
    variant("blocks", lambda d, e: e.update(blocks=[e["samples"]]))
    return out


def _info_variants(kind: str) -> list[tuple[str, dict[str, Any]]]:
    base = samples.machine_document() if kind == "machine" else samples.environment_document()
    out = [("as made", base)]

    def variant(label: str, change: Any) -> None:
        doc = copy.deepcopy(base)
        change(doc)
        out.append((label, doc))

    if kind == "machine":
        cpu = ("hardware", "cpu")
        variant("null cores", lambda d: d["hardware"]["cpu"].update(logical_cores=None))
        variant("zero cores", lambda d: d["hardware"]["cpu"].update(logical_cores=0))
        variant("string cores", lambda d: d["hardware"]["cpu"].update(logical_cores="2"))
        variant("null vendor", lambda d: d["hardware"]["cpu"].update(vendor=None))
        variant("cache L2", lambda d: d["hardware"]["cpu"].update(caches={"L2": 2**20}))
        variant("cache name", lambda d: d["hardware"]["cpu"].update(caches={"level2": 1}))
        variant("bad disk", lambda d: d["hardware"]["disk"].update(kind="tape"))
        variant("bad name", lambda d: d.update(name="1abc"))
        variant("gpu", lambda d: d["hardware"].update(gpu=[{"model": "G", "memory_mib": None}]))
        assert cpu
    else:
        variant("bad package name", lambda d: d["packages"].update({"-x": "1"}))
        variant("empty version", lambda d: d["packages"].update(zarr=""))
        variant("no python", lambda d: d.pop("python"))
    variant("kind result", lambda d: d.update(kind="result"))
    return out


@pytest.mark.parametrize("kind", list(CONTRIBUTION_SCHEMAS))
def test_converted_schemas_accept_what_the_package_schemas_accept(make_app, kind):
    spec = _spec(make_app(debug=True))
    converted = _component_validator(spec, CONTRIBUTION_SCHEMAS[kind])
    union = _component_validator(spec, "Contribution")
    original = jsonschema.Draft202012Validator(load_schema(kind))
    variants = _result_variants() if kind == "result" else _info_variants(kind)
    verdicts = set()
    for label, doc in variants:
        expected = original.is_valid(doc)
        verdicts.add(expected)
        assert converted.is_valid(doc) == expected, label
        assert union.is_valid(doc) == expected, label
    assert verdicts == {True, False}  # the variants exercise both answers


def test_documented_integer_range_is_the_servers(make_app):
    app = make_app(debug=True)
    spec = _spec(app)
    converted = _component_validator(spec, "MachineInfo")
    doc = samples.machine_document()
    doc["hardware"]["memory"]["total_bytes"] = 2**63
    assert jsonschema.Draft202012Validator(load_schema("machine")).is_valid(doc)
    assert not converted.is_valid(doc)  # the document says what the server does:
    response = app.test_client().post("/contribute", json=doc)
    assert response.status_code == 422
    assert response.get_json()["path"] == "$.hardware.memory.total_bytes"
    doc["hardware"]["memory"]["total_bytes"] = 2**63 - 1
    assert converted.is_valid(doc)
    assert app.test_client().post("/contribute", json=doc).status_code == 202


def test_benchmark_request_component_is_the_runners(make_app):
    from zarr_benchmarks.run.runner import BENCHMARK_REQUEST_SCHEMA

    spec = _spec(make_app(debug=True))
    converted = _component_validator(spec, "BenchmarkRequest")
    original = jsonschema.Draft202012Validator(BENCHMARK_REQUEST_SCHEMA)
    good = {
        "dataset": {"type": "cryoet", "shape": [16, 16, 16], "voxel_size": [1.0, 1.0, 1.0]},
        "benchmark": {"codecs": ["zstd-3", {"id": "x"}], "num_runs": 2, "chunks": [8, 8, 8]},
    }
    payloads = [good, {"dataset": {"type": "ct", "shape": [4], "voxel_size": None}}]
    for change in (
        {"voxel_size": [0.0]},
        {"shape": []},
        {"shape": [0]},
        {"seed": -1},
        {"extra": 1},
    ):
        payloads.append({"dataset": {**good["dataset"], **change}})
    for change in ({"codecs": [1]}, {"num_runs": 21}, {"chunks": "x" * 65}, {"zarr_format": 4}):
        payloads.append({"dataset": good["dataset"], "benchmark": change})
    verdicts = [original.is_valid(p) for p in payloads]
    assert verdicts[:2] == [True, True] and not any(verdicts[2:])
    assert [converted.is_valid(p) for p in payloads] == verdicts


# -- the schemathesis run --------------------------------------------------------------

#: generated cases per operation and mode; operations without inputs get one case
_POSITIVE = {"POST /contribute": 250, "POST /webhook/benchmark": 100, "GET /results": 80}
_NEGATIVE = {"POST /contribute": 120, "POST /webhook/benchmark": 80, "GET /results": 60}
_DEFAULT = 40

#: checks about the answers: server errors and conformance to the document
_CONFORMANCE = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
}
#: 422s for schema-valid bodies, by checks no OpenAPI 3.0 schema can state, each said in
#: the document's descriptions: name patterns (3.0 has no `propertyNames`) and the
#: runner's checks of a webhook request (a NumPy dtype, known codec ids, a layout that
#: fits, at most 512 MiB of data: rules across fields or over open-ended registries)
_BEYOND_SCHEMA = re.compile(
    r"^\$\.benchmarks: .* (should be non-empty|is too long)"
    r"|^\$\.packages: .* does not match '\^\[A-Za-z0-9\]"
    r"|^\$\.hardware\.cpu\.caches: .* does not match '\^L\[0-9\]"
    r"|^dataset/shape: .* exceeds the limit"
    r"|^dataset: "
    r"|^benchmark/codecs/\d+: unknown codec"
    r"|^benchmark: "
)


_KNOWN = "positive_data_acceptance (checks beyond the schema)"


class _Run:
    """Generated cases sent to a real server, their statuses and check failures."""

    def __init__(self, base_url: str, session: requests.Session, auth: dict[str, str]):
        self.base_url = base_url
        self.session = session
        self.auth = auth
        self.statuses: collections.Counter[int] = collections.Counter()
        self.per_operation: collections.Counter[str] = collections.Counter()
        self.failures: dict[str, list[str]] = collections.defaultdict(list)

    def operation(self, op: Any, mode: Any, examples: int) -> None:
        """Send ``examples`` cases of ``op`` generated in ``mode`` and check each answer."""
        _generate(
            op.as_strategy(generation_mode=mode), examples, lambda case: self.send(case, mode)
        )

    def send(self, case: Any, mode: Any) -> None:
        response = case.call(
            base_url=self.base_url, session=self.session, headers=self.auth, timeout=60
        )
        self.statuses[response.status_code] += 1
        self.per_operation[case.operation.label] += 1
        try:
            case.validate_response(
                response,
                headers=self.auth,
                transport_kwargs={"base_url": self.base_url, "headers": self.auth},
            )
        except BaseExceptionGroup as group:  # schemathesis' FailureGroup
            for failure in group.exceptions:
                check = _check_name(failure)
                if check == "positive_data_acceptance" and _beyond_schema(response):
                    check = _KNOWN
                curl = case.as_curl_command(headers={"Authorization": "Bearer ..."})
                self.failures[check].append(
                    f"{case.operation.label} ({mode.value}) -> {response.status_code}: "
                    f"{str(failure).splitlines()[0]}\n    {response.text[:300]}\n    {curl}"
                )

    @property
    def cases(self) -> int:
        return sum(self.per_operation.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def unexplained(self) -> dict[str, list[str]]:
        """Every failure but the schema-valid bodies refused by checks beyond the schema."""
        return {name: found for name, found in self.failures.items() if name != _KNOWN}

    def summary(self, findings: Path) -> str:
        findings.write_text(
            "".join(f"[{name}] {f}\n" for name, found in self.failures.items() for f in found),
            "utf-8",
        )
        conformance = sum(len(f) for name, f in self.failures.items() if name in _CONFORMANCE)
        explained = len(self.failures.get(_KNOWN, ()))
        other = sum(map(len, self.failures.values())) - conformance - explained
        return (
            f"{self.cases} cases over {len(self.per_operation)} operations; "
            f"5xx: {self.server_errors}; conformance failures: {conformance}; "
            f"other failures: {other}; schema-valid bodies refused by checks beyond the "
            f"schema: {explained}; statuses {dict(sorted(self.statuses.items()))}; "
            f"details in {findings}"
        )


def _modes(schemathesis: Any, op: Any) -> list[Any]:
    """Positive cases, and negative ones where the operation has inputs to break."""
    modes = [schemathesis.GenerationMode.POSITIVE]
    if any(len(part) for part in (op.path_parameters, op.query, op.body)):
        modes.append(schemathesis.GenerationMode.NEGATIVE)
    return modes


@pytest.mark.slow
def test_schemathesis_run_against_real_server(tmp_path: Path, bare: Path, capsys):
    schemathesis = pytest.importorskip("schemathesis")

    settings_ = {
        "remote": bare,
        "tokens": TOKEN,
        "rate_limit": "none",  # validation, not the limiter (the next test covers 429)
        "job_workers": 0,  # jobs are queued, never run: no benchmark load on the machine
        "job_queue_max": 100_000,  # no 503 for a full queue during the run
    }
    started = time.monotonic()
    with (
        open(tmp_path / "server.log", "wb") as log,
        ServerProcess(tmp_path / "inst", settings_, log=log, threads=8) as server,
        requests.Session() as session,
    ):
        schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        labels = {op.label for op in operations}
        assert {"POST /contribute", "POST /webhook/benchmark", "GET /results"} <= labels
        run = _Run(server.url, session, {"Authorization": f"Bearer {TOKEN}"})
        for op in operations:
            modes = _modes(schemathesis, op)
            for mode in modes:
                budget = (_POSITIVE if mode.value == "positive" else _NEGATIVE).get(
                    op.label, _DEFAULT
                )
                run.operation(op, mode, budget if len(modes) > 1 else 1)
        health = session.get(server.url + "/health", timeout=30).json()
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(f"\nschemathesis: {run.summary(tmp_path / 'findings.txt')}; {seconds:.0f} s")
    assert set(run.per_operation) == labels, "an operation got no case"
    assert run.cases >= 1000
    assert run.server_errors == 0, run.failures.get("not_a_server_error")
    unexplained = run.unexplained()
    assert unexplained == {}, "\n".join(f for found in unexplained.values() for f in found[:5])
    assert health["store"]["writer_alive"] and health["status"] == "ok", health


@pytest.mark.slow
def test_schemathesis_rate_limited_answers_conform(tmp_path: Path, bare: Path, capsys):
    """429 (with Retry-After) and 401 (with WWW-Authenticate) answers, as documented."""
    schemathesis = pytest.importorskip("schemathesis")

    settings_ = {"remote": bare, "tokens": TOKEN, "rate_limit": "5/minute", "job_workers": 0}
    with (
        open(tmp_path / "server.log", "wb") as log,
        ServerProcess(tmp_path / "inst", settings_, log=log, threads=4) as server,
        requests.Session() as session,
    ):
        schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
        run = _Run(server.url, session, {})  # no token: 401s, then 429s from the address
        for label in ("POST /contribute", "POST /webhook/benchmark"):
            method, path = label.split()
            op = schema[path][method]
            run.operation(op, schemathesis.GenerationMode.POSITIVE, 15)
    with capsys.disabled():
        print(f"\nschemathesis, rate-limited: {run.summary(tmp_path / 'findings.txt')}")
    assert run.statuses[429] > 0 and run.statuses[401] > 0, run.statuses
    assert run.server_errors == 0
    unexplained = run.unexplained()
    assert unexplained == {}, "\n".join(f for found in unexplained.values() for f in found[:5])


def _beyond_schema(response: Any) -> bool:
    """A 422 whose reason is one of :data:`_BEYOND_SCHEMA`."""
    try:
        detail = response.json().get("detail", "")
    except ValueError:
        return False
    return response.status_code == 422 and bool(_BEYOND_SCHEMA.search(detail))


def _generate(strategy: Any, examples: int, test: Any) -> None:
    """Run ``test`` on ``examples`` cases drawn from ``strategy`` (no shrinking: every
    case is checked and its failures collected by ``test`` itself)."""
    from hypothesis import HealthCheck, Phase, given, settings

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases on every run: a failure reproduces
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        test(case)

    run()


def _check_name(failure: BaseException) -> str:
    """The schemathesis check a failure comes from."""
    checks = getattr(failure, "checks", ())
    return checks[0] if checks else type(failure).__name__
