"""The in-memory index of stored and spooled files, and the writer's two queues.

This module owns :class:`Index`: one lock (with a condition for waiters) over

* ``files``: every known file by ``(kind, id)``, whatever its state;
* ``uncommitted``: spooled files the writer has not committed yet;
* ``unpushed``: committed files the remote does not have yet;
* ``conflicts``: accepted info files that were not stored because the store holds the
  same id with other content (kept in ``spool/conflicts/``, shown by
  ``GET /contributions/<id>``).

It also builds the index from the working clone (on start and after fetching what
others pushed) and sets aside spooled info files the remote holds with other content.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask_app.documents import KINDS, STORE_DIR, Entry, derive, jsonio, summarize

if TYPE_CHECKING:
    from flask_app.spool import Spool

log = logging.getLogger(__name__)

Key = tuple[str, str]


class Index:
    """Files and queues under one lock.

    Parameters
    ----------
    worktree
        The working clone the stored files are read from.
    redact
        Cleans messages before they are logged.
    """

    def __init__(self, worktree: Path, redact: Callable[[str], str]):
        self.worktree = worktree
        self._redact = redact
        self.lock = threading.Lock()  # files + queues
        self.cond = threading.Condition(self.lock)
        self.files: dict[Key, Entry] = {}
        self.uncommitted: dict[Key, Entry] = {}
        self.unpushed: dict[Key, Entry] = {}
        self.conflicts: dict[Key, list[dict[str, Any]]] = {}

    # -- queries (each takes the lock) ---------------------------------------------------

    def get(self, kind: str, ident: str) -> Entry | None:
        with self.lock:
            return self.files.get((kind, ident))

    def entries(self, kind: str) -> list[Entry]:
        with self.lock:
            return [e for e in self.files.values() if e.kind == kind]

    def counts(self) -> dict[str, int]:
        with self.lock:
            out = dict.fromkeys(KINDS, 0)
            for kind, _ in self.files:
                out[kind] += 1
            return out

    def depths(self) -> tuple[int, int]:
        """``(uncommitted, unpushed)``."""
        with self.lock:
            return len(self.uncommitted), len(self.unpushed)

    # -- loading from the clone ----------------------------------------------------------

    def load_file(self, path: Path, rel: str, state: str) -> Entry | None:
        """An entry for the stored file at ``path`` (None, logged, if it is unusable)."""
        io = jsonio()
        try:
            document = io.read_json(path)
            kind, ident, _ = derive(document)
        except (ValueError, OSError) as exc:
            log.warning("skipping %s in the store: %s", rel, self._redact(str(exc)))
            return None
        data = path.read_bytes()
        return Entry(kind, ident, rel, io.sha256_hex(data), state, summarize(kind, document))

    def index_paths(self, rels: Iterable[str]) -> None:
        """Index the stored files among ``rels`` (paths relative to the clone) as stored.

        A file the index knows in another state (spooled or unpushed) is left alone.
        """
        for rel in rels:
            if not (rel.startswith(f"{STORE_DIR}/") and rel.endswith(".json")):
                continue
            path = self.worktree / rel
            if not path.is_file():
                continue
            entry = self.load_file(path, rel, "stored")
            if entry is None:
                continue
            with self.lock:
                current = self.files.get(entry.key)
                if current is None or current.state == "stored":
                    self.files[entry.key] = entry

    def build(self) -> None:
        """Index every stored file in the clone."""
        folder = self.worktree / STORE_DIR
        if folder.is_dir():
            self.index_paths(f"{STORE_DIR}/{p.name}" for p in sorted(folder.glob("*.json")))

    def conflicts_of(self, key: Key) -> list[dict[str, Any]]:
        """The conflict records of ``(kind, id)`` (newest last)."""
        with self.lock:
            return list(self.conflicts.get(key, ()))

    def load_conflicts(self, spool: Spool) -> None:
        """Index the conflict records kept in the spool (on start)."""
        with self.lock:
            for record in spool.conflict_records():
                self.conflicts.setdefault((record["kind"], record["id"]), []).append(record)

    def record_conflict(self, entry: Entry, reason: str, spool: Spool) -> None:
        """Set ``entry`` aside: the store keeps the other content under its id.

        The contributor's document and the reason are kept durably in the spool's
        ``conflicts/`` folder (before the spool file goes), the entry leaves both
        queues, and the index shows the version the clone holds.
        """
        record = spool.set_aside(entry, reason)
        path = self.worktree / entry.path
        stored = self.load_file(path, entry.path, "stored") if path.is_file() else None
        log.warning("not storing %s %s: %s (kept in spool/conflicts)", entry.kind, entry.id, reason)
        with self.cond:
            self.uncommitted.pop(entry.key, None)
            self.unpushed.pop(entry.key, None)
            self.conflicts.setdefault(entry.key, []).append(record)
            current = self.files.get(entry.key)
            if current is entry or current is None:
                if stored is not None:
                    self.files[entry.key] = stored
                else:
                    self.files.pop(entry.key, None)
            self.cond.notify_all()
        spool.remove(entry)

    def drop_conflicting(self, spool: Spool) -> None:
        """Set aside spooled info files whose id the clone holds with other content.

        Called after integrating the remote, for both queues (a file not committed yet
        would otherwise overwrite the remote's version): the remote's version is kept
        and indexed, the contributor's is recorded as a conflict.
        """
        io = jsonio()
        with self.lock:
            queued = list(self.unpushed.values()) + list(self.uncommitted.values())
        for entry in queued:
            path = self.worktree / entry.path
            if not path.is_file():
                continue
            if io.sha256_hex(path.read_bytes()) == entry.sha:
                continue
            self.record_conflict(
                entry,
                f"the remote already holds {entry.kind} {entry.id} with other content "
                "(kept the remote's version); ids must change when the described "
                "machine or environment changes",
                spool,
            )
