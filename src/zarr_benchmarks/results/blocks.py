"""Results measured in independent blocks, and merging them into one document.

A *block* is one independent measurement of a benchmark: one asv invocation, in which
asv runs each parameter combination in a fresh process. Samples taken back to back
inside one process share that process's state (allocator, caches, CPU frequency, the
neighbours of the moment) and are not independent; blocks are. The A/B drivers
(:mod:`zarr_benchmarks.analyse.ab`, :mod:`zarr_benchmarks.analyse.envab`) run each side as a sequence
of blocks, reduce each block's asv file on its own, and merge them here: ``samples``
stays the concatenation (so every older reader still works) and ``blocks`` keeps the
grouping, in run order, for :func:`zarr_benchmarks.analyse.stats.paired_block_stats`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["merge_blocks"]


def _entry_key(entry: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, repr(v)) for k, v in entry.get("params", {}).items()))


def merge_blocks(docs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Merge reduced result documents of consecutive blocks of one side.

    Parameters
    ----------
    docs
        Reduced ``result`` documents, one per block, in run order; same machine,
        environment and preset.

    Returns
    -------
    dict
        One ``result`` document: the first block's metadata, every benchmark of any
        block, per entry ``samples`` concatenated over the blocks where it ran ``ok``,
        ``blocks`` the per-block samples, ``value`` the median of the block values.
        An entry that failed (or was skipped) in any block keeps that status, with the
        block numbers in ``problems``.
    """
    if not docs:
        raise ValueError("merge_blocks needs at least one block")
    out = copy.deepcopy(dict(docs[0]))
    out["benchmarks"] = {}
    problems: list[str] = []
    # name -> entry key -> list of (block index, entry)
    seen: dict[str, dict[tuple[tuple[str, str], ...], list[tuple[int, dict[str, Any]]]]] = {}
    meta: dict[str, dict[str, Any]] = {}
    for index, doc in enumerate(docs):
        for problem in doc.get("problems", []):
            text = f"block {index + 1}: {problem}"
            if text not in problems:
                problems.append(text)
        for name, bench in doc.get("benchmarks", {}).items():
            meta.setdefault(name, {k: v for k, v in bench.items() if k != "results"})
            per_key = seen.setdefault(name, {})
            for entry in bench.get("results", []):
                per_key.setdefault(_entry_key(entry), []).append((index, entry))
    for name, per_key in seen.items():
        results = []
        for occurrences in per_key.values():
            first = occurrences[0][1]
            bad = [e for _, e in occurrences if e.get("status") != "ok"]
            if bad:
                e = bad[0]
                results.append(
                    {"params": first["params"], "status": e["status"], "samples": [], "value": None}
                )
                continue
            blocks = [list(e.get("samples", [])) for _, e in occurrences]
            values = [e["value"] for _, e in occurrences]
            pooled = [s for block in blocks for s in block]
            value = (
                float(np.median(pooled))
                if meta[name].get("type") == "time" and pooled
                else float(np.median(values))
            )
            results.append(
                {
                    "params": first["params"],
                    "status": "ok",
                    "samples": pooled,
                    "value": value,
                    "blocks": blocks,
                }
            )
        out["benchmarks"][name] = {**meta[name], "results": results}
    out["problems"] = problems
    return out
