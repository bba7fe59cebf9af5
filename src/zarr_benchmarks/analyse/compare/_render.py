"""Rendering a comparison: values with units, verdict texts, markdown and rich tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from zarr_benchmarks._units import format_value
from zarr_benchmarks.analyse.compare._entries import STATUS_ORDER, param_items
from zarr_benchmarks.analyse.compare._judge import (
    Comparison,
    Row,
)

if TYPE_CHECKING:
    from rich.console import JustifyMethod

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


#: below this many columns, or when the wide table cannot hold every id whole, each
#: benchmark is printed as a compact block instead (the pattern of ``run``'s summary)
WIDE_MIN_COLUMNS = 100

#: the widest the benchmark column grows before parameters go on more lines
_LABEL_MAX = 40
#: the narrowest the free-text column (verdict, trend) may get in the wide form
_TEXT_MIN = 24


def pack_cells(cells: Sequence[str], width: int, sep: str = " ", cont: str = "") -> list[str]:
    """Greedily pack ``cells`` into lines of at most ``width`` characters.

    A line only ever breaks between cells, so an id or a number with its unit is never
    split; a cell longer than ``width`` gets a line of its own (and is the only thing
    that can exceed ``width``). Continuation lines start with ``cont``.
    """
    lines: list[str] = []
    line = ""
    for cell in cells:
        if not line:
            line = (cont if lines else "") + cell
        elif len(line) + len(sep) + len(cell) <= width:
            line += sep + cell
        else:
            lines.append(line)
            line = cont + cell
    if line:
        lines.append(line)
    return lines


def _param_cells(params: dict[str, Any], param_names: Sequence[str]) -> list[str]:
    items = param_items(params, param_names)
    return [f"{item}," for item in items[:-1]] + items[-1:]


def label_tokens(name: str, params: dict[str, Any], param_names: Sequence[str]) -> list[str]:
    """The pieces of a benchmark label that must never be split: its name, each ``k=v``."""
    return [name, *_param_cells(params, param_names)]


def label_lines(
    name: str, params: dict[str, Any], param_names: Sequence[str], width: int
) -> list[str]:
    """The benchmark name on its own line, then its parameters packed into lines of at
    most ``width`` (broken only after a comma, so each ``k=v`` stays whole)."""
    return [name, *pack_cells(_param_cells(params, param_names), width)]


def label_width(tokens: Sequence[Sequence[str]]) -> tuple[int, int]:
    """``(narrowest, preferred)`` width of a label column for these labels' tokens:
    the longest unsplittable piece, and the longest label up to a limit."""
    narrowest = max((len(t) for toks in tokens for t in toks), default=9)
    longest = max((max(len(toks[0]), len(" ".join(toks[1:]))) for toks in tokens), default=9)
    return narrowest, max(narrowest, min(longest, _LABEL_MAX))


def wrap_words(text: str, width: int) -> list[str]:
    """A description wrapped at spaces only (never inside a word, an id or a number)."""
    import textwrap

    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def plain_lines(lines: Sequence[str], indent: int = 0, style: str = "") -> Any:
    """Lines already laid out (by :func:`pack_cells`, :func:`wrap_words`) as one
    :class:`rich.text.Text` that rich does not wrap again."""
    from rich.text import Text

    # the lines already fit; only a lone id wider than the console is folded onto the
    # next line (whole, if split), never cropped or cut with an ellipsis
    return Text("\n".join(" " * indent + line for line in lines), style=style, overflow="fold")


_STYLES = {
    "regression": "bold red",
    "improvement": "green",
    "inconclusive": "yellow",
    "newly skipped": "yellow",
    "not comparable": "yellow",
    "insufficient samples": "dim",
    "not run": "yellow",
}

_HEADERS = ("Benchmark", "Base", "New", "NEW/BASE [interval]", "Threshold", "Result")


class WidthLayout:
    """A view laid out when printed: :meth:`_wide` gives one table if it fits the
    console (else None), :meth:`_compact` the narrow form (a block per item)."""

    def _wide(self, width: int) -> Any | None:
        raise NotImplementedError

    def _compact(self, width: int) -> list[Any]:
        raise NotImplementedError

    def layout(self, width: int) -> Any:
        """The table when it fits ``width`` columns, else the compact blocks."""
        wide = self._wide(width)
        if wide is not None:
            yield wide
        else:
            yield from self._compact(width)


class ComparisonView(WidthLayout):
    """A comparison laid out for the console it is printed on.

    Wide enough (at least :data:`WIDE_MIN_COLUMNS` and room for the longest id): one
    table. Narrower: a block per benchmark (name, parameters, values, verdict), so
    benchmark names and parameter ids are never cut and numbers never broken.
    """

    def __init__(self, comp: Comparison, *, show_all: bool = False) -> None:
        self.comp = comp
        self.shown = [r for r in comp.rows if show_all or r.status in _SHOWN_BY_DEFAULT]

    def _cells(self, r: Row) -> tuple[str, str, str, str]:
        return (
            format_value(r.median_base, r.unit),
            format_value(r.median_new, r.unit),
            _ratio_text(r),
            _threshold_text(r),
        )

    def _wide(self, width: int) -> Any | None:
        """The table, or ``None`` when it cannot hold every id and number whole."""
        from rich.table import Table
        from rich.text import Text

        cells = [self._cells(r) for r in self.shown]
        fixed = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(_HEADERS[1:5])]
        narrowest, preferred = label_width(
            [label_tokens(r.name, r.params, r.param_names) for r in self.shown]
        )
        frame = 3 * len(_HEADERS) + 1  # borders and one space of padding either side
        room = width - frame - sum(fixed)
        if width < WIDE_MIN_COLUMNS or room - narrowest < _TEXT_MIN:
            return None
        label_w = min(preferred, room - _TEXT_MIN)
        verdicts = [_verdict_text(r) for r in self.shown]
        text_w = min(room - label_w, max(len(h) for h in [_HEADERS[-1], *verdicts]))
        table = Table(title="NEW vs BASE", show_lines=False)
        # Text, not str, everywhere: "[interval]" or a parameter value is not markup
        table.add_column(Text(_HEADERS[0]), width=label_w, no_wrap=True)
        for header, w in zip(_HEADERS[1:5], fixed):
            justify: JustifyMethod = "left" if header.startswith("NEW/") else "right"
            table.add_column(Text(header), width=w, justify=justify, no_wrap=True)
        table.add_column(Text(_HEADERS[-1]), width=text_w)
        for r, c, verdict in zip(self.shown, cells, verdicts):
            label = "\n".join(label_lines(r.name, r.params, r.param_names, label_w))
            table.add_row(
                Text(label), *map(Text, c), Text(verdict, style=_STYLES.get(r.status, ""))
            )
        return table

    def _compact(self, width: int) -> list[Any]:
        from rich.text import Text

        parts: list[Any] = [Text("NEW vs BASE", style="bold")]
        previous = None
        for r in self.shown:
            if r.name != previous:  # the name once above its parameter sets
                parts.append(plain_lines([r.name], 0, "bold"))
                previous = r.name
            indent = 2
            if r.params:
                items = _param_cells(r.params, r.param_names)
                parts.append(plain_lines(pack_cells(items, width - indent), indent))
                indent = 4
            base, new, ratio, threshold = self._cells(r)
            values = [f"{base} → {new}", f"NEW/BASE {ratio}"]
            if threshold != "-":
                values.append(f"threshold {threshold}")
            parts.append(plain_lines(pack_cells(values, width - indent, sep="   "), indent))
            verdict = wrap_words(_verdict_text(r), width - indent)
            parts.append(plain_lines(verdict, indent, _STYLES.get(r.status, "")))
        return parts

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.text import Text

        comp = self.comp
        if self.shown:
            yield from self.layout(options.max_width)
        hidden = len(comp.rows) - len(self.shown)
        if hidden:
            yield Text(f"{hidden} unchanged/reference rows hidden (--all shows them)", style="dim")
        for note in comp.notes:
            yield Text(note, style="italic")
        yield Text(summary_line(comp), style="bold red" if comp.has_regression else "bold")


def render_rich(comp: Comparison, *, show_all: bool = False) -> ComparisonView:
    """A rich renderable with the changes and the summary, laid out at print time for
    the console's width (:class:`ComparisonView`)."""
    return ComparisonView(comp, show_all=show_all)
