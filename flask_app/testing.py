"""Helpers to run the service for real: a server subprocess and git remote inspection.

Used by the service tests and ``scripts/load_contribute.py``.  Servers listen on
127.0.0.1 only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import requests

from flask_app.config import PREFIX
from zarr_benchmarks._git import GitError, try_git


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without any ``ZARR_BENCHMARKS_*`` setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    env.update(extra or {})
    return env


class ServerProcess:
    """``zarr-benchmarks serve`` (waitress) in a subprocess on a free loopback port.

    Parameters
    ----------
    instance_dir
        Instance folder of the server.
    settings
        Extra ``ZARR_BENCHMARKS_*`` settings, lower-case names without the prefix.
    threads
        waitress request threads.
    log
        File to receive the server's output (default: discarded).
    """

    def __init__(
        self,
        instance_dir: Path,
        settings: Mapping[str, Any] | None = None,
        *,
        threads: int = 16,
        log: IO[bytes] | None = None,
    ):
        self.instance_dir = Path(instance_dir)
        self.settings = dict(settings or {})
        self.threads = threads
        self.log = log
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start the server and wait until ``/health`` answers."""
        env = clean_env({PREFIX + k.upper(): str(v) for k, v in self.settings.items()})
        env[PREFIX + "INSTANCE_DIR"] = str(self.instance_dir)
        cmd = [
            sys.executable,
            "-m",
            "zarr_benchmarks",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--threads",
            str(self.threads),
        ]
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=self.log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self.log else subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with code {self.proc.returncode}")
            try:
                if requests.get(self.url + "/health", timeout=2).status_code in (200, 503):
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not answer /health in time")

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM and wait (SIGKILL if it does not exit)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stdout byte for byte (:class:`GitError` on failure)."""
    returncode, stdout, stderr = try_git(cwd, *args)
    if returncode != 0:
        raise GitError(f"git {' '.join(args)} failed: {stderr.strip()}", returncode)
    return stdout


def remote_files(bare: Path, branch: str = "main") -> list[str]:
    """Paths in the tip of ``branch`` of a (bare) repository; [] if it has no commit."""
    try:
        return git(bare, "ls-tree", "-r", "--name-only", branch).split()
    except GitError:
        return []


def remote_commits(bare: Path, branch: str = "main") -> list[dict[str, Any]]:
    """Commits of ``branch``: sha, number of parents, files changed, subject."""
    try:
        log = git(bare, "log", "--format=%x00%H %P%x01%s", "--name-status", branch)
    except GitError:
        return []
    commits = []
    for block in log.split("\x00")[1:]:
        head, _, rest = block.partition("\x01")
        shas = head.split()
        subject, _, names = rest.partition("\n")
        changes = [line.split("\t") for line in names.strip().splitlines() if line.strip()]
        commits.append(
            {"sha": shas[0], "parents": len(shas) - 1, "subject": subject, "changes": changes}
        )
    return commits
