"""Pairing and judging: which direction is better, normalisation, verdicts per kind.

One module on purpose (about 570 lines): every verdict of ``compare`` and ``history`` is
decided here, from pairing through the three kinds of judgement (blocks, deterministic
values, single values), so a reader checking how a change is called reads one file."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks._format import SCHEMA_VERSION
from zarr_benchmarks._jsonio import labelled_dicts
from zarr_benchmarks.analyse import stats
from zarr_benchmarks.analyse.compare._entries import (
    _HIGHER_IS_BETTER_UNITS,
    DEFAULT_ALPHA,
    DEFAULT_FACTOR,
    DEFAULT_VALUE_FACTOR,
    DETERMINISTIC_RTOL,
    REFERENCE_PREFIX,
    STATUS_ORDER,
    CompareInputError,
    Entry,
    _median,
    entries_from_docs,
    format_params,
    load_results,
    params_key,
)

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

        rows = labelled_dicts(self.rows)
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
