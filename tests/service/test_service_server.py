"""A real server process (waitress via ``zarr-benchmarks serve``): HTTP, crashes, restarts."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from service_fixtures import stored, wait_for

from flask_app import samples
from flask_app.testing import ServerProcess, remote_commits

pytestmark = pytest.mark.slow


def test_waitress_server_over_http(tmp_path, bare):
    settings = {"remote": bare, "tokens": "tok-http"}
    with ServerProcess(tmp_path / "inst", settings) as server:
        doc = samples.result_document()
        auth = {"Authorization": "Bearer tok-http"}
        assert requests.post(server.url + "/contribute", json=doc, timeout=10).status_code == 401
        response = requests.post(
            server.url + "/contribute?wait=20", json=doc, headers=auth, timeout=30
        )
        assert response.status_code == 201, response.text
        assert response.json()["path"] in stored(bare)
        assert response.headers["Server"] == "zarr-benchmarks"  # waitress, not werkzeug
        big = requests.post(
            server.url + "/contribute",
            data=b"x" * (5 * 2**20),
            headers={**auth, "Content-Type": "application/json"},
            timeout=30,
        )
        assert big.status_code == 413 and big.json()["error"]
        listed = requests.get(server.url + "/results", timeout=10).json()
        assert listed["count"] == 1
        html = requests.get(server.url + "/docs", timeout=10).text
        assets = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', html)
        for asset in assets:
            assert requests.get(server.url + asset, timeout=10).status_code == 200


def test_crash_between_accept_and_commit_loses_nothing(tmp_path, bare, push_gate):
    instance = tmp_path / "inst"
    push_gate.arm()
    slow = ServerProcess(instance, {"remote": bare}).start()
    first = samples.result_document()
    docs = [samples.result_document() for _ in range(20)] + [samples.machine_document()]
    ids = []
    try:
        response = requests.post(slow.url + "/contribute", json=first, timeout=10)
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
        # The writer committed the first document and is stuck pushing it (held in the
        # remote's pre-receive hook): everything accepted from now on is only spooled.
        assert push_gate.wait_started()
        for doc in docs:
            response = requests.post(slow.url + "/contribute", json=doc, timeout=10)
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
        health = requests.get(slow.url + "/health", timeout=10).json()
        assert health["uncommitted"] == len(docs) and health["unpushed"] == 1
        assert stored(bare) == []
    finally:
        slow.kill()  # SIGKILL: no shutdown hook runs; the push is still in progress
    push_gate.release(accept=False)  # the orphaned push of the dead server fails
    assert push_gate.wait_finished()
    assert stored(bare) == []
    docs.insert(0, first)
    assert len(list((instance / "spool").glob("*.json"))) == len(docs)

    with ServerProcess(instance, {"remote": bare}) as server:
        assert wait_for(lambda: len(stored(bare)) == len(docs), 60)
        assert wait_for(
            lambda: requests.get(server.url + "/health", timeout=10).json()["spool_depth"] == 0,
            60,
        )
        for doc, ident in zip(docs[:-1], ids[:-1], strict=True):
            fetched = requests.get(f"{server.url}/results/{ident}", timeout=10)
            assert fetched.status_code == 200 and fetched.json() == doc
        # Re-sending after the restart is recognised as a duplicate.
        again = requests.post(server.url + "/contribute", json=docs[1], timeout=10)
        assert again.status_code == 200
    assert all(c["parents"] <= 1 for c in remote_commits(bare))
    assert not list((instance / "spool").glob("*.json"))


def test_crash_after_commit_before_push_loses_nothing(tmp_path, bare):
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    instance = tmp_path / "inst"
    server = ServerProcess(instance, {"remote": bare, "push_retry_max": 0.5}).start()
    try:
        for _ in range(5):
            response = requests.post(
                server.url + "/contribute", json=samples.result_document(), timeout=10
            )
            assert response.status_code == 202

        def committed_not_pushed() -> bool:
            health = requests.get(server.url + "/health", timeout=10).json()
            return health["unpushed"] == 5 and health["uncommitted"] == 0

        assert wait_for(committed_not_pushed, 60)
    finally:
        server.kill()
    hook.unlink()
    with ServerProcess(instance, {"remote": bare}):
        assert wait_for(lambda: len(stored(bare)) == 5, 60)
    assert not list((instance / "spool").glob("*.json"))


def _job(server: ServerProcess, payload: dict[str, Any]) -> str:
    response = requests.post(server.url + "/webhook/benchmark", json=payload, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


def _status(server: ServerProcess, job_id: str) -> dict[str, Any]:
    return requests.get(f"{server.url}/status/{job_id}", timeout=10).json()


def test_jobs_survive_a_server_crash(tmp_path):
    instance = tmp_path / "inst"
    small = {
        "dataset": {"type": "cryoet", "shape": [16, 16, 16], "dtype": "float32"},
        "benchmark": {"codecs": ["zstd-3"], "num_runs": 1},
    }
    # Long enough to be caught running when the server is killed.
    longer = {
        "dataset": {"type": "synthetic", "shape": [128, 128, 128], "dtype": "uint16"},
        "benchmark": {"codecs": ["zstd-3", "gzip-6", "blosc-zstd-5-shuffle"], "num_runs": 10},
    }
    server = ServerProcess(instance, {"job_workers": 1, "job_executor": "thread"}).start()
    try:
        running = _job(server, longer)
        queued = _job(server, small)
        assert wait_for(lambda: _status(server, running)["status"] == "running", 60)
        assert _status(server, queued)["status"] == "queued"
    finally:
        server.kill()
    with ServerProcess(instance, {"job_workers": 1, "job_executor": "thread"}) as server:
        for job_id in (running, queued):
            assert wait_for(lambda j=job_id: _status(server, j)["status"] == "completed", 300)
            results = _status(server, job_id)["results"]
            assert {"best_write", "best_read", "best_compression"} <= set(results)
