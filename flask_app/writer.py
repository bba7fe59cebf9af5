"""The writer thread: commit what is spooled, push with back-off, rebuild the aggregate.

This module owns the one thread that changes the working clone after start, through
:class:`Writer`:

1. it takes everything spooled (at most ``batch_max`` files) and makes one commit;
   an info file the clone already holds with other content is set aside as a conflict
   (:meth:`Index.record_conflict`), which the contributor can see at
   ``GET /contributions/<id>``;
2. it pushes.  A rejected push (someone else pushed first) is integrated with
   :func:`integrate_remote` and retried (at most five times in a row); an unreachable,
   refusing or hanging remote (a push is killed after ``git_timeout``) is retried with
   exponential back-off (up to ``push_retry_max`` seconds) while commits keep
   accumulating locally.  The back-off grows with every failure and resets only when a
   push succeeds (a new commit does not cut it short);
3. a spool file is deleted only once the remote has the commit holding it (in debug
   mode, which never pushes, once it is committed);
4. when the remote was unreachable at start and nothing waits to be pushed, it probes
   the remote (fetch) with the same back-off and integrates what it finds;
5. a while (``aggregate_debounce``) after new commits it appends them to the Parquet
   parts of the aggregate (:mod:`flask_app.ingest`).

It also keeps the status shown by ``/health``: the last commit, push, error and
aggregate, the push in progress (since when), and which steps are failing now.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask_app.config import ServiceConfig
from flask_app.documents import Entry
from flask_app.gitsync import GitClone, GitFailed, GitTimeout, utcnow
from flask_app.index import Index
from flask_app.spool import Spool

log = logging.getLogger(__name__)

#: pushes tried in a row while the remote keeps moving, before backing off
PUSH_ATTEMPTS = 5

__all__ = ["PUSH_ATTEMPTS", "Writer", "integrate_remote", "utcnow"]


def integrate_remote(clone: GitClone, index: Index, spool: Spool) -> None:
    """Put the local, unpushed commits on top of the remote branch and re-index.

    Files the remote gained are indexed; spooled info files (committed or not) that the
    remote holds with other content are set aside as conflicts, the remote's version
    is kept.
    """

    def unpushed() -> list[Entry]:
        with index.lock:
            return list(index.unpushed.values())

    changed, conflicts = clone.integrate(unpushed, spool)
    index.index_paths(changed)
    for entry, reason in conflicts:
        index.record_conflict(entry, reason, spool)
    index.drop_conflicting(spool)


class Writer:
    """The writer thread of one store.

    Parameters
    ----------
    config
        Service settings (debug, batch_max, push_retry_max, push_stall_after,
        aggregate_debounce).
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
        self._next_probe = 0.0
        self._aggregate_due: float | None = None
        self._aggregate_disabled = False
        self._step = "commit"
        self._push_started: tuple[float, str] | None = None  # (monotonic, UTC time)
        #: steps failing now (commit, push, probe, aggregate) -> redacted message
        self.failing: dict[str, str] = {}
        self.last_push: dict[str, Any] | None = None
        self.last_commit_at: str | None = None
        self.last_error: str | None = None
        self.last_error_at: str | None = None
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

    # -- status -------------------------------------------------------------------------

    def push_in_progress(self) -> dict[str, Any] | None:
        """``{"since": UTC time, "seconds": float}`` of the push running now, or None."""
        started = self._push_started
        if started is None:
            return None
        return {"since": started[1], "seconds": round(time.monotonic() - started[0], 1)}

    def problems(self) -> list[str]:
        """Why the store is degraded now (empty when it is not)."""
        out = [f"{step} failing: {message}" for step, message in sorted(self.failing.items())]
        running = self.push_in_progress()
        if running is not None and running["seconds"] > self.config.push_stall_after:
            out.append(f"push in progress since {running['since']} ({running['seconds']} s)")
        if self.clone.remote_state["reachable"] is False and "push" not in self.failing:
            out.append(f"remote unreachable: {self.clone.remote_state['error']}")
        if not self.alive:
            out.append("the writer thread is not running")
        return out

    # -- the loop -----------------------------------------------------------------------

    def _probe_needed(self) -> bool:
        return (
            self.clone.remote_state["reachable"] is False
            and not self.index.unpushed
            and not self.config.debug
        )

    def _seconds_until_due(self) -> float | None:
        if self.index.uncommitted:
            return 0.0
        now = time.monotonic()
        waits = []
        if self.index.unpushed and not self.config.debug:
            waits.append(self._next_push - now)
        if self._probe_needed():
            waits.append(self._next_probe - now)
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
                if isinstance(exc, GitFailed):
                    message = f"git {exc.command}: {self.clone.message(exc)}"
                else:
                    message = self.clone.redact(f"{exc.__class__.__name__}: {exc}")[:500]
                self.failing[self._step] = message
                self.last_error = message
                self.last_error_at = utcnow()
                log.exception("store writer %s failed", self._step)
                with self._cond:  # pause before retrying, but never delay a stop
                    self._cond.wait_for(lambda: self._stop, 1.0)
            if stopping:
                return

    def _cycle(self, stopping: bool) -> None:
        self._step = "commit"
        with self.index.lock:
            batch = list(self.index.uncommitted.values())[: self.config.batch_max]
        if batch:
            self._commit(batch)
        self._succeeded("commit")
        if (
            self.index.unpushed
            and not self.config.debug
            and (stopping or time.monotonic() >= self._next_push)
        ):
            self._step = "push"
            self._push()
        elif self._probe_needed() and not stopping and time.monotonic() >= self._next_probe:
            self._step = "probe"
            self._probe()
        due = self._aggregate_due
        if due is not None and (time.monotonic() >= due) and not stopping:
            self._aggregate_due = None
            self._step = "aggregate"
            self._aggregate()
            self._succeeded("aggregate")

    def _succeeded(self, step: str) -> None:
        if self.failing.pop(step, None) is not None and not self.failing:
            self.last_error = None  # nothing is failing any more (the log keeps it)

    # -- commit and push ----------------------------------------------------------------

    def _commit(self, batch: list[Entry]) -> None:
        outcome = self.clone.commit(batch, self.spool)
        if outcome.committed:
            self.last_commit_at = utcnow()
        for entry, reason in outcome.conflicts:
            self.index.record_conflict(entry, reason, self.spool)
        with self._cond:
            for entry in outcome.committed + outcome.present:
                self.index.uncommitted.pop(entry.key, None)
                if self.config.debug:
                    entry.state = "stored"
                    self.spool.remove(entry)
                else:
                    # A file already in the clone is in HEAD: the next push stores it.
                    entry.state = "committed"
                    self.index.unpushed[entry.key] = entry
            if self._push_failures == 0:
                self._next_push = 0.0  # push now; while failing, keep the back-off
            if self._aggregate_due is None:
                self._aggregate_due = time.monotonic() + self.config.aggregate_debounce
            self._cond.notify_all()
        if not self._aggregate_disabled:
            self._ingestor().queue(batch)  # ingested by _aggregate, after the debounce
        if self._on_change is not None and outcome.committed:
            self._on_change()

    def _push(self) -> None:
        clone = self.clone
        for _attempt in range(PUSH_ATTEMPTS):
            with self.index.lock:
                pushing = list(self.index.unpushed.values())
            self._push_started = (time.monotonic(), utcnow())
            try:
                clone.push()
            except GitTimeout as exc:
                clone.mark_remote(False, clone.message(exc))
                self._push_failed(clone.message(exc))  # hanging: no fetch, back off
                return
            except GitFailed as exc:
                message = clone.message(exc)
                try:
                    clone.fetch()
                except GitFailed as fetch_exc:
                    clone.mark_remote(False, clone.message(fetch_exc))
                    self._push_failed(message)  # unreachable: retry later
                    return
                upstream = clone.upstream
                if not clone.has_commit(upstream) or clone.is_ancestor(upstream, "HEAD"):
                    self._push_failed(message)  # refused for another reason (hook, perms)
                    return
                integrate_remote(clone, self.index, self.spool)  # someone pushed first
                continue
            finally:
                self._push_started = None
            clone.mark_pushed()
            with self._cond:
                for entry in pushing:
                    if self.index.unpushed.get(entry.key) is entry:
                        del self.index.unpushed[entry.key]
                    entry.state = "stored"
                    self.spool.remove(entry)
                self._push_failures = 0
                self._next_push = 0.0
                self.last_push = {"at": utcnow(), "ok": True, "files": len(pushing), "error": None}
                self._cond.notify_all()
            self._succeeded("push")
            return
        self._push_failed("the remote kept moving while pushing; will retry")

    def _backoff(self) -> float:
        return min(self.config.push_retry_max, 0.5 * 2 ** min(self._push_failures, 10))

    def _push_failed(self, message: str) -> None:
        self._push_failures += 1
        delay = self._backoff()
        self._next_push = time.monotonic() + delay
        self.failing["push"] = message
        self.last_error = message
        self.last_error_at = utcnow()
        self.last_push = {
            "at": utcnow(),
            "ok": False,
            "files": 0,
            "error": message,
            "retry_in_s": round(delay, 1),
            "failures": self._push_failures,
        }
        log.warning("push failed (%s); retrying in %.1fs", message, delay)

    def _probe(self) -> None:
        """Fetch from a remote that was unreachable; integrate what it holds."""
        clone = self.clone
        try:
            clone.fetch()
        except GitFailed as exc:
            clone.mark_remote(False, clone.message(exc))
            self._push_failures += 1
            self._next_probe = time.monotonic() + self._backoff()
            self.failing["probe"] = clone.message(exc)
            return
        self._push_failures = 0
        upstream = clone.upstream
        if clone.has_commit(upstream) and not clone.is_ancestor(upstream, "HEAD"):
            integrate_remote(clone, self.index, self.spool)
        self._succeeded("probe")

    # -- aggregation --------------------------------------------------------------------

    def _ingestor(self) -> Any:
        from flask_app import ingest

        read = functools.partial(ingest.read_entry, self.clone, self.spool)
        return ingest.ingestor(ingest.parts_folder(self.aggregate_path), self.index, read)

    def _aggregate(self) -> None:
        """Append what was committed since the last time to the Parquet parts.

        Costs the conversion of those documents only; the first time, anything else
        the parts miss is ingested in the background (see :mod:`flask_app.ingest`).
        """
        if self._aggregate_disabled:
            return
        try:
            import duckdb  # noqa: F401  (the db extra: pyarrow and duckdb)
            import pyarrow  # noqa: F401
        except ImportError as exc:
            self._aggregate_disabled = True
            log.warning("aggregation disabled: %s", exc)
            return
        ingestor = self._ingestor()
        stats = ingestor.ingest_queued()
        self.last_aggregate = {
            "at": utcnow(),
            "rows": ingestor.rows,
            "results": ingestor.results,
            "ingested": stats.documents,
            "left_out": len(ingestor.notes),
            "parts": ingestor.parts_count(),
            "seconds": round(stats.seconds, 4),
        }
