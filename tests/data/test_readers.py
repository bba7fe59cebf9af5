"""Readers of the formats imaging people have: DICOM, NIfTI, MRC and HDF5.

Real files come from installed packages where they exist (pydicom's CT_small.dcm
and MR700 series, pydicom-data's eCT_Supplemental.dcm, nibabel's example4d.nii.gz
and anatomical.nii); MRC and HDF5 files are small ones written here by mrcfile and
h5py themselves. Every damaged file gives one clear line naming it, and the CLI
exits 2 without a traceback.
"""

from __future__ import annotations

import importlib.util
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from zarr_benchmarks.cli import app
from zarr_benchmarks.data.readers import (
    FrameStack,
    Reader,
    ReaderUnavailable,
    Source,
    Transposed,
    find_reader,
    register_reader,
    split_inner,
    unregister_reader,
)
from zarr_benchmarks.data.userdata import UserDataError, load_user_data

runner = CliRunner()


@pytest.fixture
def pydicom_files() -> Path:
    import pydicom

    return Path(pydicom.__file__).parent / "data" / "test_files"


@pytest.fixture
def ect_file() -> Path:
    """eCT_Supplemental.dcm: a real 2-frame 512x512 uint16 head CT (pydicom-data)."""
    if importlib.util.find_spec("data_store") is None:
        pytest.skip("needs pydicom-data from the 'test' extra: pip install -e \".[test]\"")
    import data_store

    return Path(data_store.__file__).parent / "data" / "eCT_Supplemental.dcm"


@pytest.fixture
def nibabel_data() -> Path:
    import nibabel

    return Path(nibabel.__file__).parent / "tests" / "data"


def _cli_error(args: list[str]) -> str:
    res = runner.invoke(app, ["recommend", *args])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output  # one clear line
    return lines[0]


# --- lazy building blocks -----------------------------------------------------------


def test_frame_stack_decodes_only_the_cropped_frames() -> None:
    decoded: list[int] = []

    def frame(i: int) -> np.ndarray:
        decoded.append(i)
        return np.full((4, 5), i, np.uint16)

    stack = FrameStack((4, 5), np.uint16, 10, frame)
    out = stack[(slice(3, 5), slice(1, 3), slice(None))]
    assert out.shape == (2, 2, 5) and out[:, 0, 0].tolist() == [3, 4]
    assert decoded == [3, 4]


def test_transposed_slices_the_base_in_its_own_axis_order() -> None:
    base = np.arange(2 * 3 * 4).reshape(2, 3, 4)  # x, y, z
    view = Transposed(base, (2, 1, 0))  # z, y, x
    assert view.shape == (4, 3, 2)
    np.testing.assert_array_equal(view[(slice(1, 3), slice(None), slice(0, 1))], base.T[1:3, :, :1])
    np.testing.assert_array_equal(view[...], base.T)


# --- registry -----------------------------------------------------------------------


def test_longest_suffix_wins_and_hdf5_dataset_paths_split(tmp_path: Path) -> None:
    assert find_reader(tmp_path / "a.nii.gz").name == "nifti"
    assert find_reader(tmp_path / "a.map").name == "mrc"
    assert find_reader(tmp_path / "a.map.gz").name == "mrc"
    assert find_reader(tmp_path / "a.ome.tif").name == "tiff"
    assert find_reader(tmp_path / "a.unknown") is None
    assert split_inner(str(tmp_path / "x.h5") + ":/g/vol") == (tmp_path / "x.h5", "/g/vol")
    assert split_inner(str(tmp_path / "x.npy")) == (tmp_path / "x.npy", None)


def test_a_registered_reader_is_used_and_a_missing_library_names_the_extra(
    tmp_path: Path,
) -> None:
    path = tmp_path / "scan.zbtest"
    path.write_bytes(b"\x00" * 8)

    def open_raw(p: Path, inner: str | None) -> Source:
        return Source(np.frombuffer(p.read_bytes(), np.uint8).reshape(2, 4), "zbtest", (1.0, 2.0))

    register_reader(Reader("zbtest", "ZB test", (".zbtest",), open_raw))
    try:
        data, meta = load_user_data(path)
        assert data.shape == (2, 4) and meta.modality_specific["loaded_from"] == "zbtest"
        assert meta.voxel_size == (1.0, 2.0)
        register_reader(
            Reader("zbtest", "ZB test", (".zbtest",), open_raw, ("no_such_mod_zb",), "zbx"),
            replace=True,
        )
        with pytest.raises(ReaderUnavailable, match=r"zarr-benchmarks\[zbx\]"):
            load_user_data(path)
        line = _cli_error(["--data", str(path)])
        assert "scan.zbtest" in line and "no_such_mod_zb" in line and "[zbx]" in line
    finally:
        unregister_reader("zbtest")
    with pytest.raises(ValueError, match="already registered"):
        register_reader(Reader("npy", "again", (".npy",), open_raw))


# --- DICOM --------------------------------------------------------------------------


@pytest.mark.dicom
def test_dicom_multiframe_real_ct(ect_file: Path) -> None:
    import pydicom

    truth = pydicom.dcmread(ect_file).pixel_array
    data, meta = load_user_data(ect_file)
    np.testing.assert_array_equal(data, truth)
    assert data.shape == (2, 512, 512) and data.dtype == np.uint16
    assert meta.voxel_size == pytest.approx((10.0, 0.388672, 0.388672))
    assert meta.units == "mm"
    assert meta.modality_specific["loaded_from"] == "dicom"
    assert meta.modality_specific["dicom_modality"] == "CT"
    part, _ = load_user_data(ect_file, crop="1:2,100:200,:")
    np.testing.assert_array_equal(part, truth[1:2, 100:200])


@pytest.mark.dicom
def test_dicom_single_slice(pydicom_files: Path) -> None:
    data, meta = load_user_data(pydicom_files / "CT_small.dcm")
    assert data.shape == (128, 128) and data.dtype == np.int16
    assert meta.voxel_size == pytest.approx((0.661468, 0.661468))


def _write_series(folder: Path, template: Path, n: int, *, series: str | None = None) -> list:
    """Slices of a CT made from a real slice: position k*2.5 mm along the normal,
    pixel values shifted by k, written under shuffled file names."""
    import pydicom

    folder.mkdir(exist_ok=True)
    base = pydicom.dcmread(template)
    pixels = base.pixel_array
    names = [f"IM{i:04d}" for i in range(n)]
    random.Random(1).shuffle(names)
    expected = []
    for k in range(n):
        ds = pydicom.dcmread(template)
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [-50.0, -60.0, 10.0 + 2.5 * k]
        ds.InstanceNumber = n - k  # deliberately the reverse of the position order
        if series:
            ds.SeriesInstanceUID = series
        plane = (pixels + k).astype(pixels.dtype)
        ds.PixelData = plane.tobytes()
        ds.save_as(folder / names[k])  # no extension, as scanners often write
        expected.append(plane)
    return expected


@pytest.mark.dicom
def test_dicom_folder_is_ordered_by_position(pydicom_files: Path, tmp_path: Path) -> None:
    folder = tmp_path / "series"
    expected = _write_series(folder, pydicom_files / "CT_small.dcm", 6)
    (folder / "DICOMDIR").write_bytes(b"ignored")
    (folder / ".hidden").write_bytes(b"ignored")
    data, meta = load_user_data(folder)
    np.testing.assert_array_equal(data, np.stack(expected))
    assert meta.modality_specific["loaded_from"] == "dicom-series"
    assert meta.modality_specific["ordered_by"] == "position"
    assert meta.voxel_size == pytest.approx((2.5, 0.661468, 0.661468))
    part, _ = load_user_data(folder, crop="2:4,:,:")
    np.testing.assert_array_equal(part, np.stack(expected[2:4]))


@pytest.mark.dicom
def test_real_dicom_series_without_shared_orientation(pydicom_files: Path, tmp_path: Path) -> None:
    import pydicom

    src = pydicom_files / "dicomdirtests" / "98892003" / "MR700"
    folder = tmp_path / "mr700"
    shutil.copytree(src, folder)
    data, meta = load_user_data(folder)
    assert data.shape == (7, 16, 16)
    by_number = sorted(
        (pydicom.dcmread(f) for f in src.iterdir()), key=lambda ds: int(ds.InstanceNumber)
    )
    np.testing.assert_array_equal(data, np.stack([ds.pixel_array for ds in by_number]))
    assert meta.modality_specific["ordered_by"] == "InstanceNumber"


@pytest.mark.dicom
def test_dicom_errors(pydicom_files: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "scan.dcm"
    garbage.write_bytes(b"not a dicom file at all" * 20)
    with pytest.raises(UserDataError, match=r"scan\.dcm: not a (readable )?DICOM file"):
        load_user_data(garbage)
    assert "scan.dcm" in _cli_error(["--data", str(garbage)])
    cut = tmp_path / "cut.dcm"
    cut.write_bytes((pydicom_files / "CT_small.dcm").read_bytes()[:20000])
    line = _cli_error(["--data", str(cut)])
    assert "cut.dcm" in line
    mixed = tmp_path / "mixed"
    _write_series(mixed, pydicom_files / "CT_small.dcm", 2, series="1.2.3.4")
    other = tmp_path / "other"
    _write_series(other, pydicom_files / "CT_small.dcm", 1, series="1.2.3.5")
    shutil.copy(next(other.iterdir()), mixed / "EXTRA")
    with pytest.raises(UserDataError, match=r"mixed: holds slices of 2 DICOM series"):
        load_user_data(mixed)
    no_pixels = tmp_path / "plan.dcm"
    shutil.copy(pydicom_files / "rtplan.dcm", no_pixels)
    assert "holds no pixel data" in _cli_error(["--data", str(no_pixels)])


# --- NIfTI --------------------------------------------------------------------------


@pytest.mark.nifti
def test_nifti_gz_real_4d(nibabel_data: Path) -> None:
    import nibabel as nib

    path = nibabel_data / "example4d.nii.gz"
    truth = np.asanyarray(nib.load(path).dataobj)  # x, y, z, t
    data, meta = load_user_data(path)
    assert data.shape == (2, 24, 96, 128) and data.dtype == np.int16
    np.testing.assert_array_equal(data, np.transpose(truth, (3, 2, 1, 0)))
    assert meta.voxel_size == pytest.approx((2.2, 2.0, 2.0), rel=1e-5)
    assert meta.units == "mm"
    assert meta.modality_specific["axes"] == "tzyx"
    part, _ = load_user_data(path, crop="1,5:10,:,0:64")
    np.testing.assert_array_equal(part, np.transpose(truth, (3, 2, 1, 0))[1:2, 5:10, :, :64])


@pytest.mark.nifti
def test_nifti_uncompressed_big_endian_and_microns(nibabel_data: Path, tmp_path: Path) -> None:
    import nibabel as nib

    data, meta = load_user_data(nibabel_data / "anatomical.nii")
    assert data.shape == (25, 41, 33) and data.dtype.isnative  # stored big-endian
    vol = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)  # x, y, z
    img = nib.Nifti1Image(vol, np.diag([0.5, 0.25, 2.0, 1.0]))
    img.header.set_xyzt_units("micron")
    nib.save(img, tmp_path / "cells.nii")
    data, meta = load_user_data(tmp_path / "cells.nii")
    np.testing.assert_array_equal(data, vol.T)
    assert meta.voxel_size == (2.0, 0.25, 0.5) and meta.units == "um"


@pytest.mark.nifti
def test_nifti_errors(nibabel_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "scan.nii.gz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(UserDataError, match=r"scan\.nii\.gz: not a readable NIfTI file"):
        load_user_data(bad)
    assert "scan.nii.gz" in _cli_error(["--data", str(bad)])
    cut = tmp_path / "cut.nii.gz"
    cut.write_bytes((nibabel_data / "example4d.nii.gz").read_bytes()[:3000])
    line = _cli_error(["--data", str(cut)])
    assert "cut.nii.gz" in line and "NIfTI" in line


# --- MRC ----------------------------------------------------------------------------


@pytest.fixture
def mrc_volume(tmp_path: Path) -> tuple[Path, np.ndarray]:
    import mrcfile

    vol = np.random.default_rng(0).standard_normal((8, 16, 20)).astype(np.float32)
    path = tmp_path / "tomo.mrc"
    with mrcfile.new(path) as m:
        m.set_data(vol)
        m.voxel_size = (3.0, 2.0, 1.5)  # x, y, z in angstrom
    return path, vol


@pytest.mark.mrc
def test_mrc_is_memory_mapped_with_header_voxel_size(
    mrc_volume: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    import mrcfile

    path, vol = mrc_volume
    data, meta = load_user_data(path, crop="2:4,:,5:")
    np.testing.assert_array_equal(data, vol[2:4, :, 5:])
    assert meta.voxel_size == pytest.approx((1.5, 2.0, 3.0)) and meta.units == "angstrom"
    assert meta.modality_specific["loaded_from"] == "mrc"
    emd = tmp_path / "emd.map.gz"
    with mrcfile.new(emd, compression="gzip") as m:
        m.set_data(vol)
    data, _ = load_user_data(emd)
    np.testing.assert_array_equal(data, vol)


@pytest.mark.mrc
def test_mrc_errors(mrc_volume: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    path, _ = mrc_volume
    bad = tmp_path / "bad.mrc"
    bad.write_bytes(b"definitely not an MRC header" * 50)
    with pytest.raises(UserDataError, match=r"bad\.mrc: not a readable MRC file"):
        load_user_data(bad)
    cut = tmp_path / "cut.map"
    cut.write_bytes(path.read_bytes()[:3000])
    assert "cut.map" in _cli_error(["--data", str(cut)])


# --- HDF5 ---------------------------------------------------------------------------


@pytest.fixture
def h5_file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    import h5py

    vol = np.random.default_rng(1).integers(0, 4000, (6, 32, 40), dtype=np.uint16)
    path = tmp_path / "scope.h5"
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("acq/volume", data=vol, chunks=(1, 32, 40), compression="gzip")
        ds.attrs["element_size_um"] = [2.0, 0.3, 0.3]
        f.create_dataset("acq/timestamps", data=np.arange(6.0))
    return path, vol


@pytest.mark.hdf5
def test_hdf5_dataset_path(h5_file: tuple[Path, np.ndarray]) -> None:
    path, vol = h5_file
    data, meta = load_user_data(f"{path}:/acq/volume", crop="1:3,:,:")
    np.testing.assert_array_equal(data, vol[1:3])
    assert meta.voxel_size == (2.0, 0.3, 0.3) and meta.units == "um"
    assert meta.modality_specific["dataset"] == "/acq/volume"
    data, _ = load_user_data(path)  # the only dataset of 2+ axes
    np.testing.assert_array_equal(data, vol)


@pytest.mark.hdf5
def test_hdf5_errors(h5_file: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    import h5py

    path, vol = h5_file
    with pytest.raises(UserDataError, match=r"no dataset '/acq/nope'; it holds /acq/timestamps"):
        load_user_data(f"{path}:/acq/nope")
    with pytest.raises(UserDataError, match=r"'/acq' is a group"):
        load_user_data(f"{path}:/acq")
    two = tmp_path / "two.h5"
    with h5py.File(two, "w") as f:
        f["a"] = vol
        f["b"] = vol
    assert "name one as two.h5:/DATASET" in _cli_error(["--data", str(two)])
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"no HDF5 signature here" * 30)
    assert "bad.h5: not a readable HDF5 file" in _cli_error(["--data", str(bad)])
    with pytest.raises(UserDataError, match=r"only HDF5 files have"):
        load_user_data(f"{_npy(tmp_path)}:/a")


def _npy(tmp_path: Path) -> Path:
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((2, 2), np.uint8))
    return path


# --- recommend on real files --------------------------------------------------------


@pytest.mark.readers
def test_recommend_on_real_files_shows_header_voxel_sizes(
    ect_file: Path,
    pydicom_files: Path,
    nibabel_data: Path,
    mrc_volume: tuple[Path, np.ndarray],
    h5_file: tuple[Path, np.ndarray],
    tmp_path: Path,
) -> None:
    series = tmp_path / "mr700"  # a real MR series: 7 slice files
    shutil.copytree(pydicom_files / "dicomdirtests" / "98892003" / "MR700", series)
    cases = [
        (str(ect_file), "10 x 0.388672 x 0.388672 mm", "dicom"),
        (str(series), "1.2 x 0.390625 x 0.390625 mm", "dicom-series"),
        (str(nibabel_data / "example4d.nii.gz"), "2.2 x 2 x 2 mm", "nifti"),
        (str(mrc_volume[0]), "1.5 x 2 x 3 angstrom", "mrc"),
        (f"{h5_file[0]}:/acq/volume", "2 x 0.3 x 0.3 um", "hdf5"),
    ]
    for data, voxel, fmt in cases:
        res = runner.invoke(app, ["recommend", "--data", data, "--codecs", "zstd-3", "--runs", "1"])
        assert res.exit_code == 0, res.output
        flat = " ".join(res.output.split())
        assert f"voxel size {voxel}" in flat and f"from the {fmt} header" in flat, flat


def test_library_errors_spanning_lines_become_one_line() -> None:
    err = UserDataError("scan.dcm: cannot decode (first line\n  second line\n\tthird)")
    assert str(err) == "scan.dcm: cannot decode (first line second line third)"
    assert len(str(UserDataError("x: " + "y" * 2000))) == 600
