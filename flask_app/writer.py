"""The writer thread: commit what is spooled, push with back-off, rebuild the aggregate.

This module owns the one thread that changes the working clone after start, through
:class:`Writer`:

1. it takes everything spooled (at most ``batch_max`` files) and makes one commit;
2. it pushes.  A rejected push (someone else pushed first) is integrated with
   :func:`integrate_remote` and retried (at most five times in a row); an unreachable
   or refusing remote is retried with exponential back-off (up to ``push_retry_max``
   seconds) while commits keep accumulating locally;
3. a spool file is deleted only once the remote has the commit holding it (in debug
   mode, which never pushes, once it is committed);
4. a while (``aggregate_debounce``) after new commits it rebuilds the Parquet aggregate.

It also keeps the status shown by ``/health``: the last commit, push, error and
aggregate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask_app.config import ServiceConfig
from flask_app.documents import STORE_DIR, Entry
from flask_app.gitsync import GitClone
from flask_app.index import Index
from flask_app.spool import Spool

log = logging.getLogger(__name__)

#: pushes tried in a row while the remote keeps moving, before backing off
PUSH_ATTEMPTS = 5


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def integrate_remote(clone: GitClone, index: Index, spool: Spool) -> None:
    """Put the local, unpushed commits on top of the remote branch and re-index.

    Files the remote gained are indexed; spooled info files the remote holds with other
    content are dropped in favour of the remote's version.
    """

    def unpushed() -> list[Entry]:
        with index.lock:
            return list(index.unpushed.values())

    changed = clone.integrate(unpushed, spool)
    index.index_paths(changed)
    index.drop_conflicting(spool)


class Writer:
    """The writer thread of one store.

    Parameters
    ----------
    config
        Service settings (debug, batch_max, push_retry_max, aggregate_debounce).
    index, spool, clone
        The parts of the store it moves files between.
    aggregate_path
        Where the Parquet aggregate is written.
    on_change
        Optional callback run in the writer thread after files were committed.
    """

    def __init__(
        self,
        config: ServiceConfig,
        index: Index,
        spool: Spool,
        clone: GitClone,
        aggregate_path: Path,
        on_change: Callable[[], None] | None = None,
    ):
        self.config = config
        self.index = index
        self.spool = spool
        self.clone = clone
        self.aggregate_path = aggregate_path
        self._on_change = on_change
        self._cond = index.cond
        self._stop = False
        self._thread: threading.Thread | None = None
        self._next_push = 0.0
        self._push_failures = 0
        self._aggregate_due: float | None = None
        self._aggregate_disabled = False
        self.last_push: dict[str, Any] | None = None
        self.last_commit_at: str | None = None
        self.last_error: str | None = None
        self.last_aggregate: dict[str, Any] | None = None

    # -- thread lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> bool:
        """Ask the thread to commit what is spooled, try one push, and exit.

        Returns True when the thread is not running any more (or never ran).
        """
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        return self._thread is None or not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def request_aggregate(self, delay: float = 0.0) -> None:
        """Ask the thread to rebuild the Parquet aggregate soon."""
        with self._cond:
            self._aggregate_due = time.monotonic() + delay
            self._cond.notify_all()

    # -- the loop -----------------------------------------------------------------------

    def _seconds_until_due(self) -> float | None:
        if self.index.uncommitted:
            return 0.0
        now = time.monotonic()
        waits = []
        if self.index.unpushed and not self.config.debug:
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
            try:
                self._cycle(stopping)
            except Exception as exc:  # keep the writer alive; the spool keeps the data
                self.last_error = self.clone.redact(f"{exc.__class__.__name__}: {exc}")[:500]
                log.exception("store writer cycle failed")
                time.sleep(1.0)
            if stopping:
                return

    def _cycle(self, stopping: bool) -> None:
        with self.index.lock:
            batch = list(self.index.uncommitted.values())[: self.config.batch_max]
        if batch:
            self._commit(batch)
        if (
            self.index.unpushed
            and not self.config.debug
            and (stopping or time.monotonic() >= self._next_push)
        ):
            self._push()
        due = self._aggregate_due
        if due is not None and (time.monotonic() >= due) and not stopping:
            self._aggregate_due = None
            self._aggregate()

    # -- commit and push ----------------------------------------------------------------

    def _commit(self, batch: list[Entry]) -> None:
        self.clone.commit(batch, self.spool)
        self.last_commit_at = utcnow()
        with self._cond:
            for entry in batch:
                self.index.uncommitted.pop(entry.key, None)
                if self.config.debug:
                    entry.state = "stored"
                    self.spool.remove(entry)
                else:
                    entry.state = "committed"
                    self.index.unpushed[entry.key] = entry
            self._next_push = 0.0
            if self._aggregate_due is None:
                self._aggregate_due = time.monotonic() + self.config.aggregate_debounce
            self._cond.notify_all()
        if self._on_change is not None:
            self._on_change()

    def _push(self) -> None:
        import git

        clone = self.clone
        for _attempt in range(PUSH_ATTEMPTS):
            with self.index.lock:
                pushing = list(self.index.unpushed.values())
            try:
                clone.push()
            except git.GitCommandError as exc:
                message = clone.message(exc)
                try:
                    clone.fetch()
                except git.GitCommandError:
                    self._push_failed(message)  # unreachable: retry later
                    return
                upstream = clone.upstream
                if not clone.has_commit(upstream) or clone.is_ancestor(upstream, "HEAD"):
                    self._push_failed(message)  # refused for another reason (hook, perms)
                    return
                integrate_remote(clone, self.index, self.spool)  # someone pushed first
                continue
            clone.mark_pushed()
            with self._cond:
                for entry in pushing:
                    if self.index.unpushed.get(entry.key) is entry:
                        del self.index.unpushed[entry.key]
                    entry.state = "stored"
                    self.spool.remove(entry)
                self._push_failures = 0
                self.last_push = {"at": utcnow(), "ok": True, "files": len(pushing), "error": None}
                self._cond.notify_all()
            return
        self._push_failed("the remote kept moving while pushing; will retry")

    def _push_failed(self, message: str) -> None:
        self._push_failures += 1
        delay = min(self.config.push_retry_max, 0.5 * 2 ** min(self._push_failures, 10))
        self._next_push = time.monotonic() + delay
        self.last_push = {
            "at": utcnow(),
            "ok": False,
            "files": 0,
            "error": message,
            "retry_in_s": round(delay, 1),
        }
        log.warning("push failed (%s); retrying in %.1fs", message, delay)

    # -- aggregation --------------------------------------------------------------------

    def _aggregate(self) -> None:
        if self._aggregate_disabled:
            return
        try:
            from zarr_benchmarks.share.aggregate import (
                build_parquet,
            )
        except ImportError as exc:
            self._aggregate_disabled = True
            log.warning("aggregation disabled: %s", exc)
            return
        started = time.monotonic()
        with self.clone.tree_lock:
            rows = build_parquet(self.clone.worktree / STORE_DIR, self.aggregate_path)
        self.last_aggregate = {
            "at": utcnow(),
            "rows": rows,
            "seconds": round(time.monotonic() - started, 3),
        }
