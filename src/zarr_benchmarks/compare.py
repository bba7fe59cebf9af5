"""Compare two sets of benchmark results with statistics that do not cry wolf.

BASE and NEW are reduced result files (docs/formats.md), folders of them, or raw
asv result files (reduced in memory through :mod:`zarr_benchmarks.reduce`).
Benchmarks are paired by name, parameters and asv version hash. For each pair:

- the ratio of medians NEW / BASE with a bootstrap 95% confidence interval,
- a two-sided Mann-Whitney U p-value on the raw samples,
- Benjamini-Hochberg adjustment of those p-values across every pair compared.

A pair is a *change* only when its adjusted p-value is at most ``alpha`` *and* its
ratio lies beyond ``factor`` (either way). Whether a change is a regression depends
on the benchmark: times and memory should go down, throughputs (``.../s``) and
compression ratios (unit ``ratio``) should go up.

Results from different machines are refused unless ``cross_machine=True``; then each
side's figures are divided by that side's own reference measurements from the same
run (``bench_reference.*``: raw codec encode/decode time for the same modality and
codec when both sides have it, memory-copy bandwidth otherwise).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks import stats
from zarr_benchmarks._jsonio import json_safe

#: Benchmarks under this prefix are machine references, never regressions.
REFERENCE_PREFIX = "bench_reference."
DEFAULT_FACTOR = 1.10
#: False-discovery rate. Under the complete null (nothing changed) BH controls the
#: chance of *any* false alarm in a comparison at this level, whatever the noise.
DEFAULT_ALPHA = 0.01

#: Track units where a larger value is better (a drop is a regression).
_HIGHER_IS_BETTER_UNITS = {"ratio", "compression ratio", "x", "speedup", "throughput"}

#: Statuses, in the order rows are listed.
STATUS_ORDER = (
    "regression",
    "improvement",
    "not comparable",
    "insufficient samples",
    "not run",
    "removed",
    "added",
    "unchanged",
    "reference",
)


class CompareInputError(ValueError):
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


def _is_asv_result(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and "kind" not in doc
        and isinstance(doc.get("results"), dict)
        and "commit_hash" in doc
        and "params" in doc
    )


def _reduce_asv(path: Path) -> dict[str, Any]:
    """Reduce an asv result file in memory (its run record next to it, if any, is used)."""
    from zarr_benchmarks.reduce import ReduceError, prepare

    try:
        reduced, _notes = prepare([path])
    except ReduceError as exc:
        raise CompareInputError(f"cannot reduce asv result file: {exc}") from exc
    if not reduced:
        raise CompareInputError(f"{path}: asv result file holds no benchmark results")
    return reduced[0].document


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CompareInputError(f"{path}: cannot read file ({exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CompareInputError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc


def _check_result_doc(doc: Any, where: str) -> None:
    """Structural checks with messages naming the file and the field."""
    if not isinstance(doc, dict):
        raise CompareInputError(f"{where}: expected a JSON object")
    if doc.get("kind") != "result":
        raise CompareInputError(
            f"{where}: not a result file (kind={doc.get('kind')!r}); expected a reduced "
            "result (kind 'result'), a folder of them, or an asv result file"
        )
    if doc.get("schema_version") != 1:
        raise CompareInputError(
            f"{where}: unsupported schema_version {doc.get('schema_version')!r} (expected 1)"
        )
    try:
        from zarr_benchmarks.schemas import SchemaError, validate
    except ImportError:
        validate = None
    if validate is not None:
        try:
            validate(doc)
        except SchemaError as exc:
            raise CompareInputError(f"{where}: invalid result file: {exc}") from exc
        except (FileNotFoundError, KeyError, LookupError):
            pass  # no schema for this kind installed: fall back to the checks below
    benchmarks = doc.get("benchmarks")
    if not isinstance(benchmarks, dict):
        raise CompareInputError(f"{where}: 'benchmarks' must be an object")
    for name, bench in benchmarks.items():
        if not isinstance(bench, dict) or not isinstance(bench.get("results"), list):
            raise CompareInputError(f"{where}: benchmarks.{name}.results must be a list")
        for i, res in enumerate(bench["results"]):
            samples = res.get("samples") if isinstance(res, dict) else None
            if not isinstance(samples, list) or not all(
                isinstance(s, int | float) and not isinstance(s, bool) for s in samples
            ):
                raise CompareInputError(
                    f"{where}: benchmarks.{name}.results[{i}].samples must be a list of numbers"
                )


def load_result(path: str | Path) -> dict[str, Any]:
    """Load one reduced result file or asv result file as a reduced-result dict."""
    p = Path(path)
    doc = _read_json(p)
    if _is_asv_result(doc):
        doc = _reduce_asv(p)
    _check_result_doc(doc, str(p))
    return doc


def load_results(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """Load a file, or every result file in a folder (recursively).

    In a folder, reduced result files (``result_*.json``) are used when there are any;
    otherwise asv result files (skipping asv's ``machine.json``/``benchmarks.json``).

    Returns
    -------
    list of (source, document)
    """
    p = Path(path)
    if not p.exists():
        raise CompareInputError(f"{p}: no such file or folder")
    if p.is_file():
        return [(str(p), load_result(p))]
    reduced = sorted(p.rglob("result_*.json"))
    if reduced:
        return [(str(f), load_result(f)) for f in reduced]
    docs = []
    for f in sorted(p.rglob("*.json")):
        if f.name in {"machine.json", "benchmarks.json"} or f.name.startswith("info_"):
            continue
        doc = _read_json(f)
        if _is_asv_result(doc):
            docs.append((str(f), _check_and_return(_reduce_asv(f), str(f))))
    if not docs:
        raise CompareInputError(f"{p}: folder holds no result files (result_*.json or asv results)")
    return docs


def _check_and_return(doc: dict[str, Any], where: str) -> dict[str, Any]:
    _check_result_doc(doc, where)
    return doc


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
        for name, bench in doc["benchmarks"].items():
            for res in bench["results"]:
                entry = Entry(
                    name=name,
                    params=dict(res.get("params", {})),
                    param_names=list(bench.get("param_names", [])),
                    version=bench.get("version"),
                    type=str(bench.get("type", "time")),
                    unit=str(bench.get("unit", "")),
                    status=str(res.get("status", "ok")),
                    samples=[float(s) for s in res.get("samples", [])],
                    machine_id=doc.get("machine_id"),
                    preset=doc.get("preset"),
                    timestamp=str(doc.get("timestamp", "")),
                    source=source,
                    references=refs,
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


@dataclass
class Row:
    """The verdict on one benchmark and parameter combination."""

    name: str
    params: dict[str, Any]
    param_names: list[str]
    type: str
    unit: str
    higher_is_better: bool
    status: str
    detail: str = ""
    n_base: int = 0
    n_new: int = 0
    median_base: float | None = None
    median_new: float | None = None
    ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    q_value: float | None = None
    normalisation: str | None = None

    @property
    def label(self) -> str:
        p = format_params(self.params, self.param_names)
        return f"{self.name}({p})" if p else self.name


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
            "schema_version": 1,
            "kind": "comparison",
            "factor": self.factor,
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


def _check_presets(
    base: Mapping[tuple[str, str], Entry], new: Mapping[tuple[str, str], Entry]
) -> None:
    pb = {(e.preset, e.source) for e in base.values()}
    pn = {(e.preset, e.source) for e in new.values()}
    presets_b, presets_n = {p for p, _ in pb}, {p for p, _ in pn}
    if presets_b and presets_n and presets_b != presets_n:
        sb = sorted(pb, key=str)[0]
        sn = sorted(pn, key=str)[0]
        raise CompareInputError(
            f"results use different presets ({sb[1]}: {sb[0]}, {sn[1]}: {sn[0]}); array sizes "
            "differ between presets, so the figures are not comparable"
        )


def compare_entries(
    base: Mapping[tuple[str, str], Entry],
    new: Mapping[tuple[str, str], Entry],
    *,
    factor: float = DEFAULT_FACTOR,
    alpha: float = DEFAULT_ALPHA,
    confidence: float = 0.95,
    cross_machine: bool = False,
    seed: int = stats.DEFAULT_SEED,
    n_boot: int = stats.N_BOOTSTRAP,
    base_sources: Sequence[str] = (),
    new_sources: Sequence[str] = (),
) -> Comparison:
    """Pair and compare two sides (see the module docstring for the rules)."""
    if factor < 1.0:
        raise CompareInputError(f"--factor must be at least 1.0, got {factor}")
    if not 0.0 < alpha < 1.0:
        raise CompareInputError(f"--alpha must be between 0 and 1, got {alpha}")
    if not base:
        raise CompareInputError(f"base ({', '.join(base_sources) or '?'}) holds no benchmarks")
    if not new:
        raise CompareInputError(f"new ({', '.join(new_sources) or '?'}) holds no benchmarks")
    _check_machines(base, new, cross_machine)
    _check_presets(base, new)
    rows: list[Row] = []
    tested: list[int] = []  # indices of rows in the BH family
    normalisations: set[str] = set()
    for key in sorted(set(base) | set(new)):
        b, n = base.get(key), new.get(key)
        ref = b or n
        assert ref is not None
        row = Row(
            name=ref.name,
            params=ref.params,
            param_names=ref.param_names,
            type=ref.type,
            unit=ref.unit,
            higher_is_better=higher_is_better(ref.type, ref.unit),
            status="unchanged",
        )
        rows.append(row)
        if b is None or n is None:
            row.status = "added" if b is None else "removed"
            continue
        if b.version != n.version:
            row.status, row.detail = "not comparable", "benchmark code changed (asv version hash)"
            continue
        if (b.type, b.unit) != (n.type, n.unit):
            row.status = "not comparable"
            row.detail = f"unit changed ({b.type} {b.unit} -> {n.type} {n.unit})"
            continue
        if b.status != "ok" or n.status != "ok":
            row.status = "not run"
            row.detail = ", ".join(
                f"{side}: {e.status}" for side, e in (("base", b), ("new", n)) if e.status != "ok"
            )
            continue
        base_samples, new_samples = b.samples, n.samples
        if cross_machine:
            base_samples, new_samples, row.normalisation = _normalise(b, n)
            normalisations.add(row.normalisation)
        try:
            ps = stats.pair_stats(
                base_samples,
                new_samples,
                key="|".join(key),
                seed=seed,
                confidence=confidence,
                n_boot=n_boot,
            )
        except ValueError as exc:  # e.g. zero or negative samples: no ratio possible
            row.status, row.detail = "not comparable", str(exc)
            continue
        row.n_base, row.n_new = ps.n_base, ps.n_new
        row.median_base, row.median_new = ps.median_base, ps.median_new
        row.ratio, row.ci_low, row.ci_high, row.p_value = (
            ps.ratio,
            ps.ci_low,
            ps.ci_high,
            ps.p_value,
        )
        if ref.name.startswith(REFERENCE_PREFIX):
            row.status, row.detail = "reference", "machine reference, not a regression test"
        elif not ps.sufficient:
            row.status = "insufficient samples"
            row.detail = f"need {stats.MIN_SAMPLES} per side, have {ps.n_base} and {ps.n_new}"
        else:
            tested.append(len(rows) - 1)
    qvalues = stats.benjamini_hochberg([rows[i].p_value for i in tested])
    for i, q in zip(tested, qvalues, strict=True):
        row = rows[i]
        row.q_value = q
        assert row.ratio is not None
        if stats.is_change(row.ratio, q, factor=factor, alpha=alpha):
            worse = (row.ratio < 1.0) if row.higher_is_better else (row.ratio > 1.0)
            row.status = "regression" if worse else "improvement"
    notes = []
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
        confidence=confidence,
        cross_machine=cross_machine,
        base_sources=list(base_sources),
        new_sources=list(new_sources),
        notes=notes,
    )


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


def _verdict_text(row: Row) -> str:
    if row.status in {"regression", "improvement"} and row.ratio is not None:
        pct = abs(row.ratio - 1.0) * 100
        if row.type == "time":
            how = "slower" if row.ratio > 1 else "faster"
        elif row.type in {"peakmem", "mem"}:
            how = "more memory" if row.ratio > 1 else "less memory"
        else:
            how = "higher" if row.ratio > 1 else "lower"
        return f"{row.status}: {pct:.0f}% {how}"
    return f"{row.status} ({row.detail})" if row.detail else row.status


def _q_text(row: Row) -> str:
    return "-" if row.q_value is None else f"{row.q_value:.2g}"


_SHOWN_BY_DEFAULT = {
    "regression",
    "improvement",
    "not comparable",
    "insufficient samples",
    "not run",
    "added",
    "removed",
}


def summary_line(comp: Comparison) -> str:
    counts = comp.counts()
    parts = [f"{v} {k}" for k, v in counts.items()]
    verdict = (
        "significant regressions found" if comp.has_regression else "no significant regression"
    )
    return (
        f"{verdict}: " + ", ".join(parts) + f" (factor {comp.factor:g}, BH-adjusted "
        f"p <= {comp.alpha:g}, {comp.confidence:.0%} bootstrap CI of NEW/BASE medians)"
    )


def render_markdown(comp: Comparison, *, show_all: bool = False) -> str:
    """Markdown for a pull-request comment: summary, changes, the rest folded."""
    lines = ["## zarr-benchmarks comparison", "", f"**{summary_line(comp)}**", ""]
    lines += [f"> {note}" for note in comp.notes]
    if comp.notes:
        lines.append("")
    header = [
        "| | Benchmark | Base | New | Ratio NEW/BASE [95% CI] | q | Result |",
        "|---|---|---:|---:|---|---:|---|",
    ]
    icons = {
        "regression": "🔴",
        "improvement": "🟢",
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
                f"| {format_value(r.median_new, r.unit)} | {_ratio_text(r)} | {_q_text(r)} "
                f"| {_verdict_text(r)} |"
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
        "not comparable": "yellow",
        "insufficient samples": "dim",
        "not run": "yellow",
    }
    table = Table(title="NEW vs BASE", show_lines=False)
    for col, kw in (
        ("Benchmark", {"overflow": "fold"}),
        ("Base", {"justify": "right"}),
        ("New", {"justify": "right"}),
        ("Ratio [95% CI]", {}),
        ("q", {"justify": "right"}),
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
            _q_text(r),
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
