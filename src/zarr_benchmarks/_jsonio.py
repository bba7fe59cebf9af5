"""Canonical JSON helpers shared by every module that writes or hashes JSON.

* :func:`canonical_dumps` / :func:`sha256_id` define ids (docs/formats.md): SHA-256 over
  ``json.dumps(obj, sort_keys=True, separators=(",", ":"))``.
* :func:`pretty_dumps` is the on-disk form: indent 2, keys sorted, trailing newline.
* :func:`atomic_write_text` / :func:`atomic_write_json` never leave a half-written file:
  they write a temporary file in the target folder, fsync it, then ``os.replace`` it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = [
    "JSONReadError",
    "atomic_write_json",
    "atomic_write_many",
    "atomic_write_text",
    "canonical_dumps",
    "json_safe",
    "labelled_dicts",
    "pretty_dumps",
    "read_json",
    "sha256_hex",
    "sha256_id",
]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _temp_beside(dest: Path) -> tuple[int, str]:
    """A temp file in ``dest``'s folder (same file system, so ``os.replace`` is atomic),
    with the usual file mode: mkstemp's 0600 would make shared results unreadable."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.fchmod(fd, 0o666 & ~_UMASK)
    return fd, tmp


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float (NaN, inf) replaced by ``None``, at any depth
    of dicts, lists, tuples and sets, so strict JSON (``allow_nan=False``) accepts it.

    Objects with a ``to_json()`` method and dataclasses are converted first; dict keys
    that are not strings become their ``str()`` (as JSON needs).
    """
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k if isinstance(k, str) else str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "to_json"):
        return json_safe(obj.to_json())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return json_safe(dataclasses.asdict(obj))
    return obj


def labelled_dicts(items: Any) -> list[Any]:
    """Each dataclass in ``items`` as a JSON-safe dict with its ``label`` property added
    (the rows of comparison and history documents)."""
    return [json_safe({**dataclasses.asdict(item), "label": item.label}) for item in items]


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
    """Return the on-disk text of ``obj``: indent 2, sorted keys, trailing newline.

    Byte-identical to ``json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False,
    allow_nan=False) + "\\n"`` but several times faster for documents with long numeric
    lists (the stdlib falls back to its pure-Python encoder whenever ``indent`` is set).
    """
    parts: list[str] = []
    _pretty(obj, "\n", parts)
    parts.append("\n")
    return "".join(parts)


_encode_str = json.encoder.encode_basestring  # the C implementation when available


def _scalar(value: Any) -> str | None:
    """JSON text of a scalar exactly as :mod:`json` writes it, or None for containers."""
    t = type(value)
    if t is str:
        return _encode_str(value)
    if t is float:
        return _float(value)
    if t is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _encode_str(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _scalar(float(value))
    return None


def _float(value: float) -> str:
    if value != value or value in (math.inf, -math.inf):
        raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
    return float.__repr__(value)


def _pretty(obj: Any, nl: str, out: list[str]) -> None:
    # Hot loop of every reduce: common scalar types are handled inline, not by call.
    append = out.append
    inner = nl + "  "
    sep = "," + inner
    if isinstance(obj, dict):
        if not obj:
            append("{}")
            return
        append("{")
        first = True
        for key in sorted(obj):
            if type(key) is not str:
                raise TypeError(f"keys must be str, not {type(key).__name__}")
            append(inner if first else sep)
            first = False
            append(_encode_str(key))
            append(": ")
            v = obj[key]
            tv = type(v)
            if tv is str:
                append(_encode_str(v))
            elif tv is float:
                append(_float(v))
            elif tv is int:
                append(int.__repr__(v))
            else:
                text = _scalar(v)
                if text is None:
                    _pretty(v, inner, out)
                else:
                    append(text)
        append(nl + "}")
    elif isinstance(obj, list | tuple):
        if not obj:
            append("[]")
            return
        # Fast path: a list of plain floats (samples) joined in one go.
        if set(map(type, obj)) == {float} and all(map(math.isfinite, obj)):
            append("[" + inner + sep.join(map(float.__repr__, obj)) + nl + "]")
            return
        append("[")
        first = True
        for item in obj:
            append(inner if first else sep)
            first = False
            text = _scalar(item)
            if text is None:
                _pretty(item, inner, out)
            else:
                append(text)
        append(nl + "]")
    else:
        text = _scalar(obj)
        if text is None:
            raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
        append(text)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temp file beside ``path`` for the caller to write (any writer that takes a path).

    When the block ends without error the temp file is fsynced and renamed onto ``path``;
    on any error it is removed, so neither a partial destination nor the temp file is
    left. The parent folder is created if needed.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_beside(dest)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, replace).

    Parameters
    ----------
    path
        Destination file; its parent folder is created if needed.
    data
        Content.

    Returns
    -------
    Path
        The destination path.
    """
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_many(items: Iterable[tuple[str | os.PathLike[str], str]]) -> list[Path]:
    """Write many files atomically: all temp files first, fsync them in parallel, then
    ``os.replace`` each into place. Much faster than one :func:`atomic_write_text` per
    file (journal commits overlap); on any error no destination is touched and no temp
    file is left behind.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in items:
            dest = Path(path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = _temp_beside(dest)
            staged.append((tmp, dest))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)

        def _fsync(tmp: str) -> None:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(_fsync, [tmp for tmp, _ in staged]))
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    for tmp, dest in staged:
        os.replace(tmp, dest)
    return [dest for _, dest in staged]


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
