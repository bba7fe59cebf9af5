"""Access patterns over a Zarr array: the set-up is untimed, the call is timed.

Beyond whole-array writes and reads (:mod:`zarr_benchmarks.suite.zarr_io`), this module
provides the patterns real acquisition and analysis code uses:

* **Regions**: chunk by chunk, plane by plane, and ``n`` small random regions of
  interest (seeded). :func:`chunk_regions`, :func:`plane_regions` and
  :func:`random_rois` build the selections (untimed); :func:`write_regions` and
  :func:`read_regions` are the timed calls.
* **Cold and warm reads**: :func:`drop_page_cache` evicts a store's files from the
  OS page cache with ``posix_fadvise(POSIX_FADV_DONTNEED)`` and reports whether a
  following read is really *cold* (and if not, why).
* **Pattern ceilings**: :class:`PatternCeiling` decodes, with the codec alone, every
  chunk a pattern touches, as often as the pattern touches it.
* **Streaming acquisition** (frames arrive one at a time labelled by coordinates
  ``time, channel, z, position`` and are written as they arrive, growing the array
  along time): :func:`acquisition_stack`, :func:`iter_frames`,
  :class:`StreamingWriter`, :func:`stream_frames`, :func:`write_stack_in_one_go`.
* **Many writers**: threads (:func:`write_with_threads`), processes
  (:class:`ProcessWriters`) and Dask on a ``distributed`` cluster
  (:func:`dask_cluster`, :func:`dask_write`), each writing disjoint chunks (or
  shards) so no two writers ever touch the same stored object.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any, cast

import numpy as np
import zarr
from zarr.storage import LocalStore

from zarr_benchmarks.data.chunking import Layout, resolve_layout
from zarr_benchmarks.suite import zarr_io
from zarr_benchmarks.suite.codecs import get_codec

#: a basic selection: one slice (or index) per axis
Region = tuple[slice | int, ...]

DASK_SCHEDULER_ENV = "ZARR_BENCHMARKS_DASK_SCHEDULER"


# --------------------------------------------------------------------------- regions
def write_unit(array: zarr.Array) -> tuple[int, ...]:
    """The smallest region independent writers may own: the shard, else the chunk."""
    shards = getattr(array, "shards", None)
    return tuple(shards) if shards else tuple(array.chunks)


def chunk_regions(shape: Sequence[int], chunks: Sequence[int]) -> list[Region]:
    """One selection per chunk of a ``shape`` array, in C order (edge chunks partial)."""
    ranges = [range(0, s, c) for s, c in zip(shape, chunks)]
    return [
        tuple(slice(o, min(o + c, s)) for o, c, s in zip(start, chunks, shape))
        for start in product(*ranges)
    ]


def plane_regions(shape: Sequence[int]) -> list[Region]:
    """One selection per 2-D plane: every index of the leading axes, whole last two."""
    if len(shape) < 2:
        raise ValueError(f"plane_regions needs at least 2 axes, the shape is {tuple(shape)}")
    lead = [range(s) for s in shape[:-2]]
    return [(*idx, slice(None), slice(None)) for idx in product(*lead)]


def roi_shape_for(shape: Sequence[int], edge: int = 16) -> tuple[int, ...]:
    """A small region: ``edge`` along the last three axes (clipped), 1 on leading axes."""
    lead = max(0, len(shape) - 3)
    return tuple(1 if i < lead else min(edge, s) for i, s in enumerate(shape))


def random_rois(
    shape: Sequence[int], roi_shape: Sequence[int], n: int, seed: int = 0
) -> list[Region]:
    """``n`` regions of ``roi_shape`` at random positions inside ``shape`` (seeded).

    Raises
    ------
    ValueError
        If the region does not fit the array or ``n`` is not positive.
    """
    if n <= 0:
        raise ValueError(f"the number of regions must be positive, got {n}")
    if len(roi_shape) != len(shape) or any(r <= 0 or r > s for r, s in zip(roi_shape, shape)):
        raise ValueError(f"region shape {tuple(roi_shape)} does not fit array {tuple(shape)}")
    rng = np.random.default_rng(seed)
    starts = [rng.integers(0, s - r + 1, size=n) for s, r in zip(shape, roi_shape)]
    return [
        tuple(slice(int(st[i]), int(st[i]) + r) for st, r in zip(starts, roi_shape))
        for i in range(n)
    ]


def write_regions(array: zarr.Array, data: np.ndarray, regions: Iterable[Region]) -> None:
    """Timed: write ``data[region]`` into ``array[region]`` for each region in turn."""
    for region in regions:
        array[region] = data[region]


def read_regions(array: zarr.Array, regions: Iterable[Region]) -> int:
    """Timed: read each region in turn; returns the bytes read (so nothing is elided)."""
    total = 0
    for region in regions:
        # zarr types indexing as array-or-scalar; slicing a region gives an ndarray
        total += cast(np.ndarray, array[region]).nbytes
    return total


# --------------------------------------------------------------------- cold reads
@dataclass(frozen=True)
class CacheState:
    """What a following read will measure: ``"cold"`` or ``"warm"``, and why."""

    state: str
    reason: str
    files: int = 0

    @property
    def cold(self) -> bool:
        return self.state == "cold"


def fadvise_available() -> bool:
    """Whether this OS offers ``posix_fadvise(POSIX_FADV_DONTNEED)``."""
    return hasattr(os, "posix_fadvise") and hasattr(os, "POSIX_FADV_DONTNEED")


def drop_page_cache(path: str | os.PathLike[str]) -> CacheState:
    """Evict every file under ``path`` from the OS page cache.

    Dirty pages cannot be dropped, so everything is written back first
    (``os.sync`` and an ``fsync`` per file). Returns ``"cold"`` only if the advice
    was given successfully for every file; otherwise ``"warm"`` with the reason.
    """
    if not fadvise_available():
        return CacheState("warm", "posix_fadvise is not available on this platform")
    files = [Path(root) / name for root, _d, names in os.walk(path) for name in names]
    if not files:
        return CacheState("warm", f"no files under {Path(path).name!r}")
    if hasattr(os, "sync"):
        os.sync()
    for file in files:
        try:
            fd = os.open(file, os.O_RDONLY)
        except OSError as exc:
            return CacheState("warm", f"cannot open a store file: {exc.strerror}")
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError as exc:
            return CacheState("warm", f"posix_fadvise failed: {exc.strerror}")
        finally:
            os.close(fd)
    return CacheState("cold", "posix_fadvise(POSIX_FADV_DONTNEED) on every file", len(files))


# ------------------------------------------------------------------ pattern ceiling
class PatternCeiling:
    """The codec alone doing a read pattern's decoding work.

    For each region, every chunk it intersects is decoded once (as Zarr must), so
    reading planes through cubic chunks costs many decodes per plane. Unsharded
    layouts only: the numcodecs codec of ``codec`` is applied per chunk.
    """

    def __init__(
        self, data: np.ndarray, codec: Any, layout: Layout, regions: Sequence[Region]
    ) -> None:
        self.codec = codec.numcodecs_codec(data.dtype)
        grid = chunk_regions(data.shape, layout.chunks)
        encoded = {}
        for region in grid:
            chunk = np.ascontiguousarray(data[region])
            encoded[_chunk_key(region, layout.chunks)] = (
                self.codec.encode(chunk) if self.codec else chunk
            )
        self.touched: list[Any] = []
        for region in regions:
            for key in _touched_chunks(region, data.shape, layout.chunks):
                self.touched.append(encoded[key])

    @property
    def decodes(self) -> int:
        return len(self.touched)

    def decode(self) -> None:
        """Timed: decode every touched chunk (copy it when uncompressed)."""
        if self.codec is None:
            for c in self.touched:
                np.copy(c)
            return
        decode = self.codec.decode
        for c in self.touched:
            decode(c)


def _chunk_key(region: Region, chunks: Sequence[int]) -> tuple[int, ...]:
    # only called with chunk_regions' regions, which are all slices
    return tuple(cast(slice, s).start // c for s, c in zip(region, chunks))


def _touched_chunks(
    region: Region, shape: Sequence[int], chunks: Sequence[int]
) -> Iterator[tuple[int, ...]]:
    spans = []
    for sel, s, c in zip(region, shape, chunks):
        if isinstance(sel, int):
            spans.append(range(sel // c, sel // c + 1))
        else:
            start, stop, _ = sel.indices(s)
            spans.append(range(start // c, (stop - 1) // c + 1))
    return product(*spans)


# --------------------------------------------------------------- streaming acquisition
#: axis order of the arrays a streaming acquisition writes (one array per position)
STREAM_AXES = ("t", "c", "z", "y", "x")


@dataclass(frozen=True)
class FrameCoords:
    """The label of one acquired frame, as an acquisition engine attaches it."""

    time: int
    channel: str
    z: int
    position: str

    def as_dict(self) -> dict[str, Any]:
        return {"time": self.time, "channel": self.channel, "z": self.z, "position": self.position}


def acquisition_stack(
    data: np.ndarray, axes: str, time_points: int | None = None, positions: int = 1
) -> np.ndarray:
    """Shape a modality's data into an acquisition ``(position, t, c, z, y, x)``.

    Axes ``t``, ``c`` and ``z`` of ``data`` (named by ``axes``, e.g. ``"tyx"``,
    ``"czyx"``) are kept; missing ones have length 1. Data without a time axis is
    repeated ``time_points`` times (each copy shifted by a pixel, so frames differ);
    further positions are shifted copies too.

    Raises
    ------
    ValueError
        For axes that do not match ``data`` or contain unknown names.
    """
    axes = axes[-data.ndim :] if len(axes) >= data.ndim else axes
    if len(axes) != data.ndim or axes[-2:] != "yx" or set(axes) - set("tczyx"):
        raise ValueError(f"axes {axes!r} do not describe data of shape {data.shape}")
    if positions < 1:
        raise ValueError(f"positions must be at least 1, got {positions}")
    order = [axes.index(a) for a in "tczyx" if a in axes]
    arr = np.transpose(data, order)
    full = [a for a in "tczyx" if a in axes]
    for i, a in enumerate("tczyx"):
        if a not in full:
            arr = np.expand_dims(arr, i)
            full.insert(i, a)
    if "t" not in axes and time_points and time_points > 1:
        arr = np.concatenate([np.roll(arr, t, axis=-1) for t in range(time_points)], axis=0)
    return np.stack([np.roll(arr, 3 * p, axis=-2) for p in range(positions)])


def channel_names(n: int) -> list[str]:
    base = ["DAPI", "GFP", "mCherry", "Cy5"]
    return [base[i] if i < len(base) else f"ch{i}" for i in range(n)]


def position_names(n: int) -> list[str]:
    return [f"pos{i}" for i in range(n)]


def iter_frames(stack: np.ndarray) -> Iterator[tuple[FrameCoords, np.ndarray]]:
    """The frames of an acquisition ``(p, t, c, z, y, x)`` in acquisition order.

    For each time point, each position is visited and its channels and z planes
    recorded in turn (time, then position, then channel, then z), as in a
    multi-position time-lapse.
    """
    n_p, n_t, n_c, n_z = stack.shape[:4]
    channels, positions = channel_names(n_c), position_names(n_p)
    for t in range(n_t):
        for p in range(n_p):
            for c in range(n_c):
                for z in range(n_z):
                    yield FrameCoords(t, channels[c], z, positions[p]), stack[p, t, c, z]


def frames_in_stack(stack: np.ndarray) -> int:
    return math.prod(stack.shape[:4])


@dataclass
class StreamingWriter:
    """Writes labelled frames as they arrive, growing each position's array in time.

    One Zarr array per position under ``root`` (``root/<position>``), axes
    ``t, c, z, y, x``, created with zero time points and grown with
    ``Array.resize`` when the first frame of a new time point arrives.

    Parameters
    ----------
    root
        Folder for the arrays (replaced).
    channels, n_z, frame_shape, dtype
        What each time point holds.
    settings_for
        ``callable(final-like shape) -> ArraySettings``; the layout is resolved
        against ``(1, C, Z, Y, X)`` so chunks are 1 along time.
    positions
        Position names.
    buffered
        ``False``: every frame is written to Zarr the moment it arrives (a frame
        that fills only part of a chunk costs a read-modify-write of it).
        ``True``: frames are held until a chunk's worth along z is complete, then
        written at once (what a careful acquisition writer does).
    """

    root: Path
    channels: Sequence[str]
    n_z: int
    frame_shape: tuple[int, int]
    dtype: Any
    settings: zarr_io.ArraySettings
    positions: Sequence[str]
    buffered: bool = False
    frames_written: int = 0
    coords: list[list[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        zarr_io.remove_tree(self.root)
        self.root.mkdir(parents=True)
        self._channel_index = {c: i for i, c in enumerate(self.channels)}
        self._arrays: dict[str, zarr.Array] = {}
        base = (0, len(self.channels), self.n_z, *self.frame_shape)
        for pos in self.positions:
            self._arrays[pos] = zarr_io.create_array(
                self.root / pos, base, self.dtype, self.settings
            )
        self._zc = self.settings.layout.chunks[2]
        self._pending: dict[tuple[str, int, int, int], tuple[np.ndarray, int]] = {}

    def write_frame(self, coords: FrameCoords, frame: np.ndarray) -> None:
        """Timed: store one frame at its coordinates (growing the array if needed)."""
        array = self._arrays[coords.position]
        c = self._channel_index[coords.channel]
        if coords.time >= array.shape[0]:
            array.resize((coords.time + 1, *array.shape[1:]))
        self.coords.append([coords.time, coords.channel, coords.z, coords.position])
        self.frames_written += 1
        if not self.buffered:
            array[coords.time, c, coords.z] = frame
            return
        z0 = (coords.z // self._zc) * self._zc
        depth = min(self._zc, self.n_z - z0)
        key = (coords.position, coords.time, c, z0)
        pending = self._pending.get(key)
        if pending is None:
            # Planes that never arrive stay at the fill value when flushed on close.
            buf = np.full((depth, *self.frame_shape), array.fill_value, dtype=self.dtype)
            count = 0
        else:
            buf, count = pending
        buf[coords.z - z0] = frame
        count += 1
        if count == depth:
            self._pending.pop(key, None)
            array[coords.time, c, z0 : z0 + depth] = buf
        else:
            self._pending[key] = (buf, count)

    def close(self) -> None:
        """Flush incomplete buffers and record the acquisition in the attributes."""
        for (pos, t, c, z0), (buf, _count) in self._pending.items():
            self._arrays[pos][t, c, z0 : z0 + buf.shape[0]] = buf
        self._pending.clear()
        for pos, array in self._arrays.items():
            array.attrs.update(
                {
                    "acquisition": {
                        "axes": list(STREAM_AXES),
                        "channels": list(self.channels),
                        "position": pos,
                        "frames": [c for c in self.coords if c[3] == pos],
                        "frame_order": ["time", "position", "channel", "z"],
                    }
                }
            )

    def arrays(self) -> dict[str, zarr.Array]:
        return dict(self._arrays)


def stream_settings(
    stack: np.ndarray, codec: Any, layout: str | Sequence[int], zarr_format: int = 3
) -> zarr_io.ArraySettings:
    """Array settings for a streamed ``(p, t, c, z, y, x)`` stack: chunks of one time
    point (the layout is resolved against ``(1, c, z, y, x)``)."""

    lay = resolve_layout(layout, (1, *stack.shape[2:]))
    return zarr_io.ArraySettings(get_codec(codec), lay, zarr_format)


def open_streaming_writer(
    root: Path, stack: np.ndarray, settings: zarr_io.ArraySettings, *, buffered: bool = False
) -> StreamingWriter:
    """Untimed set-up: empty, growable arrays for ``stack``'s positions."""
    return StreamingWriter(
        root=Path(root),
        channels=channel_names(stack.shape[2]),
        n_z=stack.shape[3],
        frame_shape=(stack.shape[4], stack.shape[5]),
        dtype=stack.dtype,
        settings=settings,
        positions=position_names(stack.shape[0]),
        buffered=buffered,
    )


def stream_frames(writer: StreamingWriter, frames: Iterable[tuple[FrameCoords, np.ndarray]]) -> int:
    """Timed: feed every frame to ``writer`` as it arrives, then close it."""
    for coords, frame in frames:
        writer.write_frame(coords, frame)
    writer.close()
    return writer.frames_written


def prepare_one_go(
    root: Path, stack: np.ndarray, settings: zarr_io.ArraySettings
) -> dict[str, zarr.Array]:
    """Untimed set-up: final-shape arrays for writing ``stack`` in one go."""
    root = Path(root)
    zarr_io.remove_tree(root)
    root.mkdir(parents=True)
    return {
        pos: zarr_io.create_array(root / pos, stack.shape[1:], stack.dtype, settings)
        for pos in position_names(stack.shape[0])
    }


def write_stack_in_one_go(arrays: dict[str, zarr.Array], stack: np.ndarray) -> None:
    """Timed: the same data as the stream, one assignment per position."""
    for p, array in enumerate(arrays.values()):
        array[...] = stack[p]


def read_stack(root: Path, stack_shape: Sequence[int]) -> np.ndarray:
    """Read every position's array back into one ``(p, t, c, z, y, x)`` array."""
    names = position_names(stack_shape[0])
    return np.stack([zarr_io.open_array(Path(root) / n)[...] for n in names])


# -------------------------------------------------------------------- many writers
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
    from distributed import Client, LocalCluster

    address = address or os.environ.get(DASK_SCHEDULER_ENV) or None
    if address:
        client = Client(address, timeout="20s")
        return DaskCluster(client, "external")
    if not 1 <= n_workers <= 2:
        raise ValueError(f"a local Dask cluster here has 1 or 2 workers, not {n_workers}")
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
