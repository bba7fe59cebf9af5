"""``zarr-benchmarks run``: run asv, then reduce what it wrote, and summarise it.

This ties the run stage (:mod:`zarr_benchmarks.run.asv_run`, the run record) to the
results stage (:mod:`zarr_benchmarks.results.reduce`), so it lives in the later one.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks._jsonio import atomic_write_text
from zarr_benchmarks._privacy import scrub
from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.results.model import ResultDoc
from zarr_benchmarks.results.reduce import ReduceReport, reduce_paths
from zarr_benchmarks.run.asv_run import (
    ProgressParser,
    RunOptions,
    asv_command,
    asv_results_dir,
    filter_env,
    head_commit,
    is_dirty,
    new_result_files,
    run_asv,
)
from zarr_benchmarks.run.records import RunMeta, write_run_records
from zarr_benchmarks.suite.presets import get_matrix, shape_for

__all__ = ["RunOutcome", "run_and_reduce", "summary_rows"]

#: Whole-array benchmark methods: bytes processed = the uncompressed array size.
_WHOLE_ARRAY_METHODS = frozenset({"time_write", "time_read", "time_encode", "time_decode"})


def _bytes_for(bench: str, params: Mapping[str, Any], size: str | None) -> int | None:
    if bench.rsplit(".", 1)[-1] not in _WHOLE_ARRAY_METHODS or "modality" not in params:
        return None
    try:
        modality = get_modality(str(params["modality"]))
        shape = shape_for(modality, size or get_matrix().size)
        return int(math.prod(shape)) * np.dtype(modality.dtype).itemsize
    except Exception:  # unknown modality or an older suite: no throughput, just medians
        return None


def summary_rows(documents: Iterable[Mapping[str, Any]], size: str | None = None) -> list[dict]:
    """One row per benchmark and parameter set: status, median, unit, MB/s if known."""
    rows = []
    for doc in documents:
        result = ResultDoc("", doc)
        for entry in sorted(result.entries(), key=lambda e: e.benchmark):
            median = None
            values = list(entry.samples) or ([] if entry.value is None else [entry.value])
            if entry.status == "ok" and values:
                median = statistics.median(values)
            mbps = None
            if median and entry.type == "time":
                nbytes = _bytes_for(entry.benchmark, entry.params, result.size or size)
                if nbytes:
                    mbps = nbytes / median / 1e6
            rows.append(
                {
                    "benchmark": entry.benchmark,
                    "params": ", ".join(f"{k}={v}" for k, v in entry.params.items()),
                    "status": entry.status,
                    "median": median,
                    "unit": entry.unit,
                    "mb_per_s": mbps,
                }
            )
    return rows


# --------------------------------------------------------------------------- orchestration


@dataclass
class RunOutcome:
    """What :func:`run_and_reduce` produced."""

    returncode: int
    commit: str
    dirty: bool
    asv_files: list[Path]
    report: ReduceReport | None
    log: Path
    failed: list[str]

    @property
    def ok(self) -> bool:
        """No benchmark failed and asv exited cleanly."""
        return self.returncode == 0 and not self.failed


def run_and_reduce(
    root: Path,
    machine: dict[str, Any],
    environment: dict[str, Any],
    options: RunOptions,
    on_stdout: Callable[[str], None],
    on_stderr: Callable[[str], None],
    commit: str | None = None,
) -> RunOutcome:
    """Run asv for ``commit`` (default HEAD) and reduce what it wrote.

    Parameters
    ----------
    root
        Clone root (with ``asv.conf.json``).
    machine, environment
        Documents describing where the run happens (recorded with the results).
    options
        Filters, preset and output folder.
    on_stdout, on_stderr
        Receive asv's scrubbed output lines (progress display, ``--debug``).
    commit
        Commit hash to record; HEAD when None.
    """
    commit = commit or head_commit(root)
    dirty = is_dirty(root)
    results_dir = asv_results_dir(root)
    started = time.time()
    lines: list[str] = []

    def out(line: str) -> None:
        lines.append(line)
        on_stdout(line)

    def err(line: str) -> None:
        lines.append("[stderr] " + line)
        on_stderr(line)

    cmd = asv_command(machine["name"], commit, options)
    rc = run_asv(cmd, root, filter_env(options), out, err)
    files = new_result_files(results_dir, machine["name"], commit, started)
    stamp = datetime.fromtimestamp(started, tz=UTC).strftime("%Y-%m-%d-%H-%M-%S")
    log = atomic_write_text(
        root / ".asv" / "zarr-benchmarks-logs" / f"run-{stamp}.log",
        "\n".join(scrub([" ".join(cmd[1:]), *lines])) + "\n",
    )
    parser = ProgressParser()
    for line in lines:
        parser.feed(line)
    meta = RunMeta(
        dirty=dirty,
        quick=options.preset == "quick",
        preset=options.preset,
        size=options.size or get_matrix(options.preset, environ={}).size,
        started_ms=int(started * 1000) - 1000,
        machine=machine,
        environment=environment,
    )
    report = None
    if files:
        write_run_records(files, meta)
        report = reduce_paths(files, options.output)
    failed = sorted(set(parser.failed))
    if report is not None:
        failed = sorted(
            set(failed)
            | {
                name
                for d in report.documents
                for name, b in d["benchmarks"].items()
                if any(e["status"] == "failed" for e in b["results"])
            }
        )
    return RunOutcome(rc, commit, dirty, files, report, log, failed)
