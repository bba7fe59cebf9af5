"""Figures of docs/regression-tracking.md from the real runs of ``scripts/ab_campaign.py``.

Every verdict is recomputed from the stored results of each run (both sides' reduced
results with their blocks) with the statistics of this checkout, so the figures follow
the code: re-run this script after changing :mod:`zarr_benchmarks.analyse.compare` or
:mod:`zarr_benchmarks.analyse.stats`.

- A/A: alarms per run and per comparison, without a noise model and with one learned
  from the *other* A/A runs (leave one out);
- injected runs: detection rate of each injected slowdown (codec encode +5/10/20% CPU),
  per benchmark, with the noise model learned from all A/A runs; alarms elsewhere;
- wall time against process CPU time: the run-to-run spread of A/A estimates of the
  same writes timed both ways.

Usage::

    .venv/bin/python scripts/ab_figures.py docs/data/ab-campaign [--json summary.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from zarr_benchmarks.analyse import compare as cmp  # noqa: E402
from zarr_benchmarks.analyse import stats  # noqa: E402

#: what scripts/ab_campaign.py injects: codec id -> extra CPU of its encode
INJECTED = {"blosc-lz4-5-shuffle": 0.05, "blosc-zstd-5-shuffle": 0.10, "zstd-3": 0.20}
#: benchmarks whose time includes the injected encode
AFFECTED = ("CodecCeilings.time_encode", "Write.time_write", "WriteCPU.time_write")
ALARMS = {"regression", "improvement"}


def _load(run: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    (base,) = (run / "base").glob("result_*.json")
    (new,) = (run / "new").glob("result_*.json")
    return json.loads(base.read_text()), json.loads(new.read_text())


def _compare(run: Path, noise: dict | None = None) -> cmp.Comparison:
    base, new = _load(run)
    return cmp.compare_docs([("base", base)], [("new", new)], noise=noise, test_references=True)


def _short(row: cmp.Row) -> str:
    return row.name.split(".", 1)[1]


def _model(comparisons: list[cmp.Comparison]) -> dict:
    per: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for comp in comparisons:
        for r in comp.rows:
            if r.method == "blocks" and r.ratio:
                per[r.key].append((math.log(r.ratio), r.se_log or 0.0))
    return {
        k: stats.learn_noise([d for d, _ in v], [s for _, s in v])
        for k, v in per.items()
        if len(v) >= 3
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("campaign", type=Path)
    parser.add_argument("--json", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args()
    aa_runs = sorted(p for p in args.campaign.glob("aa-*") if (p / "comparison.json").is_file())
    inj_runs = sorted(p for p in args.campaign.glob("inj-*") if (p / "comparison.json").is_file())
    if not aa_runs:
        raise SystemExit(f"{args.campaign}: no A/A runs")
    meta = [json.loads((p / "run.json").read_text()) for p in [*aa_runs, *inj_runs]]
    aa_plain = [_compare(p) for p in aa_runs]
    out: dict[str, Any] = {"aa_runs": len(aa_runs), "injected_runs": len(inj_runs)}
    secs = [m["seconds"] for m in meta]
    loads = [m["load_before"] for m in meta]
    print(
        f"{len(aa_runs)} A/A and {len(inj_runs)} injected runs; duration per A/B median "
        f"{np.median(secs) / 60:.1f} min [{min(secs) / 60:.1f}, {max(secs) / 60:.1f}]; "
        f"load average before a run median {np.median(loads):.1f} "
        f"[{min(loads):.1f}, {max(loads):.1f}]\n"
    )

    # ---------------------------------------------------------------- A/A false alarms
    print("## A/A\n")
    print("| noise threshold | runs with an alarm | alarms / timing comparisons | inconclusive |")
    print("|---|---:|---:|---:|")
    for label, comps in (
        ("default (3%)", aa_plain),
        (
            "learned from the other A/A runs",
            [
                _compare(p, _model([c for j, c in enumerate(aa_plain) if j != i]))
                for i, p in enumerate(aa_runs)
            ],
        ),
    ):
        tested = [[r for r in c.rows if r.method == "blocks"] for c in comps]
        alarms = [sum(r.status in ALARMS for r in t) for t in tested]
        other = [sum(r.status in ALARMS for r in c.rows if r.method != "blocks") for c in comps]
        n = sum(len(t) for t in tested)
        inc = sum(r.status == "inconclusive" for t in tested for r in t)
        print(
            f"| {label} | {sum(a + o > 0 for a, o in zip(alarms, other))} of {len(comps)} "
            f"| {sum(alarms)} / {n} ({sum(alarms) / n:.2%}) | {inc / n:.0%} |"
        )
        out.setdefault("aa", {})[label] = {
            "runs_with_alarm": sum(a + o > 0 for a, o in zip(alarms, other)),
            "alarms": sum(alarms),
            "comparisons": n,
            "other_alarms": sum(other),
            "inconclusive": inc,
        }
    deterministic = [r for c in aa_plain for r in c.rows if r.method == "deterministic"]
    value_rows = [r for c in aa_plain for r in c.rows if r.method == "value"]
    print(
        f"\ndeterministic rows (compression ratio): {len(deterministic)}, changed: "
        f"{sum(r.status in ALARMS for r in deterministic)}; peak-memory rows on blocks are "
        f"counted above; value-only rows: {len(value_rows)}\n"
    )

    # --------------------------------------------------------------- learned thresholds
    model = _model(aa_plain)
    print("## Noise per benchmark (from all A/A runs)\n")
    print("| benchmark | run-to-run sd | threshold | MDC (80% power) |")
    print("|---|---:|---:|---:|")
    t_crit = stats.t_critical(1 - cmp.DEFAULT_ALPHA, _blocks(aa_runs[0]))
    noise_rows = {}
    for key, noise in sorted(model.items()):
        name = key[0].split(".", 1)[1]
        params = json.loads(key[1])
        label = f"{name}({params.get('codec', '')})"
        mdc = noise.minimum_detectable(t_crit)
        noise_rows[label] = {"sd": noise.sd_run_log, "threshold": noise.threshold, "mdc": mdc}
        print(f"| `{label}` | {noise.sd_run_log:.1%} | {noise.threshold:.1%} | {mdc:.1%} |")
    out["noise"] = noise_rows

    # ----------------------------------------------------------------------- detection
    if inj_runs:
        print("\n## Injected slowdowns (noise model from all A/A runs)\n")
        print(
            "| benchmark | codec | injected encode CPU | found | measured ratio, median [range] |"
        )
        print("|---|---|---:|---:|---|")
        inj = [_compare(p, model) for p in inj_runs]
        inj_plain = [_compare(p) for p in inj_runs]
        detection = {}
        for bench in AFFECTED:
            for codec, extra in INJECTED.items():
                rows = [
                    next(
                        r
                        for r in c.rows
                        if _short(r).endswith(bench) and r.params.get("codec") == codec
                    )
                    for c in inj
                ]
                plain = [
                    next(
                        r
                        for r in c.rows
                        if _short(r).endswith(bench) and r.params.get("codec") == codec
                    )
                    for c in inj_plain
                ]
                found = sum(r.status == "regression" for r in rows)
                found_plain = sum(r.status == "regression" for r in plain)
                ratios = [r.ratio for r in rows if r.ratio]
                detection[f"{bench}({codec})"] = {
                    "injected": extra,
                    "found": found,
                    "found_default_threshold": found_plain,
                    "runs": len(rows),
                    "ratio_median": float(np.median(ratios)),
                }
                print(
                    f"| `{bench}` | {codec} | +{extra:.0%} | {found}/{len(rows)} "
                    f"(default threshold: {found_plain}/{len(rows)}) | {np.median(ratios):.3f} "
                    f"[{min(ratios):.3f}, {max(ratios):.3f}] |"
                )
        out["detection"] = detection
        untouched = [
            r
            for c in inj
            for r in c.rows
            if not (
                any(_short(r).endswith(b) for b in AFFECTED) and r.params.get("codec") in INJECTED
            )
        ]
        print(
            f"\nrows not touched by the injection: {len(untouched)}, alarms among them: "
            f"{sum(r.status in ALARMS for r in untouched)}"
        )
        out["untouched_alarms"] = sum(r.status in ALARMS for r in untouched)

    # ------------------------------------------------------------------- wall vs CPU
    print("\n## Wall time against process CPU time (A/A)\n")
    print("| codec | wall: run-to-run sd | CPU: run-to-run sd | wall: median se | CPU: median se |")
    print("|---|---:|---:|---:|---:|")
    steadiness = {}
    for codec in INJECTED:
        cells = []
        for bench in ("Write.time_write", "WriteCPU.time_write"):
            rows = [
                next(
                    r
                    for r in c.rows
                    if _short(r).endswith(bench) and r.params.get("codec") == codec
                )
                for c in aa_plain
            ]
            logs = np.log([r.ratio for r in rows])
            cells.append(
                (float(np.sqrt(np.mean(logs**2))), float(np.median([r.se_log for r in rows])))
            )
        steadiness[codec] = {"wall": cells[0], "cpu": cells[1]}
        print(
            f"| {codec} | {cells[0][0]:.1%} | {cells[1][0]:.1%} | {cells[0][1]:.1%} "
            f"| {cells[1][1]:.1%} |"
        )
    out["wall_vs_cpu"] = steadiness
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")


def _blocks(run: Path) -> int:
    return int(json.loads((run / "comparison.json").read_text()).get("blocks", 10))


if __name__ == "__main__":
    main()
