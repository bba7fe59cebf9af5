"""Naming and summaries: what a stored file is called and what the index keeps of it.

This module owns the mapping from a (schema-valid) document to its kind, id and stored
path (:func:`derive`: only the kind, the ids and the content hash enter the path, nothing
a client names), the small in-memory summary used for listing and filtering
(:func:`summarize`), and :class:`Entry`, the record the index holds per stored or
spooled file.  It touches neither the disk nor git.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from zarr_benchmarks.results.model import ResultDoc

#: folder of the results repository that holds the stored files
STORE_DIR = "results"
#: the document kinds the store accepts
KINDS = ("result", "machine", "environment")
_ID = re.compile(r"^[0-9a-f]{64}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$")


class DocumentError(ValueError):
    """A document cannot be stored (bad kind or ids); message names the field."""


def jsonio() -> Any:
    """``zarr_benchmarks._jsonio`` (imported late: the package is heavy to import)."""
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
    if kind not in KINDS:
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
        rid = jsonio().sha256_id(document)
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
        for entry in ResultDoc("", document).entries():
            if "modality" in entry.params:
                modalities.add(str(entry.params["modality"]))
            if "codec" in entry.params:
                codecs.add(str(entry.params["codec"]))
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
