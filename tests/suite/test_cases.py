"""The shared Case code path: what asv, the API and the service time."""

from __future__ import annotations

import numpy as np
import pytest

from zarr_benchmarks.suite.cases import Case, DataMismatchError
from zarr_benchmarks.suite.zarr_io import open_array, stored_nbytes


@pytest.fixture
def data():
    from zarr_benchmarks.data.modalities import get_modality

    return get_modality("synthetic").generate((24, 40, 40), seed=3)


@pytest.mark.parametrize(
    ("layout", "fmt"), [("cube16", 3), ("plane", 3), ("cube8-shard16", 3), ("cube16", 2)]
)
def test_write_read_and_regions(data, tmp_path, layout, fmt):
    case = Case(data, "blosc-zstd-5-shuffle", layout, tmp_path, fmt, "c")
    case.prepare_write()
    assert stored_nbytes(case.write_path) == 0  # nothing written before the timed call
    case.write()
    assert 1.3 < case.written_ratio() < 10
    np.testing.assert_array_equal(open_array(case.write_path)[...], data)

    case.prepare_read()
    assert (case.read_path / ".verified").exists()
    np.testing.assert_array_equal(case.read(), data)
    chunk = case.read_chunk()
    assert chunk.shape == case.layout.chunks
    np.testing.assert_array_equal(chunk, data[tuple(slice(0, c) for c in chunk.shape)])
    np.testing.assert_array_equal(case.read_plane(), data[12])
    case.cleanup()
    assert not case.write_path.exists() and not case.read_path.exists()


def test_sharding_with_format_2_is_skipped_the_asv_way(data, tmp_path):
    with pytest.raises(NotImplementedError):
        Case(data, "zstd-3", "cube8-shard16", tmp_path, 2)


def test_prepare_read_writes_once_then_reopens(data, tmp_path):
    case = Case(data, "zstd-3", "cube16", tmp_path, 3, "once")
    case.prepare_read()
    marker = case.read_path / ".verified"
    first = marker.stat().st_mtime_ns
    case.prepare_read()
    assert marker.stat().st_mtime_ns == first


def test_verify_detects_corruption(data, tmp_path):
    case = Case(data, "none", "cube16", tmp_path, 3, "bad")
    case.prepare_read()
    # Overwrite one stored chunk with the bytes of a different chunk.
    chunk_files = sorted(
        p
        for p in case.read_path.rglob("*")
        if p.is_file() and p.name not in ("zarr.json", ".verified")
    )
    chunk_files[0].write_bytes(chunk_files[-1].read_bytes()[: chunk_files[0].stat().st_size])
    case._array = open_array(case.read_path)
    with pytest.raises(DataMismatchError, match="differs"):
        case.verify()


def test_write_and_read_prepared_together_use_separate_arrays(data, tmp_path):
    """A benchmark may prepare both; the write must not go to the read-only array."""
    case = Case(data, "zstd-3", "cube16", tmp_path, 3, "both")
    case.prepare_write()
    case.prepare_read()
    case.write()
    np.testing.assert_array_equal(open_array(case.write_path)[...], data)
    np.testing.assert_array_equal(case.read(), data)
    case.cleanup_write()
    assert not case.write_path.exists() and case.read_path.exists()
