"""Rendering a comparison: values with units, verdict texts, markdown and rich tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zarr_benchmarks._units import format_value
from zarr_benchmarks.analyse.compare._entries import STATUS_ORDER
from zarr_benchmarks.analyse.compare._judge import (
    Comparison,
    Row,
)

# ------------------------------------------------------------------------ rendering


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


#: every status but the quiet ones is listed without --all
_SHOWN_BY_DEFAULT = frozenset(STATUS_ORDER) - {"unchanged", "reference"}


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
    table.add_column("Benchmark", overflow="fold")
    table.add_column("Base", justify="right")
    table.add_column("New", justify="right")
    table.add_column("Ratio [interval]")
    table.add_column("Threshold", justify="right")
    table.add_column("Result")
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
