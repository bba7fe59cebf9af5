"""The direct API: benchmark codecs on one dataset and pick the best per goal.

One module on purpose (about 480 lines): :class:`DatasetBenchmarkRunner` and
:func:`run_benchmark_request` are the public API of the seed guide, which users import
by these names; what they use is in the suite stage.

Example
-------
>>> from zarr_benchmarks import BenchmarkConfig, DatasetBenchmarkRunner, create_metadata
>>> meta = create_metadata("cryoet", (64, 64, 64))
>>> results = DatasetBenchmarkRunner(BenchmarkConfig(meta, codecs_to_test=["zstd-3"])).run()
>>> results["best_compression"]["codec"]
'zstd-3'
"""

from __future__ import annotations

import contextlib
import math
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.data.dataset_types import (
    CompressionProfile,
    DatasetMetadata,
    DatasetType,
    create_metadata,
)
from zarr_benchmarks.suite import implementations, zarr_io
from zarr_benchmarks.suite import storage as storage_mod
from zarr_benchmarks.suite.cases import Case
from zarr_benchmarks.suite.codecs import get_codec
from zarr_benchmarks.suite.config import BenchmarkConfig
from zarr_benchmarks.suite.quality import quality_metrics

#: a codec is "fast enough" for the balanced pick when both its write and read
#: throughput reach this fraction of the fastest codec's
BALANCED_SPEED_FRACTION = 0.5

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class CodecResult:
    """Measurements of one codec on one dataset (times in seconds)."""

    codec: str
    nbytes: int
    stored_nbytes: int
    write_times: list[float] = field(default_factory=list)
    read_times: list[float] = field(default_factory=list)
    #: lossy codecs only: PSNR, SSIM, MSE, MAE of the decoded data (see quality.py)
    quality: dict[str, float] | None = None

    @property
    def ratio(self) -> float:
        return self.nbytes / self.stored_nbytes if self.stored_nbytes else math.inf

    @property
    def write_time_s(self) -> float:
        return statistics.median(self.write_times)

    @property
    def read_time_s(self) -> float:
        return statistics.median(self.read_times)

    @property
    def write_mb_s(self) -> float:
        return self.nbytes / self.write_time_s / 1e6

    @property
    def read_mb_s(self) -> float:
        return self.nbytes / self.read_time_s / 1e6

    def to_dict(self) -> dict[str, Any]:
        extra = {"quality": dict(self.quality)} if self.quality is not None else {}
        return {
            "codec": self.codec,
            "ratio": self.ratio,
            "nbytes": self.nbytes,
            "stored_nbytes": self.stored_nbytes,
            "write_time_s": self.write_time_s,
            "read_time_s": self.read_time_s,
            "write_mb_s": self.write_mb_s,
            "read_mb_s": self.read_mb_s,
            "write_times_s": list(self.write_times),
            "read_times_s": list(self.read_times),
            **extra,
        }


def _best(results: list[CodecResult], goal: str) -> dict[str, Any]:
    if goal == "write":
        best = min(results, key=lambda r: r.write_time_s)
        return {
            "codec": best.codec,
            "time_s": best.write_time_s,
            "throughput_mb_s": best.write_mb_s,
            "ratio": best.ratio,
        }
    if goal == "read":
        best = min(results, key=lambda r: r.read_time_s)
        return {
            "codec": best.codec,
            "time_s": best.read_time_s,
            "throughput_mb_s": best.read_mb_s,
            "ratio": best.ratio,
        }
    if goal == "compression":
        best = max(results, key=lambda r: (r.ratio, -r.write_time_s))
        return {
            "codec": best.codec,
            "ratio": best.ratio,
            "time_s": best.write_time_s,
            "throughput_mb_s": best.write_mb_s,
        }
    if goal == "balanced":
        fastest_w = max(r.write_mb_s for r in results)
        fastest_r = max(r.read_mb_s for r in results)
        fast_enough = [
            r
            for r in results
            if r.write_mb_s >= BALANCED_SPEED_FRACTION * fastest_w
            and r.read_mb_s >= BALANCED_SPEED_FRACTION * fastest_r
        ] or results
        best = max(fast_enough, key=lambda r: (r.ratio, r.write_mb_s))
        return {
            "codec": best.codec,
            "ratio": best.ratio,
            "time_s": best.write_time_s,
            "throughput_mb_s": best.write_mb_s,
            "read_throughput_mb_s": best.read_mb_s,
        }
    raise ValueError(f"unknown goal {goal!r}")


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(s) for s in shape if s != 1)


def _versions() -> dict[str, str]:
    out = {}
    for name in ("zarr", "numcodecs", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


class DatasetBenchmarkRunner:
    """Benchmark every configured codec on one dataset.

    Parameters
    ----------
    config
        What to benchmark.
    progress
        Optional ``callback(message, done, total)`` called as work proceeds.
    """

    def __init__(self, config: BenchmarkConfig, progress: ProgressCallback | None = None):
        self.config = config
        self.progress = progress

    def _report(self, message: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(message, done, total)

    def run(self, data: np.ndarray | None = None) -> dict[str, Any]:
        """Write and read ``data`` (synthetic data of the configured modality when
        omitted) with each codec, ``num_runs`` times, interleaving codecs so that
        drifting machine load affects them alike.

        Returns
        -------
        dict
            ``dataset``, ``config``, ``environment``, ``results`` (one entry per
            codec, see :class:`CodecResult`), ``best_write``, ``best_read``,
            ``best_compression``, ``best_balanced`` and ``recommended`` (the pick
            for the configured profile's goal).

        Raises
        ------
        ValueError
            If ``data`` does not match the metadata's shape and dtype.
        DataMismatchError
            If any codec fails to read back exactly what was written (lossy codecs:
            within the codec's documented error; their results get a ``quality`` dict).
        ImplementationUnavailable
            If the configured implementation is not installed or cannot run a codec.
        """

        impl = implementations.require(self.config.implementation)
        meta: DatasetMetadata = self.config.dataset_metadata
        if data is None:
            data = DatasetType(meta.dataset_type).modality.generate(meta.shape, meta.dtype, 0)
        data = np.asarray(data)
        # The guide's MRI example describes a 3-D volume as (1, z, y, x): a singleton
        # time axis in the metadata is the same data, not a mismatch.
        same_shape = data.shape == tuple(meta.shape) or _squeezed(data.shape) == _squeezed(
            meta.shape
        )
        if not same_shape or data.dtype != np.dtype(meta.dtype):
            raise ValueError(
                f"data is {data.shape} {data.dtype} but the metadata says "
                f"{tuple(meta.shape)} {np.dtype(meta.dtype)}"
            )
        codecs = self.config.codecs
        layout = resolve_layout(
            self.config.chunk_layout or DatasetType(meta.dataset_type).modality.chunk_layouts[0],
            data.shape,
        )
        with tempfile.TemporaryDirectory(prefix="zarr-benchmarks-") as tmp:
            workdir = Path(self.config.output_dir) if self.config.output_dir else Path(tmp)
            workdir.mkdir(parents=True, exist_ok=True)
            cases = {
                cid: Case(
                    data,
                    cid,
                    layout,
                    workdir,
                    self.config.zarr_format,
                    label=cid,
                    implementation=impl.name,
                    write_empty_chunks=bool(self.config.write_empty_chunks),
                )
                for cid in codecs
            }
            results = {cid: CodecResult(cid, int(data.nbytes), 0) for cid in codecs}
            total = len(codecs) * (self.config.num_runs + 1)
            done = 0
            for cid, case in cases.items():
                self._report(f"writing and checking {cid}", done, total)
                case.prepare_read()  # written and verified once, untimed
                results[cid].stored_nbytes = zarr_io.stored_nbytes(case.read_path)
                if not get_codec(case.codec).lossless:
                    results[cid].quality = quality_metrics(data, np.asarray(case.read()))
                done += 1
            for run in range(self.config.num_runs):
                for cid, case in cases.items():
                    self._report(f"run {run + 1}/{self.config.num_runs}: {cid}", done, total)
                    case.prepare_write()
                    start = time.perf_counter()
                    case.write()
                    results[cid].write_times.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    case.read()
                    results[cid].read_times.append(time.perf_counter() - start)
                    done += 1
            if not self.config.keep_arrays:
                for case in cases.values():
                    case.cleanup()
            self._report("done", total, total)
        ordered = [results[c] for c in codecs]
        profile = CompressionProfile(self.config.compression_profile)
        best = {goal: _best(ordered, goal) for goal in ("write", "read", "compression", "balanced")}
        recommended: dict[str, Any] = {"goal": profile.goal, **best[profile.goal]}
        storage_doc = None
        if self.config.storage is not None:
            self._report(f"measuring storage {self.config.storage}", total, total)
            where = Path(self.config.output_dir) if self.config.output_dir else None
            measured = storage_mod.resolve_storage(self.config.storage, where)
            storage_doc = storage_mod.rank([r.to_dict() for r in ordered], measured)
            recommended = _storage_pick(profile.goal, recommended, storage_doc)
        out = {
            "dataset": meta.to_dict(),
            "config": {
                "compression_profile": profile.value,
                "codecs": list(codecs),
                "num_runs": self.config.num_runs,
                "chunks": list(layout.chunks),
                "shards": list(layout.shards) if layout.shards else None,
                "layout": layout.name,
                "zarr_format": self.config.zarr_format,
                "implementation": impl.name,
                "write_empty_chunks": bool(self.config.write_empty_chunks),
            },
            "environment": {**_versions(), **({impl.name: impl.version()} if impl.extra else {})},
            "results": [r.to_dict() for r in ordered],
            "best_write": best["write"],
            "best_read": best["read"],
            "best_compression": best["compression"],
            "best_balanced": best["balanced"],
            "recommended": recommended,
        }
        if storage_doc is not None:
            out["storage"] = storage_doc
        return out


def _storage_pick(goal: str, local: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """The recommendation for the user's storage (``doc`` from ``storage.rank``)."""
    name = doc["storage"]["name"]
    if goal in ("write", "read"):
        pick = doc[goal]["pick"]
        row = next(r for r in doc[goal]["ranking"] if r["codec"] == pick["codec"])
        return {
            "goal": goal,
            "codec": pick["codec"],
            "ratio": row["ratio"],
            "throughput_mb_s": row["effective_mb_s"],
            "storage": name,
            "tied_with": pick["tied_with"],
            "reason": pick["reason"],
        }
    if goal == "balanced":
        w = {r["codec"]: r for r in doc["write"]["ranking"]}
        r_ = {r["codec"]: r for r in doc["read"]["ranking"]}
        fw = max(x["effective_mb_s"] for x in w.values())
        fr = max(x["effective_mb_s"] for x in r_.values())
        fast = [
            c
            for c in w
            if w[c]["effective_mb_s"] >= BALANCED_SPEED_FRACTION * fw
            and r_[c]["effective_mb_s"] >= BALANCED_SPEED_FRACTION * fr
        ] or list(w)
        codec = max(fast, key=lambda c: (w[c]["ratio"], w[c]["effective_mb_s"]))
        return {
            "goal": goal,
            "codec": codec,
            "ratio": w[codec]["ratio"],
            "throughput_mb_s": w[codec]["effective_mb_s"],
            "read_throughput_mb_s": r_[codec]["effective_mb_s"],
            "storage": name,
            "tied_with": [],
            "reason": (
                f"{codec}: the highest ratio ({w[codec]['ratio']:.2f}x) among codecs "
                f"reaching half the fastest write and read as seen on {name}"
            ),
        }
    return {**local, "storage": name, "tied_with": [], "reason": "ratio does not depend on storage"}


# -- webhook payloads -----------------------------------------------------------

#: limits on what a benchmark request may ask for (the service runs it on its own machine)
MAX_REQUEST_BYTES = 512 * 2**20
MAX_CODECS = 20
MAX_RUNS = 20

BENCHMARK_REQUEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Benchmark request",
    "type": "object",
    "required": ["dataset"],
    "additionalProperties": False,
    "properties": {
        "dataset": {
            "type": "object",
            "required": ["type", "shape"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "type": {"type": "string", "maxLength": 64},
                "shape": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 5,
                    "items": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
                },
                "dtype": {"type": "string", "maxLength": 16},
                "voxel_size": {
                    "type": ["array", "null"],
                    "maxItems": 5,
                    "items": {"type": "number", "exclusiveMinimum": 0},
                },
                "units": {"type": "string", "maxLength": 16},
                "source": {"type": "string", "maxLength": 200},
                "seed": {"type": "integer", "minimum": 0},
            },
        },
        "benchmark": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "codecs": {
                    "type": "array",
                    "maxItems": MAX_CODECS,
                    "items": {"type": ["string", "object"]},
                },
                "compression_profile": {"enum": [p.value for p in CompressionProfile]},
                "num_runs": {"type": "integer", "minimum": 1, "maximum": MAX_RUNS},
                "chunks": {
                    "oneOf": [
                        {"type": "string", "maxLength": 64},
                        {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 5,
                            "items": {"type": "integer", "minimum": 1},
                        },
                    ]
                },
                "zarr_format": {"enum": [2, 3]},
                "implementation": {"type": "string", "maxLength": 64},
            },
        },
    },
}


def parse_benchmark_request(payload: Mapping[str, Any]) -> tuple[BenchmarkConfig, int]:
    """Validate a webhook payload and turn it into a config and a seed.

    Raises
    ------
    ValueError
        With a message naming the offending field.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(BENCHMARK_REQUEST_SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(payload))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(payload)"
        raise ValueError(f"{where}: {error.message}")
    ds = payload["dataset"]
    bench = payload.get("benchmark", {})
    try:
        meta = create_metadata(
            ds["type"],
            ds["shape"],
            dtype=ds.get("dtype"),
            voxel_size=ds.get("voxel_size"),
            name=ds.get("name"),
            source=ds.get("source", "webhook"),
        )
    except (ValueError, TypeError) as exc:
        raise ValueError(f"dataset: {exc}") from None
    if DatasetType(meta.dataset_type).value == "custom":
        raise ValueError(
            "dataset/type: 'custom' data cannot be sent to the service; "
            "run `zarr-benchmarks recommend --data FILE` locally"
        )
    if meta.total_size_mb * 1e6 > MAX_REQUEST_BYTES:
        raise ValueError(
            f"dataset/shape: {meta.total_size_mb:.0f} MB exceeds the limit of "
            f"{MAX_REQUEST_BYTES / 1e6:.0f} MB"
        )
    codecs = bench.get("codecs") or ()
    for i, codec in enumerate(codecs):
        try:
            get_codec(codec)
        except ValueError as exc:
            raise ValueError(f"benchmark/codecs/{i}: {exc}") from None
    try:
        config = BenchmarkConfig(
            dataset_metadata=meta,
            compression_profile=bench.get("compression_profile", "balanced"),
            codecs_to_test=tuple(codecs),
            num_runs=bench.get("num_runs", 3),
            chunk_layout=bench.get("chunks"),
            zarr_format=bench.get("zarr_format", 3),
            implementation=bench.get("implementation", "zarr-python"),
        )
        resolve_layout(
            config.chunk_layout or DatasetType(meta.dataset_type).modality.chunk_layouts[0],
            meta.shape,
        )
    except ValueError as exc:
        raise ValueError(f"benchmark: {exc}") from None
    return config, int(ds.get("seed", 0))


def run_benchmark_request(
    payload: Mapping[str, Any], progress: ProgressCallback | None = None
) -> dict[str, Any]:
    """Validate and run a webhook payload (``{"dataset": ..., "benchmark": ...}``)
    on synthetic data of the requested modality; the same code path as the API."""
    config, seed = parse_benchmark_request(payload)
    meta = config.dataset_metadata
    data = DatasetType(meta.dataset_type).modality.generate(meta.shape, meta.dtype, seed)
    return DatasetBenchmarkRunner(config, progress).run(data)
