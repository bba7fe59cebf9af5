"""Shared fixtures: the repository root and a throw-away git copy of the working tree.

The service tests' fixtures (remote, apps, push gate) live in ``service_fixtures.py``.

Optional extras are markers (``extras_helpers.py``): a test or module marked with an
extra that is not installed is skipped with the ``pip install`` that brings it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from extras_helpers import first_missing_extra, module_extras, skip_reason

pytest_plugins = ["service_fixtures"]

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


def make_suite_clone(dest: Path) -> Path:
    """Copy the working tree (tracked and untracked, not ignored) into ``dest`` as a
    fresh git repository with one commit, so asv runs the code under test."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for rel in filter(None, files):
        src = REPO_ROOT / rel
        if src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    for cmd in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "snapshot"],
    ):
        subprocess.run(cmd, cwd=dest, check=True, env=env, capture_output=True)
    return dest


@pytest.fixture
def suite_clone(tmp_path: Path) -> Path:
    """A git repository holding a snapshot of the current working tree."""
    return make_suite_clone(tmp_path / "clone")


# --- optional extras as markers ---------------------------------------------------------

# Modules every test of which needs an extra though they carry no marker of it yet.
_MODULE_EXTRAS = {"test_service_": "service"}  # the service tests: create_app needs it


class _ExtraMissing(pytest.Item):
    """Stands for a test module left unimported because an extra it needs is absent."""

    def runtest(self) -> None:
        raise AssertionError("skipped in setup, never run")

    def reportinfo(self):
        return self.path, 0, self.name


class _ModuleNeedingExtra(pytest.Module):
    extra = ""

    def collect(self):  # type: ignore[override]
        item = _ExtraMissing.from_parent(self, name=self.path.name)
        item.add_marker(pytest.mark.skip(reason=skip_reason(self.extra)))
        return [item]


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector):
    """A module whose pytestmark names a missing extra is not imported (its imports may
    need the extra) but reported as one skipped test naming the extra."""
    extra = first_missing_extra(module_extras(module_path))
    if extra is None:
        return None
    module = _ModuleNeedingExtra.from_parent(parent, path=module_path)
    module.extra = extra
    return module


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for prefix, extra in _MODULE_EXTRAS.items():
            if item.path.name.startswith(prefix):
                item.add_marker(getattr(pytest.mark, extra))
        extra = first_missing_extra([mark.name for mark in item.iter_markers()])
        if extra is not None:
            item.add_marker(pytest.mark.skip(reason=skip_reason(extra)))
