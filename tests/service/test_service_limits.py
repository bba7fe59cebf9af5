"""Limits at the HTTP boundary, against a real waitress server (``zarr-benchmarks serve``).

Bounded ``?wait`` requests during a push outage, rate limits that wrong tokens cannot
dodge, exact job-queue admission under concurrent submissions, 415 for a missing
Content-Type, short 422 messages for huge values, and 413 before an oversized body is
read.
"""

from __future__ import annotations

import json
import select
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from service_fixtures import PushGate, stored, wait_for

from flask_app import samples
from flask_app.errors import MAX_VALUE_CHARS
from flask_app.testing import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_service_env")]

MAX_BODY = 64 * 1024

JOB = {
    "dataset": {"type": "cryoet", "shape": [16, 16, 16], "dtype": "float32"},
    "benchmark": {"codecs": ["zstd-3"], "num_runs": 1},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server (embedded remote) for the checks that do not change its state."""
    with ServerProcess(
        tmp_path_factory.mktemp("limits") / "inst", {"max_body": MAX_BODY}, threads=4
    ) as running:
        yield running


def _raw_response(sock: socket.socket, timeout: float) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP response (status, headers, body) from ``sock``."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


# -- item 8: 413 before reading, 415, short 422 ---------------------------------------


def test_an_oversized_declared_body_is_refused_before_it_is_sent(server):
    """Only the headers go out: waitress must answer from ``Content-Length`` alone."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /contribute HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (300 * 2**20)
        )
        # Without the limit in waitress this read times out: waitress waits for 300 MB.
        status, headers, body = _raw_response(sock, timeout=10)
    assert status == 413
    assert headers["content-type"] == "application/json"
    answer = json.loads(body)
    assert answer["error"] == "Request Entity Too Large"
    assert f"larger than {MAX_BODY} bytes" in answer["detail"]


def test_an_oversized_chunked_body_is_cut_off_near_the_limit(server):
    """A generator body (chunked): the server answers 413 once the limit is passed."""
    chunk = b"x" * MAX_BODY
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /contribute HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        # Send until the server answers (or closes), at most 100 times the limit.
        while sent < 100 * MAX_BODY and not select.select([sock], [], [], 0.05)[0]:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:  # the server closed after answering
                break
            sent += len(chunk)
        status, _, body = _raw_response(sock, timeout=10)
    assert status == 413, body
    assert f"larger than {MAX_BODY} bytes" in json.loads(body)["detail"]
    # It stopped reading near the limit, not at the end of the (endless) body.
    assert sent < 20 * MAX_BODY


def test_a_body_at_the_limit_reaches_the_app(server):
    """Exactly MAX_BODY bytes is allowed: the app parses it (400: not JSON)."""
    response = requests.post(
        server.url + "/contribute",
        data=b" " * (MAX_BODY - 1) + b"{",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert "not valid JSON" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/contribute", "/webhook/benchmark"])
def test_a_missing_content_type_is_415(server, path):
    body = json.dumps(samples.result_document() if path == "/contribute" else JOB)
    # requests sends no Content-Type for bytes data
    response = requests.post(server.url + path, data=body.encode(), timeout=30)
    assert "content-type" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 415, response.text
    assert "no Content-Type" in response.json()["detail"]
    plain = requests.post(
        server.url + path, data=body, headers={"Content-Type": "text/plain"}, timeout=30
    )
    assert plain.status_code == 415 and "'text/plain'" in plain.json()["detail"]


def test_a_422_does_not_echo_a_huge_value(server):
    doc = samples.result_document()
    doc["machine_id"] = "z" * 40_000
    response = requests.post(server.url + "/contribute", json=doc, timeout=30)
    assert response.status_code == 422, response.text[:300]
    detail = response.json()["detail"]
    assert len(response.content) < 1000
    assert detail.startswith("$.machine_id: '" + "z" * MAX_VALUE_CHARS + "\u2026'")
    assert "(40,000 characters)" in detail and "does not match" in detail


def test_a_huge_key_in_the_json_path_is_cut_too(server):
    job = {"dataset": dict(JOB["dataset"]), "benchmark": dict(JOB["benchmark"])}
    job["k" * 30_000] = 1
    response = requests.post(server.url + "/webhook/benchmark", json=job, timeout=30)
    assert response.status_code == 422, response.text[:300]
    assert len(response.content) < 1000
    assert "(30,000 characters)" in response.text


# -- item 5: rate limit keyed on the address unless the token is valid ------------------


def test_wrong_tokens_share_the_address_bucket(tmp_path):
    """650 distinct wrong tokens meet the 600/minute limit (default): 429, not 650 x 403."""
    settings = {"tokens": "tok-valid"}
    with ServerProcess(tmp_path / "inst", settings, threads=4) as srv, requests.Session() as s:
        codes = []
        for i in range(650):
            response = s.post(
                srv.url + "/webhook/benchmark",
                json=JOB,
                headers={"Authorization": f"Bearer guess-{i:04d}"},
                timeout=30,
            )
            codes.append(response.status_code)
            if response.status_code == 429:
                assert response.headers["Retry-After"]
                assert "rate limit exceeded" in response.json()["detail"]
        assert set(codes[:600]) == {403}
        assert 429 in codes[600:], codes[600:]
        # No token at all: the same address bucket, also exhausted.
        assert s.post(srv.url + "/webhook/benchmark", json=JOB, timeout=30).status_code == 429
        # A valid token has its own bucket.
        good = s.post(
            srv.url + "/contribute",
            json=samples.result_document(),
            headers={"Authorization": "Bearer tok-valid"},
            timeout=30,
        )
        assert good.status_code == 202, good.text


# -- item 8: exact job-queue admission ----------------------------------------------------


def test_queue_admission_is_exact_under_concurrent_submissions(tmp_path):
    settings = {"job_workers": 0, "job_queue_max": 30, "rate_limit": "none"}
    with ServerProcess(tmp_path / "inst", settings, threads=16) as srv:
        start = threading.Barrier(48)

        def submit(_: int) -> int:
            with requests.Session() as session:
                session.get(srv.url + "/health", timeout=30)  # connect before the start
                start.wait(30)
                return session.post(
                    srv.url + "/webhook/benchmark", json=JOB, timeout=60
                ).status_code

        with ThreadPoolExecutor(48) as pool:
            codes = list(pool.map(submit, range(48)))
        assert codes.count(202) == 30, codes
        assert codes.count(503) == 18, codes
        jobs = requests.get(srv.url + "/health", timeout=30).json()["jobs"]
        assert jobs["queued"] == 30, jobs


# -- item 4: a bounded number of ?wait requests -------------------------------------------


def _post(url: str, doc: dict[str, Any], timeout: float = 60) -> requests.Response:
    return requests.post(url, json=doc, timeout=timeout)


def test_waiting_requests_cannot_take_every_thread(tmp_path, bare, push_gate: PushGate):
    """16 ``?wait=30`` clients while a push hangs: /health and plain POSTs still answer."""
    push_gate.arm()
    settings = {"remote": bare, "wait_slots": 2}
    with ServerProcess(tmp_path / "inst", settings, threads=4) as srv:
        first = _post(srv.url + "/contribute", samples.result_document())
        assert first.status_code == 202, first.text
        assert push_gate.wait_started()  # the writer is stuck in a push: an outage

        docs = [samples.result_document() for _ in range(16)]
        with ThreadPoolExecutor(16) as pool:
            waiting = [pool.submit(_post, srv.url + "/contribute?wait=30", d) for d in docs]
            # The requests beyond the two slots answer at once (checked below), so two
            # threads are left for the rest; before, all four were taken for 30 s.
            wait_for(lambda: sum(f.done() for f in waiting) == 14, 20)
            health = requests.get(srv.url + "/health", timeout=5)
            assert health.status_code in (200, 503) and health.json()["uncommitted"] == 16
            plain = _post(srv.url + "/contribute", samples.machine_document(), timeout=5)
            assert plain.status_code == 202, plain.text

            skipped = [f.result() for f in waiting if f.done()]
            assert len(skipped) == 14
            assert {r.status_code for r in skipped} == {202}
            assert all("did not wait for the push" in r.json()["note"] for r in skipped)
            assert all(r.json()["status"] == "accepted" for r in skipped)
            assert sum(f.done() for f in waiting) == 14  # the two still wait

            push_gate.release(accept=True)  # the outage ends: the waiters see their push
            answers = [f.result() for f in waiting]
        assert sorted(r.status_code for r in answers) == [201] * 2 + [202] * 14
        assert all(r.json()["state"] == "stored" for r in answers if r.status_code == 201)
        assert wait_for(lambda: len(stored(bare)) == 18, 60)


def test_wait_is_capped_by_the_setting(tmp_path):
    log = tmp_path / "server.log"
    with (
        log.open("wb") as out,
        ServerProcess(tmp_path / "inst", {"wait_max": 5}, threads=2, log=out) as srv,
    ):
        too_long = _post(srv.url + "/contribute?wait=6", samples.result_document())
        assert too_long.status_code == 400
        assert "between 0 and 5" in too_long.json()["detail"]
        ok = _post(srv.url + "/contribute?wait=5", samples.result_document())
        assert ok.status_code == 201, ok.text
    # The default 4 wait slots could take both request threads: serve says so.
    assert "WAIT_SLOTS=4 >= --threads 2" in log.read_text(encoding="utf-8")
