"""Realistic synthetic benchmark results for the compare/history tests.

Timings are log-normal around a per-benchmark median (1 ms .. 1 s) with a
per-benchmark spread (1-10 % CV) and occasional slow outliers (interference from
other processes: 5 % of samples 1.3-3x slower), n = 10-20 samples per side, as asv
records them with ``--record-samples``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

MACHINE_A = hashlib.sha256(b"machine-a").hexdigest()
MACHINE_B = hashlib.sha256(b"machine-b").hexdigest()
ENV = hashlib.sha256(b"env").hexdigest()


def draw_timings(rng: np.random.Generator, median: float, sigma: float, n: int) -> list[float]:
    """Log-normal samples with occasional slow outliers."""
    x = median * np.exp(rng.normal(0.0, sigma, n))
    slow = rng.random(n) < 0.05
    x[slow] *= rng.uniform(1.3, 3.0, slow.sum())
    return [float(v) for v in x]


def suite_spec(rng: np.random.Generator, n_benchmarks: int = 50) -> list[dict[str, Any]]:
    """Fixed properties (median, spread) of ``n_benchmarks`` time benchmarks."""
    codecs = ["none", "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle", "zstd-3", "gzip-5"]
    modalities = ["ct", "cryoet", "sem", "light_sheet", "labels_dense"]
    spec = []
    for i in range(n_benchmarks):
        spec.append(
            {
                "name": "bench_read.Read.time_read" if i % 2 else "bench_write.Write.time_write",
                "params": {
                    "modality": modalities[(i // 2) % 5],
                    "codec": codecs[(i // 10) % 5],
                    "chunks": "cube64" if i < 50 else f"cube{i}",
                },
                "median": float(10 ** rng.uniform(-3, 0)),
                "sigma": float(rng.uniform(0.01, 0.10)),
            }
        )
    return spec


def make_doc(
    entries: list[dict[str, Any]],
    *,
    machine_id: str = MACHINE_A,
    timestamp: str = "2026-11-22-03-30-00",
    commit: str = "a" * 40,
    preset: str = "default",
    environment_id: str = ENV,
    extra_benchmarks: dict[str, Any] | None = None,
    size: str | None = None,
) -> dict[str, Any]:
    """A reduced result document (docs/formats.md) from flat entries.

    Each entry: ``name``, ``params``, ``samples`` (or ``blocks``, lists of samples per
    independent block) and optionally ``type``, ``unit``, ``version``, ``status``.
    """
    benchmarks: dict[str, Any] = {}
    for e in entries:
        typ = e.get("type", "time")
        unit = e.get("unit", {"time": "seconds", "peakmem": "bytes"}.get(typ, "ratio"))
        bench = benchmarks.setdefault(
            e["name"],
            {
                "version": e.get("version", "v" * 64),
                "unit": unit,
                "type": typ,
                "param_names": list(e["params"]),
                "results": [],
            },
        )
        status = e.get("status", "ok")
        blocks = [list(b) for b in e.get("blocks", [])] if status == "ok" else []
        samples = [x for b in blocks for x in b] or list(e.get("samples", []))
        samples = samples if status == "ok" else []
        result: dict[str, Any] = {
            "params": dict(e["params"]),
            "status": status,
            "samples": samples,
            "value": float(np.median(samples)) if status == "ok" else None,
        }
        if blocks:
            result["blocks"] = blocks
        bench["results"].append(result)
    benchmarks.update(extra_benchmarks or {})
    return {
        "schema_version": 1,
        "kind": "result",
        "timestamp": timestamp,
        "commit_hash": commit,
        "dirty": False,
        "quick": False,
        "preset": preset,
        **({"size": size} if size else {}),
        "machine_id": machine_id,
        "environment_id": environment_id,
        "benchmarks": benchmarks,
        "problems": [],
    }


def sample_suite(
    rng: np.random.Generator,
    spec: list[dict[str, Any]],
    *,
    slowdown: dict[int, float] | None = None,
) -> list[dict[str, Any]]:
    """One run of the suite: fresh samples for every benchmark in ``spec``."""
    slowdown = slowdown or {}
    out = []
    for i, s in enumerate(spec):
        n = int(rng.integers(10, 21))
        median = s["median"] * slowdown.get(i, 1.0)
        out.append(
            {
                "name": s["name"],
                "params": s["params"],
                "samples": draw_timings(rng, median, s["sigma"], n),
            }
        )
    return out


def reference_benchmarks(bandwidth_gbs: float, codec_times: dict[tuple[str, str], float]) -> dict:
    """``bench_reference.*`` entries as the suite records them."""
    out: dict[str, Any] = {
        "bench_reference.MemoryBandwidth.track_memory_copy_bandwidth": {
            "version": "r" * 64,
            "unit": "GB/s",
            "type": "track",
            "param_names": [],
            "results": [
                {"params": {}, "status": "ok", "samples": [bandwidth_gbs], "value": bandwidth_gbs}
            ],
        }
    }
    for op in ("encode", "decode"):
        results = []
        for (modality, codec), t in codec_times.items():
            samples = [t * f for f in (0.99, 1.0, 1.01)]
            results.append(
                {
                    "params": {"modality": modality, "codec": codec},
                    "status": "ok",
                    "samples": samples,
                    "value": t,
                }
            )
        if results:
            out[f"bench_reference.CodecCeilings.time_{op}"] = {
                "version": "c" * 64,
                "unit": "seconds",
                "type": "time",
                "param_names": ["modality", "codec"],
                "results": results,
            }
    return out


def paired_blocks(
    rng: np.random.Generator,
    median: float,
    *,
    n_blocks: int = 10,
    per_block: int = 7,
    drift: float = 0.10,
    block_sigma: float = 0.02,
    sample_sigma: float = 0.02,
    change: float = 1.0,
) -> tuple[list[list[float]], list[list[float]]]:
    """Blocks of two sides measured side by side: a shared per-block machine state
    (``drift``, log-normal), each block's own state (``block_sigma``) and sample noise
    with outliers; NEW is ``change`` times BASE."""
    base, new = [], []
    for _ in range(n_blocks):
        state = median * float(np.exp(rng.normal(0.0, drift)))
        for side, factor in ((base, 1.0), (new, change)):
            level = state * factor * float(np.exp(rng.normal(0.0, block_sigma)))
            side.append(draw_timings(rng, level, sample_sigma, per_block))
    return base, new
