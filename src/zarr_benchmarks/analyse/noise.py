"""Each benchmark's noise on one machine, learned from real A/A comparisons.

An A/A comparison runs the same environment on both sides, so every deviation of its
ratio from 1 is noise. :func:`learn` pools the paired-block rows of several A/A
``comparison.json`` files (written by ``zarr-benchmarks ab``) into a noise model: per
benchmark and parameters the run-to-run spread of the log ratio and the typical
standard error within a run. ``compare --noise`` and ``ab --noise`` then judge each
benchmark against its own threshold (:attr:`zarr_benchmarks.analyse.stats.Noise.threshold`)
instead of one global factor, and show its minimum detectable change.

File format (``kind: noise``, schema version 1)::

    {"schema_version": 1, "kind": "noise", "sources": [...],
     "benchmarks": {"<name>|<params key>": {"name": ..., "params": {...},
                    "n_runs": 10, "sd_run_log": 0.004, "se_log": 0.003,
                    "threshold": 0.01}}}
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zarr_benchmarks._format import SCHEMA_VERSION
from zarr_benchmarks.analyse import stats
from zarr_benchmarks.analyse.compare import CompareInputError, params_key

__all__ = ["NoiseModel", "learn", "load_noise"]

#: Fewer A/A runs than this say too little about a benchmark's spread.
MIN_RUNS = 3

NoiseModel = dict[tuple[str, str], stats.Noise]


def _read(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CompareInputError(f"{path}: cannot read file ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise CompareInputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(doc, dict):
        raise CompareInputError(f"{path}: expected a JSON object")
    return doc


def learn(comparisons: Sequence[Path]) -> tuple[NoiseModel, dict[str, Any]]:
    """Learn a noise model from A/A ``comparison.json`` files.

    Only rows decided on paired blocks count. A comparison whose environments differ
    is refused: it is not an A/A run.

    Returns
    -------
    (model, document)
        The model and its JSON document (see the module docstring).
    """
    estimates: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    params: dict[tuple[str, str], dict[str, Any]] = {}
    for path in comparisons:
        doc = _read(path)
        if doc.get("kind") != "comparison":
            raise CompareInputError(f"{path}: not a comparison (kind={doc.get('kind')!r})")
        differences = doc.get("environments", {}).get("differences")
        if differences:
            raise CompareInputError(
                f"{path}: not an A/A comparison (packages differ: {'; '.join(differences)})"
            )
        for row in doc.get("rows", []):
            if row.get("method") != "blocks" or row.get("ratio") is None:
                continue
            ratio, se = float(row["ratio"]), float(row.get("se_log") or 0.0)
            if ratio <= 0:
                continue
            key = (str(row["name"]), params_key(row.get("params", {})))
            params[key] = dict(row.get("params", {}))
            estimates[key].append((math.log(ratio), se))
    model: NoiseModel = {}
    entries: dict[str, Any] = {}
    for key, values in sorted(estimates.items()):
        if len(values) < MIN_RUNS:
            continue
        noise = stats.learn_noise([d for d, _ in values], [se for _, se in values])
        model[key] = noise
        entries["|".join(key)] = {
            "name": key[0],
            "params": params[key],
            "n_runs": noise.n_runs,
            "sd_run_log": noise.sd_run_log,
            "se_log": noise.se_log,
            "threshold": noise.threshold,
        }
    if not model:
        raise CompareInputError(
            f"no benchmark has paired-block rows in at least {MIN_RUNS} of the "
            f"{len(comparisons)} comparison(s); run more A/A comparisons with `zarr-benchmarks ab`"
        )
    document = {
        "schema_version": SCHEMA_VERSION,
        "kind": "noise",
        "sources": [Path(p).name for p in comparisons],
        "benchmarks": entries,
    }
    return model, document


def load_noise(path: str | Path) -> NoiseModel:
    """Read a noise model written by :func:`learn` (``zarr-benchmarks noise learn``)."""
    p = Path(path)
    doc = _read(p)
    if doc.get("kind") != "noise" or doc.get("schema_version") != SCHEMA_VERSION:
        raise CompareInputError(
            f"{p}: not a noise model (kind={doc.get('kind')!r}, "
            f"schema_version={doc.get('schema_version')!r}); make one with "
            "`zarr-benchmarks noise learn`"
        )
    model: NoiseModel = {}
    for label, entry in (doc.get("benchmarks") or {}).items():
        try:
            key = (str(entry["name"]), params_key(entry["params"]))
            model[key] = stats.Noise(
                n_runs=int(entry["n_runs"]),
                sd_run_log=float(entry["sd_run_log"]),
                se_log=float(entry["se_log"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CompareInputError(f"{p}: benchmarks.{label}: malformed entry ({exc})") from exc
    return model
