"""Schema-valid example documents with random ids (tests, the load script, demos).

Nothing here describes the real machine: names, ids and values are random.
"""

from __future__ import annotations

import random
import secrets
from typing import Any

_CODECS = ("blosc-zstd-5-shuffle", "blosc-lz4-5-shuffle", "zstd-3", "gzip-6", "none")
_MODALITIES = ("cryoet", "light_sheet", "confocal", "sem", "synthetic")


def random_id() -> str:
    """A random 64-hex id."""
    return secrets.token_hex(32)


def machine_document(machine_id: str | None = None, name: str = "HappySun") -> dict[str, Any]:
    """A machine info document (schema version 1)."""
    return {
        "schema_version": 1,
        "kind": "machine",
        "machine_id": machine_id or random_id(),
        "name": name,
        "hardware": {
            "cpu": {
                "model": "Example CPU 3000",
                "arch": "x86_64",
                "logical_cores": 2,
                "physical_cores": 2,
            },
            "memory": {"total_bytes": 8 * 2**30},
            "disk": {"filesystem": "ext4", "kind": "ssd"},
            "gpu": [],
        },
        "os": {"system": "Linux", "release": "6.1.0", "machine": "x86_64"},
        "python": {"implementation": "CPython", "version": "3.11.7"},
    }


def environment_document(environment_id: str | None = None) -> dict[str, Any]:
    """An environment info document (schema version 1)."""
    return {
        "schema_version": 1,
        "kind": "environment",
        "environment_id": environment_id or random_id(),
        "python": {"implementation": "CPython", "version": "3.11.7"},
        "packages": {"zarr": "3.1.6", "numcodecs": "0.16.6", "numpy": "2.4.6", "asv": "0.6.6"},
    }


def result_document(
    machine_id: str | None = None,
    environment_id: str | None = None,
    *,
    timestamp: str = "2026-11-22-03-30-00",
    n_entries: int = 3,
    seed: int | None = None,
) -> dict[str, Any]:
    """A result document with ``n_entries`` write-time entries and one track benchmark."""
    rng = random.Random(seed)
    entries = []
    for i in range(n_entries):
        samples = [round(rng.uniform(0.01, 0.02), 6) for _ in range(3)]
        entries.append(
            {
                "params": {
                    "modality": _MODALITIES[i % len(_MODALITIES)],
                    "codec": _CODECS[i % len(_CODECS)],
                    "chunks": "cube64",
                },
                "status": "ok",
                "samples": samples,
                "value": sorted(samples)[1],
            }
        )
    entries.append(
        {
            "params": {"modality": "cryoet", "codec": "none", "chunks": "cube64"},
            "status": "skipped",
            "samples": [],
            "value": None,
        }
    )
    ratio = round(rng.uniform(1.5, 4.0), 4)
    return {
        "schema_version": 1,
        "kind": "result",
        "timestamp": timestamp,
        "commit_hash": secrets.token_hex(20),
        "dirty": False,
        "quick": True,
        "preset": "default",
        "machine_id": machine_id or random_id(),
        "environment_id": environment_id or random_id(),
        "benchmarks": {
            "bench_write.Write.time_write": {
                "version": secrets.token_hex(8),
                "unit": "seconds",
                "type": "time",
                "param_names": ["modality", "codec", "chunks"],
                "results": entries,
            },
            "bench_ratio.Ratio.track_ratio": {
                "version": secrets.token_hex(8),
                "unit": "ratio",
                "type": "track",
                "param_names": ["modality", "codec", "chunks"],
                "results": [
                    {
                        "params": {"modality": "cryoet", "codec": "zstd-3", "chunks": "cube64"},
                        "status": "ok",
                        "samples": [ratio],
                        "value": ratio,
                    }
                ],
            },
        },
        "problems": ["bench_write.Write.time_write {'codec': 'none'}: skipped"],
    }
