"""Reduced result files (docs/formats.md) as a tidy table: one record per measurement.

pandas is not a dependency, so the table is a list of :class:`Record` (a frozen
dataclass) with a few helpers to filter, pick the newest measurement and pivot.  The
same code builds the HTML report and the service dashboard's data, so both show the
same numbers.

Throughput is ``array bytes / median seconds / 1e6`` (MB/s).  The array size is not in
the result file; it is ``shape_for(modality, size) x itemsize`` with ``size`` taken
from the preset's default (``quick``: tiny, ``default``/``full``: small).  A run with
``--size`` overriding the preset is not recorded as such, so throughput for it would
be scaled wrongly; the report says which size it assumed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from zarr_benchmarks._jsonio import canonical_dumps, sha256_id
from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.results.model import (
    ResultDoc,
    ResultInputError,
    check_result,
    read_folder,
    summary_value,
)
from zarr_benchmarks.suite.presets import shape_for

__all__ = [
    "METRICS",
    "THROUGHPUT_METRICS",
    "Record",
    "ReportInputError",
    "ResultSet",
    "array_nbytes",
    "latest",
    "load_results",
    "metric_of",
    "records_from_documents",
    "size_for_preset",
]


class ReportInputError(ValueError):
    """The results folder cannot be read; the message names the file and the problem."""


#: benchmark name -> short metric name used throughout the report and dashboard
METRICS: dict[str, str] = {
    "bench_write.Write.time_write": "write",
    "bench_write.Write.track_compression_ratio": "ratio",
    "bench_write.Write.peakmem_write": "write_peakmem",
    "bench_read.Read.time_read": "read",
    "bench_read.ReadRegion.time_read_chunk": "read_chunk",
    "bench_read.ReadRegion.time_read_plane": "read_plane",
    "bench_read.ReadRegion.peakmem_read": "read_peakmem",
    "bench_format.Format.time_write": "format_write",
    "bench_format.Format.time_read": "format_read",
    "bench_reference.CodecCeilings.time_encode": "codec_encode",
    "bench_reference.CodecCeilings.time_decode": "codec_decode",
    "bench_reference.MemoryBandwidth.track_memory_copy_bandwidth": "memcopy",
}
#: metrics that process the whole uncompressed array once: throughput is defined
THROUGHPUT_METRICS = frozenset(
    {"write", "read", "format_write", "format_read", "codec_encode", "codec_decode"}
)
_PRESET_SIZES = {"quick": "tiny", "default": "small", "full": "small"}
FALLBACK_SIZE = "small"


def metric_of(benchmark: str) -> str:
    """Short metric name of a benchmark (the benchmark name itself when unknown)."""
    return METRICS.get(benchmark, benchmark)


def size_for_preset(preset: str | None) -> tuple[str, bool]:
    """``(size, known)``: the array size a preset runs at, ``known`` False on fallback."""
    if preset in _PRESET_SIZES:
        return _PRESET_SIZES[preset], True
    return FALLBACK_SIZE, False


@cache
def array_nbytes(modality: str, size: str) -> int | None:
    """Uncompressed bytes of the benchmark array of ``modality`` at ``size``.

    ``None`` for a modality that is not registered here (e.g. from a plug-in that is
    not installed), so its throughput cannot be computed.
    """
    import numpy as np

    try:
        mod = get_modality(modality)
        shape = shape_for(mod, size)
    except ValueError:
        return None
    return int(math.prod(shape)) * np.dtype(mod.dtype).itemsize


@dataclass(frozen=True)
class Record:
    """One measurement: a benchmark entry of one result file, with its context."""

    result_id: str
    machine_id: str
    machine_name: str
    environment_id: str
    commit_hash: str
    timestamp: str
    preset: str
    size: str
    benchmark: str
    metric: str
    type: str
    unit: str
    status: str
    modality: str | None
    codec: str | None
    chunks: str | None
    zarr_format: int | None
    #: every parameter as canonical JSON (other benchmarks have other parameters)
    params: str
    #: median of the samples (the value itself for track/peakmem benchmarks)
    value: float | None
    n_samples: int
    nbytes: int | None
    #: MB/s for whole-array metrics, else None
    mb_s: float | None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (non-finite numbers become null)."""
        out = asdict(self)
        for key in ("value", "mb_s"):
            if out[key] is not None and not math.isfinite(out[key]):
                out[key] = None
        return out


@dataclass
class ResultSet:
    """Everything a report is made from."""

    records: list[Record] = field(default_factory=list)
    #: result id -> {"file", "timestamp", "commit_hash", "machine_id", "environment_id", ...}
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    machines: dict[str, dict[str, Any]] = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def machine_name(self, machine_id: str) -> str:
        """Friendly name of a machine (short id when its info file is missing)."""
        doc = self.machines.get(machine_id)
        if doc and doc.get("name"):
            return str(doc["name"])
        return f"machine {machine_id[:8]}"


def _param(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _records_of(
    doc: Mapping[str, Any], result_id: str, machine_name: str, size: str
) -> Iterable[Record]:
    result = ResultDoc(result_id, doc)
    for entry in sorted(result.entries(), key=lambda e: e.benchmark):
        bench_name, params = entry.benchmark, entry.params
        metric = metric_of(bench_name)
        modality = _param(params, "modality")
        value = summary_value(entry.samples, entry.value)
        if entry.status != "ok":
            value = None
        fmt = params.get("zarr_format")
        nbytes = array_nbytes(modality, size) if modality else None
        mb_s = None
        if metric in THROUGHPUT_METRICS and nbytes and value and value > 0:
            mb_s = nbytes / value / 1e6
        yield Record(
            result_id=result_id,
            machine_id=str(doc.get("machine_id")),
            machine_name=machine_name,
            environment_id=str(doc.get("environment_id")),
            commit_hash=str(doc.get("commit_hash")),
            timestamp=str(doc.get("timestamp")),
            preset=str(doc.get("preset")),
            size=size,
            benchmark=bench_name,
            metric=metric,
            type=entry.type,
            unit=entry.unit,
            status=entry.status,
            modality=modality,
            codec=_param(params, "codec"),
            chunks=_param(params, "chunks"),
            zarr_format=int(fmt)
            if isinstance(fmt, int | float) and not isinstance(fmt, bool)
            else None,
            params=canonical_dumps(params),
            value=value,
            n_samples=len(entry.samples),
            nbytes=nbytes,
            mb_s=mb_s,
        )


def records_from_documents(
    results: Iterable[tuple[str, Mapping[str, Any]]],
    machines: Mapping[str, Mapping[str, Any]],
    environments: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    validate: bool = False,
) -> ResultSet:
    """Build a :class:`ResultSet` from already-loaded documents.

    Parameters
    ----------
    results
        ``(label, result document)`` pairs; the label (file name or store path) is used
        in messages only.  The result id is the document's content hash, as the service
        stores it.
    machines, environments
        Info documents by id.
    validate
        Check each document against its JSON Schema first.

    Raises
    ------
    ReportInputError
        If ``validate`` and a document is invalid (names the label and JSON path).
    """

    rs = ResultSet(
        machines={k: dict(v) for k, v in machines.items()},
        environments={k: dict(v) for k, v in (environments or {}).items()},
    )
    fallback_presets: set[str] = set()
    for label, doc in results:
        if validate:
            _validate(doc, label)
        result_id = sha256_id(doc)
        if result_id in rs.results:
            continue  # the same content twice (e.g. copied under two names)
        preset = str(doc.get("preset"))
        size, known = (doc["size"], True) if doc.get("size") else size_for_preset(preset)
        if not known:
            fallback_presets.add(preset)
        name = rs.machine_name(str(doc.get("machine_id")))
        rs.results[result_id] = {
            "id": result_id,
            "file": label,
            "timestamp": doc.get("timestamp"),
            "commit_hash": doc.get("commit_hash"),
            "dirty": doc.get("dirty"),
            "preset": preset,
            "size": size,
            "machine_id": doc.get("machine_id"),
            "machine_name": name,
            "environment_id": doc.get("environment_id"),
            "problems": list(doc.get("problems") or ()),
        }
        rs.records.extend(_records_of(doc, result_id, name, size))
    if fallback_presets:
        rs.notes.append(
            "array size unknown for preset(s) "
            + ", ".join(sorted(fallback_presets))
            + f"; throughput assumes the '{FALLBACK_SIZE}' size"
        )
    missing = sorted({r["machine_id"] for r in rs.results.values()} - set(rs.machines))
    if missing:
        rs.notes.append(
            "no info_machine file for " + ", ".join(m[:8] for m in missing) + "; shown by id"
        )
    return rs


def _validate(doc: Any, label: str) -> None:
    try:
        check_result(doc, label)
    except ResultInputError as exc:
        raise ReportInputError(str(exc)) from None


def load_results(folder: str | os.PathLike[str]) -> ResultSet:
    """Load every ``result_*.json`` and info file in ``folder`` (not recursive).

    Raises
    ------
    ReportInputError
        If the folder is missing, holds no result files, or a file is unreadable or
        does not match its schema (the message names the file).
    """
    root = Path(folder)
    try:
        loaded = read_folder(root)  # also names a missing folder
    except ResultInputError as exc:
        raise ReportInputError(str(exc)) from None
    results = [(d.source, d.data) for d in loaded.results]
    if not results:
        raise ReportInputError(
            f"{root}: no result_*.json files (make some with `zarr-benchmarks run` "
            "or `zarr-benchmarks reduce`)"
        )
    return records_from_documents(results, loaded.machines, loaded.environments)


def latest(records: Iterable[Record]) -> list[Record]:
    """Keep the newest measurement per machine, benchmark and parameters.

    Several runs of the same benchmark on one machine are not pooled: the newest
    (by result timestamp, then result id for a stable order) stands for the machine.
    """
    best: dict[tuple[Any, ...], Record] = {}
    for r in records:
        key = (r.machine_id, r.benchmark, r.params)
        old = best.get(key)
        if old is None or (r.timestamp, r.result_id) > (old.timestamp, old.result_id):
            best[key] = r
    return list(best.values())


def select(records: Iterable[Record], **where: Any) -> list[Record]:
    """Records whose fields equal every ``where`` value (a callable value is a test)."""
    out = []
    for r in records:
        for key, want in where.items():
            have = getattr(r, key)
            if callable(want):
                if not want(have):
                    break
            elif have != want:
                break
        else:
            out.append(r)
    return out


def distinct(records: Iterable[Record], key: str, sort: Callable[[Any], Any] | None = None) -> list:
    """Distinct non-null values of field ``key``, sorted."""
    values = {getattr(r, key) for r in records} - {None}
    return sorted(values, key=sort) if sort else sorted(values)
