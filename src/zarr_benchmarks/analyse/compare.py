"""Compare two sets of benchmark results with verdicts that hold on real runs.

BASE and NEW are reduced result files (docs/formats.md), folders of them, or raw
asv result files (reduced in memory through :mod:`zarr_benchmarks.results.reduce`; a plain
``asv run`` result compares with a ``zarr-benchmarks run`` result when the benchmark
names and parameters match). Benchmarks are paired by name, parameters and asv version
hash, and each pair is judged by what its results are (:func:`compare_entries`):

- results measured in independent **blocks** (the A/B drivers record them): paired
  block statistics with a confidence interval, against the benchmark's own noise
  threshold (learned from A/A runs, :mod:`zarr_benchmarks.analyse.noise`) -- regression,
  improvement, unchanged or inconclusive;
- **deterministic** values (compression ratio, stored bytes): any change beyond
  rounding is a behaviour change;
- **single values** (peak memory, rates; timings of one process per side, labelled
  lower confidence): ratio of the medians against a factor.

Whether a change is a regression depends on the benchmark: times and memory should go
down, throughputs (``.../s``) and compression ratios (unit ``ratio``) should go up. A
benchmark that ran in BASE and fails in NEW is a regression.

Results from different machines are refused unless ``cross_machine=True``; then each
side's figures are divided by that side's own reference measurements from the same
run (``bench_reference.*``: raw codec encode/decode time for the same modality and
codec when both sides have it, memory-copy bandwidth otherwise).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks._format import SCHEMA_VERSION
from zarr_benchmarks._jsonio import json_safe
from zarr_benchmarks.analyse import stats
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
    return json.dumps(dict(params), sort_keys=True, separators=(",", ":"))


def format_params(params: Mapping[str, Any], param_names: Sequence[str] = ()) -> str:
    """``modality=ct, codec=zstd-3`` in the benchmark's own parameter order."""
    names = [n for n in param_names if n in params] + sorted(
        n for n in params if n not in param_names
    )
    return ", ".join(f"{n}={params[n]}" for n in names)


def load_results(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """A file, or every result file in a folder, as ``(source, document)`` pairs.

    Read through the one result loader (:func:`zarr_benchmarks.results.model.read_results`):
    reduced results, or asv's result files reduced in memory.
    """
    try:
        return [(d.source, dict(d.data)) for d in read_results(path)]
    except CompareInputError:
        raise
    except ResultInputError as exc:
        raise CompareInputError(str(exc)) from exc


def _median(values: Iterable[float]) -> float | None:
    arr = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    return float(np.median(arr)) if arr.size else None


def extract_references(doc: Mapping[str, Any]) -> References:
    """Reference figures (``bench_reference.*``) recorded in one result document."""
    refs = References()
    bandwidths: list[float] = []
    for name, bench in doc.get("benchmarks", {}).items():
        if not name.startswith(REFERENCE_PREFIX):
            continue
        for res in bench.get("results", []):
            if res.get("status") != "ok":
                continue
            value = _median(res.get("samples") or [res.get("value")])
            if value is None or value <= 0:
                continue
            params = res.get("params", {})
            unit = str(bench.get("unit", ""))
            if "codec" not in params and unit.lower() in {"gb/s", "mb/s", "gib/s", "mib/s"}:
                scale = 1e-3 if unit.lower().startswith("m") else 1.0
                bandwidths.append(value * scale)
            elif "codec" in params and bench.get("type") == "time":
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


# ----------------------------------------------------------------------- direction


def higher_is_better(type_: str, unit: str) -> bool:
    """Whether a larger value of this benchmark is an improvement.

    Times and memory (``time``, ``peakmem``, ``mem``) are better when smaller. For
    ``track`` benchmarks the unit decides: rates (``MB/s``, ``GB/s``, anything ``/s``)
    and compression ratios (``ratio``) are better when larger; other units follow
    asv's convention that larger is worse.
    """
    if type_ != "track":
        return False
    u = unit.strip().lower()
    return u in _HIGHER_IS_BETTER_UNITS or u.endswith("/s") or u.endswith("per second")


def _is_rate(unit: str) -> bool:
    u = unit.strip().lower()
    return u.endswith("/s") or u.endswith("per second")


# --------------------------------------------------------------------- normalisation


def _machine_speed(entry: Entry) -> tuple[float, str] | None:
    """A scalar "speed" of the machine for this entry, from its own run's references."""
    refs = entry.references
    codec = entry.params.get("codec")
    if codec is not None:
        times = refs.codec_times.get((str(entry.params.get("modality", "")), str(codec)))
        if times:
            leaf = entry.name.rsplit(".", 1)[-1]
            if "read" in leaf and "decode" in times:
                ops = ["decode"]
            elif "write" in leaf and "encode" in times:
                ops = ["encode"]
            else:
                ops = sorted(times)
            t = float(np.exp(np.mean(np.log([times[o] for o in ops]))))
            return 1.0 / t, f"raw {codec} {'+'.join(ops)} time"
    if refs.memory_bandwidth:
        return refs.memory_bandwidth, "memory-copy bandwidth"
    return None


def _normalise(base: Entry, new: Entry) -> tuple[list[float], list[float], str]:
    """Scale each side by its machine's speed so that the two machines compare.

    Times are multiplied by the speed (seconds x GB/s = work, machine independent),
    rates divided by it; memory and compression ratios need no normalisation.
    """
    if base.type in {"peakmem", "mem"} or (base.type == "track" and not _is_rate(base.unit)):
        return base.samples, new.samples, "none (machine independent)"
    speeds = []
    for entry in (base, new):
        speed = _machine_speed(entry)
        if speed is None:
            raise CompareInputError(
                f"{entry.source}: --cross-machine needs reference measurements from the same "
                f"run (bench_reference.MemoryBandwidth.track_memory_copy_bandwidth or "
                f"bench_reference.CodecCeilings.*), but this result has none usable for "
                f"{entry.name}"
            )
        speeds.append(speed)
    (s_base, how_base), (s_new, how_new) = speeds
    if how_base != how_new:  # one side lacks the codec reference: fall back on both
        mb, mn = base.references.memory_bandwidth, new.references.memory_bandwidth
        if not (mb and mn):
            raise CompareInputError(
                f"{base.source if not mb else new.source}: --cross-machine: no memory-copy "
                f"bandwidth reference to normalise {base.name}"
            )
        s_base, s_new, how_base = mb, mn, "memory-copy bandwidth"
    if base.type == "time":
        return (
            [s * s_base for s in base.samples],
            [s * s_new for s in new.samples],
            how_base,
        )
    return [s / s_base for s in base.samples], [s / s_new for s in new.samples], how_base


# ------------------------------------------------------------------------- compare


#: How a row was decided (``Row.method``).
METHODS = {
    "blocks": "paired blocks: mean log ratio of block medians, Student-t interval over pairs",
    "value": "single values (no blocks): ratio against a factor, lower confidence",
    "deterministic": "deterministic value: any change beyond rounding is a behaviour change",
}


@dataclass
class Row:
    """The verdict on one benchmark and parameter combination.

    ``ratio`` is NEW / BASE; ``ci_low``/``ci_high`` its interval (block rows only);
    ``threshold`` the relative change below which the row counts as unchanged;
    ``mdc`` the smallest change this row would find with about 80% power.
    """

    name: str
    params: dict[str, Any]
    param_names: list[str]
    type: str
    unit: str
    higher_is_better: bool
    status: str
    detail: str = ""
    method: str | None = None
    n_base: int = 0
    n_new: int = 0
    n_blocks: int = 0
    median_base: float | None = None
    median_new: float | None = None
    ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    se_log: float | None = None
    threshold: float | None = None
    mdc: float | None = None
    noise_source: str | None = None
    normalisation: str | None = None

    @property
    def label(self) -> str:
        p = format_params(self.params, self.param_names)
        return f"{self.name}({p})" if p else self.name

    @property
    def key(self) -> tuple[str, str]:
        return self.name, params_key(self.params)


@dataclass
class Comparison:
    """All rows of one comparison plus the settings that produced them."""

    rows: list[Row]
    factor: float
    alpha: float
    confidence: float
    cross_machine: bool
    base_sources: list[str]
    new_sources: list[str]
    notes: list[str] = field(default_factory=list)
    value_factor: float = DEFAULT_VALUE_FACTOR
    min_effect: float = stats.DEFAULT_MIN_EFFECT

    @property
    def has_regression(self) -> bool:
        return any(r.status == "regression" for r in self.rows)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUS_ORDER}
        for r in self.rows:
            out[r.status] = out.get(r.status, 0) + 1
        return {k: v for k, v in out.items() if v}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (``NaN`` becomes ``null``)."""

        rows = []
        for r in self.rows:
            d = asdict(r)
            d["label"] = r.label
            rows.append(json_safe(d))
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "comparison",
            "factor": self.factor,
            "value_factor": self.value_factor,
            "min_effect": self.min_effect,
            "alpha": self.alpha,
            "confidence": self.confidence,
            "cross_machine": self.cross_machine,
            "base": self.base_sources,
            "new": self.new_sources,
            "notes": self.notes,
            "counts": self.counts(),
            "has_regression": self.has_regression,
            "rows": rows,
        }


def _machine_ids(entries: Iterable[Entry]) -> set[str]:
    return {e.machine_id or "unknown" for e in entries}


def _check_machines(
    base: Mapping[tuple[str, str], Entry],
    new: Mapping[tuple[str, str], Entry],
    cross_machine: bool,
) -> None:
    mb, mn = _machine_ids(base.values()), _machine_ids(new.values())
    if cross_machine or (mb == mn and len(mb) == 1):
        return

    def where(entries: Mapping[tuple[str, str], Entry]) -> str:
        by_machine: dict[str, str] = {}
        for e in entries.values():
            by_machine.setdefault(e.machine_id or "unknown", e.source)
        return "; ".join(f"machine {m[:12]} ({src})" for m, src in sorted(by_machine.items()))

    raise CompareInputError(
        f"results come from different machines: base has {where(base)}, new has {where(new)}. "
        "Figures from different machines are not comparable; pass --cross-machine to "
        "normalise each side by its own reference measurements"
    )


def _check_sizes(
    base: Mapping[tuple[str, str], Entry], new: Mapping[tuple[str, str], Entry]
) -> list[str]:
    """Refuse results of different array sizes; note where a side does not record one.

    Pairs are matched by name and parameters, so a plain ``asv run`` result (no run
    record, preset unknown) compares with a ``zarr-benchmarks run`` result; only the
    array size, which is not a benchmark parameter, must be known to agree.
    """
    sb = {(e.size, e.source) for e in base.values()}
    sn = {(e.size, e.source) for e in new.values()}
    sizes_b, sizes_n = {s for s, _ in sb if s}, {s for s, _ in sn if s}
    if sizes_b and sizes_n and sizes_b != sizes_n:
        b = sorted((s, src) for s, src in sb if s)[0]
        n = sorted((s, src) for s, src in sn if s)[0]
        raise CompareInputError(
            f"results use different array sizes ({b[1]}: {b[0]}, {n[1]}: {n[0]}); "
            "figures of different sizes are not comparable"
        )
    unknown = sorted({src for s, src in sb | sn if not s})
    if unknown:
        return [
            "array size not recorded in " + ", ".join(unknown) + " (e.g. a plain `asv run`): "
            "pairs matched by benchmark name and parameters only"
        ]
    return []


def is_deterministic(type_: str, unit: str) -> bool:
    """Whether a benchmark's value is fixed by its code and data (not by the machine).

    Compression ratios, stored bytes and request counts are; timings, memory peaks and
    rates (``.../s``) are not.
    """
    return type_ == "track" and not _is_rate(unit) and unit.strip().lower() not in {"seconds", "s"}


def _status_transition(row: Row, b: Entry, n: Entry) -> bool:
    """Set the row for a pair where either side did not run ``ok``; ``True`` if set."""
    if b.status == "ok" and n.status == "ok":
        return False
    if b.status == "ok" and n.status == "failed":
        row.status, row.detail = "regression", "newly failing (ran in base, fails in new)"
    elif b.status == "ok" and n.status == "skipped":
        row.status, row.detail = "newly skipped", "ran in base, skipped in new"
    elif n.status == "ok":
        row.status, row.detail = "fixed", f"{b.status} in base, runs in new"
    else:
        row.status, row.detail = "not run", f"base: {b.status}, new: {n.status}"
    return True


def _direction(row: Row, up: bool) -> str:
    worse = (not up) if row.higher_is_better else up
    return "regression" if worse else "improvement"


def new_row(entry: Entry) -> Row:
    """An ``unchanged`` row for the benchmark and parameters of ``entry``."""
    return Row(
        name=entry.name,
        params=entry.params,
        param_names=entry.param_names,
        type=entry.type,
        unit=entry.unit,
        higher_is_better=higher_is_better(entry.type, entry.unit),
        status="unchanged",
    )


def judge_pairs(
    pairs: Sequence[tuple[Row, Entry, Entry]],
    *,
    factor: float = DEFAULT_FACTOR,
    value_factor: float = DEFAULT_VALUE_FACTOR,
    alpha: float = DEFAULT_ALPHA,
    min_effect: float = stats.DEFAULT_MIN_EFFECT,
    noise: Mapping[tuple[str, str], stats.Noise] | None = None,
    cross_machine: bool = False,
    test_references: bool = False,
) -> set[str]:
    """Decide every ``(row, base, new)`` pair in place (rules: :func:`compare_entries`).

    The pairs form one family: block intervals hold together over all of them.
    Returns the normalisations used (``cross_machine`` only).
    """
    noise = noise or {}
    pending: list[tuple[Row, list[list[float]], list[list[float]]]] = []
    normalisations: set[str] = set()
    for row, b, n in pairs:
        if b.version != n.version:
            row.status, row.detail = "not comparable", "benchmark code changed (asv version hash)"
            continue
        if (b.type, b.unit) != (n.type, n.unit):
            row.status = "not comparable"
            row.detail = f"unit changed ({b.type} {b.unit} -> {n.type} {n.unit})"
            continue
        if _status_transition(row, b, n):
            continue
        # In an environment A/B the raw codec references measure the codecs under test;
        # the memory-copy bandwidth measures only the machine, always.
        reference = row.name.startswith(REFERENCE_PREFIX) and not (
            test_references and "codec" in row.params
        )
        try:
            b_samples, n_samples, b_blocks, n_blocks = _values(b, n, row, cross_machine)
        except CompareInputError:
            raise  # a missing reference is the user's input problem, not this row's
        except ValueError as exc:
            row.status, row.detail = "not comparable", str(exc)
            continue
        if row.normalisation:
            normalisations.add(row.normalisation)
        row.n_base, row.n_new = len(b_samples), len(n_samples)
        row.median_base, row.median_new = _median(b_samples), _median(n_samples)
        if not row.median_base or row.median_new is None or row.median_base <= 0:
            row.status, row.detail = "not comparable", "no positive values to compare"
            continue
        row.ratio = row.median_new / row.median_base
        if reference:
            row.status, row.detail = "reference", "machine reference, not a regression test"
        elif is_deterministic(row.type, row.unit):
            row.method = "deterministic"
            if abs(row.ratio - 1.0) > DETERMINISTIC_RTOL:
                row.status = _direction(row, row.ratio > 1.0)
                row.detail = "deterministic value changed: the code now behaves differently"
        elif row.type == "time" and min(len(b_blocks), len(n_blocks)) >= stats.MIN_BLOCKS:
            pending.append((row, b_blocks, n_blocks))
        else:
            _value_verdict(row, value_factor if row.type == "time" else factor)
    _block_verdicts(pending, alpha=alpha, min_effect=min_effect, noise=noise)
    return normalisations


def compare_entries(
    base: Mapping[tuple[str, str], Entry],
    new: Mapping[tuple[str, str], Entry],
    *,
    factor: float = DEFAULT_FACTOR,
    value_factor: float = DEFAULT_VALUE_FACTOR,
    alpha: float = DEFAULT_ALPHA,
    min_effect: float = stats.DEFAULT_MIN_EFFECT,
    noise: Mapping[tuple[str, str], stats.Noise] | None = None,
    cross_machine: bool = False,
    test_references: bool = False,
    base_sources: Sequence[str] = (),
    new_sources: Sequence[str] = (),
) -> Comparison:
    """Pair and compare two sides.

    Each pair is decided by what its results are:

    - **blocks** on both sides (at least :data:`stats.MIN_BLOCKS` paired): paired block
      statistics (:func:`stats.paired_block_stats`), a ``1 - alpha`` interval per row
      judged against a band of
      ``threshold`` -- the benchmark's learned noise (``noise``, from A/A runs) or
      ``min_effect`` -- as regression / improvement / unchanged / inconclusive;
    - **deterministic** values (compression ratio, bytes): any relative change beyond
      :data:`DETERMINISTIC_RTOL` is a behaviour change;
    - **value** (peak memory, rates, timings without blocks): ratio of the medians
      against ``factor`` (``value_factor`` for timings, labelled lower confidence).

    A benchmark that ran in BASE and fails in NEW is a regression; newly skipped ones
    are reported. Reference benchmarks (machine measurements) are not tested, except the
    raw codec references with ``test_references`` (an environment A/B, where they
    measure the codecs under test).
    """
    if factor < 1.0:
        raise CompareInputError(f"--factor must be at least 1.0, got {factor}")
    if value_factor < 1.0:
        raise CompareInputError(f"--value-factor must be at least 1.0, got {value_factor}")
    if not 0.0 < alpha < 1.0:
        raise CompareInputError(f"--alpha must be between 0 and 1, got {alpha}")
    if min_effect < 0.0:
        raise CompareInputError(f"--min-effect must be at least 0, got {min_effect}")
    if not base:
        raise CompareInputError(f"base ({', '.join(base_sources) or '?'}) holds no benchmarks")
    if not new:
        raise CompareInputError(f"new ({', '.join(new_sources) or '?'}) holds no benchmarks")
    _check_machines(base, new, cross_machine)
    notes = _check_sizes(base, new)
    rows: list[Row] = []
    pairs: list[tuple[Row, Entry, Entry]] = []
    for key in sorted(set(base) | set(new)):
        b, n = base.get(key), new.get(key)
        ref = b or n
        assert ref is not None
        row = new_row(ref)
        rows.append(row)
        if b is None or n is None:
            row.status = "added" if b is None else "removed"
        else:
            pairs.append((row, b, n))
    normalisations = judge_pairs(
        pairs,
        factor=factor,
        value_factor=value_factor,
        alpha=alpha,
        min_effect=min_effect,
        noise=noise,
        cross_machine=cross_machine,
        test_references=test_references,
    )
    if cross_machine:
        notes.append(
            "cross-machine: each side normalised by its own reference measurements from the "
            "same run (" + "; ".join(sorted(normalisations)) + "); times multiplied by the "
            "machine's reference speed, rates divided by it"
        )
    rows.sort(key=lambda r: (STATUS_ORDER.index(r.status), r.name, params_key(r.params)))
    return Comparison(
        rows=rows,
        factor=factor,
        alpha=alpha,
        confidence=1.0 - alpha,
        cross_machine=cross_machine,
        base_sources=list(base_sources),
        new_sources=list(new_sources),
        notes=notes,
        value_factor=value_factor,
        min_effect=min_effect,
    )


def _values(
    b: Entry, n: Entry, row: Row, cross_machine: bool
) -> tuple[list[float], list[float], list[list[float]], list[list[float]]]:
    """Samples (or the single value) and blocks of each side, normalised if asked."""
    b_samples = b.samples or ([b.value] if b.value is not None else [])
    n_samples = n.samples or ([n.value] if n.value is not None else [])
    b_blocks, n_blocks = b.blocks, n.blocks
    if cross_machine:
        b_samples, n_samples, row.normalisation = _normalise(
            replace(b, samples=b_samples), replace(n, samples=n_samples)
        )
        # blocks are scaled by the same per-side factor as the samples
        sb = b_samples[0] / b.samples[0] if b.samples and b.samples[0] else 1.0
        sn = n_samples[0] / n.samples[0] if n.samples and n.samples[0] else 1.0
        b_blocks = [[x * sb for x in blk] for blk in b_blocks]
        n_blocks = [[x * sn for x in blk] for blk in n_blocks]
    if not (all(math.isfinite(x) for x in b_samples) and all(math.isfinite(x) for x in n_samples)):
        raise ValueError("non-finite values")
    return b_samples, n_samples, b_blocks, n_blocks


def _value_verdict(row: Row, factor: float) -> None:
    """Single values: a change only beyond ``factor``.

    Timings judged this way had no blocks (one process per side) and are said to be of
    lower confidence; memory peaks and rates are single values by nature.
    """
    assert row.ratio is not None
    row.method = "value"
    row.threshold = factor - 1.0
    beyond = row.ratio > factor or row.ratio < 1.0 / factor
    if row.type == "time":
        what = "value only (no blocks)" + (": lower confidence" if beyond else "")
    else:
        what = "single value (median)"
    if beyond:
        row.status = _direction(row, row.ratio > 1.0)
        row.detail = f"{what}, beyond factor {factor:g}"
    else:
        row.detail = f"{what}, within factor {factor:g}"


def _block_verdicts(
    pending: Sequence[tuple[Row, list[list[float]], list[list[float]]]],
    *,
    alpha: float,
    min_effect: float,
    noise: Mapping[tuple[str, str], stats.Noise],
) -> None:
    """Paired block verdicts: a ``1 - alpha`` interval per row against its noise band.

    No multiplicity correction is applied to the intervals: a row changes only when its
    interval excludes "no change" *and* its estimate lies beyond the band, so under
    "nothing changed" an alarm needs both at once; the false-alarm rate this gives is
    measured on real A/A runs (docs/regression-tracking.md).
    """
    if not pending:
        return
    confidence = 1.0 - alpha
    for row, b_blocks, n_blocks in pending:
        try:
            bs = stats.paired_block_stats(b_blocks, n_blocks, confidence=confidence)
        except ValueError as exc:
            row.status, row.detail = "not comparable", str(exc)
            continue
        assert bs is not None  # pending rows have enough blocks
        row.method = "blocks"
        row.n_blocks = bs.n_pairs
        row.ratio, row.ci_low, row.ci_high, row.se_log = bs.ratio, bs.ci_low, bs.ci_high, bs.se_log
        learned = noise.get(row.key)
        if learned is not None:
            row.threshold = max(min_effect, learned.threshold) if min_effect else learned.threshold
            row.noise_source = f"learned from {learned.n_runs} A/A runs"
        else:
            row.threshold = min_effect
            row.noise_source = "default minimum effect (no noise model)"
        t_crit = stats.t_critical(confidence, bs.n_pairs)
        row.mdc = stats.minimum_detectable(row.threshold, bs.se_log, t_crit)
        v = stats.verdict(bs.ci_low, bs.ci_high, row.threshold, bs.ratio)
        if v in {"up", "down"}:
            row.status = _direction(row, v == "up")
        elif v == "inconclusive":
            row.status = "inconclusive"
            row.detail = "not significant beyond the noise threshold: more blocks would decide"


def compare_docs(
    base_docs: Sequence[tuple[str, Mapping[str, Any]]],
    new_docs: Sequence[tuple[str, Mapping[str, Any]]],
    **kwargs: Any,
) -> Comparison:
    """Compare already loaded reduced result documents, as ``(source, doc)`` pairs."""
    return compare_entries(
        entries_from_docs(base_docs),
        entries_from_docs(new_docs),
        base_sources=[s for s, _ in base_docs],
        new_sources=[s for s, _ in new_docs],
        **kwargs,
    )


def compare_paths(base: str | Path, new: str | Path, **kwargs: Any) -> Comparison:
    """Compare two files or folders (see :func:`load_results`)."""
    return compare_docs(load_results(base), load_results(new), **kwargs)


# ------------------------------------------------------------------------ rendering


def format_value(value: float | None, unit: str) -> str:
    """Human-readable value: seconds and bytes scaled, other units as they are."""
    if value is None or not math.isfinite(value):
        return "-"
    if unit == "seconds":
        for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if abs(value) >= scale:
                return f"{value / scale:.3g} {suffix}"
        return f"{value * 1e9:.3g} ns"
    if unit == "bytes":
        for scale, suffix in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
            if abs(value) >= scale:
                return f"{value / scale:.3g} {suffix}"
        return f"{value:.0f} B"
    return f"{value:.4g} {unit}".strip()


def _ratio_text(row: Row) -> str:
    if row.ratio is None:
        return "-"
    if row.ci_low is None or row.ci_high is None:
        return f"{row.ratio:.3f}"
    return f"{row.ratio:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"


def _threshold_text(row: Row) -> str:
    if row.threshold is None:
        return "-"
    text = f"±{row.threshold:.1%}"
    return f"{text} (MDC {row.mdc:.1%})" if row.mdc is not None else text


def _how(row: Row, up: bool) -> str:
    if row.type == "time":
        return "slower" if up else "faster"
    if row.type in {"peakmem", "mem"}:
        return "more memory" if up else "less memory"
    return "higher" if up else "lower"


def _verdict_text(row: Row) -> str:
    if row.status in {"regression", "improvement"} and row.ratio is not None and row.method:
        pct = abs(row.ratio - 1.0) * 100
        text = f"{row.status}: {pct:.3g}% {_how(row, row.ratio > 1)}"
        return f"{text} ({row.detail})" if row.detail else text
    if row.status == "unchanged" and row.method == "blocks":
        return "unchanged (within the noise threshold)"
    return f"{row.status} ({row.detail})" if row.detail else row.status


_SHOWN_BY_DEFAULT = {
    "regression",
    "improvement",
    "inconclusive",
    "newly skipped",
    "fixed",
    "not comparable",
    "insufficient samples",
    "not run",
    "added",
    "removed",
}


def summary_line(comp: Comparison) -> str:
    counts = comp.counts()
    parts = [f"{v} {k}" for k, v in counts.items()]
    verdict = "regressions found" if comp.has_regression else "no regression"
    return (
        f"{verdict}: " + ", ".join(parts) + f" (blocks: {1 - comp.alpha:.0%} "
        f"intervals against each benchmark's noise threshold; values: factor "
        f"{comp.value_factor:g} for times, {comp.factor:g} otherwise)"
    )


def render_markdown(comp: Comparison, *, show_all: bool = False) -> str:
    """Markdown for a pull-request comment: summary, changes, the rest folded."""
    lines = ["## zarr-benchmarks comparison", "", f"**{summary_line(comp)}**", ""]
    lines += [f"> {note}" for note in comp.notes]
    if comp.notes:
        lines.append("")
    header = [
        "| | Benchmark | Base | New | Ratio NEW/BASE [interval] | Threshold | Result |",
        "|---|---|---:|---:|---|---:|---|",
    ]
    icons = {
        "regression": "🔴",
        "improvement": "🟢",
        "inconclusive": "🟡",
        "newly skipped": "⚠️",
        "not comparable": "⚪",
        "insufficient samples": "⚪",
        "not run": "⚠️",
    }

    def table(rows: Sequence[Row]) -> list[str]:
        out = list(header)
        for r in rows:
            label = r.label.replace("|", "\\|")
            out.append(
                f"| {icons.get(r.status, '')} | `{label}` | {format_value(r.median_base, r.unit)} "
                f"| {format_value(r.median_new, r.unit)} | {_ratio_text(r)} "
                f"| {_threshold_text(r)} | {_verdict_text(r)} |"
            )
        return out

    shown = [r for r in comp.rows if show_all or r.status in _SHOWN_BY_DEFAULT]
    rest = [r for r in comp.rows if r not in shown]
    if shown:
        lines += table(shown)
    else:
        lines.append("No changes beyond the noise.")
    if rest:
        lines += ["", f"<details><summary>{len(rest)} other benchmarks</summary>", ""]
        lines += table(rest)
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def render_rich(comp: Comparison, *, show_all: bool = False) -> Any:
    """A :class:`rich.console.Group` with the table and the summary."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    styles = {
        "regression": "bold red",
        "improvement": "green",
        "inconclusive": "yellow",
        "newly skipped": "yellow",
        "not comparable": "yellow",
        "insufficient samples": "dim",
        "not run": "yellow",
    }
    table = Table(title="NEW vs BASE", show_lines=False)
    for col, kw in (
        ("Benchmark", {"overflow": "fold"}),
        ("Base", {"justify": "right"}),
        ("New", {"justify": "right"}),
        ("Ratio [interval]", {}),
        ("Threshold", {"justify": "right"}),
        ("Result", {}),
    ):
        table.add_column(col, **kw)
    shown = [r for r in comp.rows if show_all or r.status in _SHOWN_BY_DEFAULT]
    for r in shown:
        table.add_row(
            r.label,
            format_value(r.median_base, r.unit),
            format_value(r.median_new, r.unit),
            _ratio_text(r),
            _threshold_text(r),
            Text(_verdict_text(r), style=styles.get(r.status, "")),
        )
    parts: list[Any] = []
    if shown:
        parts.append(table)
    hidden = len(comp.rows) - len(shown)
    if hidden:
        parts.append(
            Text(f"{hidden} unchanged/reference rows hidden (--all shows them)", style="dim")
        )
    parts += [Text(note, style="italic") for note in comp.notes]
    parts.append(Text(summary_line(comp), style="bold red" if comp.has_regression else "bold"))
    return Group(*parts)
