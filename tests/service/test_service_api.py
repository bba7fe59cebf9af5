"""The contribution service through the Flask test client, over real git repositories."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from service_fixtures import drained, health, stored, undeclared, wait_for

from flask_app import create_app, samples, shutdown
from flask_app.config import PREFIX, ConfigError, load_config
from flask_app.testing import git, remote_commits, remote_files

pytestmark = pytest.mark.usefixtures("no_service_env")


# -- contributions ----------------------------------------------------------------------


def test_contribute_stores_file_in_remote_with_derived_path(make_app, bare):
    app = make_app()
    client = app.test_client()
    doc = samples.result_document()
    response = client.post("/contribute", json=doc)
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "accepted" and body["kind"] == "result"
    assert re.fullmatch(r"[0-9a-f]{64}", body["id"])
    assert body["path"] == (
        f"results/result_timestamp-{doc['timestamp']}_machine-{doc['machine_id']}"
        f"_environment-{doc['environment_id']}_id-{body['id'][:16]}.json"
    )
    assert response.headers["Location"] == f"/results/{body['id']}"
    assert wait_for(lambda: body["path"] in remote_files(bare))
    stored = git(bare, "show", f"main:{body['path']}")
    assert json.loads(stored) == doc
    # docs/formats.md layout: indent 2, sorted keys, trailing newline
    assert stored == json.dumps(doc, indent=2, sort_keys=True) + "\n"


def test_wait_answers_201_once_pushed(make_app, bare):
    client = make_app().test_client()
    doc = samples.machine_document()
    response = client.post("/contribute?wait=10", json=doc)
    assert response.status_code == 201
    assert response.get_json()["state"] == "stored"
    assert f"results/info_machine-{doc['machine_id']}.json" in remote_files(bare)
    assert client.post("/contribute?wait=99", json=doc).status_code == 400
    assert client.post("/contribute?wait=soon", json=doc).status_code == 400


def test_duplicates_answer_200_and_store_nothing_new(make_app, bare):
    app = make_app()
    client = app.test_client()
    doc = samples.result_document()
    first = client.post("/contribute", json=doc)
    assert first.status_code == 202
    # Same content, other key order and whitespace: still the same file.
    text = json.dumps(dict(reversed(list(doc.items()))), indent=4)
    again = client.post("/contribute", data=text, content_type="application/json")
    assert again.status_code == 200
    assert again.get_json()["status"] == "duplicate"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert wait_for(lambda: drained(app))
    commits_before = remote_commits(bare)
    third = client.post("/contribute", json=doc)
    assert third.status_code == 200 and third.get_json()["state"] == "stored"
    assert health(app)["spool_depth"] == 0  # nothing was spooled for the duplicate
    # The writer works in order: once a later contribution is on the remote, anything the
    # duplicate had caused would be there too.  The only new commit adds the later file.
    later = client.post("/contribute?wait=10", json=samples.environment_document())
    assert later.status_code == 201
    commits = remote_commits(bare)
    assert commits[1:] == commits_before
    assert [change[1] for change in commits[0]["changes"]] == [later.get_json()["path"]]
    assert len([p for p in remote_files(bare) if p.startswith("results/result_")]) == 1


def test_info_file_with_same_id_and_other_content_is_a_conflict(make_app):
    client = make_app().test_client()
    doc = samples.machine_document()
    assert client.post("/contribute", json=doc).status_code == 202
    other = copy.deepcopy(doc)
    other["name"] = "OtherName"
    response = client.post("/contribute", json=other)
    assert response.status_code == 409
    assert doc["machine_id"] in response.get_json()["detail"]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.pop("machine_id"), "$"),
        (lambda d: d.update(machine_id="../../etc/passwd"), "$.machine_id"),
        (lambda d: d.update(timestamp="2026/11/22"), "$.timestamp"),
        (lambda d: d.update(kind="secrets"), "$.kind"),
        (
            lambda d: d["benchmarks"]["bench_write.Write.time_write"]["results"][0].update(
                samples="many"
            ),
            "$.benchmarks['bench_write.Write.time_write'].results[0].samples",
        ),
    ],
)
def test_schema_rejections_name_the_json_path(make_app, bare, mutate, path):
    app = make_app()
    client = app.test_client()
    doc = samples.result_document()
    mutate(doc)
    response = client.post("/contribute", json=doc)
    assert response.status_code == 422
    body = response.get_json()
    assert set(body) >= {"error", "detail", "path"}
    assert body["path"] == path
    assert body["detail"].startswith(path)
    assert health(app)["spool_depth"] == 0
    # Once a valid contribution sent afterwards is on the remote, it is the only file there.
    valid = client.post("/contribute?wait=10", json=samples.environment_document())
    assert valid.status_code == 201
    assert stored(bare) == [valid.get_json()["path"]]


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"", "application/json", 400),
        (b"{not json", "application/json", 400),
        (b'{"kind": NaN}', "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"[1, 2]", "application/json", 422),
        (b"kind=result", "application/x-www-form-urlencoded", 415),
    ],
)
def test_malformed_bodies_get_json_errors(make_app, data, content_type, status):
    client = make_app().test_client()
    response = client.post("/contribute", data=data, content_type=content_type)
    assert response.status_code == status
    body = response.get_json()
    assert set(body) >= {"error", "detail"}
    assert "Traceback" not in response.get_data(as_text=True)


def test_oversized_body_is_413(make_app, bare):
    client = make_app(max_body=4096).test_client()
    doc = samples.result_document()
    doc["problems"] = ["x" * 1000] * 10
    response = client.post("/contribute", json=doc)
    assert response.status_code == 413
    assert response.get_json()["error"] == "Request Entity Too Large"
    assert client.post("/contribute", json=samples.environment_document()).status_code == 202


def test_path_like_names_in_the_body_are_harmless(make_app, bare, tmp_path):
    app = make_app()
    client = app.test_client()
    doc = samples.result_document()
    evil = "../../../../tmp/evil"
    doc["benchmarks"] = {
        evil: doc["benchmarks"]["bench_write.Write.time_write"],
        "/etc/passwd": doc["benchmarks"]["bench_ratio.Ratio.track_ratio"],
    }
    doc["benchmarks"][evil]["results"][0]["params"]["codec"] = "../x/..\\y"
    doc["preset"] = "../../escape"
    response = client.post("/contribute", json=doc)
    assert response.status_code == 202, response.get_json()
    stored_path = response.get_json()["path"]
    assert ".." not in stored_path and stored_path.count("/") == 1
    assert wait_for(lambda: drained(app))
    files = remote_files(bare)
    assert stored_path in files
    assert all(f == "README.md" or re.fullmatch(r"results/[A-Za-z0-9_.-]+\.json", f) for f in files)
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil").exists()
    fetched = client.get(f"/results/{response.get_json()['id']}")
    assert fetched.status_code == 200 and fetched.get_json() == doc


# -- auth, rate limit, errors -------------------------------------------------------------


def test_write_tokens(make_app):
    client = make_app(tokens="alpha, beta").test_client()
    doc = samples.environment_document()
    missing = client.post("/contribute", json=doc)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.post("/contribute", json=doc, headers={"Authorization": "Bearer gamma"})
    assert wrong.status_code == 403
    assert "gamma" not in wrong.get_data(as_text=True)
    basic = client.post("/contribute", json=doc, headers={"Authorization": "Basic YWxwaGE="})
    assert basic.status_code == 401
    ok = client.post("/contribute", json=doc, headers={"Authorization": "Bearer beta"})
    assert ok.status_code == 202
    # Reads stay open.
    assert client.get("/results").status_code == 200


def test_rate_limit_is_per_client_with_retry_after(make_app):
    client = make_app(rate_limit="3/minute").test_client()
    statuses = [
        client.post("/contribute", json=samples.environment_document()).status_code
        for _ in range(4)
    ]
    assert statuses == [202, 202, 202, 429]
    limited = client.post("/contribute", json=samples.environment_document())
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert set(limited.get_json()) >= {"error", "detail"}
    # Another client (address) has its own budget.
    other = client.post(
        "/contribute",
        json=samples.environment_document(),
        environ_base={"REMOTE_ADDR": "127.0.0.2"},
    )
    assert other.status_code == 202
    assert client.get("/health").status_code == 200  # reads are not limited


@pytest.mark.parametrize("trusted_proxies", [0, 1])
def test_forwarded_for_is_believed_only_from_trusted_proxies(make_app, trusted_proxies):
    # Behind a reverse proxy every request has the proxy's address; X-Forwarded-For names
    # the client, but a client can forge it, so it counts only when the operator says
    # a proxy sets it (TRUSTED_PROXIES).
    client = make_app(rate_limit="2/minute", trusted_proxies=trusted_proxies).test_client()

    def post(forwarded_for: str) -> int:
        headers = {"X-Forwarded-For": forwarded_for}
        doc = samples.environment_document()
        return int(client.post("/contribute", json=doc, headers=headers).status_code)

    statuses = [post("10.0.0.1"), post("10.0.0.1"), post("10.0.0.2"), post("10.0.0.3")]
    if trusted_proxies:
        assert statuses == [202, 202, 202, 202]  # three clients behind one proxy
        assert post("10.0.0.1") == 429
    else:
        assert statuses == [202, 202, 429, 429]  # one client, however it labels itself


def test_errors_are_json_never_tracebacks(make_app):
    app = make_app()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /home/someone")

    client = app.test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.get_json() == {
        "error": "Internal Server Error",
        "detail": "an unexpected error occurred; it has been logged",
    }
    not_found = client.get("/nowhere")
    assert not_found.status_code == 404 and "detail" in not_found.get_json()
    wrong_method = client.get("/contribute")
    assert wrong_method.status_code == 405 and "POST" in wrong_method.headers["Allow"]
    assert client.get("/results/not-an-id").status_code == 404
    assert client.get("/results/" + "0" * 64).get_json()["error"] == "Not Found"


def test_config_errors_name_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="ZARR_BENCHMARKS_MAX_BODY"):
        load_config({"max_body": "lots"})
    with pytest.raises(ConfigError, match="ZARR_BENCHMARKS_RATE_LIMIT"):
        load_config({"rate_limit": "fast"})
    with pytest.raises(ConfigError, match="GIT_TOKEN"):
        load_config({"remote": "https://user:secret@example.invalid/r.git"})
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config({"colour": "blue"})
    cfg = load_config(
        environ={
            PREFIX + "TOKENS": "tok-one,tok-two",
            PREFIX + "DEBUG": "1",
            PREFIX + "MAX_BODY": "2M",
            PREFIX + "GIT_TOKEN": "ghp-secret",
        }
    )
    assert cfg.tokens == {"tok-one", "tok-two"} and cfg.debug and cfg.max_body == 2 * 2**20
    assert "tok-" not in repr(cfg) and "ghp-secret" not in repr(cfg)


# -- reads --------------------------------------------------------------------------------


def test_results_machines_filters_and_documents(make_app):
    app = make_app()
    client = app.test_client()
    machine = samples.machine_document()
    env = samples.environment_document()
    early = samples.result_document(
        machine["machine_id"], env["environment_id"], timestamp="2025-01-02-03-04-05", n_entries=1
    )
    late = samples.result_document(
        machine["machine_id"], env["environment_id"], timestamp="2026-06-07-08-09-10", n_entries=3
    )
    other = samples.result_document(timestamp="2026-06-08-00-00-00", n_entries=2)
    ids = {}
    for name, doc in {
        "machine": machine,
        "env": env,
        "early": early,
        "late": late,
        "other": other,
    }.items():
        ids[name] = client.post("/contribute", json=doc).get_json()["id"]

    def listed(query: str) -> list[str]:
        response = client.get("/results" + query)
        assert response.status_code == 200, response.get_json()
        return [r["id"] for r in response.get_json()["results"]]

    assert listed("") == [ids["other"], ids["late"], ids["early"]]  # newest first
    assert set(listed(f"?machine={machine['machine_id']}")) == {ids["early"], ids["late"]}
    assert set(listed(f"?machine={machine['machine_id'][:8]}")) == {ids["early"], ids["late"]}
    assert listed(f"?environment={env['environment_id']}&date=2025") == [ids["early"]]
    assert listed("?date=2026-06-07") == [ids["late"]]
    assert listed("?since=2026-06-08") == [ids["other"]]
    assert listed("?until=2025-12-31") == [ids["early"]]
    # entry 1 (light_sheet, blosc-lz4) exists only in results with >= 2 entries
    assert set(listed("?modality=light_sheet")) == {ids["late"], ids["other"]}
    assert set(listed("?codec=blosc-lz4-5-shuffle")) == {ids["late"], ids["other"]}
    assert listed("?codec=gzip-6") == []
    assert listed("?limit=1&offset=1") == [ids["late"]]
    bad = client.get("/results?date=yesterday")
    assert bad.status_code == 400 and "'date'" in bad.get_json()["detail"]
    assert client.get("/results?machine=../x").status_code == 400
    assert client.get("/results?limit=0").status_code == 400

    fetched = client.get(f"/results/{ids['late']}")
    assert fetched.status_code == 200 and fetched.get_json() == late
    assert fetched.headers["X-Store-State"] in {"pending", "committed", "stored"}

    machines = client.get("/machines").get_json()["machines"]
    by_id = {m["machine_id"]: m for m in machines}
    assert by_id[machine["machine_id"]]["results"] == 2
    assert by_id[machine["machine_id"]]["name"] == machine["name"]
    assert by_id[other["machine_id"]]["state"] == "missing"  # results but no info file
    assert client.get(f"/machines/{machine['machine_id']}").get_json() == machine
    envs = client.get("/environments").get_json()["environments"]
    assert env["environment_id"] in {e["environment_id"] for e in envs}


def test_health_reports_store_spool_and_push(make_app):
    app = make_app()
    client = app.test_client()
    receipt = client.post("/contribute", json=samples.environment_document()).get_json()
    assert wait_for(lambda: drained(app))
    health = client.get("/health").get_json()
    spec = client.get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert undeclared(health, schemas["Health"], spec) == []
    assert undeclared(receipt, schemas["Receipt"], spec) == []
    assert health["status"] == "ok"
    assert health["store"]["files"]["environment"] == 1
    assert health["store"]["writer_alive"] is True
    assert health["last_push"]["ok"] is True
    assert health["spool_depth"] == 0
    assert set(health["jobs"]) == {"queued", "running", "completed", "failed"}
    assert str(app.instance_path) not in json.dumps(health)


def test_embedded_remote_by_default(tmp_path):
    app = create_app({"instance_dir": tmp_path / "inst"})
    try:
        client = app.test_client()
        doc = samples.environment_document()
        assert client.post("/contribute?wait=10", json=doc).status_code == 201
        embedded = tmp_path / "inst" / "remote.git"
        assert (embedded / "HEAD").is_file()
        assert f"results/info_environment-{doc['environment_id']}.json" in remote_files(embedded)
        assert client.get("/health").get_json()["store"]["remote"] == "embedded"
        # its gc after a push stays in the push (a detached one outlives the service)
        assert git(embedded, "config", "gc.autoDetach").strip() == "false"
    finally:
        shutdown(app)


def test_debug_mode_commits_but_never_pushes(make_app, bare, tmp_path):
    app = make_app(debug=True)
    client = app.test_client()
    doc = samples.environment_document()
    response = client.post("/contribute?wait=10", json=doc)
    assert response.status_code == 201
    assert response.get_json()["state"] == "stored"  # committed counts as stored
    # A second commit means the writer finished the cycle (commit, then push if any)
    # of the first one.
    second = client.post("/contribute?wait=10", json=samples.environment_document())
    assert second.status_code == 201
    state = health(app)
    assert state["store"]["pushes"] is False
    assert state["last_push"] is None and state["unpushed"] == 0
    assert stored(bare) == []
    shutdown(app)  # the final flush on shutdown does not push either
    assert stored(bare) == []
    local = git(tmp_path / "instance" / "repo", "ls-tree", "-r", "--name-only", "HEAD")
    assert f"results/info_environment-{doc['environment_id']}.json" in local
    assert second.get_json()["path"] in local


def test_openapi_and_offline_swagger_ui(make_app):
    client = make_app().test_client()
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/contribute",
        "/results",
        "/results/{result_id}",
        "/machines",
        "/health",
        "/webhook/benchmark",
        "/status/{job_id}",
    ):
        assert path in spec["paths"], path
    assert "Error" in spec["components"]["schemas"]
    post = spec["paths"]["/contribute"]["post"]
    assert {"200", "202", "413", "422", "429"} <= set(map(str, post["responses"]))
    # the server takes an empty ?wait= as no wait, so the document must allow it
    # (schemathesis sends it as a "schema-violating" request otherwise)
    (wait,) = [p for p in post["parameters"] if p["name"] == "wait"]
    assert wait["allowEmptyValue"] is True
    empty = client.post("/contribute?wait=", json=samples.environment_document())
    assert empty.status_code == 202, empty.get_json()

    redirect = client.get("/docs")
    assert redirect.status_code in (301, 308)
    page = client.get("/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/openapi.json" in html
    assert "SwaggerUIBundle" in html
    # Every asset is served by the app itself; nothing is loaded from the network.
    assets = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', html)
    assert assets and all(a.startswith("/") for a in assets), assets
    assert not re.search(r"https?://(?!localhost)", html)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert client.get("/").status_code == 200


# -- error messages -----------------------------------------------------------------------


def test_shorten_cuts_long_quoted_values_and_keeps_the_rest():
    from flask_app.errors import MAX_DETAIL_CHARS, MAX_VALUE_CHARS, shorten

    short = "$.codec: 'zstd' is not one of ['a', 'b']"
    assert shorten(short) == short
    long = "$.name: '" + "n" * 5000 + "' does not match '^[a-z]{1,8}$'"
    cut = shorten(long)
    assert cut == (
        "$.name: '" + "n" * MAX_VALUE_CHARS + "\u2026' (5,000 characters) "
        "does not match '^[a-z]{1,8}$'"
    )
    # A value left open at the end (cut by whoever built the message) is cut too.
    assert shorten("bad value '" + "v" * 900).endswith("\u2026' (900 characters)")
    # An unquoted dump is capped as a whole.
    dump = shorten("[" + ", ".join(["1"] * 5000) + "]")
    assert len(dump) < MAX_DETAIL_CHARS + 40 and dump.endswith("\u2026 (15,000 characters)")


def test_a_missing_content_type_is_refused_by_the_app(make_app):
    client = make_app().test_client()
    body = json.dumps(samples.result_document()).encode()
    response = client.post("/contribute", data=body)
    assert response.status_code == 415
    assert response.get_json()["detail"] == (
        "the request has no Content-Type; send application/json"
    )
    ok = client.post("/contribute", data=body, content_type="application/vnd.zb+json")
    assert ok.status_code == 202
