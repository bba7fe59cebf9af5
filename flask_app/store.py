"""The git-backed results store: a spool, a working clone, one writer thread.

Life of a contribution
----------------------
1. :meth:`ResultStore.submit` derives the stored path from the document's kind, ids and
   content hash, and writes the file to ``<instance>/spool/`` (temp file, fsync, rename,
   fsync of the folder) *before* the caller answers 2xx.
2. The writer thread takes everything spooled, writes it into the working clone and makes
   one commit per batch, then pushes.  A rejected push (someone else pushed first) is
   integrated with ``git rebase`` (falling back to a reset to the remote plus re-applying
   the spool, which holds every unpushed file) and retried; an unreachable or refusing
   remote is retried with backoff while commits keep accumulating locally.
3. A spool file is deleted only once the remote has the commit holding it (in debug mode,
   which never pushes, once it is committed).  After a crash the spool is replayed on
   start, so an accepted contribution is never lost.

The spool doubles as the source of truth for "not yet on the remote", which keeps the
recovery logic small: whatever happens to the clone, re-applying the spool on top of the
remote is always correct because stored paths are content-addressed.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask_app.config import ServiceConfig

log = logging.getLogger(__name__)

#: folder of the results repository that holds the stored files
STORE_DIR = "results"
_ID = re.compile(r"^[0-9a-f]{64}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$")
_COMMITTER = ("zarr-benchmarks service", "service@zarr-benchmarks.invalid")
_KINDS = ("result", "machine", "environment")


class StoreError(RuntimeError):
    """The store cannot do what was asked (message is safe to show to a client)."""


class ConflictError(StoreError):
    """An info file with the same id but different content is already stored."""


class DocumentError(ValueError):
    """A document cannot be stored (bad kind or ids); message names the field."""


def _jsonio() -> Any:
    from zarr_benchmarks import _jsonio

    return _jsonio


@dataclass
class Entry:
    """One stored (or spooled) file, as known to the in-memory index."""

    kind: str
    id: str
    path: str  # relative to the repository root, derived by the server
    sha: str  # sha256 of the file bytes
    state: str  # "pending" (spooled) -> "committed" (local commit) -> "stored" (on remote)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.id)

    @property
    def spool_name(self) -> str:
        return f"{self.kind}-{self.id}.json"


def derive(document: dict[str, Any]) -> tuple[str, str, str]:
    """Return ``(kind, id, relative path)`` of a (schema-valid) document.

    Only the kind, the ids and the content hash enter the path; nothing a client names.

    Raises
    ------
    DocumentError
        If the kind is unknown or an id or the timestamp is malformed.
    """
    kind = document.get("kind")
    if kind not in _KINDS:
        raise DocumentError(f"$.kind: unknown document kind {kind!r}")

    def _id(name: str) -> str:
        value = document.get(name)
        if not isinstance(value, str) or not _ID.match(value):
            raise DocumentError(f"$.{name}: expected 64 lower-case hex characters")
        return value

    if kind == "result":
        timestamp = document.get("timestamp")
        if not isinstance(timestamp, str) or not _TIMESTAMP.match(timestamp):
            raise DocumentError("$.timestamp: expected YYYY-MM-DD-HH-MM-SS")
        machine, environment = _id("machine_id"), _id("environment_id")
        rid = _jsonio().sha256_id(document)
        name = (
            f"result_timestamp-{timestamp}_machine-{machine}_environment-{environment}"
            f"_id-{rid[:16]}.json"
        )
        return kind, rid, f"{STORE_DIR}/{name}"
    ident = _id(f"{kind}_id")
    return kind, ident, f"{STORE_DIR}/info_{kind}-{ident}.json"


def summarize(kind: str, document: dict[str, Any]) -> dict[str, Any]:
    """Small per-file summary kept in memory for listing and filtering."""
    if kind == "result":
        modalities: set[str] = set()
        codecs: set[str] = set()
        for bench in (document.get("benchmarks") or {}).values():
            for entry in bench.get("results") or ():
                params = entry.get("params") or {}
                if "modality" in params:
                    modalities.add(str(params["modality"]))
                if "codec" in params:
                    codecs.add(str(params["codec"]))
        return {
            "timestamp": document.get("timestamp"),
            "machine_id": document.get("machine_id"),
            "environment_id": document.get("environment_id"),
            "commit_hash": document.get("commit_hash"),
            "preset": document.get("preset"),
            "benchmarks": len(document.get("benchmarks") or {}),
            "modalities": sorted(modalities),
            "codecs": sorted(codecs),
        }
    if kind == "machine":
        hardware = document.get("hardware") or {}
        return {
            "name": document.get("name"),
            "os": document.get("os"),
            "python": document.get("python"),
            "cpu": (hardware.get("cpu") or {}).get("model"),
            "memory_bytes": (hardware.get("memory") or {}).get("total_bytes"),
        }
    return {"python": document.get("python"), "packages": document.get("packages")}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ResultStore:
    """Spool + working clone + remote, with a single writer thread.

    Parameters
    ----------
    config
        Service settings (instance folder, remote, branch, token, debug, ...).
    on_change
        Optional callback run in the writer thread after files were committed.
    """

    def __init__(self, config: ServiceConfig, on_change: Callable[[], None] | None = None):
        self.config = config
        self.instance = Path(config.instance_dir)
        self.spool_dir = self.instance / "spool"
        self.worktree = self.instance / "repo"
        self.bare = self.instance / "remote.git"
        self.aggregate_path = self.instance / "aggregate" / "results.parquet"
        self._on_change = on_change
        self._lock = threading.Lock()  # index + queues
        self._cond = threading.Condition(self._lock)
        self._tree_lock = threading.RLock()  # working clone files
        self._index: dict[tuple[str, str], Entry] = {}
        self._uncommitted: dict[tuple[str, str], Entry] = {}
        self._unpushed: dict[tuple[str, str], Entry] = {}
        self._stop = False
        self._thread: threading.Thread | None = None
        self._file_lock: Any = None
        self._repo: Any = None
        self._next_push = 0.0
        self._push_failures = 0
        self._aggregate_due: float | None = None
        self._aggregate_disabled = False
        self.last_push: dict[str, Any] | None = None
        self.last_commit_at: str | None = None
        self.last_error: str | None = None
        self.last_aggregate: dict[str, Any] | None = None

    # -- configuration helpers ----------------------------------------------------------

    @property
    def remote_url(self) -> str:
        return str(self.bare) if self.config.embedded_remote else str(self.config.remote)

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

    def _git_env(self) -> dict[str, str]:
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

    def _git_message(self, exc: Exception) -> str:
        stderr = getattr(exc, "stderr", "") or str(exc)
        lines = [ln.strip() for ln in str(stderr).strip().strip("'").splitlines() if ln.strip()]
        lines = [ln for ln in lines if not ln.startswith("stderr:")] or lines
        return self.redact(" | ".join(lines[-3:]))[:500] or exc.__class__.__name__

    def _git(self, *args: str) -> str:
        return self._repo.git.execute(["git", *args])

    # -- start / stop -----------------------------------------------------------------

    def start(self) -> None:
        """Prepare the clone, rebuild the index, replay the spool, start the writer.

        Raises
        ------
        StoreError
            If another server uses the instance folder or the clone cannot be prepared.
        """
        from filelock import FileLock, Timeout

        self.instance.mkdir(parents=True, exist_ok=True)
        self.spool_dir.mkdir(exist_ok=True)
        self._file_lock = FileLock(str(self.instance / ".lock"))
        try:
            self._file_lock.acquire(timeout=0)
        except Timeout:
            raise StoreError("the instance folder is in use by another server") from None
        try:
            self._prepare_repo()
            self._build_index()
            self._replay_spool()
        except Exception:
            self._file_lock.release()
            raise
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the writer to commit what is spooled, try one push, and exit."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._file_lock is not None and (self._thread is None or not self._thread.is_alive()):
            self._file_lock.release()
        if self._repo is not None:
            self._repo.close()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _prepare_repo(self) -> None:
        import git

        env = self._git_env()
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
                    self._git_message(exc),
                )
                if self.worktree.exists():
                    shutil.rmtree(self.worktree)
                repo = git.Repo.init(self.worktree, initial_branch=branch)
                repo.create_remote("origin", self.remote_url)
        else:
            repo = git.Repo(self.worktree)
            if repo.remotes and repo.remotes.origin.url != self.remote_url:
                repo.remotes.origin.set_url(self.remote_url)
        self._repo = repo
        repo.git.update_environment(**env)
        with repo.config_writer() as cw:
            cw.set_value("user", "name", _COMMITTER[0])
            cw.set_value("user", "email", _COMMITTER[1])
            cw.set_value("core", "fsync", "committed")  # commits survive a power cut
            cw.set_value("core", "fsyncMethod", "fsync")
            cw.set_value("commit", "gpgsign", "false")
            cw.set_value("gc", "autoDetach", "false")
        self._recover_clone()
        with contextlib.suppress(git.GitCommandError):
            self._git("fetch", "origin", branch)
        if not self._has_commit("HEAD"):
            if self._has_commit(f"origin/{branch}"):
                self._git("checkout", "-B", branch, f"origin/{branch}")
            else:
                self._git("checkout", "-B", branch)
                readme = self.worktree / "README.md"
                readme.write_text(
                    "# zarr-benchmarks results\n\nReduced benchmark results, "
                    "machine and environment files (docs/formats.md), written "
                    "by the contribution service.\n",
                    encoding="utf-8",
                )
                self._git("add", "README.md")
                self._git("commit", "-q", "-m", "Start the results store")
                self._next_push = 0.0
        elif self._git("rev-parse", "--abbrev-ref", "HEAD") != branch:
            self._git("checkout", "-B", branch)
        if self._has_commit(f"origin/{branch}") and not self._is_ancestor(
            f"origin/{branch}", "HEAD"
        ):
            self._integrate_remote()

    def _recover_clone(self) -> None:
        """Undo what a crash may have left half-done in the clone (the spool is intact)."""
        git_dir = self.worktree / ".git"
        for lock in ("index.lock", "HEAD.lock"):
            (git_dir / lock).unlink(missing_ok=True)
        if (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists():
            with contextlib.suppress(Exception):
                self._git("rebase", "--abort")
        if self._has_commit("HEAD"):
            self._git("reset", "-q", "--hard", "HEAD")
            self._git("clean", "-q", "-f", "-d", "--", STORE_DIR)

    def _has_commit(self, rev: str) -> bool:
        try:
            self._git("rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
        except Exception:
            return False
        return True

    def _is_ancestor(self, a: str, b: str) -> bool:
        try:
            self._git("merge-base", "--is-ancestor", a, b)
        except Exception:
            return False
        return True

    def _ahead(self) -> bool:
        upstream = f"origin/{self.config.branch}"
        if not self._has_commit(upstream):
            return self._has_commit("HEAD")
        return int(self._git("rev-list", "--count", f"{upstream}..HEAD")) > 0

    # -- index ------------------------------------------------------------------------

    def _load_file(self, path: Path, rel: str, state: str) -> Entry | None:
        jsonio = _jsonio()
        try:
            document = jsonio.read_json(path)
            kind, ident, _ = derive(document)
        except (ValueError, OSError) as exc:
            log.warning("skipping %s in the store: %s", rel, self.redact(str(exc)))
            return None
        data = path.read_bytes()
        return Entry(kind, ident, rel, jsonio.sha256_hex(data), state, summarize(kind, document))

    def _index_paths(self, rels: Iterable[str]) -> None:
        for rel in rels:
            if not (rel.startswith(f"{STORE_DIR}/") and rel.endswith(".json")):
                continue
            path = self.worktree / rel
            if not path.is_file():
                continue
            entry = self._load_file(path, rel, "stored")
            if entry is None:
                continue
            with self._lock:
                current = self._index.get(entry.key)
                if current is None or current.state == "stored":
                    self._index[entry.key] = entry

    def _build_index(self) -> None:
        folder = self.worktree / STORE_DIR
        if folder.is_dir():
            self._index_paths(f"{STORE_DIR}/{p.name}" for p in sorted(folder.glob("*.json")))

    def _replay_spool(self) -> None:
        jsonio = _jsonio()
        for tmp in self.spool_dir.glob(".*.tmp"):
            tmp.unlink()  # never acknowledged to a client
        ahead = self._ahead()
        for spooled in sorted(self.spool_dir.glob("*.json")):
            try:
                document = jsonio.read_json(spooled)
                kind, ident, rel = derive(document)
            except (ValueError, OSError) as exc:
                bad = self.spool_dir / "unreadable"
                bad.mkdir(exist_ok=True)
                os.replace(spooled, bad / spooled.name)
                log.error("moved unreadable spool file aside: %s", self.redact(str(exc)))
                continue
            data = spooled.read_bytes()
            entry = Entry(
                kind, ident, rel, jsonio.sha256_hex(data), "pending", summarize(kind, document)
            )
            current = self._index.get(entry.key)
            if current is not None and current.sha == entry.sha:
                if ahead and not self.config.debug:
                    current.state = "committed"
                    self._unpushed[entry.key] = current
                else:
                    spooled.unlink()
                continue
            self._index[entry.key] = entry
            self._uncommitted[entry.key] = entry
        if ahead:
            self._next_push = 0.0
        log.info(
            "store ready: %d files, %d spooled, %d unpushed",
            len(self._index),
            len(self._uncommitted),
            len(self._unpushed),
        )

    # -- public API ---------------------------------------------------------------------

    def submit(self, document: dict[str, Any]) -> tuple[Entry, bool]:
        """Spool a validated document durably; return ``(entry, created)``.

        ``created`` is False when identical content is already stored or spooled.

        Raises
        ------
        DocumentError
            If the kind or ids are malformed.
        ConflictError
            If an info file with the same id but different content exists.
        """
        jsonio = _jsonio()
        kind, ident, rel = derive(document)
        data = jsonio.pretty_dumps(document).encode("utf-8")
        sha = jsonio.sha256_hex(data)
        key = (kind, ident)
        with self._lock:
            existing = self._index.get(key)
        if existing is not None:
            return self._same(existing, sha), False
        entry = Entry(kind, ident, rel, sha, "pending", summarize(kind, document))
        final = self.spool_dir / entry.spool_name
        tmp = self.spool_dir / f".{entry.spool_name}.{uuid.uuid4().hex}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        with self._cond:
            existing = self._index.get(key)
            if existing is not None:
                tmp.unlink()
                return self._same(existing, sha), False
            os.replace(tmp, final)
            _fsync_dir(self.spool_dir)
            self._index[key] = entry
            self._uncommitted[key] = entry
            self._cond.notify_all()
        return entry, True

    def _same(self, existing: Entry, sha: str) -> Entry:
        if existing.sha != sha:
            raise ConflictError(
                f"a {existing.kind} file with id {existing.id} and different content is "
                "already stored; ids must change when the described machine or "
                "environment changes"
            )
        return existing

    def wait_stored(self, entry: Entry, timeout: float) -> bool:
        """Wait until ``entry`` is on the remote (committed, in debug mode)."""
        with self._cond:
            return self._cond.wait_for(lambda: entry.state == "stored", timeout)

    def get(self, kind: str, ident: str) -> Entry | None:
        with self._lock:
            return self._index.get((kind, ident))

    def entries(self, kind: str) -> list[Entry]:
        with self._lock:
            return [e for e in self._index.values() if e.kind == kind]

    def read(self, entry: Entry) -> dict[str, Any]:
        """Return the stored document of ``entry`` (from the clone or the spool)."""
        jsonio = _jsonio()
        for _ in range(3):
            with self._tree_lock:
                path = self.worktree / entry.path
                if path.is_file():
                    return jsonio.read_json(path)
            spooled = self.spool_dir / entry.spool_name
            with contextlib.suppress(FileNotFoundError):
                return jsonio.read_json(spooled)
        raise StoreError(f"{entry.kind} {entry.id} is indexed but its file is missing")

    def counts(self) -> dict[str, int]:
        with self._lock:
            out = dict.fromkeys(_KINDS, 0)
            for kind, _ in self._index:
                out[kind] += 1
            return out

    def health(self) -> dict[str, Any]:
        with self._lock:
            uncommitted, unpushed = len(self._uncommitted), len(self._unpushed)
        head = None
        with contextlib.suppress(Exception), self._tree_lock:
            head = self._repo.head.commit.hexsha
        degraded = not self.alive or bool(self.last_push and not self.last_push["ok"])
        return {
            "status": "degraded" if degraded else "ok",
            "store": {
                "remote": self.public_remote(),
                "branch": self.config.branch,
                "head": head,
                "writer_alive": self.alive,
                "pushes": not self.config.debug,
                "files": self.counts(),
            },
            "spool_depth": uncommitted + unpushed,
            "uncommitted": uncommitted,
            "unpushed": unpushed,
            "last_commit_at": self.last_commit_at,
            "last_push": self.last_push,
            "last_error": self.last_error,
            "aggregate": self.last_aggregate,
        }

    # -- writer thread ----------------------------------------------------------------

    def _seconds_until_due(self) -> float | None:
        if self._uncommitted:
            return 0.0
        now = time.monotonic()
        waits = []
        if self._unpushed and not self.config.debug:
            waits.append(self._next_push - now)
        if self._aggregate_due is not None:
            waits.append(self._aggregate_due - now)
        return max(0.0, min(waits)) if waits else None

    def _run(self) -> None:
        while True:
            with self._cond:
                wait = self._seconds_until_due()
                if not self._stop and (wait is None or wait > 0):
                    self._cond.wait(60.0 if wait is None else wait)
                stopping = self._stop
            if self.config.writer_delay and self._uncommitted and not stopping:
                time.sleep(self.config.writer_delay)  # test aid: widen the crash window
            try:
                self._cycle(stopping)
            except Exception as exc:  # keep the writer alive; the spool keeps the data
                self.last_error = self.redact(f"{exc.__class__.__name__}: {exc}")[:500]
                log.exception("store writer cycle failed")
                time.sleep(1.0)
            if stopping:
                return

    def _cycle(self, stopping: bool) -> None:
        with self._lock:
            batch = list(self._uncommitted.values())[: self.config.batch_max]
        if batch:
            self._commit(batch)
        if (
            self._unpushed
            and not self.config.debug
            and (stopping or time.monotonic() >= self._next_push)
        ):
            self._push()
        due = self._aggregate_due
        if due is not None and (time.monotonic() >= due) and not stopping:
            self._aggregate_due = None
            self._aggregate()

    def _write_files(self, entries: Iterable[Entry], *, keep_existing: bool = False) -> list[str]:
        written = []
        for entry in entries:
            target = self.worktree / entry.path
            if keep_existing and target.exists():
                continue
            # No fsync here: the spool holds the durable copy until the push, and a file
            # half-written by a crash is removed by the reset/clean on the next start.
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((self.spool_dir / entry.spool_name).read_bytes())
            written.append(entry.path)
        return written

    def _add_and_commit(self, paths: list[str], message: str) -> bool:
        for i in range(0, len(paths), 200):
            self._git("add", "--", *paths[i : i + 200])
        try:
            self._git("diff", "--cached", "--quiet")
            return False  # nothing new (e.g. re-applied files the remote already has)
        except Exception:
            pass
        self._git("commit", "-q", "--no-verify", "-m", message)
        return True

    @staticmethod
    def _message(entries: list[Entry]) -> str:
        kinds = {k: sum(e.kind == k for e in entries) for k in _KINDS}
        summary = ", ".join(f"{n} {k}" for k, n in kinds.items() if n)
        lines = [f"{e.kind} {e.id}" for e in entries[:50]]
        if len(entries) > 50:
            lines.append(f"... and {len(entries) - 50} more")
        noun = "contribution" if len(entries) == 1 else "contributions"
        return f"Add {len(entries)} {noun} ({summary})\n\n" + "\n".join(lines)

    def _commit(self, batch: list[Entry]) -> None:
        with self._tree_lock:
            paths = self._write_files(batch)
            self._add_and_commit(paths, self._message(batch))
        self.last_commit_at = _utcnow()
        with self._cond:
            for entry in batch:
                self._uncommitted.pop(entry.key, None)
                if self.config.debug:
                    entry.state = "stored"
                    (self.spool_dir / entry.spool_name).unlink(missing_ok=True)
                else:
                    entry.state = "committed"
                    self._unpushed[entry.key] = entry
            self._next_push = 0.0
            if self._aggregate_due is None:
                self._aggregate_due = time.monotonic() + self.config.aggregate_debounce
            self._cond.notify_all()
        if self._on_change is not None:
            self._on_change()

    def _push(self) -> None:
        import git

        branch = self.config.branch
        for _attempt in range(5):
            with self._lock:
                pushing = list(self._unpushed.values())
            try:
                self._git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")
            except git.GitCommandError as exc:
                message = self._git_message(exc)
                try:
                    self._git("fetch", "-q", "origin", branch)
                except git.GitCommandError:
                    self._push_failed(message)  # unreachable: retry later
                    return
                upstream = f"origin/{branch}"
                if not self._has_commit(upstream) or self._is_ancestor(upstream, "HEAD"):
                    self._push_failed(message)  # refused for another reason (hook, perms)
                    return
                self._integrate_remote()  # someone pushed first: rebase and retry
                continue
            self._git("update-ref", f"refs/remotes/origin/{branch}", "HEAD")
            with self._cond:
                for entry in pushing:
                    if self._unpushed.get(entry.key) is entry:
                        del self._unpushed[entry.key]
                    entry.state = "stored"
                    (self.spool_dir / entry.spool_name).unlink(missing_ok=True)
                self._push_failures = 0
                self.last_push = {"at": _utcnow(), "ok": True, "files": len(pushing), "error": None}
                self._cond.notify_all()
            return
        self._push_failed("the remote kept moving while pushing; will retry")

    def _push_failed(self, message: str) -> None:
        self._push_failures += 1
        delay = min(self.config.push_retry_max, 0.5 * 2 ** min(self._push_failures, 10))
        self._next_push = time.monotonic() + delay
        self.last_push = {
            "at": _utcnow(),
            "ok": False,
            "files": 0,
            "error": message,
            "retry_in_s": round(delay, 1),
        }
        log.warning("push failed (%s); retrying in %.1fs", message, delay)

    def _integrate_remote(self) -> None:
        """Put the local, unpushed commits on top of the remote branch."""
        import git

        upstream = f"origin/{self.config.branch}"
        with self._tree_lock:
            before = self._git("rev-parse", upstream) if self._has_commit(upstream) else None
            old_head = self._git("rev-parse", "HEAD") if self._has_commit("HEAD") else None
            try:
                self._git("rebase", "-q", upstream)
            except git.GitCommandError as exc:
                log.warning(
                    "rebase failed (%s); re-applying the spool on the remote branch",
                    self._git_message(exc),
                )
                with contextlib.suppress(git.GitCommandError):
                    self._git("rebase", "--abort")
                self._git("reset", "-q", "--hard", upstream)
                self._git("clean", "-q", "-f", "-d", "--", STORE_DIR)
                with self._lock:
                    entries = list(self._unpushed.values())
                # Content-addressed paths: an existing result file is the same content; an
                # existing info file with other content keeps the remote's version.
                paths = self._write_files(entries, keep_existing=True)
                if paths:
                    self._add_and_commit(paths, self._message(entries))
            base = old_head or before
            changed = []
            if base is not None:
                changed = self._git("diff", "--name-only", base, upstream).splitlines()
        del before
        self._index_paths(changed)
        self._reconcile_conflicts()

    def _reconcile_conflicts(self) -> None:
        """Drop spooled info files whose id the remote already holds with other content."""
        jsonio = _jsonio()
        with self._cond:
            for key, entry in list(self._unpushed.items()):
                path = self.worktree / entry.path
                if not path.is_file():
                    continue
                sha = jsonio.sha256_hex(path.read_bytes())
                if sha != entry.sha:
                    log.warning(
                        "remote already holds %s %s with other content; keeping it",
                        entry.kind,
                        entry.id,
                    )
                    del self._unpushed[key]
                    (self.spool_dir / entry.spool_name).unlink(missing_ok=True)
                    loaded = self._load_file(path, entry.path, "committed")
                    if loaded is not None:
                        self._index[key] = loaded

    # -- aggregation ------------------------------------------------------------------

    def request_aggregate(self, delay: float = 0.0) -> None:
        """Ask the writer thread to rebuild the Parquet aggregate soon."""
        with self._cond:
            self._aggregate_due = time.monotonic() + delay
            self._cond.notify_all()

    def _aggregate(self) -> None:
        if self._aggregate_disabled:
            return
        try:
            from zarr_benchmarks.share.aggregate import build_parquet
        except ImportError as exc:
            self._aggregate_disabled = True
            log.warning("aggregation disabled: %s", exc)
            return
        started = time.monotonic()
        with self._tree_lock:
            rows = build_parquet(self.worktree / STORE_DIR, self.aggregate_path)
        self.last_aggregate = {
            "at": _utcnow(),
            "rows": rows,
            "seconds": round(time.monotonic() - started, 3),
        }
