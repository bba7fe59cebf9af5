"""A started service builds the dashboard's answer before the first ``data.json`` asks."""

from __future__ import annotations

import pytest
from service_fixtures import health, wait_for

from flask_app import dashboard, samples, shutdown
from flask_app.ingest import for_store

pytestmark = [pytest.mark.usefixtures("no_service_env"), pytest.mark.db]


def _folded(app) -> bool:
    parts = for_store(app.extensions["zarr_benchmarks"].store).parts
    fold = dashboard._folds.get(parts)
    if fold is None:
        return False
    # every table folded up to its newest live part: a request reads nothing old
    folded = all(
        table in fold.rows and not parts.newer(table, fold.hi[table])[1]
        for table in dashboard._FOLDS
    )
    ingestor = for_store(app.extensions["zarr_benchmarks"].store)
    with dashboard._cache_lock:
        cached = (id(ingestor), "latest") in dashboard._cache
    return folded and cached  # the answer itself is ready, not only the fold


def test_restarted_service_builds_the_dashboard_answer_in_the_background(make_app):
    first = make_app()
    client = first.test_client()
    machine = samples.machine_document(name="BraveOtter")
    assert client.post("/contribute", json=machine).status_code == 202
    for day in (1, 2, 3):
        doc = samples.result_document(machine["machine_id"], timestamp=f"2026-01-0{day}-00-00-00")
        assert client.post("/contribute", json=doc).status_code == 202
    assert wait_for(lambda: (health(first)["aggregate"] or {}).get("results") == 3, 60)
    shutdown(first)
    dashboard._folds.clear()  # what a new server process starts with
    dashboard._cache.clear()

    second = make_app()  # same instance folder: its parts hold the three results
    assert wait_for(lambda: _folded(second), 60)  # no request has been made
    body = second.test_client().get("/dashboard/data.json").get_json()
    assert len({row["machine_id"] for row in body["rows"]}) == 1
