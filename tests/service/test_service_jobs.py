"""Benchmark jobs: webhook validation, the persisted queue, restarts and Dask."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from service_fixtures import wait_for

from flask_app import shutdown
from flask_app.config import load_config
from flask_app.jobqueue import MAX_ATTEMPTS, JobManager
from flask_app.testing import ServerProcess

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


def _job_workers(server_pid: int) -> list[Any]:
    """The spawned job worker processes of a server (not multiprocessing's helpers)."""
    psutil = pytest.importorskip("psutil")
    try:
        children = psutil.Process(server_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    workers = []
    for child in children:
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                workers.append(child)
        except psutil.NoSuchProcess:
            pass
    return workers


def _gone(process: Any) -> bool:
    """The process has exited (a zombie waiting for its reaper computes nothing)."""
    psutil = pytest.importorskip("psutil")
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
def test_a_killed_server_leaves_no_worker_computing(tmp_path):
    """SIGKILL of the server ends its job worker; the restarted server runs the job once."""
    instance = tmp_path / "inst"
    settings = {"job_workers": 1, "job_executor": "process"}
    # Long enough (about 15 s here) to be still computing well after the kill.
    longer = {
        "dataset": {"type": "synthetic", "shape": [160, 128, 128], "dtype": "uint16"},
        "benchmark": {"codecs": ["zstd-3", "gzip-6", "blosc-zstd-5-shuffle"], "num_runs": 20},
    }
    server = ServerProcess(instance, settings).start()
    try:
        response = requests.post(server.url + "/webhook/benchmark", json=longer, timeout=30)
        assert response.status_code == 202, response.text
        job_id = response.json()["job_id"]

        def running() -> bool:
            status = requests.get(f"{server.url}/status/{job_id}", timeout=10).json()
            return bool(status["status"] == "running")

        assert wait_for(running, 60)
        assert server.proc is not None
        pid = server.proc.pid
        assert wait_for(lambda: len(_job_workers(pid)) == 1, 60)  # spawned after 'running'
        workers = _job_workers(pid)
        assert workers[0].cpu_percent(interval=0.5) > 0  # computing
    finally:
        server.kill()
    # Before, the orphaned worker went on computing until its job ended.
    assert wait_for(lambda: _gone(workers[0]), 5), "the job worker outlived the server"

    with ServerProcess(instance, settings) as server:

        def finished() -> bool:
            status = requests.get(f"{server.url}/status/{job_id}", timeout=10).json()
            return bool(status["status"] in {"completed", "failed"})

        assert wait_for(finished, 300)
        status = requests.get(f"{server.url}/status/{job_id}", timeout=10).json()
        assert status["status"] == "completed", status
        assert server.proc is not None
        restarted = _job_workers(server.proc.pid)
        assert len(restarted) == 1  # one worker ran the job again, none is left over
    with sqlite3.connect(instance / "jobs.sqlite") as db:
        (attempts,) = db.execute("SELECT attempts FROM jobs WHERE id=?", (job_id,)).fetchone()
    assert attempts == 2  # the interrupted run and exactly one re-run
    assert wait_for(lambda: _gone(restarted[0]), 10)  # it ended with the stopped server


_PARENT = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())])
print(child.pid, flush=True)
child.wait()
"""

#: the child: end with the parent given as argv[1], then say "ready" (on the shared stdout)
_CHILD = {
    # the fallback where prctl is missing: a thread polling the parent pid
    "watchdog": """
import sys, threading, time
from flask_app.jobqueue import _watch_parent
threading.Thread(target=_watch_parent, args=(int(sys.argv[1]), 0.05), daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(0.05)
""",
    # what the job workers run: the parent-death signal on Linux
    "die_with_parent": """
import sys, time
from flask_app.jobqueue import die_with_parent
die_with_parent(int(sys.argv[1]))
print("ready", flush=True)
while True:
    time.sleep(0.05)
""",
}


@pytest.mark.parametrize("how", sorted(_CHILD))
def test_a_worker_ends_when_its_parent_is_killed(how):
    """Both mechanisms, with real processes: the parent is SIGKILLed, the child must end."""
    psutil = pytest.importorskip("psutil")
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, _CHILD[how]], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = psutil.Process(int(parent.stdout.readline()))
        assert parent.stdout.readline().strip() == "ready"  # watching its parent now
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(30)
    try:
        assert wait_for(lambda: _gone(child), 10), f"{how}: the child outlived its parent"
    finally:
        if not _gone(child):  # a failed test leaves no process behind
            child.kill()
