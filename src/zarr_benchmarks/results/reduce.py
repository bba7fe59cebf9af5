"""Reduce asv result files to the shared, readable result format (docs/formats.md).

One module on purpose (about 480 lines): it is one transformation, asv's file to this
project's document, with the checks that name the bad file and field; its output is
kept byte-identical across releases (scripts/reduce_identical.sh).

asv (0.6.x, result API version 2) writes ``<results_dir>/<machine>/<commit[:8]>-<env>.json``
with positional ``result_columns`` rows per benchmark, and ``<results_dir>/benchmarks.json``
with each benchmark's ``param_names``, ``unit``, ``type`` and ``version``. This module turns
each such file into ``result_timestamp-<UTC>_machine-<id>_environment-<id>.json`` plus the
``info_machine-<id>.json`` / ``info_environment-<id>.json`` files (written once per id).

Only allow-listed fields are copied: asv's ``env_name``, ``python`` (interpreter path) and
machine ``params`` are dropped. Failed (``null``) and skipped (``NaN``) entries and
missing samples become ``status``/``problems``, never exceptions. Inputs are all parsed
and every output validated *before* anything is written, so a bad input leaves nothing
half-written.
"""

from __future__ import annotations

import ast
import itertools
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeGuard

from zarr_benchmarks._jsonio import JSONReadError, atomic_write_many, pretty_dumps, read_json
from zarr_benchmarks._format import SCHEMA_VERSION
from zarr_benchmarks.results.schemas import SchemaError, validate
from zarr_benchmarks.run.records import RunMeta, RunRecordError, sidecar_path
from zarr_benchmarks.run.environment import environment_document
from zarr_benchmarks.run.machine import (
    collect_machine_info,
    load_config,
    machine_document,
)

__all__ = [
    "ReduceError",
    "UNITS",
    "ReduceReport",
    "benchmark_type",
    "find_result_files",
    "parse_param",
    "reduce_asv_result",
    "reduce_paths",
    "result_filename",
]

_ASV_SKIP_NAMES = frozenset({"machine.json", "benchmarks.json"})
_TYPE_MAP = {"time": "time", "track": "track", "peakmemory": "peakmem", "memory": "mem"}
_PREFIX_TYPE = (
    ("time_", "time"),
    ("timeraw_", "time"),
    ("track_", "track"),
    ("peakmem_", "peakmem"),
    ("mem_", "mem"),
)
#: unit of each benchmark type that has a fixed one
UNITS = {"time": "seconds", "peakmem": "bytes", "mem": "bytes"}
_HEX40 = re.compile(r"[0-9a-f]{40}")


class ReduceError(ValueError):
    """An input cannot be reduced; the message names the file and the reason."""


@dataclass
class ReducedFile:
    """One reduced result ready to be written."""

    source: Path
    document: dict[str, Any]
    machine: dict[str, Any]
    environment: dict[str, Any]

    @property
    def filename(self) -> str:
        """Output file name of the result document."""
        return result_filename(self.document)


@dataclass
class ReduceReport:
    """What :func:`reduce_paths` did."""

    results: list[Path] = field(default_factory=list)
    infos: list[Path] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: ``(input file, reason)`` of every input left out (only with ``skip_bad``)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """All ``problems`` entries of the written results."""
        return [p for d in self.documents for p in d["problems"]]


def result_filename(document: dict[str, Any]) -> str:
    """``result_timestamp-<ts>_machine-<id>_environment-<id>.json`` of a result document."""
    return (
        f"result_timestamp-{document['timestamp']}_machine-{document['machine_id']}"
        f"_environment-{document['environment_id']}.json"
    )


@lru_cache(maxsize=4096)
def _parse_repr(text: str) -> str | int | float:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return text


def parse_param(text: Any) -> str | int | float:
    """asv's ``repr`` of a parameter value as a plain JSON string or number.

    ``"'cryoet'"`` -> ``"cryoet"``, ``"64"`` -> ``64``; anything else (tuples, None,
    objects) stays as its readable repr, e.g. ``"(64, 64, 64)"``.
    """
    if not isinstance(text, str):
        return text if isinstance(text, int | float) and not isinstance(text, bool) else str(text)
    return _parse_repr(text)


def find_result_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and folders into asv result files (sorted, de-duplicated).

    Folders are searched recursively for ``*.json`` except asv's ``machine.json`` and
    ``benchmarks.json``. A named path that does not exist raises :class:`ReduceError`.
    """
    found: dict[Path, None] = {}
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for sub in sorted(p.rglob("*.json")):
                if sub.name not in _ASV_SKIP_NAMES and sub.is_file():
                    found[sub] = None
        elif p.is_file():
            found[p] = None
        else:
            raise ReduceError(f"{p}: no such file or folder")
    return list(found)


def benchmark_type(name: str, declared: str | None) -> str:
    if declared in _TYPE_MAP:
        return _TYPE_MAP[declared]
    short = name.rsplit(".", 1)[-1]
    for prefix, kind in _PREFIX_TYPE:
        if short.startswith(prefix):
            return kind
    return "track"


def _finite(x: Any) -> TypeGuard[int | float]:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _all_finite(values: list[Any]) -> bool:
    # Fast path for asv's sample lists (plain floats); anything odd takes the slow path.
    return set(map(type, values)) == {float} and all(map(math.isfinite, values))


def _label(name: str, params: dict[str, Any]) -> str:
    return f"{name} {json.dumps(params, sort_keys=True)}" if params else name


def _check_asv(data: Any, source: Path) -> None:
    if not isinstance(data, dict):
        raise ReduceError(f"{source}: not an asv result file (top level is not an object)")
    missing = [k for k in ("commit_hash", "result_columns", "results") if k not in data]
    if missing:
        raise ReduceError(
            f"{source}: not an asv result file (missing {', '.join(repr(m) for m in missing)})"
        )
    if data.get("version") != 2:
        raise ReduceError(
            f"{source}: unsupported asv result format version {data.get('version')!r} "
            "(expected 2, asv 0.5/0.6)"
        )
    cols = data["result_columns"]
    if not isinstance(cols, list) or "result" not in cols:
        raise ReduceError(f"{source}: 'result_columns' must be a list containing 'result'")
    if not isinstance(data["results"], dict):
        raise ReduceError(f"{source}: 'results' must be an object")
    if not isinstance(data["commit_hash"], str) or not _HEX40.fullmatch(data["commit_hash"]):
        raise ReduceError(f"{source}: 'commit_hash' is not a full 40-character git hash")


def reduce_asv_result(
    data: dict[str, Any],
    source: Path,
    benchmarks: dict[str, Any],
    meta: RunMeta,
    machine_id: str,
    environment_id: str,
) -> dict[str, Any]:
    """Build the reduced ``result`` document of one parsed asv result file.

    Parameters
    ----------
    data
        Parsed asv result file (API version 2).
    source
        Its path (for messages only).
    benchmarks
        Parsed ``benchmarks.json`` (may be empty: types/units then come from names).
    meta
        Run record (dirty/quick/preset and start time filter).
    machine_id, environment_id
        Ids to record.
    """
    _check_asv(data, source)
    cols = {name: i for i, name in enumerate(data["result_columns"])}
    problems: list[str] = []
    out: dict[str, Any] = {}
    started: list[int] = []
    i_res, i_par, i_ver = cols["result"], cols.get("params"), cols.get("version")
    i_start, i_samp = cols.get("started_at"), cols.get("samples")

    def col(row: list[Any], i: int | None) -> Any:
        return row[i] if i is not None and i < len(row) else None

    for name in sorted(data["results"]):
        row = data["results"][name]
        if not isinstance(row, list):
            problems.append(f"{name}: malformed asv row (not a list), ignored")
            continue
        started_at = col(row, i_start)
        if meta.started_ms is not None and _finite(started_at) and started_at < meta.started_ms:
            continue  # an older run's result asv kept in the same file
        if _finite(started_at):
            started.append(int(started_at))
        entry = benchmarks.get(name)
        info: dict[str, Any] = entry if isinstance(entry, dict) else {}
        kind = benchmark_type(name, info.get("type"))
        params = col(row, i_par) or []
        if not isinstance(params, list) or not all(isinstance(p, list) for p in params):
            problems.append(f"{name}: malformed parameter list, ignored")
            continue
        names = list(info.get("param_names") or [])
        if len(names) != len(params):
            if names:
                problems.append(f"{name}: benchmarks.json parameter names do not match, renamed")
            names = [f"param{j + 1}" for j in range(len(params))]
        # Parse each distinct parameter value once (asv repeats them in every combination).
        combos = list(itertools.product(*([parse_param(v) for v in values] for values in params)))
        values = col(row, i_res)
        if values is None:  # asv collapses an all-failed row to null
            values = [None] * len(combos)
        samples = col(row, i_samp)
        if not isinstance(values, list):
            problems.append(f"{name}: malformed result column, ignored")
            continue
        if len(values) != len(combos):
            problems.append(
                f"{name}: {len(values)} results for {len(combos)} parameter combinations; "
                "extra entries ignored"
            )
        entries: list[dict[str, Any]] = []
        for k, (combo, value) in enumerate(zip(combos, values, strict=False)):
            p = dict(zip(names, combo, strict=True))
            if value is None:
                entries.append({"params": p, "status": "failed", "samples": [], "value": None})
                problems.append(f"{_label(name, p)}: failed")
                continue
            if isinstance(value, float) and math.isnan(value):
                entries.append({"params": p, "status": "skipped", "samples": [], "value": None})
                problems.append(f"{_label(name, p)}: skipped")
                continue
            if not _finite(value):
                entries.append({"params": p, "status": "failed", "samples": [], "value": None})
                problems.append(f"{_label(name, p)}: failed (non-numeric result {value!r})")
                continue
            if kind == "time":
                s = samples[k] if isinstance(samples, list) and k < len(samples) else None
                if isinstance(s, list) and not _all_finite(s):
                    s = [x for x in s if _finite(x)]
                if not s:
                    s = []
                    problems.append(f"{_label(name, p)}: no samples recorded")
            else:
                s = [value]
            entries.append({"params": p, "status": "ok", "samples": s, "value": value})
        version = col(row, i_ver)
        out[name] = {
            "version": version if isinstance(version, str) else "",
            "unit": UNITS.get(kind) or str(info.get("unit") or "unit"),
            "type": kind,
            "param_names": names,
            "results": entries,
        }
        if not info:
            problems.append(f"{name}: not in benchmarks.json; type and unit guessed from name")
    when = min(started) if started else meta.started_ms or data.get("date")
    if not _finite(when):
        raise ReduceError(f"{source}: no usable timestamp (no started_at, no date)")
    timestamp = datetime.fromtimestamp(when / 1000, tz=UTC).strftime("%Y-%m-%d-%H-%M-%S")
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "result",
        "timestamp": timestamp,
        "commit_hash": data["commit_hash"],
        "dirty": meta.dirty,
        "quick": meta.quick,
        "preset": meta.preset,
        **({"size": meta.size} if meta.size else {}),
        "machine_id": machine_id,
        "environment_id": environment_id,
        "benchmarks": out,
        "problems": problems,
    }


class _Context:
    """Per-call caches (benchmarks.json per folder, current machine/environment)."""

    def __init__(self, machine: dict[str, Any] | None, environment: dict[str, Any] | None) -> None:
        self._benchmarks: dict[Path, dict[str, Any]] = {}
        self._machine = machine
        self._environment = environment

    def benchmarks_for(self, source: Path) -> dict[str, Any]:
        for folder in (source.parent.parent, source.parent):
            candidate = folder / "benchmarks.json"
            if candidate in self._benchmarks:
                return self._benchmarks[candidate]
            if candidate.is_file():
                try:
                    data = read_json(candidate)
                except JSONReadError as exc:
                    raise ReduceError(str(exc)) from exc
                if not isinstance(data, dict):
                    raise ReduceError(f"{candidate}: not an asv benchmarks.json")
                self._benchmarks[candidate] = data
                return data
        return {}

    def current_machine(self) -> dict[str, Any]:
        if self._machine is None:
            config = load_config()
            name = config["name"] if config else "Unnamed"
            self._machine = machine_document(name, collect_machine_info("."))
        return self._machine

    def current_environment(self) -> dict[str, Any]:
        if self._environment is None:
            self._environment = environment_document()
        return self._environment


def prepare(
    files: Sequence[Path],
    machine: dict[str, Any] | None = None,
    environment: dict[str, Any] | None = None,
    meta: RunMeta | None = None,
    skipped: list[tuple[Path, str]] | None = None,
) -> tuple[list[ReducedFile], list[str]]:
    """Parse, reduce and validate every input in memory (nothing is written).

    Parameters
    ----------
    files
        asv result files.
    machine, environment
        Documents to use when a file has no run record (default: this machine/environment).
    meta
        Run record to use for every file (overrides sidecars), e.g. from ``run``.
    skipped
        When given, a bad input (unreadable or malformed JSON, not an asv result file,
        a bad run record, an invalid reduction) is appended to it as ``(file, reason)``
        and left out instead of raising.

    Returns
    -------
    (reduced, notes)
        Reduced files and notes for the user (e.g. missing run records).

    Raises
    ------
    ReduceError
        Naming the first bad input (unless ``skipped`` is given).
    """
    ctx = _Context(machine, environment)
    reduced: list[ReducedFile] = []
    notes: list[str] = []
    validated: set[tuple[str, Any]] = set()
    for source in files:
        file_notes: list[str] = []
        try:
            one = _prepare_one(source, ctx, meta, validated, file_notes)
        except ReduceError as exc:
            if skipped is None:
                raise
            skipped.append((source, str(exc)))
            continue
        notes.extend(file_notes)
        if one is not None:
            reduced.append(one)
    return reduced, notes


def _prepare_one(
    source: Path,
    ctx: _Context,
    meta: RunMeta | None,
    validated: set[tuple[str, Any]],
    notes: list[str],
) -> ReducedFile | None:
    """One input of :func:`prepare`; ``None`` when it holds no benchmark results."""
    try:
        data = read_json(source)
    except JSONReadError as exc:
        raise ReduceError(str(exc)) from exc
    _check_asv(data, source)
    file_meta = meta
    if file_meta is None:
        side = sidecar_path(source)
        if side.is_file():
            try:
                file_meta = RunMeta.from_json(read_json(side), side)
            except (JSONReadError, RunRecordError) as exc:
                raise ReduceError(str(exc)) from exc
        else:
            file_meta = RunMeta(preset="unknown")
            notes.append(
                f"{source.name}: no zarr-benchmarks run record; dirty/preset unknown, "
                "machine and environment taken from this computer"
            )
    mdoc = file_meta.machine or ctx.current_machine()
    edoc = file_meta.environment or ctx.current_environment()
    doc = reduce_asv_result(
        data,
        source,
        ctx.benchmarks_for(source),
        file_meta,
        mdoc["machine_id"],
        edoc["environment_id"],
    )
    for d in (doc, mdoc, edoc):
        key = (d["kind"], d.get("machine_id") or d.get("environment_id"))
        if d is not doc and key in validated:
            continue  # same info document as a previous file: checked already
        try:
            validate(d)
        except SchemaError as exc:
            raise ReduceError(f"{source}: reduced {d.get('kind')} is invalid: {exc}") from exc
        validated.add(key)
    if not doc["benchmarks"]:
        notes.append(f"{source.name}: no benchmark results from this run; nothing written")
        return None
    return ReducedFile(source, doc, mdoc, edoc)


def write(reduced: Sequence[ReducedFile], output: str | os.PathLike[str]) -> ReduceReport:
    """Write reduced results and the info files (once per id) atomically into ``output``."""
    out = Path(output)
    report = ReduceReport()
    infos: dict[str, dict[str, Any]] = {}
    for r in reduced:
        infos[f"info_machine-{r.machine['machine_id']}.json"] = r.machine
        infos[f"info_environment-{r.environment['environment_id']}.json"] = r.environment
    pending: list[tuple[Path, str]] = []
    for name, doc in sorted(infos.items()):
        path = out / name
        if not path.is_file():  # same id means same content: write once
            pending.append((path, pretty_dumps(doc)))
        report.infos.append(path)
    for r in reduced:
        pending.append((out / r.filename, pretty_dumps(r.document)))
        report.results.append(out / r.filename)
        report.documents.append(r.document)
    atomic_write_many(pending)
    return report


def reduce_paths(
    paths: Iterable[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    machine: dict[str, Any] | None = None,
    environment: dict[str, Any] | None = None,
    meta: RunMeta | None = None,
    *,
    skip_bad: bool = False,
) -> ReduceReport:
    """Reduce asv result files/folders into ``output``.

    See :func:`prepare` for the parameters. By default all-or-nothing: raises
    :class:`ReduceError` before writing anything when any input is not a readable asv
    result file. With ``skip_bad`` (``zarr-benchmarks reduce``) such inputs are left
    out and listed in :attr:`ReduceReport.skipped`, and the good ones are written.
    """
    paths = list(paths)
    files = find_result_files(paths)
    if not files:
        raise ReduceError("no asv result files found in " + ", ".join(map(str, paths)))
    skipped: list[tuple[Path, str]] | None = [] if skip_bad else None
    reduced, notes = prepare(files, machine, environment, meta, skipped)
    report = write(reduced, output)
    report.notes = notes
    report.skipped = skipped or []
    return report
