"""Fixtures and helpers of the service tests (tests/service/test_service*.py).

Loaded as a plugin by ``tests/conftest.py``; the helpers are imported from here by the
test modules.

Fixtures
--------
``no_service_env``
    No ``ZARR_BENCHMARKS_*`` variable of the calling environment leaks into a test
    (service modules use it through ``pytestmark``).
``bare``
    An empty bare git repository to use as the results remote.
``app_settings``
    The settings ``make_app`` starts from (a module may override it).
``make_app``
    A factory of started apps (``create_app``), shut down after the test.
``push_gate``
    A :class:`PushGate` on ``bare``: holds the next push in the remote's
    ``pre-receive`` hook until the test releases it.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from flask_app import create_app, shutdown
from flask_app.config import PREFIX
from flask_app.testing import git, remote_files


@pytest.fixture
def no_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(PREFIX):
            monkeypatch.delenv(key)


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(path))
    return path


@pytest.fixture
def app_settings(tmp_path: Path, bare: Path) -> dict[str, Any]:
    return {
        "instance_dir": tmp_path / "instance",
        "remote": str(bare),
        "aggregate_debounce": 0.2,
    }


@pytest.fixture
def make_app(app_settings: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def factory(**settings: Any) -> Flask:
        app = create_app({**app_settings, **settings})
        apps.append(app)
        return app

    yield factory
    for app in apps:
        shutdown(app)


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds passed; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def process_alive(pid: int) -> bool:
    """``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return False
    return stat_line.rpartition(")")[2].split()[0] not in {"Z", "X"}


def health(app: Flask) -> dict[str, Any]:
    body: dict[str, Any] = app.test_client().get("/health").get_json()
    return body


def undeclared(body: Any, schema: dict[str, Any], spec: dict[str, Any], at: str = "") -> list[str]:
    """The JSON paths of ``body`` that the OpenAPI ``schema`` does not declare.

    Follows ``$ref`` into ``spec``'s components, object ``properties`` (or
    ``additionalProperties`` schemas) and array ``items``, so a field the service sends
    but its OpenAPI document leaves out is named.
    """
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    out: list[str] = []
    if isinstance(body, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in body.items():
            if key in props:
                out += undeclared(value, props[key], spec, f"{at}/{key}")
            elif isinstance(extra, dict):
                out += undeclared(value, extra, spec, f"{at}/{key}")
            elif not (extra is True or (extra is None and not props)):
                out.append(f"{at}/{key}")
    elif isinstance(body, list) and isinstance(schema.get("items"), dict):
        for i, value in enumerate(body):
            out += undeclared(value, schema["items"], spec, f"{at}/{i}")
    return out


def drained(app: Flask) -> bool:
    """Nothing spooled or unpushed any more."""
    return bool(health(app)["spool_depth"] == 0)


def stored(bare: Path) -> list[str]:
    """The stored files (under ``results/``) on the remote's ``main``."""
    return [f for f in remote_files(bare) if f.startswith("results/")]


_GATE_HOOK = """#!/bin/sh
# Test push gate: hold the first push after arming until the test releases it.
gate='{folder}'
if mkdir "$gate/caught" 2>/dev/null; then
    echo $$ > "$gate/pid"
    : > "$gate/started"
    polls=0
    while [ ! -f "$gate/release" ]; do
        polls=$((polls + 1))
        if [ "$polls" -gt {max_polls} ]; then
            echo "push gate: never released" >&2
            : > "$gate/finished"
            exit 1
        fi
        sleep 0.05
    done
    code=$(cat "$gate/release")
    echo "push gate: released with exit code $code" >&2
    : > "$gate/finished"
    exit "$code"
fi
exit 0
"""


class PushGate:
    """A real ``pre-receive`` hook in a bare remote that holds one push in progress.

    After :meth:`arm`, the first push to the remote runs the hook, which marks itself
    started and waits (the objects are sent, no ref is updated yet) until the test calls
    :meth:`release`; later pushes pass straight through.  The hook gives up (refusing
    the push) after ``limit`` seconds, so a failed test leaves no process behind.
    """

    def __init__(self, bare: Path, folder: Path, limit: float = 300.0):
        self.hook = bare / "hooks" / "pre-receive"
        self.folder = folder
        self.limit = limit

    def arm(self) -> PushGate:
        self.folder.mkdir(parents=True, exist_ok=False)
        self.hook.write_text(
            _GATE_HOOK.format(folder=self.folder, max_polls=int(self.limit / 0.05)),
            encoding="utf-8",
        )
        self.hook.chmod(self.hook.stat().st_mode | stat.S_IXUSR)
        return self

    @property
    def started(self) -> bool:
        """A push is held in the hook (or was, if released since)."""
        return (self.folder / "started").exists()

    @property
    def finished(self) -> bool:
        """The held push's hook has exited."""
        return (self.folder / "finished").exists()

    def wait_started(self, timeout: float = 60.0) -> bool:
        return wait_for(lambda: self.started, timeout)

    def wait_finished(self, timeout: float = 60.0) -> bool:
        return wait_for(lambda: self.finished, timeout)

    @property
    def hook_alive(self) -> bool:
        """The held push's hook process still runs (False once it exited or was killed)."""
        try:
            pid = int((self.folder / "pid").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return process_alive(pid)

    def release(self, *, accept: bool) -> None:
        """Let the held push continue (``accept``) or make the hook refuse it."""
        if (self.folder / "release").exists():
            return
        tmp = self.folder / "release.tmp"
        tmp.write_text("0" if accept else "1", encoding="utf-8")
        tmp.replace(self.folder / "release")

    def close(self) -> None:
        """Refuse a push still held (and any caught later), wait for the hook to exit."""
        if self.folder.exists():
            self.release(accept=False)
            if self.started:
                wait_for(lambda: self.finished or not self.hook_alive, 60.0)


@pytest.fixture
def push_gate(bare: Path, tmp_path: Path) -> Iterator[PushGate]:
    """A :class:`PushGate` on ``bare`` (not armed yet)."""
    gate = PushGate(bare, tmp_path / "push-gate")
    yield gate
    gate.close()
