"""The one result model and its loader: files and folders to checked result documents.

Every reader of results goes through here: ``compare``, ``history``, the report, the
aggregate and the service. A result document (``kind: "result"``, docs/formats.md) is
read, its format version checked (and migrated, once there is an older version to
migrate from), validated against its JSON Schema, and handed on as a
:class:`ResultDoc`, whose :meth:`ResultDoc.entries` are the typed
:class:`ResultEntry` rows (one per benchmark and parameter combination).

asv's own result files are accepted wherever a reduced result is: they are reduced in
memory (:mod:`zarr_benchmarks.results.reduce`), with their run record when there is one.
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zarr_benchmarks._format import SCHEMA_VERSION
from zarr_benchmarks._jsonio import JSONReadError, read_json
from zarr_benchmarks.results.reduce import ReduceError, prepare
from zarr_benchmarks.results.schemas import SchemaError, validate

__all__ = [
    "MIGRATIONS",
    "ResultDoc",
    "ResultEntry",
    "ResultFolder",
    "ResultInputError",
    "check_result",
    "environment_versions",
    "is_asv_result",
    "migrate",
    "read_document",
    "read_folder",
    "read_result",
    "read_results",
    "summary_value",
]

#: asv's own files in its results tree that are not results
ASV_SIDE_FILES = frozenset({"machine.json", "benchmarks.json"})

#: ``{old schema_version: function(document) -> document one version newer}``. There is
#: one version so far; a format change adds its step here and bumps SCHEMA_VERSION.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class ResultInputError(ValueError):
    """A result file or folder that cannot be used; the message names it and the field."""


def summary_value(samples: Iterable[Any], value: Any) -> float | None:
    """One figure of a benchmark result, by the report's rule: the median of its finite
    samples, else its own value if finite, else None (the dashboard and the aggregate's
    case table follow the same rule, so all show the same numbers)."""
    finite = [float(s) for s in samples if _is_number(s) and math.isfinite(s)]
    if finite:
        return float(statistics.median(finite))
    if _is_number(value) and math.isfinite(value):
        return float(value)
    return None


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


@dataclass(frozen=True)
class ResultEntry:
    """One benchmark with one parameter combination in one result document."""

    benchmark: str
    type: str
    unit: str
    version: str | None
    param_names: tuple[str, ...]
    params: Mapping[str, Any]
    status: str
    samples: tuple[float, ...]
    value: float | None
    #: independent blocks of samples (interleaved A/B runs); empty when not measured so
    blocks: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class ResultDoc:
    """A checked result document and where it came from.

    ``data`` is the document itself (JSON-able, validated); ``asv_params`` the matrix
    parameters of the asv file it was reduced from (``None`` for a reduced file), which
    can name the package versions of the run.
    """

    source: str
    data: Mapping[str, Any]
    asv_params: Mapping[str, Any] | None = None

    @property
    def machine_id(self) -> str | None:
        value = self.data.get("machine_id")
        return None if value is None else str(value)

    @property
    def environment_id(self) -> str | None:
        value = self.data.get("environment_id")
        return None if value is None else str(value)

    @property
    def timestamp(self) -> str:
        return str(self.data.get("timestamp", ""))

    @property
    def preset(self) -> str | None:
        value = self.data.get("preset")
        return None if value is None else str(value)

    @property
    def size(self) -> str | None:
        value = self.data.get("size")
        return str(value) if value else None

    def number_problems(self) -> list[str]:
        """Where the document holds a sample, value or block number that cannot be
        converted to a float (e.g. a 400-digit integer): one message per benchmark result.

        Readers that show or aggregate numbers leave such a document out and report it
        (the dashboard and ``zarr-benchmarks db build`` do); :meth:`entries` skips the
        entries concerned instead of raising.
        """
        problems = []
        for name, bench in self.data.get("benchmarks", {}).items():
            for i, res in enumerate(bench.get("results", [])):
                if _numbers(res) is None:
                    problems.append(
                        f"{self.source or 'result'}: benchmarks[{str(name)!r}].results[{i}] "
                        "holds a number that cannot be converted to a float"
                    )
        return problems

    def entries(self) -> Iterator[ResultEntry]:
        """Every benchmark x parameter combination, in the document's order.

        An entry whose numbers cannot be converted to floats is skipped (see
        :meth:`number_problems`, which names them).
        """
        for name, bench in self.data.get("benchmarks", {}).items():
            for res in bench.get("results", []):
                numbers = _numbers(res)
                if numbers is None:
                    continue
                samples, value, blocks = numbers
                yield ResultEntry(
                    benchmark=str(name),
                    type=str(bench.get("type", "time")),
                    unit=str(bench.get("unit", "")),
                    version=bench.get("version"),
                    param_names=tuple(bench.get("param_names", [])),
                    params=dict(res.get("params", {})),
                    status=str(res.get("status", "ok")),
                    samples=samples,
                    value=value,
                    blocks=blocks,
                )


def _numbers(
    res: Mapping[str, Any],
) -> tuple[tuple[float, ...], float | None, tuple[tuple[float, ...], ...]] | None:
    """``(samples, value, blocks)`` of one benchmark result as floats; ``None`` if a
    number does not fit a float (or is not a number)."""
    try:
        value = res.get("value")
        return (
            tuple(float(s) for s in res.get("samples", [])),
            None if value is None else float(value),
            tuple(tuple(float(x) for x in b) for b in res.get("blocks", []) if b),
        )
    except (OverflowError, TypeError, ValueError):
        return None


# ------------------------------------------------------------------------ checking


def migrate(doc: dict[str, Any], where: str) -> dict[str, Any]:
    """Bring a document of an older format version up to :data:`SCHEMA_VERSION`."""
    version = doc.get("schema_version")
    while version != SCHEMA_VERSION:
        step = MIGRATIONS.get(version) if isinstance(version, int) else None
        if step is None:
            raise ResultInputError(
                f"{where}: unsupported schema_version {version!r} (expected {SCHEMA_VERSION})"
            )
        doc = step(doc)
        version = doc.get("schema_version")
    return doc


def check_result(doc: Any, where: str) -> dict[str, Any]:
    """The result document ``doc``, migrated and validated; errors name ``where``."""
    if not isinstance(doc, dict):
        raise ResultInputError(f"{where}: expected a JSON object")
    if doc.get("kind") != "result":
        raise ResultInputError(
            f"{where}: not a result file (kind={doc.get('kind')!r}); expected a reduced "
            "result (kind 'result'), a folder of them, or an asv result file"
        )
    doc = migrate(doc, where)
    try:
        validate(doc)
    except SchemaError as exc:
        raise ResultInputError(f"{where}: invalid result file: {exc}") from exc
    return doc


def is_asv_result(doc: Any) -> bool:
    """Whether ``doc`` is one of asv's own result files (not yet reduced)."""
    return (
        isinstance(doc, dict)
        and "kind" not in doc
        and isinstance(doc.get("results"), dict)
        and "commit_hash" in doc
        and "params" in doc
    )


# ------------------------------------------------------------------------- reading


def read_document(path: str | os.PathLike[str]) -> Any:
    """The JSON in ``path``; :class:`ResultInputError` naming the file if unreadable."""
    try:
        return read_json(path)
    except JSONReadError as exc:
        raise ResultInputError(str(exc)) from exc


def _reduce_asv(path: Path) -> dict[str, Any]:
    try:
        reduced, _notes = prepare([path])
    except ReduceError as exc:
        raise ResultInputError(f"cannot reduce asv result file: {exc}") from exc
    if not reduced:
        raise ResultInputError(f"{path}: asv result file holds no benchmark results")
    return reduced[0].document


def read_result(path: str | os.PathLike[str]) -> ResultDoc:
    """One reduced result file, or one asv result file reduced in memory."""
    p = Path(path)
    raw = read_document(p)
    if is_asv_result(raw):
        return ResultDoc(str(p), check_result(_reduce_asv(p), str(p)), dict(raw["params"]))
    return ResultDoc(str(p), check_result(raw, str(p)))


def read_results(path: str | os.PathLike[str]) -> list[ResultDoc]:
    """A result file, or every result in a folder (searched recursively).

    In a folder, reduced result files (``result_*.json``) are used when there are any;
    otherwise asv's result files (skipping asv's ``machine.json``/``benchmarks.json``
    and this project's info files).
    """
    p = Path(path)
    if not p.exists():
        raise ResultInputError(f"{p}: no such file or folder")
    if p.is_file():
        return [read_result(p)]
    reduced = sorted(p.rglob("result_*.json"))
    if reduced:
        return [read_result(f) for f in reduced]
    docs = []
    for f in sorted(p.rglob("*.json")):
        if f.name in ASV_SIDE_FILES or f.name.startswith("info_"):
            continue
        if is_asv_result(read_document(f)):
            docs.append(read_result(f))
    if not docs:
        raise ResultInputError(f"{p}: folder holds no result files (result_*.json or asv results)")
    return docs


@dataclass
class ResultFolder:
    """A results folder as ``zarr-benchmarks`` writes it: results and info files."""

    results: list[ResultDoc] = field(default_factory=list)
    machines: dict[str, dict[str, Any]] = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_folder(folder: str | os.PathLike[str], *, check: bool = True) -> ResultFolder:
    """Every ``result_*.json`` and info file directly in ``folder`` (not recursive).

    With ``check`` (the default) each document is validated against its schema and a
    bad one raises :class:`ResultInputError` naming it; without, documents are only
    parsed and anything that is not a result of this format is left out (the aggregate
    reads a whole store this way).
    """
    root = Path(folder)
    if not root.is_dir():
        raise ResultInputError(f"{root}: results folder not found")

    def info(pattern: str, id_field: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for p in sorted(root.glob(pattern)):
            doc = read_document(p)
            if check:
                try:
                    validate(doc)
                except SchemaError as exc:
                    raise ResultInputError(f"{p.name}: {exc}") from None
            if isinstance(doc, dict):
                out[str(doc.get(id_field))] = doc
        return out

    out = ResultFolder(
        machines=info("info_machine-*.json", "machine_id"),
        environments=info("info_environment-*.json", "environment_id"),
    )
    for p in sorted(root.glob("result_*.json")):
        doc = read_document(p)
        if check:
            out.results.append(ResultDoc(p.name, check_result(doc, p.name)))
        elif (
            isinstance(doc, dict)
            and doc.get("kind") == "result"
            and doc.get("schema_version") == SCHEMA_VERSION
        ):
            out.results.append(ResultDoc(p.name, doc))
    return out


def environment_versions(folder: str | os.PathLike[str], package: str) -> dict[str, str]:
    """Environment id -> version of ``package``, from the environment info files under
    ``folder`` (searched recursively)."""
    out: dict[str, str] = {}
    for f in sorted(Path(folder).rglob("info_environment-*.json")):
        doc = read_document(f)
        if isinstance(doc, dict) and doc.get("kind") == "environment":
            version = (doc.get("packages") or {}).get(package)
            if doc.get("environment_id") and version:
                out[str(doc["environment_id"])] = str(version)
    return out
