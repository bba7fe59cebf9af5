"""Git faults (issue 12, items 3 and 8): hanging remotes, stalled pushes, back-off, errors.

Everything is real: a TCP server on 127.0.0.1 that accepts and never answers, a bare
remote whose ``pre-receive`` hook holds, refuses or records pushes, the waitress server
in a subprocess.
"""

from __future__ import annotations

import json
import re
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from service_fixtures import health, stored, undeclared, wait_for

from flask_app import samples
from flask_app.testing import ServerProcess

pytestmark = pytest.mark.usefixtures("no_service_env")


class BlackHole:
    """A TCP server on 127.0.0.1 that accepts connections, reads and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self.open = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self.open += 1
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    def _drain(self, conn: socket.socket) -> None:
        with conn:
            try:
                while conn.recv(65536):
                    pass  # read the request, never answer
            except OSError:
                pass
        with self._lock:
            self.open -= 1

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    yield hole
    hole.close()


def _json(server: ServerProcess, path: str) -> dict[str, Any]:
    body: dict[str, Any] = requests.get(server.url + path, timeout=10).json()
    return body


@pytest.mark.slow
def test_remote_that_never_answers_does_not_hang_start_or_the_writer(tmp_path, black_hole):
    # Item 3: git clone used to wait forever on such a remote, so the server never listened.
    remote = f"http://127.0.0.1:{black_hole.port}/results.git"
    settings = {"remote": remote, "git_timeout": 2, "push_retry_max": 1, "push_stall_after": 1}
    with ServerProcess(tmp_path / "inst", settings) as server:
        state = _json(server, "/health")
        assert state["status"] == "degraded"
        assert state["store"]["remote_state"]["reachable"] is False
        assert "timed out after 2 s" in state["store"]["remote_state"]["error"]
        assert any(p.startswith("remote unreachable") for p in state["problems"])
        assert black_hole.accepted >= 1  # git did connect: it was the answer that never came

        doc = samples.result_document()
        response = requests.post(server.url + "/contribute", json=doc, timeout=10)
        assert response.status_code == 202, response.text
        # The push hangs like the clone did: killed after git_timeout, retried with back-off.
        assert wait_for(
            lambda: (_json(server, "/health")["last_push"] or {}).get("failures", 0) >= 2, 60
        )
        state = _json(server, "/health")
        assert state["status"] == "degraded" and state["unpushed"] == 1
        assert "push timed out after 2 s" in state["last_push"]["error"]
        assert any(p.startswith("push failing") for p in state["problems"])
        # Accepting and reading go on; /health answers while a push hangs.
        fetched = requests.get(f"{server.url}/results/{response.json()['id']}", timeout=10)
        assert fetched.status_code == 200 and fetched.json() == doc
        # Killed with its children: no git-remote-http is left holding a connection open
        # beyond the one push in flight.
        assert wait_for(lambda: black_hole.open <= 1, 30)
    assert wait_for(lambda: black_hole.open == 0, 30)
    assert len(list((tmp_path / "inst" / "spool").glob("*.json"))) == 1  # kept for later
    # A restart with the clone in place: the start-up fetch is bounded the same way.
    with ServerProcess(tmp_path / "inst", settings) as server:
        state = _json(server, "/health")
        assert state["status"] == "degraded" and state["spool_depth"] == 1
        assert "timed out after 2 s" in state["store"]["remote_state"]["error"]
        fetched = requests.get(f"{server.url}/results/{response.json()['id']}", timeout=10)
        assert fetched.status_code == 200


def test_hanging_push_is_killed_reported_and_retried(make_app, bare, push_gate):
    # Item 3: a push held in the remote's pre-receive hook stalled the writer while
    # /health said "ok"; now /health shows the push in progress, degraded past the
    # threshold, and the push is killed after git_timeout and retried.
    push_gate.arm()
    app = make_app(git_timeout=4, push_stall_after=0.5, push_retry_max=0.5)
    client = app.test_client()
    doc = samples.result_document()
    assert client.post("/contribute", json=doc).status_code == 202
    assert push_gate.wait_started()
    assert wait_for(lambda: health(app)["push_in_progress"] is not None)
    since = health(app)["push_in_progress"]["since"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", since)

    def stalled() -> bool:
        state = health(app)
        return state["status"] == "degraded" and any(
            p.startswith(f"push in progress since {since}") for p in state["problems"]
        )

    assert wait_for(stalled, 30)
    # Every field /health sends in each state is in its OpenAPI schema.
    spec = client.get("/openapi.json").get_json()
    schema = spec["components"]["schemas"]["Health"]
    assert undeclared(health(app), schema, spec) == []
    # Killed after its timeout: the hook (a child of the push) is gone without release.
    assert wait_for(lambda: (health(app)["last_push"] or {}).get("ok") is False, 60)
    assert "push timed out after 4 s" in health(app)["last_push"]["error"]
    assert undeclared(health(app), schema, spec) == []
    assert wait_for(lambda: not push_gate.hook_alive, 30)
    assert not push_gate.finished  # the hook was killed, it never saw a release
    # The gate only holds the first push: the retry goes through.
    assert wait_for(lambda: health(app)["spool_depth"] == 0, 60)
    state = health(app)
    assert state["status"] == "ok", state["problems"]
    assert state["push_in_progress"] is None and state["last_push"]["ok"] is True
    assert undeclared(state, schema, spec) == []
    assert len(stored(bare)) == 1


def _counting_hook(bare: Path, count: Path) -> None:
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\necho push >> '{count}'\necho 'pushes are closed' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)


def _pushes(count: Path) -> int:
    return len(count.read_text().splitlines()) if count.exists() else 0


def test_push_backoff_is_not_reset_by_new_commits(make_app, bare, tmp_path):
    # Item 8: every commit used to reset the back-off, so a refusing remote got one push
    # per commit.  Ten commits while pushes fail: the back-off (1, 2, 4, 8 ... s) allows
    # far fewer pushes than commits.
    count = tmp_path / "pushes.txt"
    _counting_hook(bare, count)
    app = make_app(push_retry_max=60)
    client = app.test_client()
    assert client.post("/contribute", json=samples.result_document()).status_code == 202
    assert wait_for(lambda: (health(app)["last_push"] or {}).get("failures") == 1)
    commits = 10
    for n in range(1, commits):
        assert client.post("/contribute", json=samples.result_document()).status_code == 202
        assert wait_for(lambda n=n: health(app)["unpushed"] == n + 1)  # committed
    state = health(app)
    assert state["uncommitted"] == 0 and state["unpushed"] == commits
    pushes = _pushes(count)
    assert pushes == state["last_push"]["failures"]  # every attempt reached the hook
    assert pushes < commits, f"{pushes} pushes for {commits} commits: back-off was reset"
    assert state["last_push"]["retry_in_s"] == 0.5 * 2**pushes  # still growing
    assert state["status"] == "degraded"


def test_writer_error_makes_health_degraded_until_it_clears(make_app, tmp_path):
    # Item 8: /health said "ok" while the writer failed every cycle (last_error set).
    app = make_app()
    client = app.test_client()
    lock = tmp_path / "instance" / "repo" / ".git" / "index.lock"
    lock.write_text("")  # another git process holds the clone's index: commits fail
    doc = samples.result_document()
    assert client.post("/contribute", json=doc).status_code == 202
    assert wait_for(lambda: health(app)["last_error"] is not None)
    state = health(app)
    assert state["status"] == "degraded" and state["uncommitted"] == 1
    assert any(p.startswith("commit failing") and "index.lock" in p for p in state["problems"]), (
        state["problems"]
    )
    assert str(tmp_path) not in json.dumps(state)
    response = client.get("/health")
    assert response.status_code == 200  # degraded, the writer runs (see the docs)
    lock.unlink()
    assert wait_for(lambda: health(app)["spool_depth"] == 0)
    state = health(app)
    assert state["status"] == "ok" and state["last_error"] is None and state["problems"] == []


def test_git_children_do_not_inherit_the_service_tokens(make_app, bare, tmp_path, monkeypatch):
    # Item 8: git (and so the remote's hooks, for a local remote) got the service's
    # whole environment, tokens included.
    secrets = {
        "ZARR_BENCHMARKS_TOKENS": "tok-WRITE-1234567890",
        "GITHUB_TOKEN": "ghp-SECRET-1234567890",
        "GH_TOKEN": "gh-SECRET-0987654321",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ZB_TEST_MARKER", "inherited")
    dump = tmp_path / "hook-env.txt"
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nenv > '{dump}'\nexit 0\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    app = make_app()
    response = app.test_client().post(
        "/contribute?wait=20",
        json=samples.result_document(),
        headers={"Authorization": "Bearer tok-WRITE-1234567890"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    seen = dump.read_text()
    assert "ZB_TEST_MARKER=inherited" in seen  # the rest of the environment is kept
    for name, value in secrets.items():
        assert value not in seen and f"{name}=" not in seen, name
