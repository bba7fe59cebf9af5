"""Where the data will live: storage bandwidth, and codecs ranked by what the user sees.

A codec's speed measured on a local disk hides the storage: on a slow file system or
an object store every byte saved by compression is time saved. For a storage of
write bandwidth ``B_w`` (MB/s), a codec that wrote ``N`` bytes in ``t`` seconds and
stored ``S`` bytes delivers

    effective write MB/s = N / (t + S / B_w)

and likewise for reads with ``B_r``. The model is serial (encode, then transfer), so
it is a lower bound when a library overlaps the two; it ranks codecs correctly when
either the codec or the storage dominates.

Storages (``--storage``):

``local``  the local disk, measured here: a file written in 1 MiB blocks and
           ``fsync``-ed, then read back after its pages were dropped from the cache;
``nfs``    a nominal network file system on 1 Gb/s Ethernet (110 MB/s both ways;
           pass a number for yours);
``s3``     an S3-compatible object store, measured here against the loopback
           SeaweedFS server of :mod:`zarr_benchmarks.suite.remote` (extra ``s3``): 1 MiB
           objects put and got concurrently, as Zarr does with chunks;
a number   a bandwidth in MB/s, both ways.

Two codecs are a tie when their median effective throughputs differ by no more than
the sum of their noise, each codec's noise being the median absolute deviation of
its runs (robust to one disturbed run): the difference is within the measured
noise, so both are named.
Within a tie the codec with the higher compression ratio is picked (same speed,
fewer bytes), so ``none`` is picked only when it wins outright.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from zarr_benchmarks.suite import remote

__all__ = [
    "NFS_NOMINAL_MB_S",
    "Storage",
    "measure_local",
    "measure_s3",
    "parse_storage",
    "rank",
    "resolve_storage",
]

#: 1 Gb/s Ethernet carries about 117 MB/s of payload at best; NFS over it ~110 MB/s
NFS_NOMINAL_MB_S = 110.0
NAMES = ("local", "nfs", "s3")
_MB = 1e6


@dataclass(frozen=True)
class Storage:
    """A storage's bandwidth and how it was obtained.

    ``write_samples`` / ``read_samples`` are the individual measurements (MB/s);
    empty when the bandwidth was given or nominal.
    """

    name: str
    write_mb_s: float
    read_mb_s: float
    basis: str
    write_samples: tuple[float, ...] = ()
    read_samples: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["write_samples"] = list(self.write_samples)
        out["read_samples"] = list(self.read_samples)
        return out


def parse_storage(value: str | float) -> str | float:
    """``"local"``, ``"nfs"``, ``"s3"``, or a positive bandwidth in MB/s.

    Raises
    ------
    ValueError
        For anything else (the message lists the accepted forms).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip().lower()
        if text in NAMES:
            return text
        try:
            number = float(text.removesuffix("mb/s").strip())
        except ValueError:
            raise ValueError(
                f"--storage: {value!r} is not local, nfs, s3 or a bandwidth in MB/s (e.g. 250)"
            ) from None
    if not number > 0 or number == float("inf"):
        raise ValueError(f"--storage: the bandwidth must be a positive number of MB/s, got {value}")
    return number


def _spread(samples: Sequence[float]) -> str:
    return f"median of {len(samples)}, {min(samples):.0f}-{max(samples):.0f} MB/s"


def measure_local(
    folder: str | Path | None = None, nbytes: int = 64 * 2**20, repeats: int = 3
) -> Storage:
    """Sequential bandwidth of the disk under ``folder`` (default: the temp folder).

    Each repeat writes ``nbytes`` in 1 MiB blocks and ``fsync``-s (so the disk, not
    the page cache, is timed), drops the file's pages from the cache
    (``posix_fadvise(DONTNEED)``), then reads it back; write and read alternate.
    """
    block = os.urandom(2**20)
    writes: list[float] = []
    reads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="zb-bw-", dir=folder) as tmp:
        path = Path(tmp) / "probe.bin"
        for _ in range(repeats):
            start = time.perf_counter()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                for _ in range(nbytes // len(block)):
                    os.write(fd, block)
                os.fsync(fd)
            finally:
                os.close(fd)
            writes.append(nbytes / (time.perf_counter() - start) / _MB)
            fd = os.open(path, os.O_RDONLY)
            try:
                if hasattr(os, "posix_fadvise"):
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                start = time.perf_counter()
                while os.read(fd, 2**20):
                    pass
                reads.append(nbytes / (time.perf_counter() - start) / _MB)
            finally:
                os.close(fd)
            path.unlink()
    return Storage(
        "local",
        statistics.median(writes),
        statistics.median(reads),
        f"measured on the local disk: fsync-ed writes ({_spread(writes)}), "
        f"reads with the page cache dropped ({_spread(reads)})",
        tuple(writes),
        tuple(reads),
    )


async def _put_get(store: Any, objects: int, size: int, tag: str) -> tuple[float, float]:
    import obstore

    payload = os.urandom(size)
    start = time.perf_counter()
    await asyncio.gather(
        *(obstore.put_async(store, f"probe/{tag}/{i}", payload) for i in range(objects))
    )
    put_s = time.perf_counter() - start
    start = time.perf_counter()
    results = await asyncio.gather(
        *(obstore.get_async(store, f"probe/{tag}/{i}") for i in range(objects))
    )
    for r in results:
        await r.bytes_async()
    get_s = time.perf_counter() - start
    await asyncio.gather(*(obstore.delete_async(store, f"probe/{tag}/{i}") for i in range(objects)))
    return objects * size / put_s / _MB, objects * size / get_s / _MB


def measure_s3(
    endpoint: str | None = None,
    bucket: str | None = None,
    *,
    objects: int = 32,
    size: int = 2**20,
    repeats: int = 3,
) -> Storage:
    """Bandwidth of an S3-compatible store: ``objects`` objects of ``size`` bytes put,
    then got, concurrently, ``repeats`` times.

    Without ``endpoint``, a SeaweedFS server is started on loopback for the
    measurement and stopped afterwards (:func:`zarr_benchmarks.suite.remote.local_object_store`).

    Raises
    ------
    zarr_benchmarks.suite.remote.ObjectStoreUnavailable
        If the server cannot be started (the message names the extra to install).
    """

    if endpoint is None:
        with remote.local_object_store() as server:
            result = measure_s3(
                server.endpoint, server.bucket, objects=objects, size=size, repeats=repeats
            )
        return Storage(
            "s3",
            result.write_mb_s,
            result.read_mb_s,
            result.basis.replace("an S3 store", "the loopback SeaweedFS object store"),
            result.write_samples,
            result.read_samples,
        )
    from obstore.store import S3Store

    store = S3Store(
        bucket or remote.DEFAULT_BUCKET,
        endpoint=endpoint,
        region="us-east-1",
        skip_signature=True,
        virtual_hosted_style_request=False,
        client_options={"allow_http": True},
    )
    puts: list[float] = []
    gets: list[float] = []
    for i in range(repeats):
        w, r = asyncio.run(_put_get(store, objects, size, str(i)))
        puts.append(w)
        gets.append(r)
    return Storage(
        "s3",
        statistics.median(puts),
        statistics.median(gets),
        f"measured on an S3 store: {objects} objects of {size // 2**10} KiB put "
        f"({_spread(puts)}) and got ({_spread(gets)}) concurrently",
        tuple(puts),
        tuple(gets),
    )


def resolve_storage(value: str | float, folder: str | Path | None = None) -> Storage:
    """Measure or look up the storage named by ``value`` (see :func:`parse_storage`)."""
    kind = parse_storage(value)
    if kind == "local":
        return measure_local(folder)
    if kind == "s3":
        return measure_s3()
    if kind == "nfs":
        return Storage(
            "nfs",
            NFS_NOMINAL_MB_S,
            NFS_NOMINAL_MB_S,
            f"nominal: NFS on 1 Gb/s Ethernet, {NFS_NOMINAL_MB_S:.0f} MB/s "
            "(not measured; pass --storage MB/S for yours)",
        )
    return Storage(f"{kind:g} MB/s", float(kind), float(kind), "given on the command line")


# ------------------------------------------------------------------------- ranking
def effective_samples(
    nbytes: int,
    stored: int,
    times: Sequence[float],
    bandwidth_mb_s: float,
    bandwidth_samples: Sequence[float] = (),
) -> list[float]:
    """Effective MB/s of each timed run once ``stored`` bytes cross the storage.

    With ``bandwidth_samples``, run ``i`` is paired with bandwidth sample
    ``i mod n``, so the storage's own noise enters the spread (and the ties).
    """
    out = []
    for i, t in enumerate(times):
        bw = bandwidth_samples[i % len(bandwidth_samples)] if bandwidth_samples else bandwidth_mb_s
        out.append(nbytes / (t + stored / (bw * _MB)) / _MB)
    return out


def rank(results: Sequence[dict[str, Any]], storage: Storage) -> dict[str, Any]:
    """Rank codec results (``CodecResult.to_dict()`` entries) for ``storage``.

    Returns
    -------
    dict
        ``storage`` (its figures), and per operation (``write``, ``read``) a
        ``ranking`` (codecs, fastest first, with median/low/high effective MB/s and
        ratio) and a ``pick``: ``codec``, ``tied_with`` (codecs within noise of the
        fastest), ``reason``.
    """
    out: dict[str, Any] = {"storage": storage.to_dict()}
    ops = (
        ("write", storage.write_mb_s, storage.write_samples),
        ("read", storage.read_mb_s, storage.read_samples),
    )
    for op, bandwidth, bw_samples in ops:
        rows = []
        for r in results:
            samples = effective_samples(
                r["nbytes"], r["stored_nbytes"], r[f"{op}_times_s"], bandwidth, bw_samples
            )
            rows.append(
                {
                    "codec": r["codec"],
                    "ratio": r["ratio"],
                    "effective_mb_s": statistics.median(samples),
                    "low_mb_s": min(samples),
                    "high_mb_s": max(samples),
                    "noise_mb_s": _mad(samples),
                    "local_mb_s": r[f"{op}_mb_s"],
                }
            )
        rows.sort(key=lambda x: -x["effective_mb_s"])
        out[op] = {"ranking": rows, "pick": _pick(rows, op, storage, bandwidth)}
    return out


def _mad(samples: Sequence[float]) -> float:
    med = statistics.median(samples)
    return float(statistics.median(abs(x - med) for x in samples))


def _pick(rows: list[dict[str, Any]], op: str, storage: Storage, bw: float) -> dict[str, Any]:
    best = rows[0]
    tied = [
        r
        for r in rows
        if best["effective_mb_s"] - r["effective_mb_s"] <= best["noise_mb_s"] + r["noise_mb_s"]
    ]
    chosen = max(tied, key=lambda r: (r["ratio"], r["effective_mb_s"]))
    others = [r["codec"] for r in tied if r is not chosen]
    where = f"{storage.name} ({bw:.0f} MB/s {op})"
    none_row = next((r for r in rows if r["codec"] == "none"), None)
    if chosen["codec"] == "none":
        runner_up = rows[1] if len(rows) > 1 else None
        reason = (
            f"none: on {where} the storage is fast enough that compressing costs more "
            "time than the bytes it saves"
        )
        if runner_up is not None:
            reason += (
                f" ({chosen['effective_mb_s']:.0f} MB/s against "
                f"{runner_up['effective_mb_s']:.0f} MB/s for {runner_up['codec']}, "
                "outside the measured noise)"
            )
    else:
        reason = (
            f"{chosen['codec']}: {chosen['effective_mb_s']:.0f} MB/s {op} as seen on {where}"
            f", storing {chosen['ratio']:.2f}x fewer bytes"
        )
        if none_row is not None and none_row not in tied:
            reason += f"; none reaches only {none_row['effective_mb_s']:.0f} MB/s"
    if others:
        medians = ", ".join(f"{r['effective_mb_s']:.0f}" for r in tied)
        reason += (
            f"; a tie within the measured noise with {', '.join(others)} "
            f"(medians {medians} MB/s, "
            "noise the runs' median absolute deviation), picked for the higher ratio"
        )
    return {"codec": chosen["codec"], "tied_with": others, "reason": reason}
