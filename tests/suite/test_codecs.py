"""The codec registry: ids, configs, round trips through Zarr, and the blosc typesize pitfall."""

from __future__ import annotations

import numpy as np
import pytest

from zarr_benchmarks.suite.codecs import UnknownCodecError, get_codec, list_codec_ids
from zarr_benchmarks.suite.codecs._base import CodecSpec
from zarr_benchmarks.suite.codecs._registry import CodecFamily, codec_families, register_codec

ALL_IDS = list_codec_ids()
LOSSLESS_IDS = [cid for cid in ALL_IDS if get_codec(cid).lossless]


def test_matrix_covers_every_blosc_compressor_shuffle_and_the_plain_codecs():
    for cname in ("lz4", "lz4hc", "zstd", "zlib", "blosclz"):
        for shuffle in ("noshuffle", "shuffle", "bitshuffle"):
            assert f"blosc-{cname}-5-{shuffle}" in ALL_IDS
    assert {"zstd-3", "gzip-5", "none"} <= set(ALL_IDS)
    assert len(ALL_IDS) == len(set(ALL_IDS))


@pytest.mark.parametrize("codec_id", ALL_IDS)
def test_id_and_config_round_trip(codec_id):
    codec = get_codec(codec_id)
    assert codec.id == codec_id
    assert get_codec(codec.config) == codec
    assert get_codec(codec.config).id == codec_id


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("blosc_zstd", "blosc-zstd-5-shuffle"),
        ("blosc-lz4", "blosc-lz4-5-shuffle"),
        ("BLOSC-ZSTD-3", "blosc-zstd-3-shuffle"),
        ("zstd", "zstd-3"),
        ("gzip", "gzip-5"),
        ("zstd--5", "zstd--5"),
    ],
)
def test_short_and_seed_spellings(alias, expected):
    assert get_codec(alias).id == expected


@pytest.mark.parametrize(
    "bad",
    [
        "blosc-snappy-5-shuffle",
        "blosc-zstd-5-wiggle",
        "zstd-99",
        "gzip-12",
        "lzma",
        {"id": "nope"},
        {"id": "zstd", "level": 3, "extra": 1},
        {"id": "blosc", "clevel": "high"},
        42,
    ],
)
def test_unknown_codecs_get_a_clear_error(bad):
    with pytest.raises(UnknownCodecError) as err:
        get_codec(bad)
    assert str(err.value)


def _fluorescence_like(shape=(16, 32, 32), dtype="uint16"):
    rng = np.random.default_rng(1)
    base = rng.poisson(100 + 50 * np.sin(np.arange(shape[-1]) / 4.0), size=shape)
    return base.astype(dtype)


def test_lossy_codecs_are_listed_and_marked():
    lossy = set(ALL_IDS) - set(LOSSLESS_IDS)
    assert any(c.startswith("bitround-") for c in lossy)
    assert any(c.startswith("quantize-") for c in lossy)


@pytest.mark.parametrize("zarr_format", [3, 2])
@pytest.mark.parametrize("codec_id", LOSSLESS_IDS)
def test_every_lossless_codec_round_trips_exactly_through_zarr(codec_id, zarr_format, tmp_path):
    from zarr_benchmarks.data.chunking import resolve_layout
    from zarr_benchmarks.suite.zarr_io import ArraySettings, create_array, open_array, read, write

    data = _fluorescence_like()
    settings = ArraySettings(get_codec(codec_id), resolve_layout("cube16", data.shape), zarr_format)
    array = create_array(tmp_path / "a.zarr", data.shape, data.dtype, settings)
    write(array, data)
    back = read(open_array(tmp_path / "a.zarr"))
    assert back.dtype == data.dtype
    np.testing.assert_array_equal(back, data)


@pytest.mark.parametrize("dtype", ["uint16", "float32"])
def test_blosc_shuffle_is_effective_through_zarr(dtype, tmp_path):
    """zarr 3 pitfall: without the right typesize, shuffle is silently a no-op."""
    from zarr_benchmarks.data.chunking import resolve_layout
    from zarr_benchmarks.suite.zarr_io import ArraySettings, compression_ratio, create_array, write

    data = _fluorescence_like(dtype=dtype)
    ratios = {}
    for shuffle in ("noshuffle", "shuffle"):
        codec = get_codec(f"blosc-lz4-5-{shuffle}")
        (v3,) = codec.zarr_v3_compressors(data.dtype)
        assert v3.typesize == data.dtype.itemsize
        path = tmp_path / f"{shuffle}.zarr"
        settings = ArraySettings(codec, resolve_layout("cube16", data.shape))
        write(create_array(path, data.shape, data.dtype, settings), data)
        ratios[shuffle] = compression_ratio(data.nbytes, path)
    assert ratios["shuffle"] > 1.15 * ratios["noshuffle"], ratios


def test_third_party_family_registration():
    class Identity(CodecSpec):
        family = "identity-test"

        @property
        def id(self):
            return "identity-test"

        @property
        def config(self):
            return {"id": "identity-test"}

        def zarr_v3_compressors(self, dtype):
            return ()

        def zarr_v2_compressor(self, dtype):
            return None

        def numcodecs_codec(self, dtype):
            return None

    family = CodecFamily(
        "identity-test",
        lambda cid: Identity() if cid == "identity-test" else None,
        lambda cfg: Identity(),
        lambda: ["identity-test"],
    )
    register_codec(family)
    try:
        assert get_codec("identity-test").id == "identity-test"
        assert "identity-test" in list_codec_ids()
        with pytest.raises(ValueError, match="already registered"):
            register_codec(family)
    finally:
        from zarr_benchmarks.suite.codecs import _registry

        _registry._FAMILIES.pop("identity-test")
    assert "identity-test" not in codec_families()
