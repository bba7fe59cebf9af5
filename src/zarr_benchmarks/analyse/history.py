"""Each benchmark's trend across Zarr versions or commits, with step changes flagged.

Results are grouped by machine and preset (figures from different machines or array
sizes never form one series). Along the chosen axis -- the Zarr version of the run's
environment (``info_environment-*.json`` ``packages.zarr``, or the ``zarr`` entry of
an asv matrix) or the commit, ordered by run time -- consecutive points of one
benchmark are judged with the same rules as ``compare``
(:func:`zarr_benchmarks.analyse.compare.judge_pairs`): paired block statistics where both
points were measured in interleaved blocks (``zarr-benchmarks history-run`` runs every
release side by side, so block ``i`` of each release ran seconds apart), deterministic
values (compression ratio) for any change, single values against a factor. A step is
flagged when it is a regression or an improvement.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from packaging.version import InvalidVersion, Version

from zarr_benchmarks._format import SCHEMA_VERSION
from zarr_benchmarks._jsonio import labelled_dicts
from zarr_benchmarks.analyse import stats
from zarr_benchmarks.analyse.compare import (
    DEFAULT_ALPHA,
    DEFAULT_FACTOR,
    DEFAULT_VALUE_FACTOR,
    REFERENCE_PREFIX,
    WIDE_MIN_COLUMNS,
    CompareInputError,
    Entry,
    Row,
    WidthLayout,
    entries_from_docs,
    format_params,
    format_value,
    judge_pairs,
    label_lines,
    label_tokens,
    label_width,
    new_row,
    pack_cells,
    plain_lines,
)
from zarr_benchmarks.results.model import ResultInputError, environment_versions, read_results

#: written by ``zarr-benchmarks history-run`` into its output folder (read by the report)
HISTORY_MANIFEST = "history.json"

AXES = ("auto", "version", "commit")


@dataclass
class Run:
    """One result document with what places it on an axis."""

    source: str
    doc: dict[str, Any]
    zarr: str | None


@dataclass
class Point:
    label: str
    median: float | None
    n: int
    status: str
    commit: str
    timestamp: str
    zarr: str | None


@dataclass
class Step:
    """The change from one point to the next."""

    from_label: str
    to_label: str
    status: str  # a status of zarr_benchmarks.analyse.compare.STATUS_ORDER
    ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    threshold: float | None = None
    method: str | None = None
    detail: str = ""


@dataclass
class Series:
    name: str
    params: dict[str, Any]
    param_names: list[str]
    type: str
    unit: str
    machine_id: str
    preset: str
    axis: str
    points: list[Point] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def label(self) -> str:
        p = format_params(self.params, self.param_names)
        return f"{self.name}({p})" if p else self.name

    @property
    def flagged(self) -> list[Step]:
        return [s for s in self.steps if s.status in {"regression", "improvement"}]


@dataclass
class History:
    series: list[Series]
    factor: float
    alpha: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = labelled_dicts(self.series)
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "history",
            "factor": self.factor,
            "alpha": self.alpha,
            "notes": self.notes,
            "flagged_steps": sum(len(s.flagged) for s in self.series),
            "series": out,
        }


# ---------------------------------------------------------------------------- loading


def load_runs(path: str | Path, package: str = "zarr") -> list[Run]:
    """Every result in ``path`` (a folder, searched recursively, or one file).

    Reduced result files are used when there are any, otherwise asv result files
    (whose matrix ``params`` may carry the version). Each run is placed by the version
    of ``package`` in its environment (``zarr`` by default; ``numcodecs`` for a
    numcodecs history).
    """
    root = Path(path)
    try:
        docs = read_results(root)
        versions = environment_versions(root if root.is_dir() else root.parent, package)
    except ResultInputError as exc:
        raise CompareInputError(str(exc)) from exc
    runs = []
    for d in docs:
        version = (d.asv_params or {}).get(package)
        runs.append(Run(d.source, dict(d.data), version or versions.get(str(d.environment_id))))
    return runs


# ---------------------------------------------------------------------------- history


def _version_key(v: str) -> tuple[int, Any]:
    try:
        return 0, Version(v)
    except InvalidVersion:
        return 1, v


def _points_for(runs: Sequence[Run], axis: str) -> list[tuple[str, list[Run]]]:
    """Group runs into ordered points along ``axis``."""
    groups: dict[str, list[Run]] = defaultdict(list)
    if axis == "version":
        for r in runs:
            if r.zarr:
                groups[r.zarr].append(r)
        order = sorted(groups, key=_version_key)
    else:
        first_seen: dict[str, str] = {}
        for r in sorted(runs, key=lambda r: str(r.doc.get("timestamp", ""))):
            commit = str(r.doc.get("commit_hash", ""))[:10]
            if r.doc.get("dirty"):
                commit += "+dirty"
            groups[commit].append(r)
            first_seen.setdefault(commit, str(r.doc.get("timestamp", "")))
        order = sorted(groups, key=lambda c: first_seen[c])
    return [(label, groups[label]) for label in order]


def build_history(
    runs: Sequence[Run],
    *,
    axis: str = "auto",
    factor: float = DEFAULT_FACTOR,
    value_factor: float = DEFAULT_VALUE_FACTOR,
    alpha: float = DEFAULT_ALPHA,
    min_effect: float = stats.DEFAULT_MIN_EFFECT,
    bench: str | None = None,
) -> History:
    """Series per (machine, preset, benchmark, params) with step changes flagged.

    Parameters
    ----------
    runs
        Loaded results (see :func:`load_runs`).
    axis
        ``version`` (Zarr version), ``commit``, or ``auto``: version when a machine's
        runs span at least two Zarr versions, otherwise commit.
    bench
        Optional regular expression; only matching benchmark names are kept.
    """
    if axis not in AXES:
        raise CompareInputError(f"unknown axis {axis!r}; choose one of {', '.join(AXES)}")
    if factor < 1.0:
        raise CompareInputError(f"--factor must be at least 1.0, got {factor}")
    try:
        pattern = re.compile(bench) if bench else None
    except re.error as exc:
        raise CompareInputError(f"--bench: invalid regular expression {bench!r}: {exc}") from exc
    notes: list[str] = []
    by_group: dict[tuple[str, str], list[Run]] = defaultdict(list)
    for r in runs:
        by_group[(str(r.doc.get("machine_id")), str(r.doc.get("preset")))].append(r)
    series: list[tuple[Series, list[Entry]]] = []
    for (machine, preset), group in sorted(by_group.items()):
        group_axis = axis
        if axis == "auto":
            group_axis = "version" if len({r.zarr for r in group if r.zarr}) >= 2 else "commit"
        if group_axis == "version" and any(r.zarr is None for r in group):
            missing = [r.source for r in group if r.zarr is None]
            notes.append(
                f"{len(missing)} result(s) without a Zarr version (no info_environment file) "
                f"left out, e.g. {missing[0]}"
            )
        points = _points_for(group, group_axis)
        point_entries = [
            (label, entries_from_docs([(r.source, r.doc) for r in rs]), rs) for label, rs in points
        ]
        keys = sorted({k for _, entries, _ in point_entries for k in entries})
        for key in keys:
            if key[0].startswith(REFERENCE_PREFIX) or (pattern and not pattern.search(key[0])):
                continue
            s: Series | None = None
            found: list[Entry] = []
            for label, entries, rs in point_entries:
                e = entries.get(key)
                if e is None:
                    continue
                if s is None:
                    s = Series(
                        e.name, e.params, e.param_names, e.type, e.unit, machine, preset, group_axis
                    )
                s.points.append(_point(label, e, rs))
                found.append(e)
            if s is not None:
                series.append((s, found))
    _compute_steps(
        series, factor=factor, value_factor=value_factor, alpha=alpha, min_effect=min_effect
    )
    return History([s for s, _ in series], factor, alpha, notes)


def _point(label: str, e: Entry, runs: Sequence[Run]) -> Point:
    median = float(np.median(e.samples)) if e.samples else None
    run = next((r for r in runs if r.source == e.source), runs[-1])
    return Point(
        label=label,
        median=median,
        n=len(e.samples),
        status=e.status,
        commit=str(run.doc.get("commit_hash", "")),
        timestamp=e.timestamp,
        zarr=run.zarr,
    )


def _compute_steps(
    series: Sequence[tuple[Series, list[Entry]]],
    *,
    factor: float,
    value_factor: float,
    alpha: float,
    min_effect: float,
) -> None:
    """Fill each series' steps with the same verdicts as ``compare`` (one family)."""
    judged: list[tuple[Step, Row]] = []
    pairs: list[tuple[Row, Entry, Entry]] = []
    for s, entries in series:
        for i in range(1, len(s.points)):
            p0, p1, e0, e1 = s.points[i - 1], s.points[i], entries[i - 1], entries[i]
            step = Step(p0.label, p1.label, "unchanged")
            s.steps.append(step)
            row = new_row(e1)
            judged.append((step, row))
            pairs.append((row, e0, e1))
    judge_pairs(pairs, factor=factor, value_factor=value_factor, alpha=alpha, min_effect=min_effect)
    for step, row in judged:
        step.status, step.detail, step.method = row.status, row.detail, row.method
        step.ratio, step.ci_low, step.ci_high = row.ratio, row.ci_low, row.ci_high
        step.threshold = row.threshold


def history_from_path(path: str | Path, *, package: str = "zarr", **kwargs: Any) -> History:
    """Load ``path`` and build its history along ``package``'s versions
    (see :func:`load_runs` and :func:`build_history`)."""
    return build_history(load_runs(path, package), **kwargs)


# -------------------------------------------------------------------------- rendering


def _trend_cells(s: Series) -> list[str]:
    """One cell per point (``3.1.0: 9.09 ms ▼12% improvement``), never split."""
    cells = []
    steps = {st.to_label: st for st in s.steps}
    for p in s.points:
        step = steps.get(p.label)
        mark = ""
        if step is not None and step.status in {"regression", "improvement"}:
            arrow = "▲" if (step.ratio or 1) > 1 else "▼"
            mark = f" {arrow}{abs((step.ratio or 1) - 1):.0%} {step.status}"
        elif step is not None and step.status == "not comparable":
            mark = " (code changed)"
        cells.append(f"{p.label}: {format_value(p.median, s.unit)}{mark}")
    return cells


def _trend_lines(s: Series, width: int) -> list[str]:
    return pack_cells(_trend_cells(s), width, sep=" → ", cont="→ ")


#: the machine column shows the id's first characters, like a short commit hash
_MACHINE_CHARS = 12


class HistoryView(WidthLayout):
    """A history laid out for the console it is printed on: one table when it holds
    every id whole (at least :data:`WIDE_MIN_COLUMNS` columns), otherwise a block per
    series; trends break only between points."""

    def __init__(self, h: History, *, show_all: bool = False) -> None:
        self.h, self.show_all = h, show_all
        self.shown = [s for s in h.series if show_all or s.flagged]

    @staticmethod
    def _style(s: Series) -> str:
        return "bold red" if any(st.status == "regression" for st in s.flagged) else ""

    def _wide(self, width: int) -> Any | None:
        from rich.table import Table
        from rich.text import Text

        headers = ("Benchmark", "Machine", "Axis", "Trend (median per point)")
        axis_w = max(len(headers[2]), *(len(s.axis) for s in self.shown))
        narrowest, preferred = label_width(
            [label_tokens(s.name, s.params, s.param_names) for s in self.shown]
        )
        cell_w = max(len(c) for s in self.shown for c in _trend_cells(s))
        text_min = max(24, cell_w + 2)  # room for one point and the "→ " before it
        room = width - (3 * len(headers) + 1) - _MACHINE_CHARS - axis_w
        if width < WIDE_MIN_COLUMNS or room - narrowest < text_min:
            return None
        label_w = min(preferred, room - text_min)
        trends = [_trend_lines(s, room - label_w) for s in self.shown]
        text_w = max(len(headers[3]), *(len(line) for t in trends for line in t))
        table = Table(title="Benchmark history")
        table.add_column(Text(headers[0]), width=label_w, no_wrap=True)
        table.add_column(Text(headers[1]), width=_MACHINE_CHARS, no_wrap=True)
        table.add_column(Text(headers[2]), width=axis_w, no_wrap=True)
        table.add_column(Text(headers[3]), width=text_w, no_wrap=True)
        for s, trend in zip(self.shown, trends):
            table.add_row(
                Text("\n".join(label_lines(s.name, s.params, s.param_names, label_w))),
                Text(s.machine_id[:_MACHINE_CHARS]),
                Text(s.axis),
                Text("\n".join(trend), style=self._style(s)),
            )
        return table

    def _compact(self, width: int) -> list[Any]:
        from rich.text import Text

        parts: list[Any] = [Text("Benchmark history", style="bold")]
        previous = None
        for s in self.shown:
            if s.name != previous:
                parts.append(plain_lines([s.name], 0, "bold"))
                previous = s.name
            indent = 2
            if s.params:
                lines = label_lines(s.name, s.params, s.param_names, width - indent)[1:]
                parts.append(plain_lines(lines, indent))
                indent = 4
            where = [
                f"machine {s.machine_id[:_MACHINE_CHARS]},",
                f"preset {s.preset},",
                f"by {s.axis}",
            ]
            parts.append(plain_lines(pack_cells(where, width - indent), indent, "dim"))
            parts.append(plain_lines(_trend_lines(s, width - indent), indent, self._style(s)))
        return parts

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.text import Text

        h = self.h
        if self.shown:
            yield from self.layout(options.max_width)
        n_flagged = sum(len(s.flagged) for s in h.series)
        for note in h.notes:
            yield Text(note, style="italic")
        yield Text(
            f"{len(h.series)} series, {n_flagged} step change(s) flagged (same verdicts as "
            "compare)" + ("" if self.show_all else "; --all lists every series"),
            style="bold",
        )


def render_rich(h: History, *, show_all: bool = False) -> HistoryView:
    """A rich renderable laid out at print time for the console's width
    (:class:`HistoryView`)."""
    return HistoryView(h, show_all=show_all)


def history_json(h: History) -> str:
    return json.dumps(h.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
