"""The spool: the durable copy of every accepted contribution not yet on the remote.

This module owns ``<instance>/spool/``: writing a file durably before a client hears 2xx
(temp file, fsync, rename, fsync of the folder), reading and deleting spooled files, and
replaying the spool into the index after a restart (temp files were never acknowledged
and are dropped; unreadable files are moved aside to ``spool/unreadable/``), and the
conflict records of ``spool/conflicts/``: an accepted info file that could not be stored
because the store holds its id with other content is kept there, with the reason, so
the contributor can be told (``GET /contributions/<id>``) and nothing is lost.

The spool doubles as the source of truth for "not yet on the remote": whatever happens
to the clone, re-applying the spool on top of the remote is always correct because
stored paths are content-addressed.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask_app.documents import Entry, derive, jsonio, summarize
from flask_app.index import Index

log = logging.getLogger(__name__)


def fsync_dir(path: Path) -> None:
    """fsync a folder, so a rename inside it survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """The spool folder of one instance.

    Parameters
    ----------
    folder
        ``<instance>/spool``.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def path(self, entry: Entry) -> Path:
        """Where ``entry`` is (or was) spooled."""
        return self.folder / entry.spool_name

    def write_temp(self, entry: Entry, data: bytes) -> Path:
        """Write ``data`` to a fresh, fsynced temp file for ``entry``; return its path."""
        tmp = self.folder / f".{entry.spool_name}.{uuid.uuid4().hex}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return tmp

    def publish(self, tmp: Path, entry: Entry) -> None:
        """Rename a temp file from :meth:`write_temp` into place, durably."""
        os.replace(tmp, self.path(entry))
        fsync_dir(self.folder)

    def read_bytes(self, entry: Entry) -> bytes:
        return self.path(entry).read_bytes()

    def read(self, entry: Entry) -> dict[str, Any]:
        """The spooled document of ``entry`` (raises ``FileNotFoundError`` once it is gone)."""
        result: dict[str, Any] = jsonio().read_json(self.path(entry))
        return result

    def remove(self, entry: Entry) -> None:
        """Forget ``entry``: the remote (or, in debug mode, a commit) holds it now."""
        self.path(entry).unlink(missing_ok=True)

    @property
    def conflicts_folder(self) -> Path:
        return self.folder / "conflicts"

    def set_aside(self, entry: Entry, reason: str) -> dict[str, Any]:
        """Keep ``entry``'s document and ``reason`` in ``conflicts/``; return the record.

        Written atomically and fsynced before the caller removes the spool file.
        """
        io = jsonio()
        record: dict[str, Any] = {
            "kind": entry.kind,
            "id": entry.id,
            "sha256": entry.sha,
            "reason": reason,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        try:
            document: Any = self.read(entry)
        except (OSError, ValueError) as exc:  # never expected: keep the record anyway
            document = None
            record["reason"] += (
                f" (the spooled document could not be read: {exc.__class__.__name__})"
            )
        folder = self.conflicts_folder
        folder.mkdir(exist_ok=True)
        target = folder / f"{entry.kind}-{entry.id}-{entry.sha[:16]}.json"
        io.atomic_write_text(target, io.pretty_dumps({**record, "document": document}))
        fsync_dir(folder)
        return record

    def conflict_records(self) -> list[dict[str, Any]]:
        """The conflict records (without the documents), oldest first."""
        io = jsonio()
        records = []
        for path in sorted(self.conflicts_folder.glob("*.json")):
            try:
                data = io.read_json(path)
                records.append({k: data[k] for k in ("kind", "id", "sha256", "reason", "at")})
            except (ValueError, OSError, KeyError, TypeError) as exc:
                log.error("unreadable conflict record %s: %s", path.name, exc)
        return sorted(records, key=lambda r: str(r["at"]))

    def discard_temp_files(self) -> None:
        """Delete temp files a crash left behind (never acknowledged to a client)."""
        for tmp in self.folder.glob(".*.tmp"):
            tmp.unlink()

    def replay(
        self, index: Index, *, ahead: bool, debug: bool, redact: Callable[[str], str]
    ) -> None:
        """Put every spooled file back into ``index`` after a (re)start.

        Parameters
        ----------
        index
            The index, already built from the clone.
        ahead
            True when the clone has commits the remote lacks: a spooled file the clone
            already holds is then still unpushed (unless ``debug``, which never pushes).
        debug
            Debug mode: committed counts as stored.
        redact
            Cleans messages before they are logged.
        """
        io = jsonio()
        for spooled in sorted(self.folder.glob("*.json")):
            try:
                document = io.read_json(spooled)
                kind, ident, rel = derive(document)
            except (ValueError, OSError) as exc:
                bad = self.folder / "unreadable"
                bad.mkdir(exist_ok=True)
                os.replace(spooled, bad / spooled.name)
                log.error("moved unreadable spool file aside: %s", redact(str(exc)))
                continue
            data = spooled.read_bytes()
            sha = io.sha256_hex(data)
            entry = Entry(kind, ident, rel, sha, "pending", summarize(kind, document))
            current = index.files.get(entry.key)
            if current is not None and current.sha == entry.sha:
                if ahead and not debug:
                    current.state = "committed"
                    index.unpushed[entry.key] = current
                else:
                    spooled.unlink()
                continue
            index.files[entry.key] = entry
            index.uncommitted[entry.key] = entry
