"""Many writers on disjoint chunks: threads, processes and Dask."""

from __future__ import annotations

import concurrent.futures as cf
import math
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import zarr
from zarr.storage import LocalStore

from zarr_benchmarks.data.chunking import Layout, resolve_layout
from zarr_benchmarks.suite.patterns._regions import (
    Region,
    chunk_regions,
    write_regions,
    write_unit,
)

# -------------------------------------------------------------------- many writers
DASK_SCHEDULER_ENV = "ZARR_BENCHMARKS_DASK_SCHEDULER"


def partition_regions(regions: Sequence[Region], k: int) -> list[list[Region]]:
    """Split ``regions`` into ``k`` contiguous, disjoint groups of near-equal size."""
    if k < 1:
        raise ValueError(f"the number of writers must be at least 1, got {k}")
    n = len(regions)
    bounds = [round(i * n / k) for i in range(k + 1)]
    return [list(regions[bounds[i] : bounds[i + 1]]) for i in range(k)]


def writer_groups(array: zarr.Array, k: int) -> list[list[Region]]:
    """Disjoint groups of whole write units (shards or chunks) for ``k`` writers."""
    return partition_regions(chunk_regions(array.shape, write_unit(array)), k)


def write_with_threads(
    array: zarr.Array,
    data: np.ndarray,
    groups: Sequence[Sequence[Region]],
    executor: cf.ThreadPoolExecutor,
) -> None:
    """Timed: each thread writes its own group of chunks; re-raises the first error."""
    futures = [executor.submit(write_regions, array, data, g) for g in groups]
    for f in futures:
        f.result()


def _process_write(store_path: str, npy_path: str, regions: list[Region]) -> int:
    """In a worker process: write ``regions`` of the ``.npy`` data into the array."""
    array = zarr.open_array(LocalStore(store_path), mode="r+")
    data = np.load(npy_path, mmap_mode="r")
    for region in regions:
        array[region] = np.asarray(data[region])
    return len(regions)


def _warm_up() -> int:
    return os.getpid()


class ProcessWriters:
    """A pool of ``k`` processes (spawned, so no threads are forked) that write
    disjoint groups of chunks of an array on the local file system.

    The data comes from a ``.npy`` file each process memory-maps; only the region
    lists travel between processes. Use as a context manager; the pool is warmed
    up (interpreters started, Zarr imported) before the first timed call.
    """

    def __init__(self, k: int) -> None:
        if k < 1:
            raise ValueError(f"the number of writer processes must be at least 1, got {k}")
        self.k = k
        self._pool = cf.ProcessPoolExecutor(k, mp_context=multiprocessing.get_context("spawn"))
        # Start every worker and import zarr in it, outside any timed region.
        list(self._pool.map(_process_write_warm, range(k)))

    def write(
        self, store_path: str | os.PathLike[str], npy_path: str | os.PathLike[str], groups
    ) -> int:
        """Timed: every process writes its group; returns the number of units written."""
        futures = [
            self._pool.submit(_process_write, str(store_path), str(npy_path), list(g))
            for g in groups
        ]
        return sum(f.result() for f in futures)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ProcessWriters:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _process_write_warm(_i: int) -> int:
    import zarr  # noqa: F401  (the import is the warm-up)

    return os.getpid()


# --------------------------------------------------------------------------- dask
class NpyBlocks:
    """A lazily indexed ``.npy`` file for ``dask.array.from_array``: each task
    memory-maps the file and copies only its block, so the task graph stays small
    and workers do not receive the whole array."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        header = np.load(self.path, mmap_mode="r")
        self.shape = header.shape
        self.dtype = header.dtype
        self.ndim = header.ndim

    def __getitem__(self, key: Any) -> np.ndarray:
        return np.array(np.load(self.path, mmap_mode="r")[key])


@dataclass
class DaskCluster:
    """A connected ``distributed.Client`` and what it runs on."""

    client: Any
    kind: str  # "local" (started here) or "external" (from an address)
    cluster: Any = None

    def warm_up(self) -> None:
        """Import Zarr, NumPy and Dask's array module on every worker (untimed)."""
        self.client.run(_import_for_dask_write)

    def worker_addresses(self) -> list[str]:
        return sorted(self.client.scheduler_info(n_workers=-1)["workers"])

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _import_for_dask_write() -> int:
    import dask.array  # noqa: F401
    import zarr  # noqa: F401

    return os.getpid()


def start_dask_cluster(n_workers: int = 2, address: str | None = None) -> DaskCluster:
    """Connect to a Dask scheduler: ``address`` or ``$ZARR_BENCHMARKS_DASK_SCHEDULER``
    if set, otherwise a new ``LocalCluster`` on loopback.

    The local cluster has ``n_workers`` (at most 2 here) single-threaded worker
    processes and no dashboard. An external cluster is used as it is; benchmarks
    restrict work to the first ``workers`` of its workers (see :func:`dask_write`),
    and its workers must see the store path (a shared file system).
    """
    address = address or os.environ.get(DASK_SCHEDULER_ENV) or None
    if not address and not 1 <= n_workers <= 2:
        raise ValueError(f"a local Dask cluster here has 1 or 2 workers, not {n_workers}")
    from distributed import Client, LocalCluster  # the dask extra, needed only here

    if address:
        client = Client(address, timeout="20s")
        return DaskCluster(client, "external")
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,  # logging.ERROR
    )
    try:
        client = Client(cluster)
    except BaseException:
        cluster.close()
        raise
    return DaskCluster(client, "local", cluster)


@contextmanager
def dask_cluster(n_workers: int = 2, address: str | None = None) -> Iterator[DaskCluster]:
    """:func:`start_dask_cluster` as a context manager that always closes it."""
    dc = start_dask_cluster(n_workers, address)
    try:
        yield dc
    finally:
        dc.close()


def dask_write(
    dc: DaskCluster,
    npy_path: str | os.PathLike[str],
    array: zarr.Array,
    workers: int | None = None,
    via: str = "store",
) -> None:
    """Timed: write the ``.npy`` data into ``array`` with Dask on the cluster.

    ``via="to_zarr"`` calls ``dask.array.to_zarr(x, array)``, which rechunks to
    "auto" chunks of about ``array.chunk-size`` (128 MiB by default) before
    ``x.store(array, lock=False)``: at benchmark sizes that is a single task.
    ``via="store"`` (default) makes that same ``store`` call with one task per
    write unit (shard or chunk), so tasks write disjoint objects, need no lock, and
    the work divides between workers. ``workers`` restricts the computation to the
    first ``workers`` workers of the cluster.

    Raises
    ------
    ValueError
        For an unknown ``via`` or more workers than the cluster has.
    """
    import dask.array as da

    x = da.from_array(NpyBlocks(npy_path), chunks=write_unit(array), asarray=False)
    if via == "store":
        stored = x.store(array, lock=False, compute=False)
    elif via == "to_zarr":
        stored = da.to_zarr(x, array, compute=False)
    else:
        raise ValueError(f"unknown Dask write {via!r}; use 'store' or 'to_zarr'")
    restrict: dict[str, Any] = {}
    if workers is not None:
        addrs = dc.worker_addresses()
        if workers > len(addrs):
            raise ValueError(f"asked for {workers} Dask workers, the cluster has {len(addrs)}")
        restrict = {"workers": addrs[:workers], "allow_other_workers": False}
    dc.client.compute(stored, **restrict).result()


def layout_with_units(
    shape: Sequence[int], candidates: Sequence[str], min_units: int = 8
) -> Layout:
    """The first candidate layout that splits ``shape`` into at least ``min_units``
    write units (shards or chunks), else the one with the most, so that several
    writers always have work to share even on tiny arrays."""
    best: Layout | None = None
    best_units = -1
    for name in candidates:
        layout = resolve_layout(name, shape)
        unit = layout.shards or layout.chunks
        units = math.prod(-(-s // u) for s, u in zip(shape, unit))
        if units >= min_units:
            return layout
        if units > best_units:
            best, best_units = layout, units
    if best is None:
        raise ValueError("no candidate layouts given")
    return best
