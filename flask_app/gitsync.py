"""The working clone and its remote: clone, recovery, commit, push, rebase, credentials.

This module owns ``<instance>/repo`` (and the embedded bare remote
``<instance>/remote.git`` when no remote is configured) and every git command the store
runs, through :class:`GitClone`:

* preparing the clone on start (cloning, or a local clone when the remote is
  unreachable; the committer identity and fsync settings) and undoing what a crash left
  half-done in it;
* writing spooled files into the clone and committing them;
* pushing, fetching, and putting local commits on top of the remote (``git rebase``,
  falling back to a reset to the remote plus re-applying the unpushed spool files);
* credentials and redaction: a token is sent as an HTTP header from the environment of
  the git process only (never in argv, a URL or ``.git/config``), and messages meant
  for logs or clients lose secrets and local paths.

Files in the clone are guarded by :attr:`GitClone.tree_lock`.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from flask_app.config import ServiceConfig
from flask_app.documents import KINDS, STORE_DIR, Entry

if TYPE_CHECKING:
    from flask_app.spool import Spool

log = logging.getLogger(__name__)

_COMMITTER = ("zarr-benchmarks service", "service@zarr-benchmarks.invalid")


class GitClone:
    """The working clone of the results repository.

    Parameters
    ----------
    config
        Service settings (remote, branch, token).
    instance
        The instance folder (holds ``repo/`` and, for an embedded remote, ``remote.git``).
    """

    def __init__(self, config: ServiceConfig, instance: Path):
        self.config = config
        self.instance = instance
        self.worktree = instance / "repo"
        self.bare = instance / "remote.git"
        self.tree_lock = threading.RLock()  # working clone files
        self.repo: Any = None

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
        """Environment of every git process: never prompt; the token as a header."""
        env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
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
        return self.redact(" | ".join(lines[-3:]))[:500] or exc.__class__.__name__

    def git(self, *args: str) -> str:
        result: str = self.repo.git.execute(["git", *args])
        return result

    # -- preparing and recovering the clone --------------------------------------------

    def prepare(self) -> bool:
        """Clone (or reopen and repair) the working clone and fetch the remote.

        Returns True when the clone has diverged from the remote branch and needs
        :meth:`integrate` before pushing.
        """
        import git

        env = self.env()
        branch = self.config.branch
        if self.config.embedded_remote and not (self.bare / "HEAD").exists():
            git.Repo.init(self.bare, bare=True, initial_branch=branch)
        if not (self.worktree / ".git").exists():
            if self.worktree.exists():
                shutil.rmtree(self.worktree)  # a clone interrupted before it finished
            try:
                repo = git.Repo.clone_from(self.remote_url, self.worktree, env=env)
            except git.GitCommandError as exc:
                # Unreachable remote on first start: work locally, push when it returns.
                log.warning(
                    "cannot clone the remote (%s); starting with a local clone",
                    self.message(exc),
                )
                if self.worktree.exists():
                    shutil.rmtree(self.worktree)
                repo = git.Repo.init(self.worktree, initial_branch=branch)
                repo.create_remote("origin", self.remote_url)
        else:
            repo = git.Repo(self.worktree)
            if repo.remotes and repo.remotes.origin.url != self.remote_url:
                repo.remotes.origin.set_url(self.remote_url)
        self.repo = repo
        repo.git.update_environment(**env)
        with repo.config_writer() as cw:
            cw.set_value("user", "name", _COMMITTER[0])
            cw.set_value("user", "email", _COMMITTER[1])
            cw.set_value("core", "fsync", "committed")  # commits survive a power cut
            cw.set_value("core", "fsyncMethod", "fsync")
            cw.set_value("commit", "gpgsign", "false")
            cw.set_value("gc", "autoDetach", "false")
        self.recover()
        with contextlib.suppress(git.GitCommandError):
            self.git("fetch", "origin", branch)
        if not self.has_commit("HEAD"):
            if self.has_commit(self.upstream):
                self.git("checkout", "-B", branch, self.upstream)
            else:
                self.git("checkout", "-B", branch)
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

    def recover(self) -> None:
        """Undo what a crash may have left half-done in the clone (the spool is intact)."""
        git_dir = self.worktree / ".git"
        for lock in ("index.lock", "HEAD.lock"):
            (git_dir / lock).unlink(missing_ok=True)
        if (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists():
            with contextlib.suppress(Exception):
                self.git("rebase", "--abort")
        if self.has_commit("HEAD"):
            self.git("reset", "-q", "--hard", "HEAD")
            self.git("clean", "-q", "-f", "-d", "--", STORE_DIR)

    def close(self) -> None:
        if self.repo is not None:
            self.repo.close()

    # -- queries ------------------------------------------------------------------------

    def has_commit(self, rev: str) -> bool:
        try:
            self.git("rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
        except Exception:
            return False
        return True

    def is_ancestor(self, a: str, b: str) -> bool:
        try:
            self.git("merge-base", "--is-ancestor", a, b)
        except Exception:
            return False
        return True

    def ahead(self) -> bool:
        """True when the clone has commits the remote branch lacks."""
        if not self.has_commit(self.upstream):
            return self.has_commit("HEAD")
        return int(self.git("rev-list", "--count", f"{self.upstream}..HEAD")) > 0

    def head(self) -> str | None:
        """The commit checked out, or None if there is none (or the clone is not open)."""
        with contextlib.suppress(Exception), self.tree_lock:
            return str(self.repo.head.commit.hexsha)
        return None

    # -- committing ---------------------------------------------------------------------

    def write_files(
        self, entries: Iterable[Entry], spool: Spool, *, keep_existing: bool = False
    ) -> list[str]:
        """Copy the spooled files of ``entries`` into the clone; return the paths written."""
        written = []
        for entry in entries:
            target = self.worktree / entry.path
            if keep_existing and target.exists():
                continue
            # No fsync here: the spool holds the durable copy until the push, and a file
            # half-written by a crash is removed by the reset/clean on the next start.
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(spool.read_bytes(entry))
            written.append(entry.path)
        return written

    def add_and_commit(self, paths: list[str], message: str) -> bool:
        """Stage ``paths`` and commit them; False if that changes nothing."""
        for i in range(0, len(paths), 200):
            self.git("add", "--", *paths[i : i + 200])
        try:
            self.git("diff", "--cached", "--quiet")
            return False  # nothing new (e.g. re-applied files the remote already has)
        except Exception:
            pass
        self.git("commit", "-q", "--no-verify", "-m", message)
        return True

    @staticmethod
    def commit_message(entries: list[Entry]) -> str:
        kinds = {k: sum(e.kind == k for e in entries) for k in KINDS}
        summary = ", ".join(f"{n} {k}" for k, n in kinds.items() if n)
        lines = [f"{e.kind} {e.id}" for e in entries[:50]]
        if len(entries) > 50:
            lines.append(f"... and {len(entries) - 50} more")
        noun = "contribution" if len(entries) == 1 else "contributions"
        return f"Add {len(entries)} {noun} ({summary})\n\n" + "\n".join(lines)

    def commit(self, entries: list[Entry], spool: Spool) -> None:
        """Write the spooled files of ``entries`` into the clone and commit them."""
        with self.tree_lock:
            paths = self.write_files(entries, spool)
            self.add_and_commit(paths, self.commit_message(entries))

    # -- talking to the remote ----------------------------------------------------------

    def push(self) -> None:
        """Push HEAD to the remote branch (raises ``git.GitCommandError``)."""
        self.git("push", "-q", "origin", f"HEAD:refs/heads/{self.config.branch}")

    def fetch(self) -> None:
        """Fetch the remote branch (raises ``git.GitCommandError``)."""
        self.git("fetch", "-q", "origin", self.config.branch)

    def mark_pushed(self) -> None:
        """Record that the remote branch is at HEAD (after a successful push)."""
        self.git("update-ref", f"refs/remotes/origin/{self.config.branch}", "HEAD")

    def integrate(self, unpushed: Callable[[], list[Entry]], spool: Spool) -> list[str]:
        """Put the local, unpushed commits on top of the fetched remote branch.

        ``git rebase`` first; if that fails, reset to the remote and re-apply the spooled
        files of ``unpushed()`` (content-addressed paths: an existing result file is the
        same content; an existing info file with other content keeps the remote's
        version).  Returns the paths the remote changed, to be re-indexed.
        """
        import git

        upstream = self.upstream
        with self.tree_lock:
            before = self.git("rev-parse", upstream) if self.has_commit(upstream) else None
            old_head = self.git("rev-parse", "HEAD") if self.has_commit("HEAD") else None
            try:
                self.git("rebase", "-q", upstream)
            except git.GitCommandError as exc:
                log.warning(
                    "rebase failed (%s); re-applying the spool on the remote branch",
                    self.message(exc),
                )
                with contextlib.suppress(git.GitCommandError):
                    self.git("rebase", "--abort")
                self.git("reset", "-q", "--hard", upstream)
                self.git("clean", "-q", "-f", "-d", "--", STORE_DIR)
                entries = unpushed()
                paths = self.write_files(entries, spool, keep_existing=True)
                if paths:
                    self.add_and_commit(paths, self.commit_message(entries))
            base = old_head or before
            changed: list[str] = []
            if base is not None:
                changed = self.git("diff", "--name-only", base, upstream).splitlines()
        return changed
