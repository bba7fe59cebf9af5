"""The git-backed results store: a spool, a working clone, one writer thread.

This module composes the parts and keeps the interface the rest of the service uses
(:class:`ResultStore`); it owns the instance lock and the start/stop lifecycle, and the
accept path (:meth:`ResultStore.submit`).  The parts:

* :mod:`flask_app.documents`: naming (kind, id, stored path) and per-file summaries;
* :mod:`flask_app.spool`: the durable spool and its replay after a restart;
* :mod:`flask_app.index`: the in-memory index and the uncommitted/unpushed queues;
* :mod:`flask_app.gitsync`: the clone: recovery, commit, push, rebase, credentials;
* :mod:`flask_app.writer`: the writer thread: batching, push back-off, aggregation.

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
4. An info file accepted while the remote could not be reached, whose id someone else
   stored meanwhile with other content, is not silently dropped: it is kept in
   ``spool/conflicts/`` with the reason and reported by :meth:`ResultStore.contribution`
   (``GET /contributions/<id>``) and ``/health``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask_app.config import ServiceConfig
from flask_app.documents import (
    KINDS,
    STORE_DIR,
    DocumentError,
    Entry,
    derive,
    jsonio,
    summarize,
)
from flask_app.gitsync import GitClone
from flask_app.index import Index
from flask_app.spool import Spool
from flask_app.writer import Writer, integrate_remote

__all__ = [
    "STORE_DIR",
    "ConflictError",
    "DocumentError",
    "Entry",
    "ResultStore",
    "StoreError",
    "derive",
    "summarize",
]

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The store cannot do what was asked (message is safe to show to a client)."""


class ConflictError(StoreError):
    """An info file with the same id but different content is already stored."""


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
        self.aggregate_path = self.instance / "aggregate" / "results.parquet"
        self.clone = GitClone(config, self.instance)
        self.worktree = self.clone.worktree
        self.bare = self.clone.bare
        self.index = Index(self.worktree, self.clone.redact)
        self.spool = Spool(self.spool_dir)
        self.writer = Writer(
            config, self.index, self.spool, self.clone, self.aggregate_path, on_change
        )
        self._file_lock: Any = None

    # -- remote and redaction -------------------------------------------------------------

    @property
    def remote_url(self) -> str:
        return self.clone.remote_url

    def public_remote(self) -> str:
        """The remote as shown to clients: no credentials, no local paths."""
        return self.clone.public_remote()

    def redact(self, text: str) -> str:
        """Remove secrets and local paths from a message meant for logs or clients."""
        return self.clone.redact(text)

    # -- start / stop -------------------------------------------------------------------

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
            if self.clone.prepare():
                integrate_remote(self.clone, self.index, self.spool)
            self.index.build()
            self.index.load_conflicts(self.spool)
            self.spool.discard_temp_files()
            self.spool.replay(
                self.index, ahead=self.clone.ahead(), debug=self.config.debug, redact=self.redact
            )
            uncommitted, unpushed = self.index.depths()
            log.info(
                "store ready: %d files, %d spooled, %d unpushed",
                len(self.index.files),
                uncommitted,
                unpushed,
            )
        except Exception:
            self._file_lock.release()
            raise
        self.writer.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the writer to commit what is spooled, try one push, and exit."""
        stopped = self.writer.stop(timeout)
        if self._file_lock is not None and stopped:
            self._file_lock.release()
        self.clone.close()

    @property
    def alive(self) -> bool:
        return self.writer.alive

    # -- status kept by the writer ------------------------------------------------------

    @property
    def last_push(self) -> dict[str, Any] | None:
        return self.writer.last_push

    @property
    def last_commit_at(self) -> str | None:
        return self.writer.last_commit_at

    @property
    def last_error(self) -> str | None:
        return self.writer.last_error

    @property
    def last_aggregate(self) -> dict[str, Any] | None:
        return self.writer.last_aggregate

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
        io = jsonio()
        kind, ident, rel = derive(document)
        data = io.pretty_dumps(document).encode("utf-8")
        sha = io.sha256_hex(data)
        key = (kind, ident)
        index = self.index
        with index.lock:
            existing = index.files.get(key)
        if existing is not None:
            return self._same(existing, sha), False
        entry = Entry(kind, ident, rel, sha, "pending", summarize(kind, document))
        tmp = self.spool.write_temp(entry, data)
        with index.cond:
            existing = index.files.get(key)
            if existing is not None:
                tmp.unlink()
                return self._same(existing, sha), False
            self.spool.publish(tmp, entry)
            index.files[key] = entry
            index.uncommitted[key] = entry
            index.cond.notify_all()
        return entry, True

    @staticmethod
    def _same(existing: Entry, sha: str) -> Entry:
        if existing.sha != sha:
            raise ConflictError(
                f"a {existing.kind} file with id {existing.id} and different content is "
                "already stored; ids must change when the described machine or "
                "environment changes"
            )
        return existing

    def wait_stored(self, entry: Entry, timeout: float) -> bool:
        """Wait until ``entry`` is on the remote (committed, in debug mode)."""
        with self.index.cond:
            return self.index.cond.wait_for(lambda: entry.state == "stored", timeout)

    def get(self, kind: str, ident: str) -> Entry | None:
        return self.index.get(kind, ident)

    def entries(self, kind: str) -> list[Entry]:
        return self.index.entries(kind)

    def read(self, entry: Entry) -> dict[str, Any]:
        """Return the stored document of ``entry`` (from the clone or the spool)."""
        io = jsonio()
        for _ in range(3):
            with self.clone.tree_lock:
                path = self.worktree / entry.path
                if path.is_file():
                    result: dict[str, Any] = io.read_json(path)
                    return result
            with contextlib.suppress(FileNotFoundError):
                return self.spool.read(entry)
        raise StoreError(f"{entry.kind} {entry.id} is indexed but its file is missing")

    def counts(self) -> dict[str, int]:
        return self.index.counts()

    def contribution(self, ident: str) -> dict[str, Any] | None:
        """What became of the contribution ``ident`` (None if the store never saw it).

        ``state`` is ``pending`` (spooled), ``committed`` (waiting for a push),
        ``stored`` (on the remote) or ``conflict`` (an accepted info file that was not
        stored because the store holds the id with other content; ``conflicts`` gives
        the reason).
        """
        for kind in KINDS:
            entry = self.index.get(kind, ident)
            conflicts = self.index.conflicts_of((kind, ident))
            if entry is None and not conflicts:
                continue
            return {
                "id": ident,
                "kind": kind,
                "state": "conflict" if conflicts else entry.state if entry else "pending",
                "path": entry.path if entry else None,
                "stored_sha256": entry.sha if entry and entry.state == "stored" else None,
                "conflicts": conflicts,
            }
        return None

    def health(self) -> dict[str, Any]:
        uncommitted, unpushed = self.index.depths()
        head = self.clone.head()
        writer = self.writer
        problems = writer.problems()
        with self.index.lock:
            conflicts = sum(len(v) for v in self.index.conflicts.values())
        return {
            "status": "degraded" if problems else "ok",
            "problems": problems,
            "store": {
                "remote": self.public_remote(),
                "remote_state": dict(self.clone.remote_state),
                "branch": self.config.branch,
                "head": head,
                "writer_alive": self.alive,
                "pushes": not self.config.debug,
                "files": self.counts(),
                "conflicts": conflicts,
            },
            "spool_depth": uncommitted + unpushed,
            "uncommitted": uncommitted,
            "unpushed": unpushed,
            "last_commit_at": self.last_commit_at,
            "last_push": self.last_push,
            "push_in_progress": writer.push_in_progress(),
            "last_error": self.last_error,
            "last_error_at": writer.last_error_at,
            "aggregate": self.last_aggregate,
        }

    # -- aggregation --------------------------------------------------------------------

    def request_aggregate(self, delay: float = 0.0) -> None:
        """Ask the writer thread to rebuild the Parquet aggregate soon."""
        self.writer.request_aggregate(delay)
