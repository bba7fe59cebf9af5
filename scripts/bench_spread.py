"""Run-to-run spread of the suite's write/read medians.

Give it two result files of the same commit and machine (two runs of the same preset):
reduced result files (``results/result_*.json``) or asv's own result files
(``.asv/results/<machine>/<commit>-*.json``), both read through the one result model.
It prints, for every time benchmark and parameter combination present in both, the
relative difference of the medians, and the share within 5%::

    .venv/bin/python scripts/bench_spread.py RUN1.json RUN2.json [--pattern 'time_(write|read)']
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

from zarr_benchmarks.results.model import ResultInputError, read_result

Key = tuple[str, str]


def medians(path: Path, pattern: re.Pattern[str]) -> dict[Key, float]:
    """``{(benchmark, parameters): median}`` of the time benchmarks ``pattern`` finds.

    Failed and skipped results, and results without a number, are left out.
    """
    out: dict[Key, float] = {}
    for entry in read_result(path).entries():
        if entry.type != "time" or entry.status != "ok" or not pattern.search(entry.benchmark):
            continue
        value = entry.value
        if value is None and entry.samples:
            value = statistics.median(entry.samples)
        if value is None or value != value or value <= 0:  # NaN: skipped
            continue
        params = ", ".join(f"{k}={entry.params[k]}" for k in sorted(entry.params))
        out[(entry.benchmark, params)] = value
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("first", type=Path, help="result file of the first run")
    parser.add_argument("second", type=Path, help="result file of the second run")
    parser.add_argument("--pattern", default=r"\.time_(write|read)", help="benchmark regex")
    parser.add_argument("--threshold", type=float, default=0.05)
    args = parser.parse_args(argv)
    try:
        pattern = re.compile(args.pattern)
    except re.error as exc:
        print(
            f"error: --pattern {args.pattern!r} is not a regular expression: {exc}", file=sys.stderr
        )
        return 2
    try:
        a, b = medians(args.first, pattern), medians(args.second, pattern)
    except ResultInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    common = sorted(set(a) & set(b))
    if not common:
        print(
            f"error: no time benchmark matching {args.pattern!r} has a median in both "
            f"{args.first} and {args.second}",
            file=sys.stderr,
        )
        return 2
    diffs = [abs(b[k] / a[k] - 1) for k in common]
    within = sum(d <= args.threshold for d in diffs)
    print(f"{len(common)} medians in both runs")
    print(f"within {args.threshold:.0%}: {within} ({within / len(common):.0%})")
    print(
        f"median |difference|: {statistics.median(diffs):.1%}; "
        f"90th percentile: {sorted(diffs)[int(0.9 * (len(diffs) - 1))]:.1%}; "
        f"max: {max(diffs):.1%}"
    )
    worst = sorted(zip(diffs, common, strict=True), reverse=True)[:5]
    for d, (name, params) in worst:
        print(f"  {d:6.1%}  {name} [{params}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
