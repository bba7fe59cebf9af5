"""Benchmark jobs: webhook validation, the persisted queue, restarts and Dask."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from flask_app import shutdown
from flask_app.config import load_config
from flask_app.jobqueue import MAX_ATTEMPTS, JobManager

SMALL = {
    "dataset": {"name": "tiny", "type": "cryoet", "shape": [16, 16, 16], "dtype": "float32"},
    "benchmark": {"codecs": ["zstd-3", "blosc-lz4-5-shuffle"], "num_runs": 1},
}


pytestmark = pytest.mark.usefixtures("no_service_env")


@pytest.fixture
def app_settings(tmp_path: Path) -> dict[str, Any]:
    """The embedded remote, jobs in threads (``make_app`` comes from service_fixtures)."""
    return {"instance_dir": tmp_path / "instance", "job_executor": "thread"}


def wait_status(client: Any, job_id: str, states: set[str], timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/status/{job_id}").get_json()
        if body["status"] in states or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def assert_completed(body: dict[str, Any]) -> None:
    assert body["status"] == "completed", body
    results = body["results"]
    for key in ("best_write", "best_read", "best_compression"):
        assert results[key]["codec"] in {"zstd-3", "blosc-lz4-5-shuffle"}
    assert {r["codec"] for r in results["results"]} == {"zstd-3", "blosc-lz4-5-shuffle"}
    assert body["finished_at"] >= body["started_at"] >= body["created_at"]


def test_webhook_job_runs_to_completion_in_a_worker_process(make_app):
    client = make_app(job_executor="process").test_client()
    response = client.post("/webhook/benchmark", json=SMALL)
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued" and response.headers["Location"] == body["status_url"]
    assert_completed(wait_status(client, body["job_id"], {"completed", "failed"}))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["dataset"].update(shape=[1024, 1024, 1024]), "dataset/shape"),
        (lambda p: p["benchmark"].update(num_runs=50), "benchmark/num_runs"),
        (lambda p: p["benchmark"].update(codecs=["zstd-3"] * 21), "benchmark/codecs"),
        (lambda p: p["benchmark"].update(codecs=["no-such-codec"]), "benchmark/codecs/0"),
        (lambda p: p["dataset"].update(shape=[0, 4]), "dataset/shape/0"),
        (lambda p: p["dataset"].update(type="../../etc"), "dataset"),
        (lambda p: p.pop("dataset"), "(payload)"),
        (lambda p: p.update(callback="http://127.0.0.1:1/"), "(payload)"),
    ],
)
def test_invalid_payloads_are_rejected_with_the_field(make_app, change, field):
    client = make_app().test_client()
    payload = {"dataset": dict(SMALL["dataset"]), "benchmark": dict(SMALL["benchmark"])}
    change(payload)
    response = client.post("/webhook/benchmark", json=payload)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["detail"].startswith(field)
    assert client.get("/health").get_json()["jobs"]["queued"] == 0


def test_bad_bodies_and_unknown_jobs(make_app):
    client = make_app(tokens="tok-1").test_client()
    auth = {"Authorization": "Bearer tok-1"}
    assert client.post("/webhook/benchmark", json=SMALL).status_code == 401
    assert (
        client.post(
            "/webhook/benchmark", json=SMALL, headers={"Authorization": "Bearer nope"}
        ).status_code
        == 403
    )
    bad = client.post(
        "/webhook/benchmark", data=b"{", content_type="application/json", headers=auth
    )
    assert bad.status_code == 400 and "detail" in bad.get_json()
    assert client.post("/webhook/benchmark", json=[1], headers=auth).status_code == 422
    missing = client.get("/status/" + "0" * 32)
    assert missing.status_code == 404 and missing.get_json()["error"] == "Not Found"
    assert client.get("/status/../../etc/passwd").status_code == 404


def test_queue_is_bounded(make_app):
    client = make_app(job_workers=0, job_queue_max=2).test_client()
    codes = [client.post("/webhook/benchmark", json=SMALL).status_code for _ in range(3)]
    assert codes == [202, 202, 503]


def test_jobs_survive_a_restart(make_app, tmp_path):
    first = make_app(job_workers=0)  # accepts jobs but runs none
    client = first.test_client()
    ids = [client.post("/webhook/benchmark", json=SMALL).get_json()["job_id"] for _ in range(2)]
    assert {client.get(f"/status/{i}").get_json()["status"] for i in ids} == {"queued"}
    shutdown(first)

    second = make_app(job_workers=1)
    client = second.test_client()
    for job_id in ids:
        assert_completed(wait_status(client, job_id, {"completed", "failed"}))


def test_interrupted_jobs_are_requeued_and_eventually_failed(tmp_path):
    db_path = tmp_path / "jobs.sqlite"
    config = load_config({"instance_dir": tmp_path, "job_workers": 0})
    manager = JobManager(config, db_path)
    manager.start()
    again = manager.submit(SMALL)
    hopeless = manager.submit(SMALL)
    manager.stop()
    with sqlite3.connect(db_path) as db:  # as a server crash would leave them
        db.execute("UPDATE jobs SET status='running', attempts=1 WHERE id=?", (again,))
        db.execute(
            "UPDATE jobs SET status='running', attempts=? WHERE id=?", (MAX_ATTEMPTS, hopeless)
        )
    manager = JobManager(config, db_path)
    manager.start()
    try:
        assert manager.get(again)["status"] == "queued"
        failed = manager.get(hopeless)
        assert failed["status"] == "failed"
        assert f"interrupted by {MAX_ATTEMPTS} server restarts" in failed["error"]
    finally:
        manager.stop()


def test_jobs_run_on_a_dask_cluster(make_app):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        client = make_app(dask_scheduler=cluster.scheduler_address).test_client()
        job_id = client.post("/webhook/benchmark", json=SMALL).get_json()["job_id"]
        assert_completed(wait_status(client, job_id, {"completed", "failed"}))
        ran = [t for t in cluster.scheduler.transition_log if "execute_payload" in str(t[0])]
        assert ran, "the job did not go through the Dask scheduler"
