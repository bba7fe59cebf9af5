"""The one way this package runs git: a child process with a timeout, never a prompt.

Used for the few read-only questions the run and A/B stages ask (``rev-parse``,
``status``, ``worktree``); the service's writer runs its own git children in process
groups with per-command timeouts (``flask_app.gitsync``). Errors carry git's own message,
scrubbed of anything identifying.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from zarr_benchmarks._privacy import scrub, without_secrets

__all__ = ["GitError", "git", "try_git"]

#: git never asks for credentials on a terminal (it would hang a benchmark run)
_NO_PROMPT = {"GIT_TERMINAL_PROMPT": "0"}


class GitError(RuntimeError):
    """git failed or is missing; the message names the command and git's reason."""

    def __init__(self, message: str, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode


def try_git(cwd: str | os.PathLike[str], *args: str, timeout: float = 120) -> tuple[int, str, str]:
    """``(returncode, stdout, stderr)`` of ``git ARGS`` in ``cwd``; raises only if git is
    missing or does not finish within ``timeout`` seconds."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=Path(cwd),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**without_secrets(os.environ), **_NO_PROMPT},
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {' '.join(args)} did not finish within {timeout:g} s") from exc
    return proc.returncode, proc.stdout, proc.stderr


def git(cwd: str | os.PathLike[str], *args: str, timeout: float = 120) -> str:
    """The stripped stdout of ``git ARGS`` in ``cwd``; :class:`GitError` if it fails."""
    returncode, stdout, stderr = try_git(cwd, *args, timeout=timeout)
    if returncode != 0:
        raise GitError(f"git {' '.join(args)} failed: {scrub(stderr.strip())}", returncode)
    return stdout.strip()
