"""Incremental ingest of stored documents into the Parquet parts behind the dashboard.

Each committed contribution becomes one small part per table
(:class:`zarr_benchmarks.share.parts.PartStore` under ``<instance>/aggregate/parts``),
so accepting one more contribution costs the conversion of that contribution, not a
re-read of the store.  Parts are compacted by a background thread once ``fanout`` of
one level exist.  ``/dashboard/data.json`` and ``zarr-benchmarks db query --db
<instance>/aggregate/parts`` read the parts with DuckDB.

What is held is known from the parts themselves (result and info ids), so a restart
re-reads only documents that were never ingested.  A document that cannot be
converted (see :meth:`zarr_benchmarks.results.model.ResultDoc.number_problems`) is
skipped and its note kept for the dashboard.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_app.documents import Entry
from flask_app.index import Index

log = logging.getLogger(__name__)

Key = tuple[str, str]
#: marks an id known from the parts (its file hash was not recorded)
_FROM_PARTS = "*"
#: documents a request converts itself before it hands the rest to a thread
REQUEST_BATCH = 500
#: documents per part when catching up on many (e.g. a first start on a big store)
CATCH_UP_BATCH = 2000
#: a request looks for entries the parts miss when the index grew, else at most this
#: often (an entry replaced in place, e.g. an info file the remote changed)
RESCAN_S = 5.0


@dataclass
class IngestStats:
    documents: int = 0
    rows: int = 0
    left_out: int = 0
    seconds: float = 0.0


class Ingestor:
    """Turns index entries into parts, once each.

    Parameters
    ----------
    folder
        The parts folder.
    index
        The store's index (held weakly: the ingestor lives as long as the store).
    read
        Reads the document of an entry (from the clone or the spool).
    """

    def __init__(self, folder: Path, index: Index, read: Callable[[Entry], dict[str, Any]]):
        from zarr_benchmarks.share.parts import PartStore

        self.parts = PartStore(folder)
        self._index = weakref.ref(index)
        self._read = read
        self._lock = threading.RLock()
        self._done: dict[Key, str] | None = None
        self.notes: dict[Key, str] = {}
        self.results = 0
        self.rows = 0
        self._queued: list[Entry] = []
        self._caught_up = False
        self._compactor: threading.Thread | None = None
        self._catcher: threading.Thread | None = None
        #: (index size, when, entries left) of the last scan for a request
        self._last_scan: tuple[int, float, int] | None = None

    # -- what is held ---------------------------------------------------------------------

    def _held(self) -> dict[Key, str]:
        if self._done is None:
            self.parts.remove_leftovers()  # nothing of ours runs yet
            done = {("result", i): _FROM_PARTS for i in self.parts.result_ids()}
            done.update(dict.fromkeys(self.parts.info_keys(), _FROM_PARTS))
            self.results = sum(1 for k in done if k[0] == "result")
            self.rows = int(self.parts.query("SELECT count(*) FROM r")[1][0][0])
            self._done = done
        return self._done

    def _is_new(self, entry: Entry) -> bool:
        held = self._held().get(entry.key)
        return held is None or (held != _FROM_PARTS and held != entry.sha)

    def pending(self) -> list[Entry]:
        """Indexed entries not ingested yet (a pass over the index, no file read)."""
        index = self._index()
        if index is None:
            return []
        with self._lock:
            self._held()
            with index.lock:
                entries = list(index.files.values())
            return [e for e in entries if self._is_new(e)]

    # -- ingest ---------------------------------------------------------------------------

    def ingest(self, entries: Iterable[Entry]) -> IngestStats:
        """Convert the new ones among ``entries`` into one part per table."""
        from zarr_benchmarks.share.aggregate import Tables

        started = time.monotonic()
        stats = IngestStats()
        with self._lock:
            todo = [e for e in entries if self._is_new(e)]
            if not todo:
                return stats
            tables = Tables()
            seq = time.time_ns()  # newer versions of an info id win in the view
            for entry in todo:
                label = f"{entry.kind} {entry.id[:12]}"
                try:
                    doc = self._read(entry)
                except Exception as exc:  # vanished or unreadable: show the rest
                    log.warning("ingest: cannot read %s: %s", label, exc)
                    self.notes[entry.key] = f"{label} could not be read and is left out"
                    self._held()[entry.key] = entry.sha
                    stats.left_out += 1
                    continue
                before = len(tables.r)
                if tables.add(entry.kind, doc, label, seq):
                    self.notes.pop(entry.key, None)
                    if entry.kind == "result":
                        self.results += 1
                        stats.rows += len(tables.r) - before
                else:
                    self.notes[entry.key] = tables.notes[-1]
                    stats.left_out += 1
                self._held()[entry.key] = entry.sha
                stats.documents += 1
            self.parts.append(tables)
            self.rows += stats.rows
        self._compact_soon()
        stats.seconds = time.monotonic() - started
        return stats

    def queue(self, entries: Iterable[Entry]) -> None:
        """Remember committed entries for the next :meth:`ingest_queued`."""
        with self._lock:
            self._queued.extend(entries)

    def ingest_queued(self) -> IngestStats:
        """Ingest the queued entries still current in the index: O(those entries).

        The first call also starts a background catch-up of anything else the parts
        miss (a first start on an existing store, files others pushed).
        """
        index = self._index()
        with self._lock:
            queued, self._queued = self._queued, []
            first = not self._caught_up
            self._caught_up = True
        if index is None:
            return IngestStats()
        with index.lock:
            current = [e for e in queued if index.files.get(e.key) is e]
        stats = self.ingest(current)
        if first:
            self.catch_up_in_background()
        return stats

    def parts_count(self) -> int:
        """Live Parquet files over the three tables."""
        return len(self.parts.signature())

    def catch_up(self, limit: int | None = None) -> int:
        """Ingest pending entries (at most ``limit``); returns how many are left."""
        pending = self.pending()
        todo = pending if limit is None else pending[:limit]
        for start in range(0, len(todo), CATCH_UP_BATCH):
            self.ingest(todo[start : start + CATCH_UP_BATCH])
        return len(pending) - len(todo)

    def catch_up_for_request(self, limit: int) -> int:
        """:meth:`catch_up` (at most ``limit``) unless nothing can be missing.

        A pass over the index costs O(stored files), too much for every dashboard
        request with 100,000 stored results; it is skipped when the index has not grown
        since a pass that left nothing, less than :data:`RESCAN_S` ago.  Returns how
        many entries are left.
        """
        index = self._index()
        if index is None:
            return 0
        size, now = len(index.files), time.monotonic()
        with self._lock:
            last = self._last_scan
        if last is not None and last[0] == size and not last[2] and now - last[1] < RESCAN_S:
            return 0
        left = self.catch_up(limit)
        with self._lock:
            self._last_scan = (size, now, left)
        return left

    def catch_up_in_background(self) -> None:
        """Start a thread ingesting everything pending (one at a time)."""
        with self._lock:
            if self._catcher is not None and self._catcher.is_alive():
                return
            self._catcher = threading.Thread(
                target=self._safely, args=(self.catch_up,), name="parts-catch-up", daemon=True
            )
            self._catcher.start()

    # -- compaction -----------------------------------------------------------------------

    def _compact_soon(self) -> None:
        if not self.parts.pending_compaction("r"):
            return
        with self._lock:
            if self._compactor is not None and self._compactor.is_alive():
                return
            self._compactor = threading.Thread(
                target=self._safely, args=(self.parts.compact,), name="parts-compact", daemon=True
            )
            self._compactor.start()

    def wait_idle(self, timeout: float) -> bool:
        """Wait for the background threads; True when none is running."""
        deadline = time.monotonic() + timeout
        for thread in (self._catcher, self._compactor):
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t is not None and t.is_alive() for t in (self._catcher, self._compactor))

    @staticmethod
    def _safely(func: Callable[[], Any]) -> None:
        try:
            func()
        except Exception:  # the parts stay consistent; the next trigger retries
            log.exception("parts: background work failed")


_registry: weakref.WeakKeyDictionary[Index, Ingestor] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def ingestor(folder: Path, index: Index, read: Callable[[Entry], dict[str, Any]]) -> Ingestor:
    """The one :class:`Ingestor` of a store's ``index`` (made on first use)."""
    with _registry_lock:
        found = _registry.get(index)
        if found is None:
            found = _registry[index] = Ingestor(folder, index, read)
        return found


def parts_folder(aggregate_path: Path) -> Path:
    """Where a store keeps its parts: ``<instance>/aggregate/parts``."""
    return aggregate_path.parent / "parts"


def for_store(store: Any) -> Ingestor:
    """The ingestor of a :class:`flask_app.store.ResultStore`."""
    return ingestor(parts_folder(store.aggregate_path), store.index, store.read)


def read_entry(clone: Any, spool: Any, entry: Entry) -> dict[str, Any]:
    """The document of ``entry`` from the working clone, else the spool (writer side)."""
    from flask_app.documents import jsonio

    for _ in range(3):
        with clone.tree_lock:
            path = clone.worktree / entry.path
            if path.is_file():
                result: dict[str, Any] = jsonio().read_json(path)
                return result
        try:
            return spool.read(entry)
        except FileNotFoundError:
            continue
    raise FileNotFoundError(f"{entry.kind} {entry.id} is indexed but its file is missing")
