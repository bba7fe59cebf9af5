"""Chunk layouts resolve sensibly for every shape; presets validate their contents."""

from __future__ import annotations

import pytest

from zarr_benchmarks.data.chunking import LayoutError, resolve_layout
from zarr_benchmarks.suite.presets import get_matrix, shape_for


@pytest.mark.parametrize(
    ("name", "shape", "chunks", "shards"),
    [
        ("cube64", (128, 256, 256), (64, 64, 64), None),
        ("cube64", (32, 256, 256), (32, 64, 64), None),
        ("cube64", (10, 128, 256, 256), (1, 64, 64, 64), None),
        ("slab16", (128, 256, 256), (16, 256, 256), None),
        ("plane", (128, 256, 256), (1, 256, 256), None),
        ("plane", (3, 20, 256, 256), (1, 1, 256, 256), None),
        ("cube32-shard128", (128, 256, 256), (32, 32, 32), (128, 128, 128)),
        ("cube32-shard128", (100, 256, 256), (32, 32, 32), (96, 128, 128)),
        ("plane-shard16", (128, 256, 256), (1, 256, 256), (16, 256, 256)),
        ((16, 16, 16), (64, 64, 64), (16, 16, 16), None),
    ],
)
def test_resolve_layout(name, shape, chunks, shards):
    layout = resolve_layout(name, shape)
    assert layout.chunks == chunks
    assert layout.shards == shards
    if shards:
        assert all(s % c == 0 for s, c in zip(layout.shards, layout.chunks))


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("cube", (8, 8, 8)),
        ("triangle", (8, 8, 8)),
        ("slab4", (8, 8)),
        ((4, 4), (8, 8, 8)),
        ((0, 4, 4), (8, 8, 8)),
    ],
)
def test_bad_layouts_are_rejected(name, shape):
    with pytest.raises(LayoutError):
        resolve_layout(name, shape)


def test_presets_are_valid_and_nested():
    quick, default, full = (get_matrix(n, environ={}) for n in ("quick", "default", "full"))
    assert len(quick.modalities) * len(quick.codecs) < len(default.modalities) * len(default.codecs)
    assert set(default.codecs) <= set(full.codecs)
    assert set(default.layouts) <= set(full.layouts)


def test_environment_overrides_and_errors():
    env = {
        "ZARR_BENCHMARKS_PRESET": "quick",
        "ZARR_BENCHMARKS_CODECS": "zstd,blosc_lz4",
        "ZARR_BENCHMARKS_MODALITIES": "synthetic",
        "ZARR_BENCHMARKS_SIZE": "small",
    }
    m = get_matrix(environ=env)
    assert m.codecs == ("zstd-3", "blosc-lz4-5-shuffle")
    assert m.detail_codecs == m.codecs
    assert m.modalities == ("synthetic",)
    assert m.size == "small"
    for key, bad in [
        ("ZARR_BENCHMARKS_PRESET", "huge"),
        ("ZARR_BENCHMARKS_SIZE", "xl"),
        ("ZARR_BENCHMARKS_CODECS", "lzma"),
        ("ZARR_BENCHMARKS_MODALITIES", "xray"),
        ("ZARR_BENCHMARKS_LAYOUTS", "blob"),
    ]:
        with pytest.raises(ValueError, match=bad):
            get_matrix(environ={key: bad})


def test_sizes_scale_spatial_axes_only():
    small = shape_for("synthetic", "small")
    assert shape_for("synthetic", "medium") == tuple(2 * s for s in small)
    assert all(t <= s for t, s in zip(shape_for("synthetic", "tiny"), small))
    with pytest.raises(ValueError):
        shape_for("synthetic", "gigantic")


def test_suites_by_preset_and_override():
    assert get_matrix("quick", environ={}).suites == ("core",)
    default = get_matrix("default", environ={}).suites
    assert "remote" not in default and {"core", "patterns", "implementations"} <= set(default)
    assert "remote" in get_matrix("full", environ={}).suites
    env = {"ZARR_BENCHMARKS_SUITES": "remote,lossy"}
    assert get_matrix("quick", environ=env).suites == ("core", "remote", "lossy")
    assert "streaming" in get_matrix("quick", environ={"ZARR_BENCHMARKS_SUITES": "all"}).suites
    with pytest.raises(ValueError, match="unknown suite"):
        get_matrix(environ={"ZARR_BENCHMARKS_SUITES": "everything"})
