"""Access patterns on real Zarr arrays: regions, streaming acquisition, cold reads,
pattern ceilings."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.suite import patterns, zarr_io
from zarr_benchmarks.suite.codecs import get_codec

CODEC = "blosc-zstd-5-shuffle"


@pytest.fixture(scope="module")
def volume() -> np.ndarray:
    mod = get_modality("light_sheet")
    return mod.generate((12, 40, 48), mod.dtype, 0)


def _settings(layout: str, shape) -> zarr_io.ArraySettings:
    return zarr_io.ArraySettings(get_codec(CODEC), resolve_layout(layout, shape))


# ---------------------------------------------------------------- regions
def test_chunk_regions_tile_the_array_exactly_once():
    shape, chunks = (5, 7, 9), (2, 3, 4)
    hits = np.zeros(shape, dtype=int)
    regions = patterns.chunk_regions(shape, chunks)
    for r in regions:
        hits[r] += 1
    assert (hits == 1).all()
    assert len(regions) == 3 * 3 * 3


def test_plane_regions_cover_every_leading_index():
    regions = patterns.plane_regions((2, 3, 4, 5))
    assert len(regions) == 6
    assert regions[0] == (0, 0, slice(None), slice(None))
    with pytest.raises(ValueError, match="at least 2 axes"):
        patterns.plane_regions((4,))


def test_random_rois_are_seeded_and_inside_the_array():
    shape = (10, 50, 60)
    roi = patterns.roi_shape_for(shape, edge=16)
    a = patterns.random_rois(shape, roi, 20, seed=3)
    assert a == patterns.random_rois(shape, roi, 20, seed=3)
    assert a != patterns.random_rois(shape, roi, 20, seed=4)
    for r in a:
        assert all(s.start >= 0 and s.stop <= n for s, n in zip(r, shape))
        assert tuple(s.stop - s.start for s in r) == (10, 16, 16)
    with pytest.raises(ValueError, match="does not fit"):
        patterns.random_rois(shape, (11, 1, 1), 1)
    with pytest.raises(ValueError, match="positive"):
        patterns.random_rois(shape, roi, 0)


@pytest.mark.parametrize("layout", ["cube16", "cube16-shard32"])
@pytest.mark.parametrize("kind", ["chunks", "planes"])
def test_region_writes_then_reads_round_trip(tmp_path, volume, layout, kind):
    settings = _settings(layout, volume.shape)
    array = zarr_io.create_array(tmp_path / "a.zarr", volume.shape, volume.dtype, settings)
    regions = (
        patterns.chunk_regions(volume.shape, array.chunks)
        if kind == "chunks"
        else patterns.plane_regions(volume.shape)
    )
    patterns.write_regions(array, volume, regions)
    back = zarr_io.open_array(tmp_path / "a.zarr")
    assert np.array_equal(back[...], volume)
    assert patterns.read_regions(back, regions) == volume.nbytes
    rois = patterns.random_rois(volume.shape, patterns.roi_shape_for(volume.shape), 5)
    assert patterns.read_regions(back, rois) == 5 * 12 * 16 * 16 * volume.itemsize


def test_pattern_ceiling_counts_the_chunks_each_pattern_touches(volume):
    layout = resolve_layout("cube16", volume.shape)  # chunks (12, 16, 16): 1 x 3 x 3 grid
    planes = patterns.plane_regions(volume.shape)
    ceiling = patterns.PatternCeiling(volume, get_codec(CODEC), layout, planes)
    assert ceiling.decodes == 12 * 9  # every plane crosses all 9 chunks
    chunked = patterns.PatternCeiling(
        volume, get_codec(CODEC), layout, patterns.chunk_regions(volume.shape, layout.chunks)
    )
    assert chunked.decodes == 9
    ceiling.decode()
    none = patterns.PatternCeiling(volume, get_codec("none"), layout, planes[:2])
    none.decode()
    assert none.decodes == 18


# --------------------------------------------------------------- cold reads
def _resident_bytes(path) -> int | None:
    fincore = shutil.which("fincore")
    if not fincore:
        return None
    total = 0
    for root, _d, names in os.walk(path):
        for n in names:
            out = subprocess.run(
                [fincore, "-b", "-n", "-o", "RES", os.path.join(root, n)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            total += int(out or 0)
    return total


def test_cold_read_drops_the_pages_and_reads_the_same_data(tmp_path, volume, monkeypatch):
    if not patterns.fadvise_available():
        state = patterns.drop_page_cache(tmp_path)
        assert state.state == "warm" and "not available" in state.reason
        pytest.skip("posix_fadvise is not available on this platform")
    path = tmp_path / "a.zarr"
    array = zarr_io.create_array(
        path, volume.shape, volume.dtype, _settings("cube16", volume.shape)
    )
    zarr_io.write(array, volume)
    zarr_io.read(zarr_io.open_array(path))  # warm

    calls = []
    real = os.posix_fadvise

    def spy(fd, offset, length, advice):
        calls.append(advice)
        return real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", spy)
    state = patterns.drop_page_cache(path)
    n_files = sum(len(f) for _r, _d, f in os.walk(path))
    assert state.cold and state.state == "cold" and state.files == n_files
    assert calls == [os.POSIX_FADV_DONTNEED] * n_files
    resident = _resident_bytes(path)
    if resident is not None:  # util-linux fincore shows the pages really left the cache
        assert resident == 0
    assert np.array_equal(zarr_io.read(zarr_io.open_array(path)), volume)
    if resident is not None:
        assert _resident_bytes(path) > 0  # and the read brought them back


def test_drop_page_cache_reports_warm_with_a_reason(tmp_path, monkeypatch):
    assert patterns.drop_page_cache(tmp_path).state == "warm"  # no files
    (tmp_path / "f").write_bytes(b"x" * 100)
    if patterns.fadvise_available():

        def failing(fd, offset, length, advice):
            raise OSError(22, "Invalid argument")

        monkeypatch.setattr(os, "posix_fadvise", failing)
        state = patterns.drop_page_cache(tmp_path)
        assert not state.cold and "posix_fadvise failed" in state.reason
    monkeypatch.delattr(os, "posix_fadvise", raising=False)
    state = patterns.drop_page_cache(tmp_path)
    assert state.state == "warm" and "not available" in state.reason


# ------------------------------------------------------------- streaming
def test_acquisition_stack_shapes():
    tyx = np.arange(3 * 4 * 5).reshape(3, 4, 5)
    assert patterns.acquisition_stack(tyx, "tyx").shape == (1, 3, 1, 1, 4, 5)
    zyx = np.arange(2 * 4 * 5).reshape(2, 4, 5)
    stack = patterns.acquisition_stack(zyx, "zyx", time_points=3, positions=2)
    assert stack.shape == (2, 3, 1, 2, 4, 5)
    assert not np.array_equal(stack[0, 0], stack[0, 1])  # time points differ
    czyx = np.zeros((2, 3, 4, 5))
    assert patterns.acquisition_stack(czyx, "czyx").shape == (1, 1, 2, 3, 4, 5)
    with pytest.raises(ValueError, match="axes"):
        patterns.acquisition_stack(zyx, "zqx")


def test_iter_frames_labels_every_frame_in_acquisition_order():
    stack = np.zeros((2, 3, 2, 4, 5, 6), dtype=np.uint16)
    frames = list(patterns.iter_frames(stack))
    assert len(frames) == patterns.frames_in_stack(stack) == 2 * 3 * 2 * 4
    first = frames[0][0]
    assert first.as_dict() == {"time": 0, "channel": "DAPI", "z": 0, "position": "pos0"}
    assert frames[8][0].position == "pos1"  # after pos0's 2 channels x 4 planes
    assert [c.time for c, _f in frames] == sorted(c.time for c, _f in frames)


@pytest.mark.parametrize("layout", ["plane", "cube8"])
@pytest.mark.parametrize("buffered", [False, True])
def test_streaming_grows_the_array_and_equals_the_stacked_frames(tmp_path, layout, buffered):
    mod = get_modality("confocal")  # czyx: 2 channels
    data = mod.generate((2, 10, 24, 32), mod.dtype, 1)
    stack = patterns.acquisition_stack(data, mod.axes, time_points=3, positions=2)
    settings = patterns.stream_settings(stack, CODEC, layout)
    writer = patterns.open_streaming_writer(tmp_path / "s", stack, settings, buffered=buffered)
    shapes = []
    for coords, frame in patterns.iter_frames(stack):
        writer.write_frame(coords, frame)
        shapes.append(writer.arrays()["pos0"].shape[0])
    writer.close()
    assert shapes[0] == 1 and shapes[-1] == 3  # grown one time point at a time
    assert writer.frames_written == patterns.frames_in_stack(stack)
    assert np.array_equal(patterns.read_stack(tmp_path / "s", stack.shape), stack)
    attrs = zarr_io.open_array(tmp_path / "s" / "pos1").attrs["acquisition"]
    assert attrs["axes"] == ["t", "c", "z", "y", "x"]
    assert attrs["channels"] == ["DAPI", "GFP"]
    assert len(attrs["frames"]) == 3 * 2 * 10
    assert attrs["frames"][0] == [0, "DAPI", 0, "pos1"]
    assert {tuple(f[:3]) for f in attrs["frames"]} == {
        (t, c, z) for t in range(3) for c in ("DAPI", "GFP") for z in range(10)
    }


def test_stream_and_one_go_store_the_same_data(tmp_path, volume):
    stack = patterns.acquisition_stack(volume, "zyx", time_points=2, positions=1)
    settings = patterns.stream_settings(stack, CODEC, "cube16")
    writer = patterns.open_streaming_writer(tmp_path / "s", stack, settings)
    assert patterns.stream_frames(writer, patterns.iter_frames(stack)) == 24
    arrays = patterns.prepare_one_go(tmp_path / "o", stack, settings)
    patterns.write_stack_in_one_go(arrays, stack)
    a = patterns.read_stack(tmp_path / "s", stack.shape)
    b = patterns.read_stack(tmp_path / "o", stack.shape)
    assert np.array_equal(a, stack) and np.array_equal(b, stack)


def test_buffered_streaming_flushes_an_incomplete_chunk_on_close(tmp_path, volume):
    stack = patterns.acquisition_stack(volume, "zyx", time_points=1)
    settings = patterns.stream_settings(stack, CODEC, "cube8")  # z chunk 8 of 12
    writer = patterns.open_streaming_writer(tmp_path / "s", stack, settings, buffered=True)
    frames = list(patterns.iter_frames(stack))[:5]  # the acquisition stops early
    patterns.stream_frames(writer, frames)
    back = patterns.read_stack(tmp_path / "s", stack.shape)
    assert np.array_equal(back[0, 0, 0, :5], stack[0, 0, 0, :5])
    assert (back[0, 0, 0, 5:] == 0).all()


def test_layout_with_units_picks_a_layout_with_enough_chunks():
    assert patterns.layout_with_units((32, 32, 32), ["cube64", "cube16"], 8).name == "cube16"
    assert patterns.layout_with_units((32, 32, 32), ["cube64", "cube32"], 8).name == "cube64"
