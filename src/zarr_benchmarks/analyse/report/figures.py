"""Report figures (matplotlib, Agg, no pyplot state): each saved as PNG and SVG.

Every function draws one figure from plain series, writes ``<name>.png`` and
``<name>.svg`` into a folder (atomically) and returns a :class:`FigureInfo` that the
HTML page and the tests use (the series it drew, the files it wrote).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg", force=False)

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from zarr_benchmarks._jsonio import atomic_write_bytes
from zarr_benchmarks.analyse.report.pareto import pareto_front

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "FigureInfo",
    "Point",
    "ceiling_figure",
    "codec_colours",
    "heatmap_figure",
    "history_figure",
    "machines_figure",
    "scatter_figure",
]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "zarr-benchmarks",  # stable ids: identical input, identical SVG
    "svg.fonttype": "none",  # text stays text (searchable, small)
    "font.size": 9,
}


@dataclass(frozen=True)
class Point:
    """One plotted combination."""

    codec: str
    chunks: str
    ratio: float
    mb_s: float


@dataclass
class FigureInfo:
    """What a figure shows and where it was written."""

    name: str
    title: str
    caption: str
    png: str
    svg: str
    kind: str
    #: the plotted data (JSON-able), e.g. points and the Pareto front per panel
    series: dict[str, Any] = field(default_factory=dict)


def codec_colours(codecs: Sequence[str]) -> dict[str, str]:
    """A stable colour per codec id (tab20, in sorted order)."""
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return {c: matplotlib.colors.to_hex(cmap(i % 20)) for i, c in enumerate(sorted(set(codecs)))}


def _save(fig: Figure, folder: Path, name: str) -> tuple[str, str]:
    """Write PNG and SVG atomically (temp file in the folder, fsync, replace)."""
    FigureCanvasAgg(fig)
    names = []
    for ext, kwargs in (("png", {"dpi": 110}), ("svg", {"metadata": {"Date": None}})):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=ext, bbox_inches="tight", **kwargs)
        names.append(atomic_write_bytes(folder / f"{name}.{ext}", buffer.getvalue()).name)
    return names[0], names[1]


def _num(v: float) -> str:
    """Compact cell text: three significant digits, thousands separators above 1000."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def _new_figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def scatter_figure(
    folder: Path,
    name: str,
    title: str,
    panels: Mapping[str, Sequence[Point]],
    colours: Mapping[str, str],
) -> FigureInfo:
    """Compression ratio against throughput, one panel per operation, Pareto front marked.

    Parameters
    ----------
    panels
        ``{"write": points, "read": points}``: the x axis is that operation's MB/s.
    colours
        Colour per codec id (see :func:`codec_colours`).
    """
    with matplotlib.rc_context(_RC):
        fig = _new_figure(6.2 * max(1, len(panels)), 5.0)
        axes = fig.subplots(1, max(1, len(panels)), squeeze=False)[0]
        chunk_names = sorted({p.chunks for pts in panels.values() for p in pts})
        marker = {c: _MARKERS[i % len(_MARKERS)] for i, c in enumerate(chunk_names)}
        series: dict[str, Any] = {}
        for ax, (op, points) in zip(axes, panels.items()):
            front = pareto_front([(p.mb_s, p.ratio) for p in points])
            on_front = set(front)
            for i, p in enumerate(points):
                ax.scatter(
                    p.mb_s,
                    p.ratio,
                    s=70 if i in on_front else 40,
                    marker=marker[p.chunks],
                    color=colours.get(p.codec, "#555555"),
                    edgecolors="black" if i in on_front else "none",
                    linewidths=1.2,
                    zorder=3,
                )
                label = p.codec if len(chunk_names) == 1 else f"{p.codec} ({p.chunks})"
                ax.annotate(
                    label,
                    (p.mb_s, p.ratio),
                    xytext=(5, 4),
                    textcoords="offset points",
                    fontsize=7,
                    color="#222222" if i in on_front else "#666666",
                    fontweight="bold" if i in on_front else "normal",
                )
            if front:
                ax.plot(
                    [points[i].mb_s for i in front],
                    [points[i].ratio for i in front],
                    color="black",
                    linestyle="--",
                    linewidth=1,
                    zorder=2,
                    label="Pareto front",
                )
            ax.set_xlabel(f"{op} throughput (MB/s, uncompressed bytes)")
            ax.set_ylabel("compression ratio (uncompressed / stored bytes)")
            ax.set_title(f"ratio vs {op} throughput")
            ax.grid(True, alpha=0.3)
            if points:
                ax.set_xlim(left=0, right=max(p.mb_s for p in points) * 1.25)
                ax.set_ylim(bottom=0, top=max(p.ratio for p in points) * 1.12)
            else:
                ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            handles = [
                matplotlib.lines.Line2D(
                    [], [], marker=marker[c], linestyle="none", color="#444444", label=c
                )
                for c in chunk_names
            ]
            if front:
                handles.append(
                    matplotlib.lines.Line2D(
                        [], [], color="black", linestyle="--", label="Pareto front"
                    )
                )
            ax.legend(handles=handles, title="chunks", fontsize=7, loc="best")
            series[op] = {
                "points": [
                    {"codec": p.codec, "chunks": p.chunks, "ratio": p.ratio, "mb_s": p.mb_s}
                    for p in points
                ],
                "front": [{"codec": points[i].codec, "chunks": points[i].chunks} for i in front],
            }
        fig.suptitle(title)
        png, svg = _save(fig, folder, name)
    caption = (
        "Each point is one codec and chunk layout; points outlined in black and joined by "
        "the dashed line are on the Pareto front (no other point is both smaller and faster)."
    )
    return FigureInfo(name, title, caption, png, svg, "scatter", series)


def heatmap_figure(
    folder: Path,
    name: str,
    title: str,
    chunks: Sequence[str],
    codecs: Sequence[str],
    panels: Mapping[str, Sequence[Sequence[float | None]]],
) -> FigureInfo:
    """Chunk layout × codec heatmaps of throughput, one panel per operation.

    ``panels[op][i][j]`` is the MB/s of ``chunks[i]`` with ``codecs[j]`` (None: not
    measured).
    """
    import numpy as np

    with matplotlib.rc_context(_RC):
        width = max(5.0, 1.0 + 0.75 * len(codecs)) * max(1, len(panels))
        fig = _new_figure(min(width, 22), 1.8 + 0.45 * len(chunks) + 1.6)
        axes = fig.subplots(1, max(1, len(panels)), squeeze=False)[0]
        for ax, (op, grid) in zip(axes, panels.items()):
            data = np.array(
                [[np.nan if v is None else v for v in row] for row in grid], dtype=float
            ).reshape(len(chunks), len(codecs))
            masked = np.ma.masked_invalid(data)
            image = ax.imshow(masked, cmap="viridis", aspect="auto")
            finite = data[np.isfinite(data)]
            middle = float(np.nanmean([finite.min(), finite.max()])) if finite.size else 0.0
            for i in range(len(chunks)):
                for j in range(len(codecs)):
                    v = data[i, j]
                    text = "n/a" if not math.isfinite(v) else _num(v)
                    colour = "white" if math.isfinite(v) and v < middle else "black"
                    ax.text(j, i, text, ha="center", va="center", fontsize=7, color=colour)
            ax.set_xticks(range(len(codecs)), labels=list(codecs), rotation=35, ha="right")
            ax.set_yticks(range(len(chunks)), labels=list(chunks))
            ax.set_xlabel("codec")
            ax.set_ylabel("chunk layout")
            ax.set_title(f"{op} throughput (MB/s)")
            bar = fig.colorbar(image, ax=ax, shrink=0.85)
            bar.set_label("MB/s")
        fig.suptitle(title)
        png, svg = _save(fig, folder, name)
    caption = "Throughput in MB/s of uncompressed data for each chunk layout and codec."
    series = {
        "chunks": list(chunks),
        "codecs": list(codecs),
        "panels": {k: v for k, v in panels.items()},
    }
    return FigureInfo(name, title, caption, png, svg, "heatmap", series)


def ceiling_figure(
    folder: Path,
    name: str,
    title: str,
    codecs: Sequence[str],
    bars: Mapping[str, Sequence[float | None]],
    memcopy_mb_s: float | None,
) -> FigureInfo:
    """Zarr throughput beside raw codec throughput, with memory-copy bandwidth.

    ``bars[label][j]`` is the MB/s of ``codecs[j]`` for a series such as
    ``"raw encode"``, ``"Zarr write"``, ``"raw decode"``, ``"Zarr read"``.
    """
    import numpy as np

    colours = {
        "raw encode": "#9ecae1",
        "Zarr write": "#3182bd",
        "raw decode": "#fdae6b",
        "Zarr read": "#e6550d",
    }
    with matplotlib.rc_context(_RC):
        fig = _new_figure(8.0, 1.6 + 0.55 * len(codecs) * max(1, len(bars)) / 2)
        ax = fig.subplots()
        n = max(1, len(bars))
        height = 0.8 / n
        y = np.arange(len(codecs))
        for k, (label, values) in enumerate(bars.items()):
            vals = [v if v is not None and v > 0 else np.nan for v in values]
            ax.barh(
                y + (k - (n - 1) / 2) * height,
                vals,
                height=height,
                label=label,
                color=colours.get(label),
            )
        if memcopy_mb_s:
            ax.axvline(memcopy_mb_s, color="black", linestyle=":", linewidth=1.2)
            ax.text(
                memcopy_mb_s,
                0.99,
                f"memory copy {memcopy_mb_s:,.0f} MB/s ",
                transform=ax.get_xaxis_transform(),  # x in data, y in axes fraction
                ha="right",
                va="top",
                fontsize=7,
            )
        ax.set_xscale("log")
        ax.set_yticks(y, labels=list(codecs))
        ax.invert_yaxis()
        ax.set_xlabel("throughput (MB/s of uncompressed data, log scale)")
        ax.set_ylabel("codec")
        ax.set_title(title)
        ax.grid(True, axis="x", alpha=0.3, which="both")
        ax.legend(fontsize=7, loc="lower right")
        png, svg = _save(fig, folder, name)
    caption = (
        "Raw codec speed (numcodecs on the same chunks, no Zarr) beside what Zarr delivers "
        "with that codec; the dotted line is this machine's memory-copy bandwidth."
    )
    series = {"codecs": list(codecs), "bars": dict(bars), "memcopy_mb_s": memcopy_mb_s}
    return FigureInfo(name, title, caption, png, svg, "ceiling", series)


def machines_figure(
    folder: Path,
    name: str,
    title: str,
    codecs: Sequence[str],
    panels: Mapping[str, Mapping[str, Sequence[float | None]]],
) -> FigureInfo:
    """The same benchmark on each machine: grouped bars per codec, one bar per machine.

    ``panels[op][machine name][j]`` is the MB/s of ``codecs[j]`` on that machine.
    """
    import numpy as np

    with matplotlib.rc_context(_RC):
        fig = _new_figure(max(6.0, 1.5 + 0.9 * len(codecs)), 3.4 * max(1, len(panels)))
        axes = fig.subplots(max(1, len(panels)), 1, squeeze=False)[:, 0]
        for ax, (op, by_machine) in zip(axes, panels.items()):
            n = max(1, len(by_machine))
            width = 0.8 / n
            x = np.arange(len(codecs))
            for k, (machine, values) in enumerate(by_machine.items()):
                vals = [v if v is not None else np.nan for v in values]
                ax.bar(x + (k - (n - 1) / 2) * width, vals, width=width, label=machine)
            ax.set_xticks(x, labels=list(codecs), rotation=30, ha="right")
            ax.set_xlabel("codec")
            ax.set_ylabel(f"{op} throughput (MB/s)")
            ax.set_title(f"{op} throughput by machine")
            ax.grid(True, axis="y", alpha=0.3)
            ax.legend(title="machine", fontsize=7)
        fig.suptitle(title)
        png, svg = _save(fig, folder, name)
    caption = "The same benchmark on every contributed machine (newest result of each)."
    series = {"codecs": list(codecs), "panels": {k: dict(v) for k, v in panels.items()}}
    return FigureInfo(name, title, caption, png, svg, "machines", series)


def history_figure(
    folder: Path,
    name: str,
    title: str,
    versions: Sequence[str],
    lines: Mapping[str, Sequence[float | None]],
    steps: Mapping[str, Sequence[tuple[int, str]]],
    ylabel: str,
) -> FigureInfo:
    """One benchmark across releases: a line per parameter combination.

    ``lines[label][i]`` is the median at ``versions[i]`` (``None``: not measured);
    ``steps[label]`` lists ``(i, status)`` for flagged steps into ``versions[i]``
    (regressions drawn as red triangles up, improvements as green triangles down).
    """
    import numpy as np

    with matplotlib.rc_context(_RC):
        fig = _new_figure(max(6.0, 1.0 + 0.7 * len(versions)), 3.8)
        ax = fig.subplots()
        x = np.arange(len(versions))
        for k, (label, values) in enumerate(lines.items()):
            y = np.array([np.nan if v is None else v for v in values], dtype=float)
            ax.plot(x, y, marker=_MARKERS[k % len(_MARKERS)], markersize=4, label=label)
            for i, status in steps.get(label, ()):
                worse = status == "regression"
                ax.plot(
                    x[i], y[i], marker="^" if worse else "v", markersize=11, linestyle="none",
                    color="#c0392b" if worse else "#1e8449", markerfacecolor="none",
                )  # fmt: skip
        ax.set_xticks(x, labels=list(versions), rotation=30, ha="right")
        ax.set_xlabel("release")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        png, svg = _save(fig, folder, name)
    caption = (
        "Median per release (all releases measured side by side, interleaved); a red "
        "triangle up marks a step flagged as a regression, a green triangle down an "
        "improvement (the same verdicts as `zarr-benchmarks compare`)."
    )
    series = {
        "versions": list(versions),
        "lines": {k: list(v) for k, v in lines.items()},
        "steps": {k: [list(s) for s in v] for k, v in steps.items()},
    }
    return FigureInfo(name, title, caption, png, svg, "history", series)
