"""Built-in modalities: registry contents, generators (determinism, physics sanity) and
the compression-ratio bands, measured with the package's own calibration helper."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from scipy import ndimage as ndi

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.data.dataset_types import DatasetType, create_metadata
from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.data.modalities._builtin import BUILTIN_MODALITIES
from zarr_benchmarks.data.modalities._physics import label_id_bound, per_volume, volume_shape
from zarr_benchmarks.suite.calibration import measure_modality_ratio, measure_ratio
from zarr_benchmarks.suite.codecs import get_codec

EXPECTED_MEMBERS = [
    "CRYOET",
    "LIGHT_SHEET",
    "CONFOCAL",
    "TWO_PHOTON",
    "WIDEFIELD",
    "SEM",
    "STED",
    "PALM_STORM",
    "MRI",
    "CT",
    "LABELS_DENSE",
    "LABELS_SPARSE",
    "SYNTHETIC",
    "CUSTOM",
]
GENERATED = [m for m in BUILTIN_MODALITIES if m != "custom"]
LABELS = {"labels_dense", "labels_sparse"}
#: modalities whose background is exactly 0 (masked or padded); statistics of the
#: intensity distribution apply to their foreground
BACKGROUND = {"ct_clinical", "mri_brain"}
IMAGES = [m for m in GENERATED if m not in LABELS]


@cache
def data(modality_id: str, seed: int = 0) -> np.ndarray:
    """Default-shape data, generated once per session (generators take ~0.1-1.5 s)."""
    out = get_modality(modality_id).generate(seed=seed)
    out.setflags(write=False)
    return out


# --- registry -----------------------------------------------------------------------


def test_dataset_type_members_are_the_builtin_modalities() -> None:
    names = [t.name for t in DatasetType]
    assert names[: len(EXPECTED_MEMBERS)] == EXPECTED_MEMBERS
    for name in EXPECTED_MEMBERS:
        member = getattr(DatasetType, name)
        assert member.value == name.lower()
        assert DatasetType(name.lower()) is not None and DatasetType(name.lower()) == member


@pytest.mark.parametrize("modality_id", BUILTIN_MODALITIES)
def test_modality_declarations_are_usable(modality_id: str) -> None:
    m = get_modality(modality_id)
    assert len(m.axes) == len(m.shape) and len(set(m.axes)) == len(m.axes)
    assert len(m.voxel_size) == 3 and all(v > 0 for v in m.voxel_size)
    assert m.units in {"nm", "um", "mm", "angstrom"}
    get_codec(m.suggested_codec)  # parses
    for layout in m.chunk_layouts:
        resolve_layout(layout, m.shape)
    nbytes = np.prod(m.shape) * np.dtype(m.dtype).itemsize
    assert 1 * 2**20 <= nbytes <= 16 * 2**20, "default shapes stay small (the suite scales)"
    meta = create_metadata(modality_id)
    assert meta.suggest_compression() == m.suggested_codec
    assert len(meta.suggest_chunk_size()) == len(m.shape)
    assert dict(m.modality_specific).items() <= meta.modality_specific.items()


def test_typical_dtypes() -> None:
    dtypes = {m: get_modality(m).dtype for m in BUILTIN_MODALITIES}
    assert dtypes["cryoet"] == "float32"
    for m in ("light_sheet", "confocal", "two_photon", "widefield", "sted", "palm_storm", "ct"):
        assert dtypes[m] == "uint16", m
    assert dtypes["sem"] == "uint8"
    assert dtypes["mri"] in {"float32", "int16"}
    assert dtypes["labels_dense"] in {"uint32", "uint64"}
    assert dtypes["labels_sparse"] in {"uint32", "uint64"}


def test_mri_metadata_defaults_follow_the_seed_guide() -> None:
    meta = create_metadata(DatasetType.MRI)
    assert meta.units == "mm"
    assert meta.modality_specific["field_strength"] == "3T"
    assert meta.modality_specific["sequence"] == "T1-weighted"


def test_time_series_axes() -> None:
    assert get_modality("two_photon").axes.startswith("t")
    assert get_modality("palm_storm").axes.startswith("t")
    meta = create_metadata("palm_storm")
    assert meta.timepoints == get_modality("palm_storm").shape[0]


def test_custom_has_no_generator_and_points_to_userdata() -> None:
    custom = get_modality("custom")
    assert custom.ratio_band is None
    with pytest.raises(ValueError, match=r"userdata\.load_user_data"):
        custom.generate()


# --- generators ---------------------------------------------------------------------


@pytest.mark.parametrize("modality_id", GENERATED)
def test_default_dtype_and_shape(modality_id: str) -> None:
    m = get_modality(modality_id)
    d = data(modality_id)
    assert d.dtype == np.dtype(m.dtype)
    assert d.shape == m.shape
    assert d.min() != d.max()
    if d.dtype.kind == "f":
        assert np.isfinite(d).all()


def small_shape(modality_id: str) -> tuple[int, ...]:
    """A quarter of the default shape along each axis (cheap to generate)."""
    return tuple(max(8, s // 4) for s in get_modality(modality_id).shape)


@pytest.mark.parametrize("modality_id", GENERATED)
def test_deterministic_per_seed(modality_id: str) -> None:
    m = get_modality(modality_id)
    first = m.generate(shape=small_shape(modality_id), seed=0)
    np.testing.assert_array_equal(m.generate(shape=small_shape(modality_id), seed=0), first)
    other = m.generate(shape=small_shape(modality_id), seed=1)
    assert other.shape == first.shape
    assert not np.array_equal(other, first)


@pytest.mark.parametrize("modality_id", GENERATED)
def test_other_shapes_and_dtypes(modality_id: str) -> None:
    m = get_modality(modality_id)
    shape = small_shape(modality_id)
    out = m.generate(shape=shape, dtype="float32" if m.dtype != "float32" else "uint16")
    assert out.shape == shape
    assert out.dtype == (np.float32 if m.dtype != "float32" else np.uint16)


def test_per_volume_draws_each_volume_in_order_from_one_generator() -> None:
    calls = []

    def volume(vol_shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
        calls.append(vol_shape)
        return np.full(vol_shape, rng.integers(0, 1000) + 0.4)

    out = per_volume((2, 3, 4, 5, 6), np.dtype("uint16"), np.random.default_rng(7), volume)
    assert out.shape == (2, 3, 4, 5, 6) and out.dtype == np.uint16
    assert calls == [(4, 5, 6)] * 6
    expected = np.random.default_rng(7).integers(0, 1000, 6)
    np.testing.assert_array_equal(out.reshape(6, -1)[:, 0], expected)
    assert volume_shape((5, 6)) == (1, 5, 6)
    assert per_volume((5, 6), np.dtype("float32"), np.random.default_rng(0), volume).shape == (5, 6)


def test_label_id_bound_keeps_ids_exact_in_the_dtype() -> None:
    assert label_id_bound(np.dtype("uint64"), 2**40) == 2**40
    assert label_id_bound(np.dtype("int64"), 10**12) == 10**12
    assert label_id_bound(np.dtype("uint16"), 2**40) == 65535
    assert label_id_bound(np.dtype("float32"), 2**40) == 2**24
    assert label_id_bound(np.dtype("float64"), 2**40) == 2**53


@pytest.mark.parametrize("modality_id", IMAGES)
def test_images_are_neither_white_noise_nor_smooth(modality_id: str) -> None:
    d = data(modality_id).astype(np.float64)
    rows = d.reshape(-1, d.shape[-1])
    # Spatial structure: neighbours correlate (white noise gives ~0).
    lag1 = np.corrcoef(rows[:, :-1].ravel(), rows[:, 1:].ravel())[0, 1]
    assert lag1 > 0.15, f"neighbouring pixels barely correlate ({lag1:.3f})"
    # Not uniformly distributed (uniform noise has excess kurtosis -1.2).
    fg = d[d > 0] if modality_id in BACKGROUND else d
    z = (fg - fg.mean()) / fg.std()
    assert (z**4).mean() - 3 > -0.8
    # Noise is present: a smooth analytic function has almost no energy left
    # after subtracting a 3x3 local mean.
    planes = d.reshape(-1, *d.shape[-2:])
    residual = planes - ndi.uniform_filter(planes, size=(1, 3, 3))
    assert residual.std() / d.std() > 0.01


def test_cryoet_is_low_snr_float_with_full_mantissa() -> None:
    d = data("cryoet")
    assert abs(float(d.mean())) < 0.01 and abs(float(d.std()) - 1) < 0.01
    # Nearly every voxel is a distinct float: the mantissa is noise.
    assert len(np.unique(d)) > 0.9 * d.size
    # CTF: the spectrum has a dip at very low frequency relative to mid frequencies.
    power = np.abs(np.fft.rfft(d.astype(np.float64), axis=-1)) ** 2
    spectrum = power.mean(axis=(0, 1))
    assert spectrum[1:3].mean() < spectrum[8:40].mean()


def test_light_sheet_is_sparse_bright_nuclei_over_dark_background() -> None:
    d = data("light_sheet")
    background = np.percentile(d, 30)
    assert 95 <= background <= 150  # camera offset + a few photons
    assert np.percentile(d, 99.5) > 4 * background  # bright nuclei


def test_sem_has_dark_membranes_on_grey_cytoplasm() -> None:
    d = data("sem")
    assert 120 < np.median(d) < 180
    assert (d < 80).mean() > 0.03  # membrane/organelle voxels


def test_sted_and_palm_are_sparse() -> None:
    sted = data("sted")
    assert (sted == 0).mean() > 0.7 and sted.max() < 200  # low photon counts
    palm = data("palm_storm")
    offset = np.median(palm)
    assert (palm > offset + 1500).mean() < 0.01  # spots are rare


def test_mri_has_tissue_classes_and_rician_floor() -> None:
    d = data("mri")
    assert d.min() > 0  # magnitude data: no exact zeros even in air
    corner = d[:10, :10, :10]
    assert corner.mean() < 0.1 * np.percentile(d, 95)
    hist, _ = np.histogram(d[d > 200], bins=64)
    peaks = (hist[1:-1] > hist[:-2]) & (hist[1:-1] > hist[2:]) & (hist[1:-1] > hist.max() / 20)
    assert peaks.sum() >= 2  # at least two tissue classes (GM, WM)


def test_clinical_ct_is_a_head_in_air_on_a_table() -> None:
    d = data("ct_clinical")
    assert 0.5 < (d == 0).mean() < 0.75  # padding outside the FOV and air
    tissue = d[(d > 1024) & (d < 1124)]  # 0-100 HU: scalp and brain
    assert tissue.size > 0.15 * d.size
    assert (d > 1024 + 600).mean() > 0.005  # skull
    table = d[:, int(0.86 * d.shape[1]) :, :]
    assert ((table > 1024 - 400) & (table < 1024 - 200)).any()  # the carbon-fibre couch


def test_brain_mri_has_a_zero_background_and_noisy_tissue() -> None:
    d = data("mri_brain")
    assert d.dtype == np.int16
    assert 0.5 < (d == 0).mean() < 0.75
    fg = d[d > 0].astype(float)
    assert 350 < np.median(fg) < 550
    assert d[0, 0, 0] == 0 and d[d.shape[0] // 2, d.shape[1] // 2, d.shape[2] // 2] > 0


def test_ct_uses_twelve_to_thirteen_bits() -> None:
    d = data("ct")
    lo, hi = np.percentile(d, [0.1, 99.9])
    assert 2**11 <= hi - lo <= 2**14


def test_dense_labels_fill_space_with_many_smooth_segments() -> None:
    d = data("labels_dense")
    assert (d == 0).mean() == 0.0
    assert len(np.unique(d)) > 100
    assert (d[..., 1:] == d[..., :-1]).mean() > 0.85  # long runs: smooth boundaries


def test_sparse_labels_are_few_objects_in_zeros() -> None:
    d = data("labels_sparse")
    assert (d == 0).mean() > 0.98
    assert 2 <= len(np.unique(d)) - 1 <= 10


# --- ratio bands --------------------------------------------------------------------


@pytest.mark.parametrize("modality_id", GENERATED)
def test_ratio_band(modality_id: str) -> None:
    band = get_modality(modality_id).ratio_band
    assert band is not None and band.source
    ratio = measure_ratio(data(modality_id), band.codec, band.chunks)
    assert band.low <= ratio <= band.high, (
        f"{modality_id}: ratio {ratio:.3f} outside {band.low}-{band.high} ({band.codec})"
    )


@pytest.mark.parametrize("modality_id", [m for m in GENERATED if m != "labels_sparse"])
def test_bands_are_not_arbitrarily_wide(modality_id: str) -> None:
    band = get_modality(modality_id).ratio_band
    assert band is not None and 1.0 <= band.low < band.high <= 2.1 * band.low


def test_published_calibration_points() -> None:
    ct = get_modality("ct").ratio_band
    assert ct is not None
    assert (ct.codec, ct.low, ct.high, ct.chunks) == ("blosc-zstd-3-shuffle", 1.4, 2.0, 128)
    dense = get_modality("labels_dense").ratio_band
    assert dense is not None and (dense.low, dense.high) == (60.0, 86.0)
    sparse = get_modality("labels_sparse").ratio_band
    assert sparse is not None and sparse.low <= 1000 <= sparse.high
    cryo = get_modality("cryoet").ratio_band
    assert cryo is not None and "zstd" in cryo.codec and cryo.low <= 1.17 <= cryo.high
    assert cryo.high <= 1.3


def test_cryoet_lz4_is_below_zstd_as_published() -> None:
    d = data("cryoet")
    lz4 = measure_ratio(d, "blosc-lz4-5-shuffle", 128)
    zstd = measure_ratio(d, "blosc-zstd-5-shuffle", 128)
    assert 1.0 < lz4 < zstd < 1.25


# --- calibration helper -------------------------------------------------------------


def test_measure_ratio_bounds() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (32, 64, 64), dtype=np.uint8)
    assert measure_ratio(noise, "blosc-zstd-5-shuffle", 16) < 1.01
    zeros = np.zeros((32, 64, 64), dtype=np.uint16)
    assert measure_ratio(zeros, "blosc-zstd-5-shuffle", 16) > 50
    assert measure_ratio(zeros, "none", 16) == 1.0


def test_measure_ratio_depends_on_chunking_and_covers_ragged_edges() -> None:
    d = np.repeat(np.arange(50, dtype=np.uint16), 50 * 50).reshape(50, 50, 50)
    small = measure_ratio(d, "zstd-3", 8)
    large = measure_ratio(d, "zstd-3", 64)
    assert large > small > 1  # per-chunk overhead dominates small chunks


def test_measure_ratio_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        measure_ratio(np.zeros((0, 4), np.uint8), "zstd-3", 4)
    with pytest.raises(ValueError, match="chunk_edge"):
        measure_ratio(np.zeros((4, 4), np.uint8), "zstd-3", 0)


def test_measure_modality_ratio_matches_band_definition() -> None:
    m = get_modality("synthetic")
    assert m.ratio_band is not None
    expected = measure_ratio(m.generate(seed=0), m.ratio_band.codec, m.ratio_band.chunks)
    assert measure_modality_ratio(m) == pytest.approx(expected)
    with pytest.raises(ValueError, match="no ratio band"):
        measure_modality_ratio(get_modality("custom"))
