"""The run record: what ``zarr-benchmarks run`` knows that asv's result file does not.

It is stored beside each asv result file (``<result>.zarr-benchmarks``) by the run
stage and read back by :mod:`zarr_benchmarks.results.reduce`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zarr_benchmarks._format import SCHEMA_VERSION
from zarr_benchmarks._jsonio import atomic_write_json

__all__ = ["SIDECAR_SUFFIX", "RunMeta", "RunRecordError", "sidecar_path", "write_run_records"]

#: Run record written by ``zarr-benchmarks run`` next to asv's file (not ``.json``: asv
#: treats every ``.json`` in its results tree as a result file).
SIDECAR_SUFFIX = ".zarr-benchmarks"


class RunRecordError(ValueError):
    """A run record that cannot be read; the message names the file."""


@dataclass
class RunMeta:
    """What ``zarr-benchmarks run`` knows that asv's file does not.

    Attributes
    ----------
    dirty, quick, preset
        Working-tree state and run kind, copied into the result.
    size
        Array size the suite ran at (``tiny``...``large``), so throughput can be derived.
    started_ms
        Run start (ms since epoch); benchmarks asv kept from earlier runs are ignored.
    machine, environment
        ``machine`` / ``environment`` documents captured at run time.
    """

    dirty: bool = False
    quick: bool = False
    preset: str = "default"
    size: str | None = None
    started_ms: int | None = None
    machine: dict[str, Any] | None = None
    environment: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form stored in the sidecar file."""
        return {
            "schema_version": SCHEMA_VERSION,
            "dirty": self.dirty,
            "quick": self.quick,
            "preset": self.preset,
            "size": self.size,
            "started_ms": self.started_ms,
            "machine": self.machine,
            "environment": self.environment,
        }

    @classmethod
    def from_json(cls, data: Any, source: Path) -> RunMeta:
        """Parse a sidecar; raises :class:`RunRecordError` naming ``source`` if malformed."""
        if not isinstance(data, dict) or not isinstance(data.get("dirty"), bool):
            raise RunRecordError(f"{source}: not a zarr-benchmarks run record")
        return cls(
            dirty=data["dirty"],
            quick=bool(data.get("quick", False)),
            preset=str(data.get("preset") or "default"),
            size=data.get("size"),
            started_ms=data.get("started_ms"),
            machine=data.get("machine"),
            environment=data.get("environment"),
        )


def sidecar_path(asv_result: str | os.PathLike[str]) -> Path:
    """Run-record path that belongs to an asv result file."""
    return Path(asv_result).with_suffix(SIDECAR_SUFFIX)


def write_run_records(files: Iterable[Path], meta: RunMeta) -> list[Path]:
    """Store the run record next to each asv result file (read back by ``reduce``)."""
    return [atomic_write_json(sidecar_path(f), meta.to_json()) for f in files]
