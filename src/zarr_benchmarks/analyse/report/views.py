"""Views of the tidy table shared by the HTML report and the dashboard.

Each function takes the newest records (:func:`~zarr_benchmarks.analyse.report.table.latest`)
and returns plain series: points for the ratio/throughput scatter, heatmap grids, the
Zarr-versus-raw-codec comparison and the per-machine comparison.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from zarr_benchmarks.analyse.report.figures import Point
from zarr_benchmarks.analyse.report.table import Record
from zarr_benchmarks.suite.presets import get_matrix

__all__ = [
    "ceiling_layout",
    "ceiling_rows",
    "common_layout",
    "heatmap_grid",
    "machine_bars",
    "scatter_points",
]

OPS = ("write", "read")


def _index(records: Iterable[Record]) -> dict[tuple[Any, ...], Record]:
    return {(r.machine_id, r.metric, r.modality, r.codec, r.chunks): r for r in records}


def scatter_points(records: Sequence[Record], machine_id: str, modality: str) -> dict[str, list]:
    """``{"write": [Point...], "read": [Point...]}`` of one machine and modality.

    A point needs both a compression ratio and the operation's throughput for the same
    codec and chunk layout.
    """
    idx = _index(records)
    combos = sorted(
        {
            (r.codec, r.chunks)
            for r in records
            if r.machine_id == machine_id
            and r.modality == modality
            and r.metric == "ratio"
            and r.value is not None
            and r.codec
            and r.chunks
        }
    )
    out: dict[str, list[Point]] = {}
    for op in OPS:
        points = []
        for codec, chunks in combos:
            ratio = idx[(machine_id, "ratio", modality, codec, chunks)].value
            rec = idx.get((machine_id, op, modality, codec, chunks))
            if rec is not None and rec.mb_s is not None and ratio is not None:
                points.append(Point(codec, chunks, ratio, rec.mb_s))
        out[op] = points
    return out


def heatmap_grid(
    records: Sequence[Record], machine_id: str, modality: str
) -> tuple[list[str], list[str], dict[str, list[list[float | None]]]]:
    """``(chunks, codecs, {op: grid})`` of write/read MB/s for one machine and modality."""
    mine = [
        r
        for r in records
        if r.machine_id == machine_id and r.modality == modality and r.metric in OPS and r.chunks
    ]
    chunks = sorted({r.chunks for r in mine if r.chunks})  # all of them: see mine
    codecs = sorted({r.codec for r in mine if r.codec})
    idx = _index(mine)
    grids: dict[str, list[list[float | None]]] = {}
    for op in OPS:
        grid = []
        for ch in chunks:
            row = []
            for co in codecs:
                rec = idx.get((machine_id, op, modality, co, ch))
                row.append(rec.mb_s if rec is not None else None)
            grid.append(row)
        grids[op] = grid
    return chunks, codecs, grids


def ceiling_layout(records: Sequence[Record], machine_id: str, modality: str) -> str | None:
    """The chunk layout the raw-codec benchmark used: the preset's first layout.

    Falls back to the layout with the most Zarr measurements when the preset's is absent.
    """

    mine = [
        r
        for r in records
        if r.machine_id == machine_id and r.modality == modality and r.metric in OPS and r.chunks
    ]
    if not mine:
        return None
    presets = {r.preset for r in mine}
    for preset in sorted(presets):
        try:
            first = get_matrix(preset, environ={}).layouts[0]
        except ValueError:
            continue
        if any(r.chunks == first for r in mine):
            return first
    return Counter(r.chunks for r in mine).most_common(1)[0][0]


def ceiling_rows(
    records: Sequence[Record], machine_id: str, modality: str
) -> tuple[str | None, list[dict[str, Any]], float | None]:
    """``(layout, rows, memcopy MB/s)``: Zarr and raw-codec MB/s per codec.

    Each row: ``codec``, ``raw_encode``, ``zarr_write``, ``raw_decode``, ``zarr_read``
    (MB/s or None) and ``write_share`` / ``read_share`` (Zarr / raw, or None).  Only
    codecs with a raw-codec measurement are listed.
    """
    layout = ceiling_layout(records, machine_id, modality)
    idx = _index(records)
    codecs = sorted(
        {
            r.codec
            for r in records
            if r.machine_id == machine_id
            and r.modality == modality
            and r.metric in {"codec_encode", "codec_decode"}
            and r.mb_s is not None
            and r.codec
        }
    )

    def mb(metric: str, codec: str, chunks: str | None) -> float | None:
        rec = idx.get((machine_id, metric, modality, codec, chunks))
        return rec.mb_s if rec is not None else None

    rows = []
    for codec in codecs:
        row: dict[str, Any] = {
            "codec": codec,
            "raw_encode": mb("codec_encode", codec, None),
            "raw_decode": mb("codec_decode", codec, None),
            "zarr_write": mb("write", codec, layout) if layout else None,
            "zarr_read": mb("read", codec, layout) if layout else None,
        }
        for share, zarr, raw in (
            ("write_share", "zarr_write", "raw_encode"),
            ("read_share", "zarr_read", "raw_decode"),
        ):
            row[share] = row[zarr] / row[raw] if row[zarr] and row[raw] else None
        rows.append(row)
    mem = [
        r.value
        for r in records
        if r.machine_id == machine_id and r.metric == "memcopy" and r.value is not None
    ]
    memcopy = mem[0] * 1000.0 if mem else None  # GB/s -> MB/s
    return layout, rows, memcopy


def common_layout(records: Sequence[Record], modality: str) -> str | None:
    """The chunk layout measured on the most machines for ``modality`` (ties: most data)."""
    machines: dict[str, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    for r in records:
        if r.modality == modality and r.metric in OPS and r.chunks and r.mb_s is not None:
            machines[r.chunks].add(r.machine_id)
            counts[r.chunks] += 1
    if not machines:
        return None
    return max(machines, key=lambda c: (len(machines[c]), counts[c], c))


def machine_bars(
    records: Sequence[Record], modality: str, names: dict[str, str]
) -> tuple[str | None, list[str], dict[str, dict[str, list[float | None]]]]:
    """``(layout, codecs, {op: {machine name: [MB/s per codec]}})`` at the common layout."""
    layout = common_layout(records, modality)
    if layout is None:
        return None, [], {}
    mine = [
        r
        for r in records
        if r.modality == modality and r.chunks == layout and r.metric in OPS and r.mb_s is not None
    ]
    codecs = sorted({r.codec for r in mine if r.codec})
    machine_ids = sorted({r.machine_id for r in mine}, key=lambda m: (names.get(m, m), m))
    idx = _index(mine)
    panels: dict[str, dict[str, list[float | None]]] = {}
    for op in OPS:
        by_machine: dict[str, list[float | None]] = {}
        for m in machine_ids:
            label = names.get(m, m[:8])
            if label in by_machine:  # two machines with one friendly name
                label = f"{label} ({m[:8]})"
            by_machine[label] = [
                rec.mb_s if (rec := idx.get((m, op, modality, c, layout))) else None for c in codecs
            ]
        panels[op] = by_machine
    return layout, codecs, panels
