"""Numbers a float cannot hold: refused at the request boundary, left out by the views."""

from __future__ import annotations

import json

import pytest
import requests

from flask_app import samples
from flask_app._request import service
from flask_app.testing import ServerProcess

pytestmark = pytest.mark.usefixtures("no_service_env")

#: a sample value in samples.result_document() replaced by a literal in the JSON text
_MARK = 987654.125


def _with_sample(literal: str, **kwargs: object) -> str:
    doc = samples.result_document(**kwargs)  # type: ignore[arg-type]
    bench = next(iter(doc["benchmarks"].values()))
    bench["results"][0]["samples"][0] = _MARK
    text = json.dumps(doc)
    assert text.count(repr(_MARK)) == 1
    return text.replace(repr(_MARK), literal)


def _bench_name() -> str:
    return next(iter(samples.result_document()["benchmarks"]))


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        ("1e999", "not finite"),
        ("-1e999", "not finite"),
        ("1" + "0" * 400, "64-bit"),
        (str(2**63), "64-bit"),
        (str(-(2**63) - 1), "64-bit"),
    ],
)
def test_contribute_refuses_numbers_a_float_cannot_hold(make_app, literal, reason):
    client = make_app().test_client()
    response = client.post(
        "/contribute", data=_with_sample(literal), content_type="application/json"
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    path = f"$.benchmarks[{_bench_name()!r}].results[0].samples[0]"
    assert body["path"] == path
    assert reason in body["detail"] and path in body["detail"]
    assert client.get("/results").get_json()["count"] == 0


def test_contribute_accepts_the_largest_64_bit_integer(make_app):
    client = make_app().test_client()
    response = client.post(
        "/contribute", data=_with_sample(str(2**63 - 1)), content_type="application/json"
    )
    assert response.status_code in (201, 202), response.get_data(as_text=True)


@pytest.mark.slow
def test_waitress_refuses_a_non_finite_number(tmp_path, bare):
    with ServerProcess(tmp_path / "inst", {"remote": bare}) as server:
        response = requests.post(
            server.url + "/contribute",
            data=_with_sample("1e999"),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 422, response.text
        assert "not finite" in response.json()["detail"]


def test_dashboard_leaves_out_a_stored_result_with_an_oversized_integer(make_app):
    """A file stored before the boundary check (or put in the store by hand)."""
    app = make_app()
    client = app.test_client()
    good = samples.result_document()
    assert client.post("/contribute", json=good).status_code == 202
    bad = json.loads(_with_sample("1" + "0" * 400, timestamp="2020-01-01-00-00-00"))
    with app.app_context():
        entry, created = service().store.submit(bad)
    assert created
    response = client.get("/dashboard/data.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert data["results"] == 1
    assert entry.id not in {r["result_id"] for r in data["rows"]}
    assert any(entry.id[:12] in n and "left out" in n for n in data["notes"])
