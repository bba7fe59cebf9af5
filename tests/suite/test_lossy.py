"""Lossy codecs (bit-rounding, quantisation, integer shift) and the quality metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zarr_benchmarks import BenchmarkConfig, DatasetBenchmarkRunner, create_metadata
from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.suite import quality
from zarr_benchmarks.suite.cases import Case, DataMismatchError
from zarr_benchmarks.suite.codecs import UnknownCodecError, get_codec, list_codec_ids
from zarr_benchmarks.suite.codecs.lossy import benchmark_lossy_codecs, list_lossy_ids
from zarr_benchmarks.suite.zarr_io import ArraySettings, compression_ratio, create_array, open_array

pytestmark = pytest.mark.filterwarnings("ignore:Numcodecs codecs are not in the Zarr")


def _floats(shape=(16, 24, 24), seed=3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Mixed magnitudes and signs, so relative bounds are exercised across exponents.
    return (rng.normal(0, 1, shape) * 10.0 ** rng.integers(-3, 4, shape)).astype("float32")


def _roundtrip(codec_id: str, data: np.ndarray, tmp_path, zarr_format: int = 3) -> np.ndarray:
    settings = ArraySettings(get_codec(codec_id), resolve_layout("cube8", data.shape), zarr_format)
    path = tmp_path / f"{codec_id}-v{zarr_format}.zarr"
    create_array(path, data.shape, data.dtype, settings)[...] = data
    return open_array(path)[...]


# -- ids and configs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("bitround-10", "bitround-10-blosc-zstd-5-shuffle"),
        ("bitround-7-zstd-3", "bitround-7-zstd-3"),
        ("BITROUND_4_blosc_lz4", "bitround-4-blosc-lz4-5-shuffle"),
        ("quantize-3", "quantize-3-blosc-zstd-5-shuffle"),
        ("shift-4-gzip-9", "shift-4-gzip-9"),
    ],
)
def test_ids_configs_round_trip(alias, canonical):
    codec = get_codec(alias)
    assert codec.id == canonical
    assert codec.lossless is False
    assert get_codec(codec.config) == codec and get_codec(codec.id) == codec


def test_config_spells_out_the_lossless_stage():
    assert get_codec("bitround-10").config == {
        "id": "bitround",
        "keepbits": 10,
        "compressor": {"id": "blosc", "cname": "zstd", "clevel": 5, "shuffle": "shuffle"},
    }
    assert get_codec({"id": "quantize", "digits": 2}).id == "quantize-2-blosc-zstd-5-shuffle"


@pytest.mark.parametrize(
    "bad",
    [
        "bitround-99",
        "quantize-40",
        "bitround-10-bitround-3",  # the second stage must be lossless
        "bitround-10-lzma",
        {"id": "bitround"},
        {"id": "shift", "bits": 2, "scale": 3},
    ],
)
def test_bad_lossy_codecs_get_a_clear_error(bad):
    with pytest.raises(UnknownCodecError) as err:
        get_codec(bad)
    assert str(err.value)


def test_lossy_ids_are_listed_and_marked_lossy():
    lossy = [c for c in list_codec_ids() if not get_codec(c).lossless]
    assert sorted(lossy) == sorted(list_lossy_ids())
    assert "bitround-10-blosc-zstd-5-shuffle" in list_lossy_ids()
    assert benchmark_lossy_codecs("quick", {})[0] == "blosc-zstd-5-shuffle"
    env = {"ZARR_BENCHMARKS_LOSSY_CODECS": "bitround-5,quantize-1"}
    assert benchmark_lossy_codecs("quick", env) == (
        "bitround-5-blosc-zstd-5-shuffle",
        "quantize-1-blosc-zstd-5-shuffle",
    )


@pytest.mark.parametrize(
    ("codec", "dtype", "message"),
    [
        ("bitround-10", "uint16", "needs floating-point data, not uint16"),
        ("quantize-2", "int32", "needs floating-point data, not int32"),
        ("shift-3", "float32", "needs integer data, not float32"),
        ("bitround-30", "float32", "float32 has only 23 mantissa bits"),
        ("shift-16", "uint16", "drops 16 bits but uint16 has 16"),
    ],
)
def test_wrong_dtype_is_refused_with_notimplemented(codec, dtype, message, tmp_path):
    with pytest.raises(NotImplementedError, match=message):
        get_codec(codec).zarr_v3_filters(np.dtype(dtype))
    with pytest.raises(NotImplementedError, match=message):
        Case(np.zeros((8, 8, 8), dtype), codec, "cube8", tmp_path).prepare_write()


# -- error bounds -------------------------------------------------------------------


@pytest.mark.parametrize("zarr_format", [3, 2])
@pytest.mark.parametrize("keepbits", [3, 7, 10, 16])
def test_bitround_relative_error_is_bounded(keepbits, zarr_format, tmp_path):
    data = _floats()
    back = _roundtrip(f"bitround-{keepbits}", data, tmp_path, zarr_format)
    rel = np.abs(back.astype(np.float64) - data) / np.abs(data.astype(np.float64))
    assert rel.max() <= 2.0**-keepbits  # the bound asked for
    assert rel.max() <= 2.0 ** -(keepbits + 1)  # the tighter documented one
    assert rel.max() > 2.0 ** -(keepbits + 2)  # and it is tight: values really were rounded
    codec = get_codec(f"bitround-{keepbits}")
    assert codec.within_tolerance(data, back)
    np.testing.assert_array_equal(codec.encode_decode(data), back)


def test_bitround_keeps_zeros_nans_and_infinities(tmp_path):
    data = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1.5, 3.0e-3] * 2, "float32").reshape(2, 7)
    back = _roundtrip("bitround-4", np.broadcast_to(data, (8, 2, 7)).copy(), tmp_path)[0]
    assert back[0, 0] == 0 and np.isnan(back[0, 2]) and back[0, 3] == np.inf
    assert back[0, 4] == -np.inf and back[0, 5] == 1.5


@pytest.mark.parametrize("digits", [1, 2, 3])
def test_quantize_absolute_error_is_bounded(digits, tmp_path):
    data = (np.random.default_rng(digits).normal(0, 50, (8, 16, 16))).astype("float32")
    back = _roundtrip(f"quantize-{digits}", data, tmp_path)
    codec = get_codec(f"quantize-{digits}")
    # numcodecs rounds to multiples of 2**-ceil(log2(10**digits)): 1/16, 1/128, 1/1024
    assert codec.step == {1: 1 / 16, 2: 1 / 128, 3: 1 / 1024}[digits]
    err = np.abs(back.astype(np.float64) - data)
    assert err.max() <= codec.step / 2 + 1e-4  # float32 rounding of values up to ~200
    assert err.max() <= 0.5 * 10.0**-digits + 1e-4  # so within the decimal precision asked
    assert codec.within_tolerance(data, back)
    assert np.allclose(back / codec.step, np.round(back / codec.step), atol=1e-3)


@pytest.mark.parametrize("dtype", ["uint16", "int16", "uint8"])
@pytest.mark.parametrize("bits", [1, 4])
def test_shift_error_is_half_a_step_and_never_wraps(bits, dtype, tmp_path):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(bits)
    data = rng.integers(info.min, info.max, (8, 8, 16), dtype=dtype, endpoint=True)
    data.flat[:4] = [info.max, info.max - 1, info.min, info.min + 1]
    back = _roundtrip(f"shift-{bits}", data, tmp_path)
    err = np.abs(back.astype(np.int64) - data.astype(np.int64))
    assert err.max() <= 2**bits / 2
    assert err.max() >= 1  # it is lossy
    assert get_codec(f"shift-{bits}").within_tolerance(data, back)
    # The extremes stay near the extremes (an overflow would wrap them around).
    assert back.flat[0] >= info.max - 2**bits and back.flat[2] <= info.min + 2**bits


def test_lossy_compresses_more_than_lossless_on_float_data(tmp_path):
    data = get_modality("cryoet").generate((32, 48, 48), "float32", 0)
    ratios = {}
    for codec in ("blosc-zstd-5-shuffle", "bitround-10", "bitround-7", "quantize-2"):
        settings = ArraySettings(get_codec(codec), resolve_layout("cube16", data.shape))
        path = tmp_path / f"{codec}.zarr"
        create_array(path, data.shape, data.dtype, settings)[...] = data
        ratios[codec] = compression_ratio(data.nbytes, path)
    lossless = ratios["blosc-zstd-5-shuffle"]
    assert ratios["bitround-10"] > 1.3 * lossless, ratios
    assert ratios["bitround-7"] > ratios["bitround-10"], ratios
    assert ratios["quantize-2"] > lossless, ratios


def test_shift_compresses_more_than_lossless_on_integer_data(tmp_path):
    data = get_modality("ct").generate((32, 48, 48), "uint16", 0)
    ratios = {}
    for codec in ("blosc-zstd-5-shuffle", "shift-4"):
        path = tmp_path / f"{codec}.zarr"
        settings = ArraySettings(get_codec(codec), resolve_layout("cube16", data.shape))
        create_array(path, data.shape, data.dtype, settings)[...] = data
        ratios[codec] = compression_ratio(data.nbytes, path)
    assert ratios["shift-4"] > 1.2 * ratios["blosc-zstd-5-shuffle"], ratios


# -- Case.verify and the runner -------------------------------------------------------


def test_case_accepts_a_lossy_round_trip_but_not_a_corrupted_one(tmp_path):
    data = _floats((16, 16, 16))
    case = Case(data, "bitround-8", "cube8", tmp_path)
    case.prepare_read()  # verifies within the documented error: no exception
    assert not np.array_equal(case.read(), data)
    import zarr

    stored = zarr.open_array(case.read_path, mode="r+")
    stored[0, 0, 0] = data[0, 0, 0] * 1.01 + 1.0  # beyond 2**-9 relative error
    case._array = open_array(case.read_path)
    with pytest.raises(DataMismatchError, match="by more than bitround-8"):
        case.verify()


def test_lossless_cases_still_need_exact_equality(tmp_path):
    data = _floats((16, 16, 16))
    case = Case(data, "zstd-3", "cube8", tmp_path)
    case.prepare_read()
    import zarr

    stored = zarr.open_array(case.read_path, mode="r+")
    stored[0, 0, 0] = np.nextafter(data[0, 0, 0], np.float32(np.inf))
    case._array = open_array(case.read_path)
    with pytest.raises(DataMismatchError, match=r"differs from the data written$"):
        case.verify()


@pytest.mark.lossy  # SSIM is scikit-image's
def test_runner_reports_quality_for_lossy_codecs(tmp_path):
    meta = create_metadata("cryoet", (32, 32, 32))
    config = BenchmarkConfig(
        meta,
        codecs_to_test=["blosc-zstd-5-shuffle", "bitround-10", "quantize-2"],
        num_runs=1,
        chunk_layout="cube16",
        output_dir=tmp_path,
    )
    out = DatasetBenchmarkRunner(config).run()
    by = {r["codec"]: r for r in out["results"]}
    assert "quality" not in by["blosc-zstd-5-shuffle"]
    for cid in ("bitround-10-blosc-zstd-5-shuffle", "quantize-2-blosc-zstd-5-shuffle"):
        q = by[cid]["quality"]
        assert set(q) == {"psnr", "ssim", "mse", "mae", "max_abs_error"}
        assert 40 < q["psnr"] < math.inf and 0.99 < q["ssim"] <= 1.0
        assert 0 < q["mae"] <= q["max_abs_error"] and q["mse"] > 0
        assert by[cid]["ratio"] > by["blosc-zstd-5-shuffle"]["ratio"]


# -- quality metrics against hand-computed values -----------------------------------

X = np.arange(9, dtype="float64").reshape(3, 3)
Y = X.copy()
Y[0, 0] = 1.0  # one voxel off by one


def test_mse_mae_psnr_by_hand():
    assert quality.mse(X, Y) == pytest.approx(1 / 9)
    assert quality.mae(X, Y) == pytest.approx(1 / 9)
    assert quality.max_abs_error(X, Y) == 1.0
    # range 8 - 0 = 8: PSNR = 10 log10(64 / (1/9)) = 10 log10(576)
    assert quality.psnr(X, Y) == pytest.approx(10 * math.log10(576))
    assert quality.psnr(X, Y) == pytest.approx(27.6042, abs=1e-4)
    assert quality.psnr(X, Y, data_range=255) == pytest.approx(10 * math.log10(255**2 * 9))
    assert quality.psnr(X, X) == math.inf


def test_metrics_do_not_wrap_around_for_unsigned_data():
    a = np.array([[0, 10], [20, 30]], "uint8")
    b = np.array([[2, 10], [20, 30]], "uint8")  # a - b would wrap to 254 in uint8
    assert quality.mse(a, b) == pytest.approx(4 / 4)
    assert quality.mae(a, b) == pytest.approx(2 / 4)


@pytest.mark.lossy  # SSIM is scikit-image's
def test_ssim_by_hand_on_one_window():
    # A 3x3 image with a 3x3 window has one valid window covering all of it, so
    # SSIM is the global formula with sample (n-1) statistics.
    mu_x, mu_y = 36 / 9, 37 / 9
    var_x = 60 / 8  # sum((x - 4)^2) = 60
    var_y = (205 - 37**2 / 9) / 8  # sum(y^2) = 205
    cov = (204 - 36 * 37 / 9) / 8  # sum(x*y) = 204
    c1, c2 = (0.01 * 8) ** 2, (0.03 * 8) ** 2
    expected = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    assert quality.ssim(X, Y) == pytest.approx(expected, rel=1e-9)
    assert quality.ssim(X, X) == pytest.approx(1.0)
    assert quality.ssim(X, 8 - X) < 0  # same mean, inverted structure


@pytest.mark.lossy  # SSIM is scikit-image's
def test_ssim_handles_volumes_and_short_axes():
    vol = np.random.default_rng(0).normal(size=(2, 9, 9, 9))  # two channels
    assert quality.ssim(vol, vol) == pytest.approx(1.0)
    noisy = vol + np.random.default_rng(1).normal(scale=0.5, size=vol.shape)
    assert 0 < quality.ssim(vol, noisy) < 0.95
    with pytest.raises(ValueError, match="at least one axis of length >= 3"):
        quality.ssim(np.zeros((2, 2)), np.zeros((2, 2)))


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"shape \(3, 3\) but decoded has shape \(9,\)"):
        quality.mse(X, Y.ravel())


IMG = np.array([[10.0, 12.0, 1.0], [3.0, 1.0, 3.0]])
ROI = np.array([[True, True, False], [False, False, False]])


def test_cnr_and_snr_by_hand():
    # ROI mean 11; background [1, 3, 1, 3]: mean 2, standard deviation 1
    assert quality.cnr(IMG, ROI) == pytest.approx(9.0)
    assert quality.snr(IMG, ROI) == pytest.approx(11.0)
    bg = np.array([[False, False, True], [False, True, False]])  # [1, 1]: no noise
    assert quality.snr(IMG, ROI, bg) == math.inf
    assert quality.cnr(IMG, ROI, bg) == math.inf
    flat = np.array([[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]])
    assert quality.cnr(flat, ROI) == 0.0


@pytest.mark.parametrize(
    ("roi", "message"),
    [
        (ROI.astype(int), "must be a boolean array"),
        (ROI[:, :2], "roi_mask has shape"),
        (np.zeros_like(ROI), "selects no voxels"),
        (np.ones_like(ROI), "has no voxels"),
    ],
)
def test_bad_masks_get_a_clear_error(roi, message):
    with pytest.raises(ValueError, match=message):
        quality.cnr(IMG, roi)


@pytest.mark.lossy  # SSIM is scikit-image's
def test_quality_metrics_with_a_roi():
    decoded = IMG + np.array([[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]])
    q = quality.quality_metrics(IMG, decoded, roi_mask=ROI)
    assert q["mse"] == pytest.approx(0.5 / 6) and q["mae"] == pytest.approx(1 / 6)
    assert q["cnr_original"] == pytest.approx(9.0) and q["cnr"] == pytest.approx(9.0)
    assert q["snr_original"] == pytest.approx(11.0) and q["snr"] == pytest.approx(11.0)
    assert q["max_abs_error"] == 0.5
