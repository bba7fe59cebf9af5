"""Uploading reduced files to a real local HTTP server (werkzeug, loopback, own thread)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from zarr_benchmarks._jsonio import atomic_write_json, sha256_hex
from zarr_benchmarks.results.reduce import reduce_paths
from zarr_benchmarks.run.environment import environment_document
from zarr_benchmarks.run.hardware import collect_machine_info
from zarr_benchmarks.run.machine import machine_document
from zarr_benchmarks.share.upload import Uploader, UploadError, record_path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "asv"


class Service:
    """A tiny contribution service: answers from a script, then 201; records requests."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], dict | None]] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):  # WSGI
        request = Request(environ)
        with self.lock:
            self.requests.append(
                {
                    "path": request.path,
                    "auth": request.headers.get("Authorization"),
                    "body": request.get_data(),
                }
            )
            status, headers, body = self.script.pop(0) if self.script else (201, {}, {"ok": True})
        if request.path != "/contribute" or request.method != "POST":
            status, body = 404, {"error": "not found", "detail": request.path}
        response = Response(
            json.dumps(body), status=status, headers=headers, mimetype="application/json"
        )
        return response(environ, start_response)


@pytest.fixture
def service() -> Iterator[tuple[Service, str]]:
    app = Service()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def bare_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME: no machine set up."""
    h = tmp_path / "home"
    h.mkdir()
    for key in list(os.environ):
        if key.startswith(("XDG_", "ZARR_BENCHMARKS_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(h))
    return h


@pytest.fixture
def home(bare_home: Path, reduced: Path) -> Path:
    """A HOME where the machine of the ``reduced`` results is set up (as `setup` does)."""
    machine = json.loads(next(reduced.glob("info_machine-*.json")).read_text())
    config = {"schema_version": 1, "name": machine["name"], "machine_id": machine["machine_id"]}
    atomic_write_json(
        bare_home / ".config" / "zarr-benchmarks" / "machine.json",
        {**config, "document": machine},
    )
    return bare_home


@pytest.fixture(scope="module")
def reduced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reduced files (2 results + 2 info files) from the asv fixtures."""
    base = tmp_path_factory.mktemp("reduced")
    shutil.copytree(FIXTURES / "results", base / "asv")
    machine = machine_document("FixtureMachine", collect_machine_info("."))
    reduce_paths(
        [base / "asv"], base / "results", machine=machine, environment=environment_document()
    )
    return base / "results"


def _files(reduced: Path) -> list[Path]:
    return sorted(reduced.glob("*.json"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_upload_accepts_records_and_never_uploads_twice(service, home: Path, reduced: Path) -> None:
    app, url = service
    files = _files(reduced)
    outcome = Uploader(url, token="s3cret").upload(files)
    assert outcome.ok and len(outcome.accepted) == 4
    # Machine and environment info go before the results that refer to them.
    kinds = [json.loads(r["body"])["kind"] for r in app.requests]
    assert kinds == ["machine", "environment", "result", "result"]
    assert {r["path"] for r in app.requests} == {"/contribute"}
    assert all(r["auth"] == "Bearer s3cret" for r in app.requests)
    assert {r["body"] for r in app.requests} == {f.read_bytes() for f in files}
    record = json.loads(record_path().read_text())
    assert set(record[url]) == {sha256_hex(f.read_bytes()) for f in files}
    assert str(home) in str(record_path())

    again = Uploader(url).upload(files)
    assert again.accepted == [] and len(again.skipped) == 4
    assert all(why == "already uploaded" for _, why in again.skipped)
    assert len(app.requests) == 4  # nothing was sent again


def test_rejection_reported_with_service_detail(service, home: Path, reduced: Path) -> None:
    app, url = service
    result = next(f for f in _files(reduced) if f.name.startswith("result_"))
    app.script = [(400, {}, {"error": "invalid result", "detail": "unknown machine id"})]
    outcome = Uploader(url).upload([result])
    assert not outcome.ok
    ((path, why),) = outcome.rejected
    assert path == result and why == "HTTP 400 invalid result: unknown machine id"
    assert not record_path().exists() or url not in json.loads(record_path().read_text())


def test_retries_5xx_and_429_honouring_retry_after(service, home: Path, reduced: Path) -> None:
    app, url = service
    result = next(f for f in _files(reduced) if f.name.startswith("result_"))
    app.script = [
        (503, {}, {"error": "busy", "detail": "try later"}),
        (429, {"Retry-After": "7"}, {"error": "slow down"}),
        (200, {}, {"ok": True}),
    ]
    waits: list[float] = []
    notes: list[str] = []
    outcome = Uploader(url, backoff=0.25, sleep=waits.append).upload([result], note=notes.append)
    assert outcome.accepted == [result]
    # urllib3's policy: the first retry at once, then the server's Retry-After
    assert waits == [7.0]
    assert len(app.requests) == 3
    assert notes[0].endswith("HTTP 503; retrying in 0.0 s (2/5)")
    assert notes[1].endswith("HTTP 429; retrying in 7.0 s (3/5)")


def test_gives_up_after_attempts_when_unreachable(home: Path, reduced: Path) -> None:
    files = [f for f in _files(reduced) if f.name.startswith("result_")]
    waits: list[float] = []
    url = f"http://127.0.0.1:{_free_port()}"
    outcome = Uploader(url, attempts=3, backoff=0.01, sleep=waits.append).upload(files)
    assert waits == [0.02]  # urllib3: the first retry at once, then backoff * 2
    assert len(outcome.failed) == 2
    assert "cannot reach" in outcome.failed[0][1] and "3 attempts" in outcome.failed[0][1]
    assert "not attempted" in outcome.failed[1][1]  # no hammering a dead service


def test_quick_results_are_never_uploaded(
    service, home: Path, reduced: Path, tmp_path: Path
) -> None:
    app, url = service
    src = next(f for f in _files(reduced) if f.name.startswith("result_"))
    doc = json.loads(src.read_text())
    doc["quick"] = True
    quick = atomic_write_json(tmp_path / src.name, doc)
    outcome = Uploader(url).upload([quick])
    assert outcome.accepted == [] and outcome.skipped == [(quick, "quick result: never uploaded")]
    assert app.requests == []


def test_invalid_file_refused_before_anything_is_sent(
    service, home: Path, reduced: Path, tmp_path: Path
) -> None:
    app, url = service
    bad = tmp_path / "result_bad.json"
    bad.write_text(json.dumps({"kind": "result", "schema_version": 1}))
    with pytest.raises(UploadError, match=r"result_bad\.json"):
        Uploader(url).upload([*_files(reduced), bad])
    assert app.requests == []


def _cli(home: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "ZARR_BENCHMARKS_"))}
    env.update({"HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1", **extra_env})
    return subprocess.run(
        [sys.executable, "-m", "zarr_benchmarks", "upload", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_upload_uses_env_url_and_token_never_printed(
    service, home: Path, reduced: Path
) -> None:
    app, url = service
    token = "tok-9f8e7d6c5b4a"
    proc = _cli(home, str(reduced), ZARR_BENCHMARKS_URL=url, ZARR_BENCHMARKS_TOKEN=token)
    assert proc.returncode == 0, proc.stderr
    assert "4 uploaded" in proc.stdout
    assert token not in proc.stdout + proc.stderr
    assert all(r["auth"] == f"Bearer {token}" for r in app.requests)
    again = _cli(home, str(reduced), "--url", url)
    assert again.returncode == 0 and "4 skipped" in again.stdout


def test_cli_upload_rejection_exit_1(service, home: Path, reduced: Path) -> None:
    app, url = service
    result = next(f for f in _files(reduced) if f.name.startswith("result_"))
    app.script = [(422, {}, {"error": "schema", "detail": "$.benchmarks: bad"})]
    proc = _cli(home, str(result), "--url", url)
    assert proc.returncode == 1
    assert "rejected" in proc.stderr and "$.benchmarks: bad" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_upload_bad_file_exit_2(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "result_x.json"
    bad.write_text("{not json")
    proc = _cli(home, str(bad), "--url", f"http://127.0.0.1:{_free_port()}")
    assert proc.returncode == 2 and "result_x.json" in proc.stderr


def test_persistent_5xx_fails_after_attempts_and_caps_retry_after(
    service, home: Path, reduced: Path
) -> None:
    app, url = service
    result = next(f for f in _files(reduced) if f.name.startswith("result_"))
    app.script = [(503, {"Retry-After": "3600"}, {"error": "down"})] * 3
    waits: list[float] = []
    outcome = Uploader(url, attempts=3, max_delay=2.0, sleep=waits.append).upload([result])
    assert waits == [2.0, 2.0]  # an hour asked for, the policy's maximum waited
    ((path, why),) = outcome.failed
    assert path == result and why == "HTTP 503 down after 3 attempts"
    assert len(app.requests) == 3


def _other_machine(reduced: Path, folder: Path) -> tuple[list[Path], list[Path]]:
    """``reduced`` copied into ``folder`` plus a result and machine file of another machine.

    Returns ``(this machine's files, the other machine's files)``.
    """
    mine = [Path(shutil.copy(f, folder / f.name)) for f in _files(reduced)]
    machine = json.loads(next(reduced.glob("info_machine-*.json")).read_text())
    other = {**machine, "name": "ReferenceBox", "machine_id": "e" * 64}
    result_src = next(reduced.glob("result_*.json"))
    result = json.loads(result_src.read_text())
    result["machine_id"] = other["machine_id"]
    name = result_src.name.replace(machine["machine_id"], other["machine_id"])
    theirs = [
        atomic_write_json(folder / name, result),
        atomic_write_json(folder / f"info_machine-{other['machine_id']}.json", other),
    ]
    return mine, theirs


def test_only_this_machines_results_are_sent(service, home: Path, reduced: Path, tmp_path: Path):
    app, url = service
    mine, theirs = _other_machine(reduced, tmp_path)
    machine_id = json.loads(next(reduced.glob("info_machine-*.json")).read_text())["machine_id"]
    outcome = Uploader(url).upload(sorted(tmp_path.glob("*.json")), machine_id=machine_id)
    assert sorted(outcome.accepted) == sorted(mine)
    assert sorted(p for p, _ in outcome.skipped) == sorted(theirs)
    assert any("another machine" in why for _, why in outcome.skipped)
    sent = [json.loads(r["body"]) for r in app.requests]
    assert {d.get("machine_id") for d in sent if d["kind"] != "environment"} == {machine_id}


def test_cli_upload_skips_other_machines_and_says_why(service, home: Path, reduced: Path, tmp_path):
    app, url = service
    folder = tmp_path / "results"
    folder.mkdir()
    mine, theirs = _other_machine(reduced, folder)
    proc = _cli(home, str(folder), "--url", url, COLUMNS="80")
    assert proc.returncode == 0, proc.stderr
    assert f"{len(mine)} uploaded, 2 skipped" in proc.stdout
    assert "skipped 1 file(s): result of another machine" in proc.stdout
    assert "skipped 1 file(s): machine file of another machine" in proc.stdout
    # every file name printed whole on one line, even at 80 columns
    lines = proc.stdout.splitlines()
    for path in [*mine, *theirs]:
        assert any(line.strip().endswith(path.name) for line in lines), path.name
    assert len(app.requests) == len(mine)
    # --all-machines sends the others too (this machine's are known already)
    again = _cli(home, str(folder), "--url", url, "--all-machines")
    assert again.returncode == 0, again.stderr
    assert f"2 uploaded, {len(mine)} skipped" in again.stdout
    assert len(app.requests) == len(mine) + 2


def test_cli_upload_without_a_machine_set_up_exit_2(bare_home: Path, reduced: Path) -> None:
    proc = _cli(bare_home, str(reduced), "--url", f"http://127.0.0.1:{_free_port()}")
    assert proc.returncode == 2
    assert "zarr-benchmarks setup" in proc.stderr and "--all-machines" in proc.stderr
    assert "Traceback" not in proc.stderr
