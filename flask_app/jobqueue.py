"""Benchmark jobs: a SQLite-persisted queue and a bounded pool of workers.

A job is a webhook payload (``{"dataset": ..., "benchmark": ...}``) run with
:func:`zarr_benchmarks.run.runner.run_benchmark_request`, the same code path as the direct
API.  Every state change is written to SQLite before it is reported, so a restart loses
no job: queued jobs stay queued and jobs that were running are queued again.

Jobs run in a local pool (``process``: spawned worker processes, so a crashing or
memory-hungry benchmark cannot take the server down; ``thread``: in the server process)
or, with ``ZARR_BENCHMARKS_DASK_SCHEDULER``, on a Dask cluster via
``distributed.Client(address).submit``.

Worker processes die with the server, however it ends (even SIGKILL): on Linux they ask
the kernel for SIGKILL when their parent dies (``prctl(PR_SET_PDEATHSIG)``), elsewhere a
watchdog thread exits when the parent process is gone.  Otherwise an orphaned worker
would go on computing while the restarted server runs the same job again, and on a
benchmark host the two would skew each other's timings.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import ctypes.util
import json
import logging
import multiprocessing
import os
import queue
import signal
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask_app.config import ServiceConfig

log = logging.getLogger(__name__)

#: a job interrupted by this many restarts is failed instead of re-queued
MAX_ATTEMPTS = 3
_STATES = ("queued", "running", "completed", "failed")


class JobQueueFull(RuntimeError):
    """Too many jobs are waiting; the client should retry later."""


class RunnerUnavailable(RuntimeError):
    """The benchmark runner cannot be imported in this installation."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _jsonable(obj: Any) -> Any:
    """Plain JSON types only (numpy scalars/arrays, tuples, paths converted)."""
    return json.loads(json.dumps(obj, default=_default, allow_nan=True))


def _default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    return str(obj)


def validate_payload(payload: Any) -> None:
    """Check a webhook payload without running it (the runner's own validation).

    Raises
    ------
    ValueError
        With a message naming the offending field.
    RunnerUnavailable
        If the runner module is missing.
    """
    try:
        from zarr_benchmarks.run.runner import parse_benchmark_request
    except ImportError as exc:
        raise RunnerUnavailable(f"the benchmark runner is not available: {exc}") from None
    if not isinstance(payload, Mapping):
        raise ValueError("(payload): expected a JSON object")
    parse_benchmark_request(payload)


def execute_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Run one job; importable by worker processes and Dask workers."""
    from zarr_benchmarks.run.runner import run_benchmark_request

    return _jsonable(run_benchmark_request(payload))


#: ``PR_SET_PDEATHSIG`` from ``<linux/prctl.h>``
_PR_SET_PDEATHSIG = 1


def _parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval: float = 0.5) -> None:
    while os.getppid() == parent_pid:
        time.sleep(interval)
    os._exit(1)  # the server is gone: stop computing at once, no cleanup to run


def die_with_parent(parent_pid: int) -> None:
    """Initializer of job worker processes: end this process when ``parent_pid`` ends.

    Uses the parent-death signal where the kernel has it, else a watchdog thread that
    polls the parent pid.  A parent that died before this ran is noticed too.
    """
    if not _parent_death_signal():
        threading.Thread(
            target=_watch_parent, args=(parent_pid,), name="parent-watchdog", daemon=True
        ).start()
    if os.getppid() != parent_pid:
        os._exit(1)


def _error_text(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, ValueError) else f"{exc.__class__.__name__}: {exc}"
    home = os.path.expanduser("~")
    if home and home != "/":
        text = text.replace(home, "~")
    return text[:2000]


class JobManager:
    """Persisted job queue with ``config.job_workers`` worker threads.

    Parameters
    ----------
    config
        Service settings (workers, queue bound, executor, Dask scheduler).
    db_path
        SQLite database file (created if missing).
    """

    def __init__(self, config: ServiceConfig, db_path: Path):
        self.config = config
        self.db_path = Path(db_path)
        self._db_lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._dask_client: Any = None

    # -- database ---------------------------------------------------------------------

    def _execute(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        assert self._db is not None
        with self._db_lock:
            return self._db.execute(sql, args).fetchall()

    def start(self) -> None:
        """Open the database, re-queue interrupted jobs and start the workers."""
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("""CREATE TABLE IF NOT EXISTS jobs (
            id TEXT PRIMARY KEY, status TEXT NOT NULL, payload TEXT NOT NULL,
            result TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT)""")
        self._db = db
        # A job that was running when the server stopped is run again (bounded).
        self._execute(
            "UPDATE jobs SET status='failed', finished_at=?, error=? "
            "WHERE status='running' AND attempts>=?",
            (_now(), f"interrupted by {MAX_ATTEMPTS} server restarts", MAX_ATTEMPTS),
        )
        self._execute("UPDATE jobs SET status='queued', started_at=NULL WHERE status='running'")
        for row in self._execute(
            "SELECT id FROM jobs WHERE status='queued' ORDER BY created_at, rowid"
        ):
            self._queue.put(row["id"])
        for i in range(self.config.job_workers):
            thread = threading.Thread(target=self._work, name=f"job-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop taking jobs; running ones are re-queued on the next start."""
        self._stop.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._dask_client is not None:
            try:
                self._dask_client.close()
            except Exception:  # best effort on shutdown
                log.debug("closing the Dask client failed", exc_info=True)
        if self._db is not None and not any(t.is_alive() for t in self._threads):
            with self._db_lock:
                self._db.close()
                self._db = None

    # -- API ----------------------------------------------------------------------------

    def submit(self, payload: dict[str, Any]) -> str:
        """Validate and persist a job; return its id.

        Raises
        ------
        ValueError
            If the payload is invalid (message names the field).
        JobQueueFull
            If ``job_queue_max`` jobs are already waiting.
        RunnerUnavailable
            If the runner cannot be imported.
        """
        validate_payload(payload)
        job_id = uuid.uuid4().hex
        limit = self.config.job_queue_max
        # Count and insert in one statement: concurrent submissions cannot both see room
        # for the last place (a separate count admitted 33 jobs to a queue of 30).
        assert self._db is not None
        with self._db_lock:
            inserted = self._db.execute(
                "INSERT INTO jobs (id, status, payload, created_at) SELECT ?,?,?,? "
                "WHERE (SELECT count(*) FROM jobs WHERE status='queued') < ?",
                (job_id, "queued", json.dumps(payload, sort_keys=True), _now(), limit),
            ).rowcount
        if inserted != 1:
            raise JobQueueFull(f"{limit} jobs are already queued (the limit); retry later")
        self._queue.put(job_id)
        return job_id

    def get(self, job_id: str) -> dict[str, Any] | None:
        """Return the public view of a job, or None."""
        rows = self._execute("SELECT * FROM jobs WHERE id=?", (job_id,))
        if not rows:
            return None
        row = rows[0]
        out: dict[str, Any] = {
            "job_id": row["id"],
            "status": row["status"],
            "created_at": row["created_at"],
            "started_at": row["started_at"],
            "finished_at": row["finished_at"],
        }
        if row["status"] == "completed":
            out["results"] = json.loads(row["result"])
        if row["status"] == "failed":
            out["error"] = row["error"]
        return out

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(_STATES, 0)
        for row in self._execute("SELECT status, count(*) AS n FROM jobs GROUP BY status"):
            out[row["status"]] = row["n"]
        return out

    # -- workers ------------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stop.is_set():
            job_id = self._queue.get()
            if job_id is None or self._stop.is_set():
                return
            rows = self._execute("SELECT payload, status FROM jobs WHERE id=?", (job_id,))
            if not rows or rows[0]["status"] != "queued":
                continue
            self._execute(
                "UPDATE jobs SET status='running', started_at=?, attempts=attempts+1 WHERE id=?",
                (_now(), job_id),
            )
            payload = json.loads(rows[0]["payload"])
            try:
                result = self._run(payload)
            except BaseException as exc:
                if self._stop.is_set():
                    return  # shutting down: stays 'running', re-queued on start
                log.warning("job %s failed: %s", job_id, _error_text(exc))
                self._execute(
                    "UPDATE jobs SET status='failed', error=?, finished_at=? WHERE id=?",
                    (_error_text(exc), _now(), job_id),
                )
                continue
            self._execute(
                "UPDATE jobs SET status='completed', result=?, finished_at=? WHERE id=?",
                (json.dumps(result), _now(), job_id),
            )

    def _run(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.config.dask_scheduler:
            return self._client().submit(execute_payload, payload, pure=False).result()
        if self.config.job_executor == "thread":
            return execute_payload(payload)
        pool = self._process_pool()
        try:
            return pool.submit(execute_payload, payload).result()
        except concurrent.futures.process.BrokenProcessPool:
            with self._pool_lock:
                if self._pool is pool:
                    self._pool = None
            raise RuntimeError("the benchmark worker process died (out of memory?)") from None

    def _process_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                # The pool spawns its workers from the job threads, which live as long
                # as the manager: the parent-death signal (sent when the spawning
                # thread ends) fires when the server stops or dies.
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=max(1, self.config.job_workers),
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=die_with_parent,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def _client(self) -> Any:
        with self._pool_lock:
            if self._dask_client is None:
                from distributed import Client

                self._dask_client = Client(
                    self.config.dask_scheduler, set_as_default=False, timeout=30
                )
            return self._dask_client
