"""The working clone and its remote: clone, recovery, commit, push, rebase, credentials.

This module owns ``<instance>/repo`` (and the embedded bare remote
``<instance>/remote.git`` when no remote is configured) and every git command the store
runs, through :class:`GitClone`:

* preparing the clone on start (cloning, or a local clone when the remote is
  unreachable; the committer identity and fsync settings) and undoing what a crash left
  half-done in it;
* writing spooled files into the clone and committing them (the commit title counts the
  files the commit really touches; an info file the clone already holds with other
  content is never overwritten but reported as a conflict);
* pushing, fetching, and putting local commits on top of the remote (``git rebase``,
  falling back to a reset to the remote plus re-applying the unpushed spool files);
* timeouts: every git command runs in its own process group and is killed, with its
  children (``git-remote-http``, a local remote's hooks), when it outlives
  ``git_timeout`` (clone, fetch, push) or ``git_local_timeout`` (everything else); it
  then raises :class:`GitTimeout`;
* credentials and redaction: git children get the service's environment without its
  secrets (:data:`zarr_benchmarks._privacy.SECRET_VARIABLES`); a token is sent as an
  HTTP header from the environment of the git process only (never in argv, a URL or
  ``.git/config``), and messages meant for logs or clients lose secrets and local paths.

Commands run through :mod:`subprocess` rather than GitPython's ``Git.execute``: that
always starts from a copy of ``os.environ`` (so it cannot drop the tokens) and kills
only the children it finds when its timeout fires.

Files in the clone are guarded by :attr:`GitClone.tree_lock`.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from flask_app.config import ServiceConfig
from flask_app.documents import KINDS, STORE_DIR, Entry, jsonio
from zarr_benchmarks._privacy import without_secrets

if TYPE_CHECKING:
    from flask_app.spool import Spool

log = logging.getLogger(__name__)

_COMMITTER = ("zarr-benchmarks service", "service@zarr-benchmarks.invalid")


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitFailed(RuntimeError):
    """A git command failed.

    Attributes
    ----------
    command
        The git subcommand (``push``, ``fetch``, ...), never its arguments.
    status
        Exit code (negative: killed by that signal).
    stderr
        git's own message (not redacted: use :meth:`GitClone.message`).
    """

    def __init__(self, command: str, status: int, stderr: str):
        super().__init__(f"git {command} failed with exit code {status}")
        self.command = command
        self.status = status
        self.stderr = stderr


class GitTimeout(GitFailed):
    """A git command outlived its timeout and was killed with its children."""


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


@dataclass
class CommitOutcome:
    """What :meth:`GitClone.commit` did with each entry."""

    committed: list[Entry] = field(default_factory=list)  # in the new commit
    present: list[Entry] = field(default_factory=list)  # already in the clone, same content
    conflicts: list[tuple[Entry, str]] = field(default_factory=list)  # (entry, reason)


class GitClone:
    """The working clone of the results repository.

    Parameters
    ----------
    config
        Service settings (remote, branch, token, timeouts).
    instance
        The instance folder (holds ``repo/`` and, for an embedded remote, ``remote.git``).
    """

    def __init__(self, config: ServiceConfig, instance: Path):
        self.config = config
        self.instance = instance
        self.worktree = instance / "repo"
        self.bare = instance / "remote.git"
        self.tree_lock = threading.RLock()  # working clone files
        #: what the last clone/fetch/push said of the remote (shown by /health)
        self.remote_state: dict[str, Any] = {"reachable": None, "at": None, "error": None}

    # -- credentials and redaction ------------------------------------------------------

    @property
    def remote_url(self) -> str:
        return str(self.bare) if self.config.embedded_remote else str(self.config.remote)

    @property
    def upstream(self) -> str:
        return f"origin/{self.config.branch}"

    def public_remote(self) -> str:
        """The remote as shown to clients: no credentials, no local paths."""
        if self.config.embedded_remote:
            return "embedded"
        parts = urlsplit(str(self.config.remote))
        if parts.scheme and parts.netloc:
            host = parts.hostname or ""
            if parts.port:
                host += f":{parts.port}"
            return urlunsplit((parts.scheme, host, parts.path, "", ""))
        return "local"

    def env(self) -> dict[str, str]:
        """What every git process gets on top of the environment: never prompt; the token."""
        env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
        # curl gives up by itself on a connection that stalls (a second line of defence
        # behind the kill in run(): it also bounds a push orphaned by a crash)
        env["GIT_HTTP_LOW_SPEED_LIMIT"] = "1"
        env["GIT_HTTP_LOW_SPEED_TIME"] = str(max(1, round(self.config.git_timeout)))
        if "GIT_SSH_COMMAND" not in os.environ:
            env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
        token = self.config.git_token
        if token and urlsplit(self.remote_url).scheme in {"http", "https"}:
            # Sent as a header from the environment: never in argv, URL or .git/config.
            basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
            env.update(
                {
                    "GIT_CONFIG_COUNT": "1",
                    "GIT_CONFIG_KEY_0": "http.extraHeader",
                    "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
                }
            )
        return env

    def child_env(self) -> dict[str, str]:
        """The whole environment of a git process: the service's, without its secrets."""
        return {**without_secrets(os.environ), "LC_ALL": "C", "LANGUAGE": "C", **self.env()}

    def redact(self, text: str) -> str:
        """Remove secrets and local paths from a message meant for logs or clients."""
        token = self.config.git_token
        if token:
            text = text.replace(token, "***")
            text = text.replace(
                base64.b64encode(f"x-access-token:{token}".encode()).decode(), "***"
            )
        text = text.replace(self.remote_url, f"<remote:{self.public_remote()}>")
        text = text.replace(str(self.instance), "<instance>")
        home = os.path.expanduser("~")
        if home and home != "/":
            text = text.replace(home, "~")
        return text

    def message(self, exc: Exception) -> str:
        """A short, redacted summary of a failed git command."""
        stderr = getattr(exc, "stderr", "") or str(exc)
        lines = [ln.strip() for ln in str(stderr).strip().strip("'").splitlines() if ln.strip()]
        lines = [ln for ln in lines if not ln.startswith("stderr:")] or lines
        # git's first fatal/error line names the cause; the last lines say what it did
        first = [i for i, ln in enumerate(lines) if ln.startswith(("fatal:", "error:"))][:1]
        keep = sorted(set(first) | set(range(max(0, len(lines) - 3), len(lines))))
        text = " | ".join(lines[i] for i in keep)
        return self.redact(text)[:500] or exc.__class__.__name__

    # -- running git --------------------------------------------------------------------

    def run(self, *args: str, cwd: Path | None = None, timeout: float | None = None) -> str:
        """Run ``git ARGS`` (in the clone by default) and return its stdout.

        The command runs in a new process group; past ``timeout`` seconds (default
        ``git_local_timeout``) the whole group is killed.

        Raises
        ------
        GitTimeout
            If it was killed for running too long.
        GitFailed
            If it exited with a non-zero code.
        """
        limit = self.config.git_local_timeout if timeout is None else timeout
        proc = subprocess.Popen(
            # gc.autoDetach=false: git's automatic gc after a commit would otherwise leave
            # its process group and outlive both the timeout and the service
            ["git", "-c", "gc.autoDetach=false", *args],
            cwd=cwd or self.worktree,
            env=self.child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            process_group=0,  # its own group: a timeout kills its children too
        )
        try:
            out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            try:
                proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:  # a child left the group and holds a pipe
                for stream in (proc.stdout, proc.stderr):
                    if stream is not None:
                        stream.close()
                proc.wait()
            raise GitTimeout(
                args[0], proc.returncode, f"git {args[0]} timed out after {limit:g} s; killed"
            ) from None
        except BaseException:
            _kill_group(proc)
            proc.wait()
            raise
        if proc.returncode != 0:
            raise GitFailed(args[0], proc.returncode, err)
        return out[:-1] if out.endswith("\n") else out

    def git(self, *args: str) -> str:
        """A local git command in the clone (``git_local_timeout``)."""
        return self.run(*args)

    def remote_git(self, *args: str, cwd: Path | None = None) -> str:
        """A git command that talks to the remote (``git_timeout``)."""
        return self.run(*args, cwd=cwd, timeout=self.config.git_timeout)

    def mark_remote(self, reachable: bool, error: str | None = None) -> None:
        """Record what the last command talking to the remote said of it."""
        self.remote_state = {"reachable": reachable, "at": utcnow(), "error": error}

    # -- preparing and recovering the clone --------------------------------------------

    def prepare(self) -> bool:
        """Clone (or reopen and repair) the working clone and fetch the remote.

        An unreachable (or hanging) remote costs at most ``git_timeout`` here: the
        service then starts from a local clone and pushes when the remote is back.

        Returns True when the clone has diverged from the remote branch and needs
        :meth:`integrate` before pushing.
        """
        branch = self.config.branch
        if self.config.embedded_remote and not (self.bare / "HEAD").exists():
            self.run("init", "-q", "--bare", "-b", branch, str(self.bare), cwd=self.instance)
        if self.config.embedded_remote:
            # the remote's gc after a push runs in receive-pack, which does not see our
            # `-c` settings: in the foreground it stays inside the push and its timeout
            self.run("config", "gc.autoDetach", "false", cwd=self.bare)
        reachable = True
        if not (self.worktree / ".git").exists():
            if self.worktree.exists():
                shutil.rmtree(self.worktree)  # a clone interrupted before it finished
            try:
                self.remote_git(
                    "clone", "-q", self.remote_url, str(self.worktree), cwd=self.instance
                )
            except GitFailed as exc:
                # Unreachable remote on first start: work locally, push when it returns.
                reachable = False
                self._unreachable_at_start("clone", exc)
                if self.worktree.exists():
                    shutil.rmtree(self.worktree)
                self.run("init", "-q", "-b", branch, str(self.worktree), cwd=self.instance)
                self.git("remote", "add", "origin", self.remote_url)
        elif self.git("remote", "get-url", "origin") != self.remote_url:
            self.git("remote", "set-url", "origin", self.remote_url)
        for key, value in (
            ("user.name", _COMMITTER[0]),
            ("user.email", _COMMITTER[1]),
            ("core.fsync", "committed"),  # commits survive a power cut
            ("core.fsyncMethod", "fsync"),
            ("commit.gpgsign", "false"),
            ("gc.autoDetach", "false"),
        ):
            self.git("config", key, value)
        self.recover()
        if reachable:
            try:
                self.fetch()
            except GitFailed as exc:
                self._unreachable_at_start("fetch", exc)
        if not self.has_commit("HEAD"):
            if self.has_commit(self.upstream):
                self.git("checkout", "-B", branch, self.upstream)
            else:
                self.git("checkout", "-q", "-B", branch)
                readme = self.worktree / "README.md"
                readme.write_text(
                    "# zarr-benchmarks results\n\nReduced benchmark results, "
                    "machine and environment files (docs/formats.md), written "
                    "by the contribution service.\n",
                    encoding="utf-8",
                )
                self.git("add", "README.md")
                self.git("commit", "-q", "-m", "Start the results store")
        elif self.git("rev-parse", "--abbrev-ref", "HEAD") != branch:
            self.git("checkout", "-B", branch)
        return self.has_commit(self.upstream) and not self.is_ancestor(self.upstream, "HEAD")

    def _unreachable_at_start(self, step: str, exc: GitFailed) -> None:
        message = self.message(exc)
        self.mark_remote(False, message)
        log.warning(
            "remote unreachable at start (%s: %s); serving from the local clone, "
            "pushing when it answers",
            step,
            message,
        )

    def recover(self) -> None:
        """Undo what a crash may have left half-done in the clone (the spool is intact)."""
        git_dir = self.worktree / ".git"
        for lock in ("index.lock", "HEAD.lock"):
            (git_dir / lock).unlink(missing_ok=True)
        if (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists():
            with contextlib.suppress(GitFailed):
                self.git("rebase", "--abort")
        if self.has_commit("HEAD"):
            self.git("reset", "-q", "--hard", "HEAD")
            self.git("clean", "-q", "-f", "-d", "--", STORE_DIR)

    def close(self) -> None:
        """Nothing stays open between commands (kept for the store's stop)."""

    # -- queries ------------------------------------------------------------------------

    def has_commit(self, rev: str) -> bool:
        try:
            self.git("rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
        except GitFailed:
            return False
        return True

    def is_ancestor(self, a: str, b: str) -> bool:
        try:
            self.git("merge-base", "--is-ancestor", a, b)
        except GitFailed:
            return False
        return True

    def ahead(self) -> bool:
        """True when the clone has commits the remote branch lacks."""
        if not self.has_commit(self.upstream):
            return self.has_commit("HEAD")
        return int(self.git("rev-list", "--count", f"{self.upstream}..HEAD")) > 0

    def head(self) -> str | None:
        """The commit checked out, or None if there is none (or the clone is not ready)."""
        with contextlib.suppress(Exception), self.tree_lock:
            return self.git("rev-parse", "--verify", "-q", "HEAD^{commit}")
        return None

    # -- committing ---------------------------------------------------------------------

    def write_files(self, entries: Iterable[Entry], spool: Spool) -> CommitOutcome:
        """Copy the spooled files of ``entries`` into the clone.

        A file the clone already holds is not written: with the same content the entry
        is ``present``; with other content it is a conflict (the clone's version, which
        came from the remote or an earlier commit, is kept).
        """
        io = jsonio()
        outcome = CommitOutcome()
        for entry in entries:
            target = self.worktree / entry.path
            if target.is_file():
                if io.sha256_hex(target.read_bytes()) == entry.sha:
                    outcome.present.append(entry)
                else:
                    outcome.conflicts.append(
                        (
                            entry,
                            f"the store already holds {entry.kind} {entry.id} with other "
                            "content (kept that version); ids must change when the "
                            "described machine or environment changes",
                        )
                    )
                continue
            # No fsync here: the spool holds the durable copy until the push, and a file
            # half-written by a crash is removed by the reset/clean on the next start.
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(spool.read_bytes(entry))
            outcome.committed.append(entry)
        return outcome

    def add_and_commit(self, entries: list[Entry]) -> list[Entry]:
        """Stage the files of ``entries`` and commit them; return the entries committed.

        The commit message is made from what is really staged, so its count is the
        number of files the commit touches; no commit is made when nothing changed.
        """
        paths = [e.path for e in entries]
        for i in range(0, len(paths), 200):
            self.git("add", "--", *paths[i : i + 200])
        staged = set(self.git("diff", "--cached", "--name-only", "-z").split("\0")) - {""}
        if not staged:
            return []  # nothing new (e.g. re-applied files the remote already has)
        committed = [e for e in entries if e.path in staged]
        self.git("commit", "-q", "--no-verify", "-m", self.commit_message(committed))
        return committed

    @staticmethod
    def commit_message(entries: list[Entry]) -> str:
        kinds = {k: sum(e.kind == k for e in entries) for k in KINDS}
        summary = ", ".join(f"{n} {k}" for k, n in kinds.items() if n)
        lines = [f"{e.kind} {e.id}" for e in entries[:50]]
        if len(entries) > 50:
            lines.append(f"... and {len(entries) - 50} more")
        noun = "contribution" if len(entries) == 1 else "contributions"
        return f"Add {len(entries)} {noun} ({summary})\n\n" + "\n".join(lines)

    def commit(self, entries: list[Entry], spool: Spool) -> CommitOutcome:
        """Write the spooled files of ``entries`` into the clone and commit them."""
        with self.tree_lock:
            outcome = self.write_files(entries, spool)
            committed = self.add_and_commit(outcome.committed)
            # Written but identical to what git already has (cannot happen for a file
            # that did not exist, but never count it as committed).
            outcome.present += [e for e in outcome.committed if e not in committed]
            outcome.committed = committed
        return outcome

    # -- talking to the remote ----------------------------------------------------------

    def push(self) -> None:
        """Push HEAD to the remote branch (raises :class:`GitFailed`)."""
        self.remote_git("push", "-q", "origin", f"HEAD:refs/heads/{self.config.branch}")

    def fetch(self) -> None:
        """Fetch the remote branch; nothing to do while the remote has no such branch.

        Raises
        ------
        GitFailed
            If the remote cannot be reached (:class:`GitTimeout`: it did not answer).
        """
        try:
            self.remote_git("fetch", "-q", "origin", self.config.branch)
        except GitFailed as exc:
            if "couldn't find remote ref" not in exc.stderr:
                raise
            # reachable; the branch is not there yet (an empty repository)
        self.mark_remote(True)

    def mark_pushed(self) -> None:
        """Record that the remote branch is at HEAD (after a successful push)."""
        self.git("update-ref", f"refs/remotes/origin/{self.config.branch}", "HEAD")
        self.mark_remote(True)

    def integrate(
        self, unpushed: Callable[[], list[Entry]], spool: Spool
    ) -> tuple[list[str], list[tuple[Entry, str]]]:
        """Put the local, unpushed commits on top of the fetched remote branch.

        ``git rebase`` first; if that fails, reset to the remote and re-apply the spooled
        files of ``unpushed()`` (content-addressed paths: an existing result file is the
        same content; an existing info file with other content keeps the remote's
        version and is returned as a conflict).  Returns the paths the remote changed,
        to be re-indexed, and the conflicts.
        """
        upstream = self.upstream
        conflicts: list[tuple[Entry, str]] = []
        with self.tree_lock:
            before = self.git("rev-parse", upstream) if self.has_commit(upstream) else None
            old_head = self.git("rev-parse", "HEAD") if self.has_commit("HEAD") else None
            try:
                self.git("rebase", "-q", upstream)
            except GitFailed as exc:
                log.warning(
                    "rebase failed (%s); re-applying the spool on the remote branch",
                    self.message(exc),
                )
                with contextlib.suppress(GitFailed):
                    self.git("rebase", "--abort")
                self.git("reset", "-q", "--hard", upstream)
                self.git("clean", "-q", "-f", "-d", "--", STORE_DIR)
                outcome = self.write_files(unpushed(), spool)
                conflicts = outcome.conflicts
                if outcome.committed:
                    self.add_and_commit(outcome.committed)
            base = old_head or before
            changed: list[str] = []
            if base is not None:
                changed = self.git("diff", "--name-only", base, upstream).splitlines()
        return changed, conflicts
