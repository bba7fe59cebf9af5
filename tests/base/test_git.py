"""The package's one git helper, against real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from zarr_benchmarks._git import GitError, git, try_git


def test_git_returns_stripped_output_of_a_real_repository(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    assert git(tmp_path, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(tmp_path, "status", "--porcelain") == ""
    (tmp_path / "a.txt").write_text("x")
    assert git(tmp_path, "status", "--porcelain") == "?? a.txt"


def test_failure_names_the_command_and_gits_reason(tmp_path: Path) -> None:
    with pytest.raises(GitError, match=r"git rev-parse HEAD failed: fatal: not a git repo") as e:
        git(tmp_path, "rev-parse", "HEAD")
    assert e.value.returncode == 128
    code, out, err = try_git(tmp_path, "rev-parse", "HEAD")
    assert code == 128 and out == "" and "not a git repository" in err


def test_missing_git_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on PATH
    with pytest.raises(GitError, match="git is not installed"):
        git(tmp_path, "status")


def test_git_children_get_no_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shell alias run by the real git prints what its child environment holds."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.setenv("ZARR_BENCHMARKS_TOKEN", "s3cret")
    monkeypatch.setenv("ZARR_BENCHMARKS_PLAIN", "visible")
    alias = "alias.envcheck=!printenv ZARR_BENCHMARKS_PLAIN; printenv ZARR_BENCHMARKS_TOKEN; true"
    assert git(tmp_path, "-c", alias, "envcheck") == "visible"
