"""Entries of a comparison: results flattened to one row per benchmark and parameters."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks._jsonio import canonical_dumps
from zarr_benchmarks.results.model import ResultDoc, ResultInputError, read_results

#: Benchmarks under this prefix are machine references, never regressions.
REFERENCE_PREFIX = "bench_reference."
DEFAULT_FACTOR = 1.10
#: False-discovery rate. Under the complete null (nothing changed) BH controls the
#: chance of *any* false alarm in a comparison at this level, whatever the noise.
DEFAULT_ALPHA = 0.01

#: Track units where a larger value is better (a drop is a regression).
_HIGHER_IS_BETTER_UNITS = {"ratio", "compression ratio", "x", "speedup", "throughput"}

#: Value-only timings (no blocks: one process per side) change only beyond this factor.
DEFAULT_VALUE_FACTOR = 1.25
#: Deterministic values (compression ratio, bytes) that differ by more than this
#: relative amount have changed: the codec or Zarr now behaves differently.
DETERMINISTIC_RTOL = 1e-6
#: Array size of each built-in preset (results that do not record their size).
PRESET_SIZES = {"quick": "tiny", "default": "small", "full": "small"}

#: Statuses, in the order rows are listed.
STATUS_ORDER = (
    "regression",
    "improvement",
    "inconclusive",
    "newly skipped",
    "fixed",
    "not comparable",
    "insufficient samples",
    "not run",
    "removed",
    "added",
    "unchanged",
    "reference",
)


class CompareInputError(ResultInputError):
    """Bad input (unreadable file, wrong format, incompatible results); names the file."""


# --------------------------------------------------------------------------- loading


@dataclass
class Entry:
    """One benchmark with one parameter combination on one side."""

    name: str
    params: dict[str, Any]
    param_names: list[str]
    version: str | None
    type: str
    unit: str
    status: str
    samples: list[float]
    machine_id: str | None
    preset: str | None
    timestamp: str
    source: str
    references: References = field(repr=False)
    #: samples grouped by independent block (empty when the result has no blocks)
    blocks: list[list[float]] = field(default_factory=list)
    #: the single value asv recorded (median of the samples for timings)
    value: float | None = None
    #: array size the run used (``tiny`` ... ``large``), when known
    size: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.name, params_key(self.params)


@dataclass
class References:
    """Reference figures of one run: how fast this machine copies memory and runs codecs."""

    #: median memory-copy bandwidth (GB/s)
    memory_bandwidth: float | None = None
    #: median raw codec time (s) per (modality, codec) and "encode"/"decode"
    codec_times: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)


def params_key(params: Mapping[str, Any]) -> str:
    """Canonical text of a parameter combination (the pairing key)."""
    return canonical_dumps(dict(params))


def param_items(params: Mapping[str, Any], param_names: Sequence[str] = ()) -> list[str]:
    """``["modality=ct", "codec=zstd-3"]`` in the benchmark's own parameter order."""
    names = [n for n in param_names if n in params] + sorted(
        n for n in params if n not in param_names
    )
    return [f"{n}={params[n]}" for n in names]


def format_params(params: Mapping[str, Any], param_names: Sequence[str] = ()) -> str:
    """``modality=ct, codec=zstd-3`` in the benchmark's own parameter order."""
    return ", ".join(param_items(params, param_names))


def load_results(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """A file, or every result file in a folder, as ``(source, document)`` pairs.

    Read through the one result loader (:func:`zarr_benchmarks.results.model.read_results`):
    reduced results, or asv's result files reduced in memory.
    """
    try:
        return [(d.source, dict(d.data)) for d in read_results(path)]
    except ResultInputError as exc:
        raise CompareInputError(str(exc)) from exc


def _median(values: Iterable[float | None]) -> float | None:
    arr = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    return float(np.median(arr)) if arr.size else None


def extract_references(doc: Mapping[str, Any]) -> References:
    """Reference figures (``bench_reference.*``) recorded in one result document."""
    refs = References()
    bandwidths: list[float] = []
    for entry in ResultDoc("", doc).entries():
        name, params = entry.benchmark, entry.params
        if not name.startswith(REFERENCE_PREFIX) or entry.status != "ok":
            continue
        value = _median(entry.samples or [entry.value])
        if value is None or value <= 0:
            continue
        unit = entry.unit
        if "codec" not in params and unit.lower() in {"gb/s", "mb/s", "gib/s", "mib/s"}:
            scale = 1e-3 if unit.lower().startswith("m") else 1.0
            bandwidths.append(value * scale)
        elif "codec" in params and entry.type == "time":
            op = "decode" if "decode" in name.rsplit(".", 1)[-1] else "encode"
            codec_key = (str(params.get("modality", "")), str(params["codec"]))
            refs.codec_times.setdefault(codec_key, {})[op] = value
    refs.memory_bandwidth = _median(bandwidths)
    return refs


def entries_from_docs(
    docs: Sequence[tuple[str, Mapping[str, Any]]],
) -> dict[tuple[str, str], Entry]:
    """All entries of one side; for a key present in several runs the newest run wins."""
    out: dict[tuple[str, str], Entry] = {}
    for source, doc in sorted(docs, key=lambda sd: str(sd[1].get("timestamp", ""))):
        refs = extract_references(doc)
        result = ResultDoc(source, doc)
        for res in result.entries():
            entry = Entry(
                name=res.benchmark,
                params=dict(res.params),
                param_names=list(res.param_names),
                version=res.version,
                type=res.type,
                unit=res.unit,
                status=res.status,
                samples=list(res.samples),
                machine_id=result.machine_id,
                preset=result.preset,
                timestamp=result.timestamp,
                source=source,
                references=refs,
                blocks=[list(b) for b in res.blocks],
                value=res.value,
                size=result.size or PRESET_SIZES.get(str(result.preset)),
            )
            out[entry.key] = entry
    return out
