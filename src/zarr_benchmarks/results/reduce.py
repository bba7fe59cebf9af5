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
import platform
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeGuard

from zarr_benchmarks._format import SCHEMA_VERSION
from zarr_benchmarks._jsonio import (
    JSONReadError,
    atomic_write_many,
    pretty_dumps,
    read_json,
    sha256_id,
)
from zarr_benchmarks._privacy import scrub
from zarr_benchmarks.results.schemas import SchemaError, validate
from zarr_benchmarks.run.environment import environment_document
from zarr_benchmarks.run.machine import (
    collect_machine_info,
    load_config,
    machine_document,
)
from zarr_benchmarks.run.records import RunMeta, RunRecordError, sidecar_path

__all__ = [
    "UNITS",
    "ReduceError",
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
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MACHINE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


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


def result_filename(document: dict[str, Any], *, with_id: bool = False) -> str:
    """``result_timestamp-<ts>_machine-<id>_environment-<id>.json`` of a result document.

    With ``with_id`` the name ends ``_id-<first 16 hex of the document's SHA-256>``
    (the service's form), which tells apart two results of the same second.
    """
    suffix = f"_id-{sha256_id(document)[:16]}" if with_id else ""
    return (
        f"result_timestamp-{document['timestamp']}_machine-{document['machine_id']}"
        f"_environment-{document['environment_id']}{suffix}.json"
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
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > 2:
        raise ReduceError(
            f"{source}: asv result format version {version} is newer than this asv "
            f"({_asv_version()}) understands; upgrade asv"
        )
    missing = [k for k in ("commit_hash", "result_columns", "results") if k not in data]
    if missing:
        raise ReduceError(
            f"{source}: not an asv result file (missing {', '.join(repr(m) for m in missing)})"
        )
    if data.get("version") != 2:
        raise ReduceError(
            f"{source}: unsupported asv result format version {data.get('version')!r} "
            "(expected 2, asv 0.5/0.6; run `asv update` on older results)"
        )
    cols = data["result_columns"]
    if not isinstance(cols, list) or "result" not in cols:
        raise ReduceError(f"{source}: 'result_columns' must be a list containing 'result'")
    if not isinstance(data["results"], dict):
        raise ReduceError(f"{source}: 'results' must be an object")
    if not isinstance(data["commit_hash"], str) or not _HEX40.fullmatch(data["commit_hash"]):
        raise ReduceError(f"{source}: 'commit_hash' is not a full 40-character git hash")


def _asv_version() -> str:
    try:
        return metadata.version("asv")
    except metadata.PackageNotFoundError:  # pragma: no cover - asv is a dependency
        return "unknown"


def _upgrade_asv(data: Any, source: Path, notes: list[str]) -> Any:
    """asv's own in-memory migration of a version-1 result file (asv < 0.5) to version 2.

    The user's file is left as it is (``asv update`` would rewrite it in place).
    """
    if not (isinstance(data, dict) and data.get("version") == 1):
        return data
    from asv.results import Results  # asv's own migration; loaded only for old files

    try:
        upgraded = Results.update_to_2(data)
    except Exception as exc:  # asv raises bare KeyError/TypeError on malformed old files
        raise ReduceError(
            f"{source}: asv result format version 1 that asv cannot convert "
            f"({type(exc).__name__}: {exc}); run `asv update` with asv {_asv_version()}"
        ) from exc
    upgraded["version"] = 2
    notes.append(f"{source.name}: asv result format version 1, converted in memory by asv")
    return upgraded


#: Timestamps outside this window are clock errors (asv itself is from 2013): a
#: ``started_at`` of 1 ms would otherwise stamp a result 1970-01-01.
_EARLIEST_MS = int(datetime(2010, 1, 1, tzinfo=UTC).timestamp() * 1000)
_FUTURE_SLACK_MS = 2 * 24 * 3600 * 1000


def _latest_ms() -> float:
    """The latest plausible timestamp now (ms): clocks a little ahead are tolerated."""
    return datetime.now(tz=UTC).timestamp() * 1000 + _FUTURE_SLACK_MS


def _plausible_ms(value: Any, latest: float) -> bool:
    return _finite(value) and _EARLIEST_MS <= value <= latest


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
    implausible: list[str] = []
    latest = _latest_ms()  # once per file: this loop runs for every benchmark row
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
        if _plausible_ms(started_at, latest):
            started.append(int(started_at))
        elif started_at is not None:
            implausible.append(name)
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
    if implausible:
        problems.append(
            f"{len(implausible)} benchmark(s) with an implausible started_at (before 2010 or "
            f"in the future), not used for the timestamp: {', '.join(implausible[:3])}"
            + (" ..." if len(implausible) > 3 else "")
        )
    candidates = [meta.started_ms, data.get("date")]
    when = (
        min(started) if started else next((c for c in candidates if _plausible_ms(c, latest)), None)
    )
    if when is None:
        raise ReduceError(
            f"{source}: no plausible timestamp (started_at and date missing, before 2010 "
            "or in the future)"
        )
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


_VERSION_TEXT = re.compile(r"\d+\.\d+(\.\d+)?")
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SIZE_TEXT = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]?)i?[bB]?\s*")


def _count(text: Any) -> int | None:
    try:
        n = int(str(text).strip())
    except ValueError:
        return None
    return n if n >= 1 else None


def _memory_bytes(text: Any) -> int:
    """asv's ``ram``: bytes (``"16000000000"``, ``8804682956.8``) or ``"8.2G"``."""
    if isinstance(text, int | float) and not isinstance(text, bool) and math.isfinite(text):
        return max(int(text), 0)
    match = _SIZE_TEXT.fullmatch(str(text))
    if not match:
        return 0
    scale = 1024 ** "bkmgt".index((match.group(2) or "b").lower())
    return int(float(match.group(1)) * scale)


def asv_origin(data: dict[str, Any], source: Path) -> dict[str, Any]:
    """The flat machine entry an asv result was recorded with.

    asv copies the machine file into every result's ``params``; the ``machine.json`` of
    the result's folder fills what the result lacks.
    """
    origin: dict[str, Any] = {}
    machine_json = source.parent / "machine.json"
    if machine_json.is_file():
        try:
            loaded = read_json(machine_json)
        except JSONReadError:
            loaded = None
        if isinstance(loaded, dict):
            origin.update(loaded)
    params = data.get("params")
    if isinstance(params, dict):
        origin.update(params)
    origin.pop("version", None)
    return origin


def recorded_here(origin: dict[str, Any], config: dict[str, Any] | None) -> bool:
    """Whether an asv machine entry names this computer.

    A machine set up by ``zarr-benchmarks setup`` carries its ``machine_id``; plain asv
    names the machine after the host (asv's default) or whatever the user typed.
    """
    ident = origin.get("machine_id")
    if isinstance(ident, str) and _HEX64.fullmatch(ident):
        return config is not None and ident == config.get("machine_id")
    name = origin.get("machine")
    if not isinstance(name, str) or not name:
        return True  # nothing says it came from elsewhere
    here = {socket.gethostname(), platform.node()}
    if config is not None:
        here.add(str(config.get("name")))
    return name in here


def foreign_machine(origin: dict[str, Any]) -> dict[str, Any]:
    """A machine document built from another computer's flat asv machine entry.

    Only hardware facts are kept. asv names a machine after its host by default, so
    the name is kept only when it is a zarr-benchmarks friendly name (the entry then
    carries a ``machine_id``); otherwise the name is derived from the id.
    """
    os_text = scrub(str(origin.get("os") or "unknown")).strip() or "unknown"
    system, _, release = os_text.partition(" ")
    arch = scrub(str(origin.get("arch") or "unknown"))
    python = str(origin.get("python") or "")
    max_mhz = origin.get("cpu_max_mhz")
    try:
        frequency_max = float(max_mhz) if max_mhz not in (None, "") else None
    except (TypeError, ValueError):
        frequency_max = None
    info = {
        "hardware": {
            "cpu": {
                "model": scrub(str(origin.get("cpu") or "unknown")),
                "vendor": None,
                "arch": arch,
                "logical_cores": _count(origin.get("num_cpu")),
                "physical_cores": _count(origin.get("cpu_physical_cores")),
                "sockets": None,
                "frequency_min_mhz": None,
                "frequency_max_mhz": frequency_max,
                "caches": {},
                "flags": [],
            },
            "memory": {"total_bytes": _memory_bytes(origin.get("ram"))},
            "disk": {"filesystem": None, "kind": "unknown", "removable": None, "model": None},
            "gpu": [],
        },
        "os": {"system": system, "release": release.strip() or "unknown", "machine": arch},
        "python": {
            "implementation": "unknown",
            "version": python if _VERSION_TEXT.fullmatch(python) else "unknown",
        },
    }
    ident = origin.get("machine_id")
    name = origin.get("machine")
    if isinstance(ident, str) and _HEX64.fullmatch(ident) and isinstance(name, str):
        document = machine_document(name, info)
        document["machine_id"] = ident  # the id its own setup computed from all its facts
        if _MACHINE_NAME.fullmatch(name):
            return document
    document = machine_document("Unnamed", info)
    document["name"] = f"asv-{document['machine_id'][:12]}"
    return document


def foreign_environment(data: dict[str, Any], origin: dict[str, Any]) -> dict[str, Any]:
    """An environment document from an asv result's ``requirements`` and Python version."""
    python = str(origin.get("python") or "")
    packages = {
        name: str(spec) if spec not in (None, "") else "unpinned"
        for name, spec in (data.get("requirements") or {}).items()
        if isinstance(name, str) and _PACKAGE_NAME.fullmatch(name)
    }
    return environment_document(
        {
            "implementation": "unknown",
            "version": python if _VERSION_TEXT.fullmatch(python) else "unknown",
        },
        packages,
    )


class _Context:
    """Per-call caches (benchmarks.json per folder, current machine/environment)."""

    def __init__(self, machine: dict[str, Any] | None, environment: dict[str, Any] | None) -> None:
        self._benchmarks: dict[Path, dict[str, Any]] = {}
        self._machine = machine
        self._environment = environment
        #: when the caller names the machine, every file without a run record is its
        self.machine_given = machine is not None
        self._config: dict[str, Any] | None = None
        self._config_loaded = False

    def config(self) -> dict[str, Any] | None:
        if not self._config_loaded:
            self._config, self._config_loaded = load_config(), True
        return self._config

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
            config = self.config()
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
    data = _upgrade_asv(data, source, notes)
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
            origin = asv_origin(data, source)
            if ctx.machine_given or recorded_here(origin, ctx.config()):
                notes.append(
                    f"{source.name}: no zarr-benchmarks run record; dirty/preset unknown, "
                    "machine and environment taken from this computer"
                )
            else:
                file_meta.machine = foreign_machine(origin)
                file_meta.environment = foreign_environment(data, origin)
                notes.append(
                    f"{source.name}: no zarr-benchmarks run record; recorded on another "
                    "machine, so machine and environment are taken from the asv file "
                    "(hardware and package versions only)"
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
    texts = [pretty_dumps(r.document) for r in reduced]
    claims: dict[str, set[str]] = {}
    for r, text in zip(reduced, texts, strict=True):
        claims.setdefault(r.filename, set()).add(text)
    for r, text in zip(reduced, texts, strict=True):
        name = r.filename
        existing = out / name
        # Never let one result replace another: results of the same second (same
        # machine and environment) get their content id in the name.
        if len(claims[name]) > 1 or (existing.is_file() and existing.read_text() != text):
            name = result_filename(r.document, with_id=True)
            report.notes.append(
                f"{r.source.name}: another result has the same timestamp, machine and "
                f"environment; written as {name}"
            )
        pending.append((out / name, text))
        report.results.append(out / name)
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
    report.notes = notes + report.notes
    report.skipped = skipped or []
    return report
