"""The in-memory index of stored and spooled files, and the writer's two queues.

This module owns :class:`Index`: one lock (with a condition for waiters) over

* ``files``: every known file by ``(kind, id)``, whatever its state;
* ``uncommitted``: spooled files the writer has not committed yet;
* ``unpushed``: committed files the remote does not have yet.

It also builds the index from the working clone (on start and after fetching what
others pushed) and drops spooled info files the remote already holds with other content.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

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

    def drop_conflicting(self, spool: Spool) -> None:
        """Drop unpushed info files whose id the clone holds with other content.

        Called after integrating the remote: the remote's version is kept and indexed.
        """
        io = jsonio()
        with self.cond:
            for key, entry in list(self.unpushed.items()):
                path = self.worktree / entry.path
                if not path.is_file():
                    continue
                sha = io.sha256_hex(path.read_bytes())
                if sha != entry.sha:
                    log.warning(
                        "remote already holds %s %s with other content; keeping it",
                        entry.kind,
                        entry.id,
                    )
                    del self.unpushed[key]
                    spool.remove(entry)
                    loaded = self.load_file(path, entry.path, "committed")
                    if loaded is not None:
                        self.files[key] = loaded
