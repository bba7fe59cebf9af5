"""Reduced result files for the report and dashboard tests, built per docs/formats.md.

Figures are chosen so the expected report is known by hand: for every machine,
modality, codec and chunk layout the test states the median write/read time and the
compression ratio; ``expected_mb_s`` gives the throughput the report must show.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks._jsonio import atomic_write_json, sha256_id
from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.results.schemas import validate
from zarr_benchmarks.suite.presets import shape_for


def machine_doc(name: str, cpu: str) -> dict[str, Any]:
    hardware = {
        "cpu": {"model": cpu, "arch": "x86_64", "logical_cores": 2, "physical_cores": 2},
        "memory": {"total_bytes": 8 * 2**30},
        "disk": {"filesystem": "ext4", "kind": "ssd"},
        "gpu": [],
    }
    doc = {
        "schema_version": 1,
        "kind": "machine",
        "machine_id": sha256_id(hardware),
        "name": name,
        "hardware": hardware,
        "os": {"system": "Linux", "release": "6.1.0", "machine": "x86_64"},
        "python": {"implementation": "CPython", "version": "3.11.7"},
    }
    validate(doc)
    return doc


def environment_doc(zarr_version: str = "3.1.6") -> dict[str, Any]:
    packages = {"zarr": zarr_version, "numcodecs": "0.16.6", "numpy": "2.4.6", "asv": "0.6.6"}
    python = {"implementation": "CPython", "version": "3.11.7"}
    doc = {
        "schema_version": 1,
        "kind": "environment",
        "environment_id": sha256_id({"python": python, "packages": packages}),
        "python": python,
        "packages": packages,
    }
    validate(doc)
    return doc


def array_bytes(modality: str, size: str) -> int:
    m = get_modality(modality)
    return math.prod(shape_for(m, size)) * np.dtype(m.dtype).itemsize


def _entry(params: dict[str, Any], value: float | None, samples: list[float] | None = None):
    if value is None:
        return {"params": params, "status": "failed", "samples": [], "value": None}
    return {"params": params, "status": "ok", "samples": samples or [value], "value": value}


def _time_samples(median: float) -> list[float]:
    # Five samples whose median is exactly ``median`` (and whose mean is not).
    return [median * 0.9, median, median * 1.05, median * 3.0, median * 0.95]


def result_doc(
    machine: dict[str, Any],
    environment: dict[str, Any],
    timestamp: str,
    cases: dict[tuple[str, str, str], tuple[float, float, float]],
    *,
    ceilings: dict[tuple[str, str], tuple[float, float]] | None = None,
    memcopy_gb_s: float | None = None,
    preset: str = "quick",
    commit: str = "a" * 40,
    failed: tuple[tuple[str, str, str], ...] = (),
) -> dict[str, Any]:
    """A reduced result document.

    Parameters
    ----------
    cases
        ``{(modality, codec, chunks): (write seconds, read seconds, ratio)}``.
    ceilings
        ``{(modality, codec): (encode seconds, decode seconds)}``.
    failed
        Combinations whose write failed (status ``failed``).
    """
    names = ["modality", "codec", "chunks"]

    def bench(type_: str, unit: str, entries: list, param_names=names) -> dict[str, Any]:
        return {
            "version": "0" * 64,
            "unit": unit,
            "type": type_,
            "param_names": list(param_names),
            "results": entries,
        }

    writes, reads, ratios = [], [], []
    for (modality, codec, chunks), (tw, tr, ratio) in sorted(cases.items()):
        p = {"modality": modality, "codec": codec, "chunks": chunks}
        bad = (modality, codec, chunks) in failed
        writes.append(_entry(p, None if bad else tw, None if bad else _time_samples(tw)))
        reads.append(_entry(p, tr, _time_samples(tr)))
        ratios.append(_entry(p, None if bad else ratio))
    benchmarks = {
        "bench_write.Write.time_write": bench("time", "seconds", writes),
        "bench_read.Read.time_read": bench("time", "seconds", reads),
        "bench_write.Write.track_compression_ratio": bench("track", "ratio", ratios),
    }
    if ceilings:
        enc, dec = [], []
        for (modality, codec), (te, td) in sorted(ceilings.items()):
            p = {"modality": modality, "codec": codec}
            enc.append(_entry(p, te, _time_samples(te)))
            dec.append(_entry(p, td, _time_samples(td)))
        cn = ["modality", "codec"]
        benchmarks["bench_reference.CodecCeilings.time_encode"] = bench("time", "seconds", enc, cn)
        benchmarks["bench_reference.CodecCeilings.time_decode"] = bench("time", "seconds", dec, cn)
    if memcopy_gb_s is not None:
        benchmarks["bench_reference.MemoryBandwidth.track_memory_copy_bandwidth"] = bench(
            "track", "GB/s", [_entry({}, memcopy_gb_s)], []
        )
    doc = {
        "schema_version": 1,
        "kind": "result",
        "timestamp": timestamp,
        "commit_hash": commit,
        "dirty": False,
        "quick": preset == "quick",
        "preset": preset,
        "machine_id": machine["machine_id"],
        "environment_id": environment["environment_id"],
        "benchmarks": benchmarks,
        "problems": [f"bench_write.Write.time_write {c}: failed" for c in failed],
    }
    validate(doc)
    return doc


def write_docs(folder: Path, docs: list[dict[str, Any]]) -> None:
    """Write documents under their docs/formats.md names."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        if doc["kind"] == "result":
            name = (
                f"result_timestamp-{doc['timestamp']}_machine-{doc['machine_id']}"
                f"_environment-{doc['environment_id']}.json"
            )
        else:
            name = f"info_{doc['kind']}-{doc[doc['kind'] + '_id']}.json"
        atomic_write_json(folder / name, doc)


# ---------------------------------------------------------------- the standard data set

LZ4, ZSTD, NONE = "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle", "none"
GZIP = "gzip-9"

#: machine A (HappySun): ct has a clear Pareto front on write: none (fast, 1x), lz4
#: (middle), gzip-9 (slow, best ratio); zstd is dominated by lz4 on write (slower and a
#: lower ratio).  light_sheet has only two codecs at one layout.
CASES_A = {
    ("ct", NONE, "cube64"): (0.010, 0.008, 1.0),
    ("ct", LZ4, "cube64"): (0.020, 0.010, 2.0),
    ("ct", ZSTD, "cube64"): (0.040, 0.012, 1.8),
    ("ct", GZIP, "cube64"): (0.200, 0.050, 3.0),
    ("ct", LZ4, "plane"): (0.025, 0.011, 1.9),
    ("ct", ZSTD, "plane"): (0.030, 0.016, 2.5),
    ("light_sheet", LZ4, "cube64"): (0.030, 0.020, 1.5),
    ("light_sheet", ZSTD, "cube64"): (0.060, 0.030, 2.2),
}
CEILINGS_A = {("ct", LZ4): (0.010, 0.005), ("ct", ZSTD): (0.020, 0.006)}
#: machine B (QuietMoon): ct only, twice as slow, same ratios; one failed write.
CASES_B = {k: (tw * 2, tr * 2, r) for k, (tw, tr, r) in CASES_A.items() if k[0] == "ct"}


def standard_docs() -> dict[str, Any]:
    """Two machines, one environment, three result files (A has an older run too)."""
    a = machine_doc("HappySun", "Test CPU A")
    b = machine_doc("QuietMoon", "Test CPU B")
    env = environment_doc()
    old_a = result_doc(
        a,
        env,
        "2026-01-01-00-00-00",
        {k: (t * 10, r * 10, q) for k, (t, r, q) in CASES_A.items()},
        commit="b" * 40,
    )
    new_a = result_doc(
        a, env, "2026-01-02-00-00-00", CASES_A, ceilings=CEILINGS_A, memcopy_gb_s=10.0
    )
    new_b = result_doc(
        b, env, "2026-01-02-06-00-00", CASES_B, failed=(("ct", GZIP, "cube64"),), commit="c" * 40
    )
    return {"machines": [a, b], "environment": env, "results": [old_a, new_a, new_b]}


def write_standard(folder: Path) -> dict[str, Any]:
    docs = standard_docs()
    write_docs(folder, [*docs["machines"], docs["environment"], *docs["results"]])
    return docs


def expected_mb_s(modality: str, seconds: float, size: str = "tiny") -> float:
    return array_bytes(modality, size) / seconds / 1e6
