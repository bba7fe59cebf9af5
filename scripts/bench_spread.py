"""Run-to-run spread of the suite's write/read medians.

Give it two asv result files of the same commit and machine (two runs of the same
preset); it prints, for every time benchmark and parameter combination present in
both, the relative difference of the medians, and the share within 5%::

    .venv/bin/python scripts/bench_spread.py RUN1.json RUN2.json [--pattern 'time_(write|read)']
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path


def _medians(path: Path, pattern: re.Pattern[str]) -> dict[tuple[str, int], float]:
    doc = json.loads(path.read_text())
    columns = doc["result_columns"]
    out = {}
    for name, row in doc["results"].items():
        if not pattern.search(name):
            continue
        entry = dict(zip(columns, row))
        for i, value in enumerate(entry.get("result") or []):
            if value is not None and value == value:  # skip failed and NaN (skipped)
                out[(name, i)] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--pattern", default=r"\.time_(write|read)")
    parser.add_argument("--threshold", type=float, default=0.05)
    args = parser.parse_args()
    pattern = re.compile(args.pattern)
    a, b = _medians(args.first, pattern), _medians(args.second, pattern)
    common = sorted(set(a) & set(b))
    if not common:
        raise SystemExit("no benchmark appears in both files")
    diffs = [abs(b[k] / a[k] - 1) for k in common]
    within = sum(d <= args.threshold for d in diffs)
    print(f"{len(common)} medians in both runs")
    print(f"within {args.threshold:.0%}: {within} ({within / len(common):.0%})")
    print(
        f"median |difference|: {statistics.median(diffs):.1%}; "
        f"90th percentile: {sorted(diffs)[int(0.9 * (len(diffs) - 1))]:.1%}; "
        f"max: {max(diffs):.1%}"
    )
    worst = sorted(zip(diffs, common), reverse=True)[:5]
    for d, (name, i) in worst:
        print(f"  {d:6.1%}  {name} [param combination {i}]")


if __name__ == "__main__":
    main()
