"""Canonical JSON helpers shared by every module that writes or hashes JSON.

* :func:`canonical_dumps` / :func:`sha256_id` define ids (docs/formats.md): SHA-256 over
  ``json.dumps(obj, sort_keys=True, separators=(",", ":"))``.
* :func:`pretty_dumps` is the on-disk form: indent 2, keys sorted, trailing newline.
* :func:`atomic_write_text` / :func:`atomic_write_json` never leave a half-written file:
  they write a temporary file in the target folder, fsync it, then ``os.replace`` it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "JSONReadError",
    "atomic_write_json",
    "atomic_write_text",
    "canonical_dumps",
    "pretty_dumps",
    "read_json",
    "sha256_hex",
    "sha256_id",
]


class JSONReadError(ValueError):
    """A file could not be read as JSON; the message names the file and the position."""


def canonical_dumps(obj: Any) -> str:
    """Return the canonical JSON text of ``obj`` (sorted keys, no whitespace, no NaN)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def sha256_hex(data: bytes | str) -> str:
    """Return the lower-case hex SHA-256 digest of ``data`` (str is UTF-8 encoded)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def sha256_id(obj: Any) -> str:
    """Return the 64-character id of a JSON-able object: SHA-256 of its canonical JSON."""
    return sha256_hex(canonical_dumps(obj))


def pretty_dumps(obj: Any) -> str:
    """Return the on-disk text of ``obj``: indent 2, sorted keys, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temp file in the same folder, fsync, replace).

    Parameters
    ----------
    path
        Destination file; its parent folder is created if needed.
    text
        Content, written as UTF-8.

    Returns
    -------
    Path
        The destination path.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        # Leave nothing behind: neither a partial destination nor the temp file.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return dest


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as pretty JSON (see :func:`pretty_dumps`) atomically to ``path``."""
    return atomic_write_text(path, pretty_dumps(obj))


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file, raising :class:`JSONReadError` naming the file on any problem.

    asv writes ``NaN`` for skipped benchmarks; Python's parser accepts it.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JSONReadError(f"{p}: cannot read file ({exc.__class__.__name__}: {exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONReadError(
            f"{p}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
