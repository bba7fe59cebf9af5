"""Conflicts after an outage (issue 12, item 8): surfaced, kept, and counted honestly.

The remote is a real bare repository whose ``pre-receive`` hook refuses the service's
pushes during a maintenance window while an administrator pushes (with the push option
``maintenance``) a machine file with the same id and other content.
"""

from __future__ import annotations

import json
import re
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from service_fixtures import health, wait_for

from flask_app import samples, shutdown
from flask_app.testing import git, remote_commits

pytestmark = pytest.mark.usefixtures("no_service_env")

_OUTAGE_HOOK = """#!/bin/sh
# Maintenance window: only pushes with the push option "maintenance" get through.
[ "$GIT_PUSH_OPTION_0" = "maintenance" ] && exit 0
if [ -f '{flag}' ]; then
    echo "the results repository is under maintenance" >&2
    exit 1
fi
exit 0
"""


@pytest.fixture
def app_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    return {**app_settings, "push_retry_max": 0.5}


@pytest.fixture
def outage(bare: Path, tmp_path: Path) -> Path:
    """The flag file: while it exists, the remote refuses the service's pushes."""
    flag = tmp_path / "maintenance"
    git(bare, "config", "receive.advertisePushOptions", "true")
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(_OUTAGE_HOOK.format(flag=flag), encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    return flag


def _admin_pushes(
    bare: Path, tmp_path: Path, document: dict[str, Any], rel: str, *, maintenance: bool = True
) -> None:
    other = tmp_path / "admin"
    git(tmp_path, "clone", "-q", str(bare), str(other))
    git(other, "config", "user.name", "Admin")
    git(other, "config", "user.email", "admin@example.invalid")
    (other / "results").mkdir(exist_ok=True)
    (other / rel).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    git(other, "add", rel)
    git(other, "commit", "-q", "-m", "Add a machine by hand")
    options = ["-o", "maintenance"] if maintenance else []
    git(other, "push", "-q", *options, "origin", "main")


def _conflict_after_outage(
    make_app, bare, tmp_path, outage, *, check_status: bool = True
) -> dict[str, Any]:
    outage.write_text("")
    app = make_app()
    client = app.test_client()
    ours = samples.machine_document(name="OurName")
    theirs = dict(ours, name="TheirName")
    results = [samples.result_document(ours["machine_id"]) for _ in range(3)]
    accepted = []
    for doc in [ours, *results]:
        response = client.post("/contribute", json=doc)
        assert response.status_code == 202, response.get_data(as_text=True)
        accepted.append(response.get_json()["id"])
    assert wait_for(lambda: health(app)["unpushed"] == 4)  # committed, pushes refused
    if check_status:
        status = client.get(f"/contributions/{ours['machine_id']}").get_json()
        assert status["state"] == "committed"
    rel = f"results/info_machine-{ours['machine_id']}.json"
    _admin_pushes(bare, tmp_path, theirs, rel)
    outage.unlink()  # the window closes: our push is rejected (the branch moved)
    assert wait_for(lambda: health(app)["spool_depth"] == 0)
    return {"app": app, "ours": ours, "theirs": theirs, "ids": accepted, "rel": rel}


def test_info_file_accepted_during_an_outage_reports_its_conflict(make_app, bare, tmp_path, outage):
    # Before: the accepted (202) machine file was dropped with a log line only.
    run = _conflict_after_outage(make_app, bare, tmp_path, outage)
    app, ours = run["app"], run["ours"]
    client = app.test_client()
    machine_id = ours["machine_id"]
    assert json.loads(git(bare, "show", f"main:{run['rel']}"))["name"] == "TheirName"

    status = client.get(f"/contributions/{machine_id}")
    assert status.status_code == 200
    body = status.get_json()
    assert body["state"] == "conflict" and body["kind"] == "machine"
    (conflict,) = body["conflicts"]
    assert "other content" in conflict["reason"] and conflict["id"] == machine_id
    assert body["stored_sha256"] != conflict["sha256"]  # what is stored is theirs
    for ident in run["ids"][1:]:  # the results of the same outage are stored
        assert client.get(f"/contributions/{ident}").get_json()["state"] == "stored"
    assert health(app)["store"]["conflicts"] == 1

    # Nothing is lost: the contributor's document is kept on the server.
    (kept,) = (tmp_path / "instance" / "spool" / "conflicts").glob("*.json")
    assert json.loads(kept.read_text())["document"] == ours
    # Sending it again is refused at once now that the conflict is known.
    again = client.post("/contribute", json=ours)
    assert again.status_code == 409 and "different content" in again.get_json()["detail"]

    # The status survives a restart.
    shutdown(app)
    restarted = make_app().test_client()
    assert restarted.get(f"/contributions/{machine_id}").get_json()["state"] == "conflict"


def test_commit_after_a_conflict_counts_the_files_it_touches(make_app, bare, tmp_path, outage):
    # Before: re-applying 4 spooled files of which 1 conflicted made a commit titled
    # "Add 4 contributions" that touched 3 files.
    _conflict_after_outage(make_app, bare, tmp_path, outage, check_status=False)
    added: Counter[str] = Counter()
    for commit in remote_commits(bare)[:-1]:  # the oldest starts the store
        assert commit["parents"] == 1, commit
        match = re.match(r"Add (\d+) contributions? \(", commit["subject"])
        if commit["subject"] == "Add a machine by hand":
            continue
        assert match, commit
        assert int(match.group(1)) == len(commit["changes"]), commit
        for change in commit["changes"]:
            assert change[0] == "A", commit  # nothing of the remote was overwritten
            added[change[1]] += 1
    assert sum(added.values()) == 3 and all(n == 1 for n in added.values())


def test_contribution_status_of_unknown_and_malformed_ids(make_app):
    client = make_app().test_client()
    doc = samples.result_document()
    ident = client.post("/contribute?wait=20", json=doc).get_json()["id"]
    body = client.get(f"/contributions/{ident}").get_json()
    assert body["state"] == "stored" and body["kind"] == "result" and body["conflicts"] == []
    missing = client.get("/contributions/" + "0" * 64)
    assert missing.status_code == 404 and "0" * 64 in missing.get_json()["detail"]
    bad = client.get("/contributions/not-an-id")
    assert bad.status_code == 400 and "contribution id" in bad.get_json()["detail"]


def test_info_file_spooled_while_a_push_is_held_never_overwrites_the_remote(
    make_app, bare, tmp_path, push_gate
):
    # The writer is stuck in a push (held in the hook) while ours is only spooled and the
    # administrator stores the same id with other content.  Before, the next commit wrote
    # ours over the remote's file (a modification pushed to the store) and nothing told
    # the contributor.
    push_gate.arm()
    app = make_app()
    client = app.test_client()
    assert client.post("/contribute", json=samples.result_document()).status_code == 202
    assert push_gate.wait_started()
    ours = samples.machine_document(name="OurName")
    theirs = dict(ours, name="TheirName")
    assert client.post("/contribute", json=ours).status_code == 202
    assert health(app)["uncommitted"] == 1  # the writer is busy pushing
    rel = f"results/info_machine-{ours['machine_id']}.json"
    _admin_pushes(bare, tmp_path, theirs, rel, maintenance=False)  # the gate lets it pass
    push_gate.release(accept=False)  # refused: the writer fetches and integrates
    assert wait_for(lambda: health(app)["spool_depth"] == 0)
    assert json.loads(git(bare, "show", f"main:{rel}"))["name"] == "TheirName"
    for commit in remote_commits(bare)[:-1]:
        assert all(change[0] == "A" for change in commit["changes"]), commit
    body = client.get(f"/contributions/{ours['machine_id']}").get_json()
    assert body["state"] == "conflict" and "other content" in body["conflicts"][0]["reason"]
