"""Zarr against a real SeaweedFS S3 server on loopback, through obstore and s3fs."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
import requests

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.suite import remote, zarr_io
from zarr_benchmarks.suite.codecs import get_codec
from zarr_benchmarks.suite.patterns import chunk_regions

pytestmark = [pytest.mark.slow, pytest.mark.s3]


@pytest.fixture(scope="module")
def server():
    """One real server for the module; stopped (and its folder removed) at the end."""
    srv = remote.start_object_store(bucket="zb-test")
    yield srv
    srv.stop()
    assert not srv.running()


@pytest.fixture(scope="module")
def volume():
    mod = get_modality("light_sheet")
    return mod.generate((16, 64, 64), mod.dtype, 0)


def _settings(shape, layout="cube16"):
    return zarr_io.ArraySettings(get_codec("blosc-zstd-5-shuffle"), resolve_layout(layout, shape))


def test_server_listens_on_loopback_only(server):
    assert server.endpoint.startswith("http://127.0.0.1:")
    assert server.running()
    assert requests.get(server.endpoint + "/", timeout=5).status_code == 200
    assert server.info() == {"endpoint": server.endpoint, "bucket": "zb-test"}


@pytest.mark.parametrize("client", remote.CLIENTS)
@pytest.mark.parametrize("layout", ["cube16", "cube16-shard32"])
def test_write_then_read_back_with_counted_transfers(server, volume, client, layout):
    prefix = f"{client}/{layout}.zarr"
    settings = _settings(volume.shape, layout)
    store = remote.zarr_store(server.endpoint, server.bucket, prefix, client)
    array = remote.create_array_in(store, volume.shape, volume.dtype, settings)
    assert store.stats.bytes_written > 0  # the metadata document
    store.stats.reset()
    array[...] = volume
    written = store.stats.snapshot()
    store.close()
    n_objects = len(chunk_regions(volume.shape, settings.layout.shards or settings.layout.chunks))
    assert written["requests"].get("put") == n_objects
    # Compressed, but never more than the raw data plus per-object overhead.
    assert 0 < written["bytes_written"] < volume.nbytes + 1024 * n_objects

    reader = remote.zarr_store(server.endpoint, server.bucket, prefix, client, read_only=True)
    back = remote.open_array_in(reader)
    reader.stats.reset()
    assert np.array_equal(back[...], volume)
    read = reader.stats.snapshot()
    assert read["bytes_read"] > 0 and read["total_requests"] >= n_objects
    if layout == "cube16":  # whole objects: read exactly what was written
        assert read["bytes_read"] == written["bytes_written"]
    assert read["bytes_written"] == 0
    reader.close()


def test_both_clients_see_the_same_objects(server, volume):
    settings = _settings(volume.shape)
    writer = remote.zarr_store(server.endpoint, server.bucket, "shared.zarr", "obstore")
    remote.create_array_in(writer, volume.shape, volume.dtype, settings)[...] = volume
    reader = remote.zarr_store(
        server.endpoint, server.bucket, "shared.zarr", "fsspec", read_only=True
    )
    assert np.array_equal(remote.open_array_in(reader)[...], volume)
    reader.close()
    writer.close()


def test_read_only_store_refuses_writes(server, volume):
    store = remote.zarr_store(server.endpoint, server.bucket, "ro.zarr", "obstore", read_only=True)
    with pytest.raises(ValueError):
        remote.create_array_in(store, volume.shape, volume.dtype, _settings(volume.shape))


def test_unknown_client_and_bad_bucket_are_refused(server):
    with pytest.raises(ValueError, match="unknown object-store client"):
        remote.zarr_store(server.endpoint, server.bucket, "x", "ftp")
    with pytest.raises(ValueError, match="invalid bucket name"):
        remote.create_bucket(server.endpoint, "ab")


def test_context_manager_stops_the_server_and_keeps_a_given_folder(tmp_path):
    with remote.local_object_store(bucket="zb-ctx", data_dir=tmp_path / "s3") as srv:
        pid = srv.pid
        assert srv.running()
        store = remote.zarr_store(srv.endpoint, srv.bucket, "a.zarr", "obstore")
        arr = remote.create_array_in(store, (8, 8), "uint8", _settings((8, 8), (4, 4)))
        arr[...] = 7
        assert (remote.open_array_in(store)[...] == 7).all()
    assert not srv.running()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert (tmp_path / "s3").exists()  # a caller's folder is left in place


def test_server_dies_with_the_process_that_started_it(tmp_path):
    """PR_SET_PDEATHSIG: a killed benchmark process never leaves a server behind."""
    import subprocess
    import sys
    import time

    code = (
        "from zarr_benchmarks.suite import remote; import sys, time\n"
        "s = remote.start_object_store(bucket='zb-orphan')\n"
        "print(s.pid, flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        if not line.strip():  # the child died before starting the server: say why
            proc.kill()
            pytest.fail(f"the server was not started: {proc.stderr.read()}")
        pid = int(line)
        os.kill(pid, 0)  # running
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the server outlived the process that started it")
