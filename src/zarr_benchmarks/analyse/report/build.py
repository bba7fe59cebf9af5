"""Build the HTML report: figures, tables and provenance from a results folder."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zarr_benchmarks._jsonio import atomic_write_json, atomic_write_text, json_safe
from zarr_benchmarks.analyse import history as hist
from zarr_benchmarks.analyse.compare import CompareInputError, format_params
from zarr_benchmarks.analyse.history import HISTORY_MANIFEST
from zarr_benchmarks.analyse.report import figures as F
from zarr_benchmarks.analyse.report import views
from zarr_benchmarks.analyse.report.html import render_report
from zarr_benchmarks.analyse.report.pareto import pareto_front
from zarr_benchmarks.analyse.report.recommend import recommend
from zarr_benchmarks.analyse.report.table import (
    Record,
    ReportInputError,
    ResultSet,
    latest,
    load_results,
)
from zarr_benchmarks.data.dataset_types import CompressionProfile
from zarr_benchmarks.data.modalities import get_modality

__all__ = ["ReportOutput", "build_report", "report_context"]

FIGURES_DIR = "figures"


@dataclass
class ReportOutput:
    """What :func:`build_report` wrote."""

    index: Path
    data: Path
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: one line per group of results shown apart (preset, size, machines and roles)
    kept_apart: list[str] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"


def _modality_title(modality: str) -> str:

    try:
        return get_modality(modality).title
    except ValueError:
        return modality


def _provenance(rs: ResultSet, roles: dict[str, str] | None = None) -> dict[str, Any]:
    roles = roles or {}
    by_machine: dict[str, int] = defaultdict(int)
    by_env: dict[str, int] = defaultdict(int)
    commits: dict[str, dict[str, Any]] = {}
    for res in rs.results.values():
        by_machine[res["machine_id"]] += 1
        by_env[res["environment_id"]] += 1
        c = commits.setdefault(
            res["commit_hash"],
            {"hash": res["commit_hash"], "dirty": False, "machines": set(), "timestamps": []},
        )
        c["dirty"] = c["dirty"] or bool(res["dirty"])
        c["machines"].add(res["machine_name"])
        c["timestamps"].append(res["timestamp"])
    machines = []
    for mid in sorted(by_machine, key=lambda m: (rs.machine_name(m), m)):
        doc = rs.machines.get(mid) or {}
        hw = doc.get("hardware") or {}
        cpu = hw.get("cpu") or {}
        osinfo = doc.get("os") or {}
        machines.append(
            {
                "id": mid,
                "name": rs.machine_name(mid),
                "role": roles.get(mid),
                "cpu": cpu.get("model") or "—",
                "cores": cpu.get("logical_cores"),
                "memory": (hw.get("memory") or {}).get("total_bytes"),
                "disk": (hw.get("disk") or {}).get("kind") or "—",
                "os": " ".join(
                    str(osinfo[k]) for k in ("system", "release", "machine") if osinfo.get(k)
                )
                or "—",
                "results": by_machine[mid],
            }
        )
    environments = []
    for eid in sorted(by_env):
        doc = rs.environments.get(eid) or {}
        py = doc.get("python") or {}
        environments.append(
            {
                "id": eid,
                "python": " ".join(
                    str(v) for v in (py.get("implementation"), py.get("version")) if v
                )
                or "—",
                "packages": dict(sorted((doc.get("packages") or {}).items())),
                "results": by_env[eid],
            }
        )
    commit_rows = [
        {
            "hash": c["hash"],
            "dirty": c["dirty"],
            "machines": sorted(c["machines"]),
            "first": min(c["timestamps"]),
            "last": max(c["timestamps"]),
            "results": len(c["timestamps"]),
        }
        for c in sorted(commits.values(), key=lambda c: max(c["timestamps"]))
    ]
    results = [
        {**r, "role": roles.get(str(r["machine_id"]))}
        for r in sorted(rs.results.values(), key=lambda r: (r["timestamp"], r["id"]))
    ]
    return {
        "machines": machines,
        "environments": environments,
        "commits": commit_rows,
        "results": results,
    }


#: array sizes, smallest first (the order sections of one modality are shown in)
_SIZE_ORDER = {"tiny": 0, "small": 1, "medium": 2, "large": 3}


def _group_key(preset: str, size: str) -> tuple[int, str, str]:
    return (_SIZE_ORDER.get(size, len(_SIZE_ORDER)), size, preset)


def machine_roles(rs: ResultSet, local_machine_id: str | None) -> dict[str, str]:
    """``machine id -> "this machine" | "reference"``; empty without a local machine.

    Results from any machine but this one (e.g. the repository's committed results)
    are reference results: shown, and labelled, beside this machine's own.
    """
    if not local_machine_id:
        return {}
    ids = {str(r["machine_id"]) for r in rs.results.values()}
    return {m: "this machine" if m == local_machine_id else "reference" for m in ids}


def report_context(
    rs: ResultSet, figures_dir: Path, local_machine_id: str | None = None
) -> dict[str, Any]:
    """Draw every figure into ``figures_dir`` and return the template context.

    Results are kept apart by what they measured: one section per modality, preset and
    array size, so a quick run on tiny arrays is never drawn or averaged beside a
    default run on small arrays.  With ``local_machine_id``, every machine is labelled
    ``this machine`` or ``reference``.
    """

    roles = machine_roles(rs, local_machine_id)
    every = latest_per_group(rs.records)
    colours = F.codec_colours([r.codec for r in every if r.codec])
    names = {}
    for m in {r.machine_id for r in every}:
        role = roles.get(m)
        names[m] = f"{rs.machine_name(m)} ({role})" if role else rs.machine_name(m)
    groups = sorted(
        {(r.modality, r.preset, r.size) for r in every if r.modality},
        key=lambda g: (g[0], *_group_key(g[1], g[2])),
    )
    per_modality: dict[str, int] = defaultdict(int)
    for modality, _, _ in groups:
        per_modality[modality] += 1
    sections = []
    drawn: list[F.FigureInfo] = []
    for modality, preset, size in groups:
        # the group's records, and the machine-wide ones (memory copy) of the same run kind
        recs = [
            r
            for r in every
            if r.preset == preset and r.size == size and r.modality in (modality, None)
        ]
        mod_recs = [r for r in recs if r.modality == modality]
        # file names stay as before when a modality has one group (links keep working)
        suffix = "" if per_modality[modality] == 1 else f"_{_slug(preset)}-{_slug(size)}"
        machine_ids = sorted({r.machine_id for r in mod_recs}, key=lambda m: (names[m], m))
        nbytes = sorted({r.nbytes for r in mod_recs if r.nbytes})
        at = f"{preset} preset, {size}"
        per_machine = []
        for mid in machine_ids:
            mname = names[mid]
            tag = f"{_slug(modality)}_{_slug(rs.machine_name(mid))}_{mid[:8]}{suffix}"
            entry: dict[str, Any] = {
                "id": mid,
                "name": mname,
                "role": roles.get(mid),
                "scatter": None,
                "points": [],
                "heatmap": None,
                "ceiling": None,
            }
            panels = views.scatter_points(recs, mid, modality)
            if any(panels.values()):
                entry["scatter"] = F.scatter_figure(
                    figures_dir,
                    f"scatter_{tag}",
                    f"{modality} ({at}): compression ratio vs throughput on {mname}",
                    panels,
                    colours,
                )
                entry["points"] = _point_table(panels)
            chunks, codecs, grids = views.heatmap_grid(recs, mid, modality)
            if chunks and codecs:
                entry["heatmap"] = F.heatmap_figure(
                    figures_dir,
                    f"heatmap_{tag}",
                    f"{modality} ({at}): throughput by chunk layout and codec on {mname}",
                    chunks,
                    codecs,
                    grids,
                )
            layout, rows, memcopy = views.ceiling_rows(recs, mid, modality)
            if rows:
                bars = {
                    "raw encode": [r["raw_encode"] for r in rows],
                    "Zarr write": [r["zarr_write"] for r in rows],
                    "raw decode": [r["raw_decode"] for r in rows],
                    "Zarr read": [r["zarr_read"] for r in rows],
                }
                entry["ceiling"] = {
                    "figure": F.ceiling_figure(
                        figures_dir,
                        f"ceiling_{tag}",
                        f"{modality} ({at}): Zarr ({layout or 'no layout'}) vs raw codec "
                        f"on {mname}",
                        [r["codec"] for r in rows],
                        bars,
                        memcopy,
                    ),
                    "layout": layout,
                    "rows": rows,
                    "memcopy": memcopy,
                }
            per_machine.append(entry)
            drawn.extend(
                f
                for f in (
                    entry.get("scatter"),
                    entry.get("heatmap"),
                    (entry.get("ceiling") or {}).get("figure"),
                )
                if f
            )
        across = None
        layout, codecs, machine_panels = views.machine_bars(recs, modality, names)
        n_machines = len({r.machine_id for r in mod_recs if r.metric in views.OPS})
        if layout and n_machines >= 2:
            across = F.machines_figure(
                figures_dir,
                f"machines_{_slug(modality)}{suffix}",
                f"{modality} ({at}): the same benchmark on each machine (chunks {layout})",
                codecs,
                machine_panels,
            )
            drawn.append(across)
        sections.append(
            {
                "id": modality,
                "anchor": f"{_slug(modality)}{suffix.replace('_', '-')}",
                "title": _modality_title(modality),
                "preset": preset,
                "size": size,
                # one size per section: label and figure always pair up
                "sizes": [size],
                "nbytes": nbytes,
                "quick": preset == "quick",
                "roles": sorted({roles[m] for m in machine_ids if m in roles}),
                "machines": per_machine,
                "across": across,
                "across_layout": layout,
                "n_machines": n_machines,
            }
        )
    recommendations = recommend(every)
    profiles = [
        {"profile": p.value, "goal": p.goal, "codecs": list(p.codecs)} for p in CompressionProfile
    ]
    return {
        "title": "zarr-benchmarks report",
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "notes": list(rs.notes),
        "provenance": _provenance(rs, roles),
        "sections": sections,
        "recommendations": recommendations,
        "profiles": profiles,
        "figures": drawn,
        "figures_dir": FIGURES_DIR,
        # release histories need the results folder: build_report fills them in
        "histories": [],
    }


def latest_per_group(records: list[Record]) -> list[Record]:
    """The newest record per machine, benchmark and parameters *within each preset/size*.

    A machine that ran the quick preset (tiny arrays) after the default one (small
    arrays) keeps both: they measure different things, so neither replaces the other.
    """
    by_group: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for r in records:
        by_group[(r.preset, r.size)].append(r)
    return [r for group in by_group.values() for r in latest(group)]


def _point_table(panels: dict[str, list]) -> list[dict[str, Any]]:
    """Rows of codec/chunks with ratio, write and read MB/s (and front membership)."""

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for op, points in panels.items():
        front = set(pareto_front([(p.mb_s, p.ratio) for p in points]))
        for i, p in enumerate(points):
            row = rows.setdefault(
                (p.codec, p.chunks),
                {"codec": p.codec, "chunks": p.chunks, "ratio": p.ratio, "front": []},
            )
            row[op] = p.mb_s
            if i in front:
                row["front"].append(op)
    return sorted(rows.values(), key=lambda r: (-r["ratio"], r["codec"], r["chunks"]))


def history_sections(results_dir: Path, figures_dir: Path) -> list[dict[str, Any]]:
    """One section per release history found under ``results_dir``.

    A release history is a folder with a ``history.json`` manifest (``history-run``
    writes it); each benchmark gets one figure of its medians across the releases with
    the flagged steps marked.
    """

    out = []
    for manifest in sorted(results_dir.rglob(HISTORY_MANIFEST)):
        try:
            package = str(json.loads(manifest.read_text(encoding="utf-8"))["package"])
            h = hist.history_from_path(manifest.parent, package=package, axis="version")
        except (OSError, ValueError, KeyError, TypeError, CompareInputError) as exc:
            raise ReportInputError(f"{manifest}: cannot read the release history ({exc})") from exc
        by_name: dict[str, list[hist.Series]] = {}
        for s in h.series:
            if s.axis == "version":
                by_name.setdefault(s.name, []).append(s)
        figures = []
        for name, series in sorted(by_name.items()):
            versions = [p.label for p in max(series, key=lambda s: len(s.points)).points]
            lines, steps = {}, {}
            for s in series:
                label = format_params(
                    {
                        k: v
                        for k, v in s.params.items()
                        if k not in {"chunks", "write_empty_chunks"}
                    },
                    s.param_names,
                )
                medians = {p.label: p.median for p in s.points}
                lines[label] = [medians.get(v) for v in versions]
                steps[label] = [
                    (versions.index(st.to_label), st.status)
                    for st in s.flagged
                    if st.to_label in versions
                ]
            unit = series[0].unit
            scale, ylabel = (1e3, "median time (ms)") if unit == "seconds" else (1.0, unit)
            if unit == "bytes":
                scale, ylabel = 2**-20, "peak memory (MiB)"
            lines = {
                k: [None if v is None else v * scale for v in vals] for k, vals in lines.items()
            }
            figures.append(
                F.history_figure(
                    figures_dir,
                    f"history_{_slug(package)}_{_slug(name)}",
                    f"{name.split('.', 1)[-1]} across {package} releases",
                    versions,
                    lines,
                    steps,
                    ylabel,
                )
            )
        flagged = [
            {"label": s.label, "from": st.from_label, "to": st.to_label, "status": st.status,
             "ratio": st.ratio, "ci_low": st.ci_low, "ci_high": st.ci_high}
            for s in h.series for st in s.flagged
        ]  # fmt: skip
        out.append(
            {
                "package": package,
                "anchor": f"history-{_slug(package)}",
                "folder": manifest.parent.name,
                "figures": figures,
                "flagged": flagged,
                "notes": h.notes,
            }
        )
    return out


def build_report(
    results_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    local_machine_id: str | None = None,
) -> ReportOutput:
    """Write ``index.html``, ``report.json`` and ``figures/*.png|svg`` into ``output``.

    ``local_machine_id`` (this machine's id, from ``zarr-benchmarks setup``) labels
    every other machine's results as reference results.

    Figures are drawn into a fresh folder beside the output and swapped in at the end,
    and the page is written atomically, so a failure leaves the previous report intact.

    Raises
    ------
    zarr_benchmarks.analyse.report.table.ReportInputError
        If the results folder cannot be read (the message names the file).
    """

    rs = load_results(results_dir)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f".{FIGURES_DIR}.new"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        context = report_context(rs, staging, local_machine_id)
        context["histories"] = history_sections(Path(results_dir), staging)
        context["figures"] += [f for h in context["histories"] for f in h["figures"]]
        html = render_report(context)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    final = out / FIGURES_DIR
    old = out / f".{FIGURES_DIR}.old"
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    data = {
        "provenance": context["provenance"],
        "notes": context["notes"],
        "figures": context["figures"],
        "recommendations": context["recommendations"],
        # what each section compares: one modality at one preset and size
        "sections": [
            {
                "id": sec["id"],
                "preset": sec["preset"],
                "size": sec["size"],
                "machines": [
                    {"id": m["id"], "name": m["name"], "role": m["role"]} for m in sec["machines"]
                ],
                "across": sec["across"].name if sec["across"] else None,
            }
            for sec in context["sections"]
        ],
        "records": [r.to_json() for r in rs.records],
    }
    data_path = atomic_write_json(out / "report.json", json_safe(data))
    index = atomic_write_text(out / "index.html", html)
    return ReportOutput(
        index=index,
        data=data_path,
        figures=sorted(final.iterdir()),
        notes=list(rs.notes),
        kept_apart=_kept_apart_lines(data["sections"]),
    )


def _kept_apart_lines(sections: list[dict[str, Any]]) -> list[str]:
    """``preset/size: N machine(s) (roles)`` per group, when there is more than one."""
    groups: dict[tuple[str, str], dict[str, str | None]] = {}
    for sec in sections:
        machines = groups.setdefault((sec["preset"], sec["size"]), {})
        for m in sec["machines"]:
            machines[m["id"]] = m["role"]
    if len(groups) < 2:
        return []
    lines = ["shown apart (never averaged together):"]
    for (preset, size), machines in groups.items():
        roles = sorted({r for r in machines.values() if r})
        role_text = f" ({', '.join(roles)})" if roles else ""
        lines.append(f"  {preset} preset, {size} arrays: {len(machines)} machine(s){role_text}")
    return lines
