"""Many writers on real components: threads, spawned processes and Dask on a real
``distributed`` LocalCluster (loopback, no dashboard), directly and by address."""

from __future__ import annotations

import concurrent.futures as cf

import numpy as np
import pytest
import zarr.errors

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.suite import patterns, zarr_io
from zarr_benchmarks.suite.codecs import get_codec


@pytest.fixture(scope="module")
def volume(tmp_path_factory):
    mod = get_modality("ct")
    data = mod.generate((24, 40, 48), mod.dtype, 2)
    npy = tmp_path_factory.mktemp("data") / "volume.npy"
    np.save(npy, data)
    return data, npy


def _array(path, data, layout="cube16"):
    settings = zarr_io.ArraySettings(
        get_codec("blosc-lz4-5-shuffle"), resolve_layout(layout, data.shape)
    )
    return zarr_io.create_array(path, data.shape, data.dtype, settings)


def _stored_units(path) -> int:
    return sum(1 for p in path.rglob("*") if p.is_file() and p.name != "zarr.json")


def test_partition_regions_is_disjoint_and_complete():
    regions = patterns.chunk_regions((10, 10), (3, 3))
    groups = patterns.partition_regions(regions, 3)
    assert len(groups) == 3
    assert [r for g in groups for r in g] == regions
    assert max(map(len, groups)) - min(map(len, groups)) <= 1
    with pytest.raises(ValueError, match="at least 1"):
        patterns.partition_regions(regions, 0)


def test_writer_groups_follow_shards_when_sharded(tmp_path, volume):
    data, _npy = volume
    array = _array(tmp_path / "s.zarr", data, "cube8-shard16")
    assert patterns.write_unit(array) == array.shards
    groups = patterns.writer_groups(array, 2)
    for region in (r for g in groups for r in g):
        assert all(s.start % u == 0 for s, u in zip(region, array.shards))


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("layout", ["cube16", "cube8-shard16"])
def test_threads_write_disjoint_chunks(tmp_path, volume, k, layout):
    data, _npy = volume
    path = tmp_path / "t.zarr"
    array = _array(path, data, layout)
    groups = patterns.writer_groups(array, k)
    with cf.ThreadPoolExecutor(k) as ex:
        patterns.write_with_threads(array, data, groups, ex)
    assert np.array_equal(zarr_io.open_array(path)[...], data)
    assert _stored_units(path) == sum(map(len, groups))  # no chunk lost


@pytest.mark.slow
def test_processes_write_disjoint_chunks(tmp_path, volume):
    data, npy = volume
    path = tmp_path / "p.zarr"
    array = _array(path, data)
    groups = patterns.writer_groups(array, 2)
    with patterns.ProcessWriters(2) as pool:
        assert pool.write(path, npy, groups) == len(patterns.chunk_regions(data.shape, (16,) * 3))
        # A second write through the same (warm) pool into a fresh array.
        array2 = _array(tmp_path / "p2.zarr", data)
        pool.write(tmp_path / "p2.zarr", npy, patterns.writer_groups(array2, 2))
    assert np.array_equal(zarr_io.open_array(path)[...], data)
    assert np.array_equal(zarr_io.open_array(tmp_path / "p2.zarr")[...], data)
    assert _stored_units(path) == 2 * 3 * 3


def test_a_failing_writer_process_raises(tmp_path, volume):
    """The worker's own error comes back to the caller (not a broken pool or a hang)."""
    data, npy = volume
    with patterns.ProcessWriters(1) as pool:
        with pytest.raises(zarr.errors.ArrayNotFoundError, match=r"No array found in store "):
            pool.write(tmp_path / "missing.zarr", npy, [[(slice(0, 1),) * 3]])
        # The pool survives the failure: the next write through it succeeds.
        array = _array(tmp_path / "ok.zarr", data)
        groups = patterns.writer_groups(array, 1)
        assert pool.write(tmp_path / "ok.zarr", npy, groups) == len(groups[0])
    assert np.array_equal(zarr_io.open_array(tmp_path / "ok.zarr")[...], data)


@pytest.fixture(scope="module")
def local_cluster():
    """A real 2-worker LocalCluster on loopback, closed at the end of the module."""
    dc = patterns.start_dask_cluster(2)
    yield dc
    dc.close()


@pytest.mark.slow
@pytest.mark.dask
def test_dask_to_zarr_on_a_local_cluster(tmp_path, volume, local_cluster):
    data, npy = volume
    addrs = local_cluster.worker_addresses()
    assert len(addrs) == 2 and all(a.startswith("tcp://127.0.0.1:") for a in addrs)
    assert local_cluster.cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    local_cluster.warm_up()
    for workers in (1, 2):
        path = tmp_path / f"d{workers}.zarr"
        array = _array(path, data, "cube8-shard16")
        patterns.dask_write(local_cluster, npy, array, workers=workers)
        assert np.array_equal(zarr_io.open_array(path)[...], data)
    path = tmp_path / "to_zarr.zarr"
    array = _array(path, data, "cube8")
    patterns.dask_write(local_cluster, npy, array, via="to_zarr")
    assert np.array_equal(zarr_io.open_array(path)[...], data)
    with pytest.raises(ValueError, match="unknown Dask write"):
        patterns.dask_write(local_cluster, npy, array, via="bogus")
    with pytest.raises(ValueError, match="asked for 3 Dask workers"):
        patterns.dask_write(local_cluster, npy, array, workers=3)


@pytest.mark.slow
@pytest.mark.dask
def test_dask_by_scheduler_address(tmp_path, volume, local_cluster, monkeypatch):
    data, npy = volume
    monkeypatch.setenv(patterns.DASK_SCHEDULER_ENV, local_cluster.cluster.scheduler_address)
    with patterns.dask_cluster() as external:
        assert external.kind == "external" and external.cluster is None
        path = tmp_path / "ext.zarr"
        array = _array(path, data)
        patterns.dask_write(external, npy, array, workers=1)
    assert np.array_equal(zarr_io.open_array(path)[...], data)
    assert local_cluster.client.status == "running"  # closing our client left it up


@pytest.mark.dask
def test_local_cluster_size_is_limited():
    with pytest.raises(ValueError, match="1 or 2 workers"):
        patterns.start_dask_cluster(3, address=None)
