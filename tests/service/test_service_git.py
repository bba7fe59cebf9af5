"""The git-backed store under stress: concurrency, refused pushes, rebases, tokens."""

from __future__ import annotations

import base64
import json
import stat
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from service_fixtures import health, wait_for

from flask_app import samples
from flask_app.testing import git, remote_commits, remote_files

pytestmark = pytest.mark.usefixtures("no_service_env")


@pytest.fixture
def app_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    return {**app_settings, "push_retry_max": 0.5}


def assert_clean_history(bare: Path) -> None:
    """Linear history, every commit only adds files under results/, each file once."""
    commits = remote_commits(bare)
    added: Counter[str] = Counter()
    for commit in commits[:-1]:  # the last (oldest) commit starts the store
        assert commit["parents"] == 1, commit
        assert commit["subject"].startswith("Add "), commit
        for change in commit["changes"]:
            assert change[0] == "A", commit
            assert change[1].startswith("results/"), commit
            added[change[1]] += 1
    assert commits[-1]["parents"] == 0
    assert all(n == 1 for n in added.values()), added.most_common(3)


def test_concurrent_contributions_are_each_stored_once_in_clean_commits(make_app, bare, tmp_path):
    app = make_app()
    shared = [samples.result_document(seed=i) for i in range(10)]  # sent by every thread
    own: dict[int, list[dict[str, Any]]] = {
        t: [samples.result_document() for _ in range(15)] + [samples.machine_document()]
        for t in range(12)
    }
    statuses: Counter[int] = Counter()
    ids: set[str] = set()
    lock = threading.Lock()
    errors: list[str] = []

    def worker(t: int) -> None:
        client = app.test_client()
        for doc in own[t] + shared:
            response = client.post("/contribute", json=doc)
            with lock:
                statuses[response.status_code] += 1
                if response.status_code not in (200, 202):
                    errors.append(response.get_data(as_text=True))
                ids.add(response.get_json()["id"])

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    unique = 12 * 16 + 10
    assert len(ids) == unique
    assert statuses[202] == unique  # each new document accepted exactly once
    assert statuses[200] == 12 * 10 - 10  # the rest were duplicates
    assert wait_for(lambda: health(app)["spool_depth"] == 0)

    files = [f for f in remote_files(bare) if f.startswith("results/")]
    assert len(files) == len(set(files)) == unique
    assert_clean_history(bare)
    # Every stored file is exactly the document that was sent.
    sent = {json.dumps(d, sort_keys=True) for docs in own.values() for d in docs}
    sent |= {json.dumps(d, sort_keys=True) for d in shared}
    stored = {json.dumps(json.loads(git(bare, "show", f"main:{f}")), sort_keys=True) for f in files}
    assert stored == sent
    worktree = tmp_path / "instance" / "repo"
    assert git(worktree, "status", "--porcelain") == ""
    assert not list((tmp_path / "instance" / "spool").glob("*.json"))


def test_refused_pushes_keep_everything_and_resume(make_app, bare, tmp_path):
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are closed for maintenance' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    app = make_app()
    client = app.test_client()
    docs = [samples.result_document() for _ in range(5)]
    for doc in docs:
        assert client.post("/contribute", json=doc).status_code == 202
    assert wait_for(lambda: (health(app)["last_push"] or {}).get("ok") is False)
    state = health(app)
    assert state["status"] == "degraded"
    assert state["spool_depth"] == 5
    assert "pre-receive hook declined" in state["last_push"]["error"]
    assert str(tmp_path) not in json.dumps(state)  # no local paths leak to clients
    assert len(list((tmp_path / "instance" / "spool").glob("*.json"))) == 5
    assert not [f for f in remote_files(bare) if f.startswith("results/")]
    # Still accepting (and deduplicating) while the remote refuses.
    assert client.post("/contribute", json=docs[0]).status_code == 200
    late = samples.result_document()
    assert client.post("/contribute", json=late).status_code == 202

    hook.unlink()  # the remote recovers
    assert wait_for(lambda: health(app)["spool_depth"] == 0)
    assert health(app)["status"] == "ok"
    files = [f for f in remote_files(bare) if f.startswith("results/")]
    assert len(files) == 6
    assert_clean_history(bare)
    assert not list((tmp_path / "instance" / "spool").glob("*.json"))


def test_rejected_push_is_rebased_onto_the_remote(make_app, bare, tmp_path):
    app = make_app()
    client = app.test_client()
    first = samples.result_document()
    assert client.post("/contribute?wait=10", json=first).status_code == 201

    # Someone else pushes to the same repository.
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(bare), str(other))
    git(other, "config", "user.name", "Other")
    git(other, "config", "user.email", "other@example.invalid")
    theirs = samples.environment_document()
    rel = f"results/info_environment-{theirs['environment_id']}.json"
    (other / rel).write_text(json.dumps(theirs, indent=2, sort_keys=True) + "\n")
    git(other, "add", rel)
    git(other, "commit", "-q", "-m", "Add an environment by hand")
    git(other, "push", "-q", "origin", "main")

    second = samples.result_document()
    response = client.post("/contribute?wait=10", json=second)
    assert response.status_code == 201
    files = remote_files(bare)
    assert rel in files and response.get_json()["path"] in files
    commits = remote_commits(bare)
    assert all(c["parents"] <= 1 for c in commits)  # rebased, not merged
    assert commits[1]["subject"] == "Add an environment by hand"
    # The service learned about the file it fetched: duplicates and reads work.
    assert client.get(f"/environments/{theirs['environment_id']}").get_json() == theirs
    assert client.post("/contribute", json=theirs).status_code == 200


def test_conflicting_info_file_on_the_remote_keeps_the_remote_version(
    make_app, bare, tmp_path, push_gate
):
    # The service's push is held in the remote's pre-receive hook while another clone
    # pushes the same machine id with other content: the other push lands first.
    push_gate.arm()
    app = make_app()
    client = app.test_client()
    ours = samples.machine_document(name="OurName")
    theirs = dict(ours, name="TheirName")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(bare), str(other))
    git(other, "config", "user.name", "Other")
    git(other, "config", "user.email", "other@example.invalid")
    assert client.post("/contribute", json=ours).status_code == 202
    assert push_gate.wait_started()  # our commit is being pushed, the remote has no file
    assert health(app)["unpushed"] == 1
    rel = f"results/info_machine-{ours['machine_id']}.json"
    (other / "results").mkdir(exist_ok=True)
    (other / rel).write_text(json.dumps(theirs, indent=2, sort_keys=True) + "\n")
    git(other, "add", rel)
    git(other, "commit", "-q", "-m", "Add a machine by hand")
    git(other, "push", "-q", "origin", "main")
    push_gate.release(accept=True)  # the held push now finds the branch moved: rejected

    assert wait_for(lambda: health(app)["spool_depth"] == 0)
    assert push_gate.finished
    assert json.loads(git(bare, "show", f"main:{rel}"))["name"] == "TheirName"
    assert client.get(f"/machines/{ours['machine_id']}").get_json()["name"] == "TheirName"
    assert all(c["parents"] <= 1 for c in remote_commits(bare))
    # The service keeps working afterwards.
    assert client.post("/contribute?wait=10", json=samples.result_document()).status_code == 201


def test_unreachable_remote_at_first_start_then_available(make_app, tmp_path):
    later = tmp_path / "later.git"
    app = make_app(remote=str(later))
    client = app.test_client()
    docs = [samples.result_document() for _ in range(3)]
    for doc in docs:
        assert client.post("/contribute", json=doc).status_code == 202
    assert wait_for(lambda: (health(app)["last_push"] or {}).get("ok") is False)
    assert health(app)["spool_depth"] == 3
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(later))
    assert wait_for(lambda: health(app)["spool_depth"] == 0)
    assert len([f for f in remote_files(later) if f.startswith("results/")]) == 3


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, **dict(self.headers)})
        self.send_response(403)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


def test_git_token_is_sent_as_a_header_and_never_stored_or_shown(make_app, tmp_path):
    token = "tok-SECRET-0123456789"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        remote = f"http://127.0.0.1:{server.server_address[1]}/results.git"
        app = make_app(remote=remote, git_token=token)
        client = app.test_client()
        assert client.post("/contribute", json=samples.result_document()).status_code == 202
        assert wait_for(lambda: (health(app)["last_push"] or {}).get("ok") is False)
        state = health(app)
    finally:
        server.shutdown()
    expected = "Basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()
    assert _Recorder.seen and all(r.get("Authorization") == expected for r in _Recorder.seen)
    assert token not in json.dumps(state)
    assert state["store"]["remote"] == remote
    # Nowhere in the instance folder (git config, commits, spool, logs).
    for path in (tmp_path / "instance").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert token.encode() not in data, path
            assert expected.split()[1].encode() not in data, path
