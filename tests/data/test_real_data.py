"""Synthetic modalities against the real volumes that PyPI packages ship.

Each real volume is read through the project's own readers and compared, at its own
shape and dtype, with the modality that models it: the ratio must lie within the
volume's tolerance (1.5x). The background modalities' bands must also contain
their real volume's ratio.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.suite.real_volumes import REAL_VOLUMES, compare, mrcfile_sdist_file

INSTALLED = [v for v in REAL_VOLUMES if "sdist" not in v.package]
#: the extra whose reader opens each installed volume
READER_EXTRA = {
    "eCT_Supplemental.dcm": "dicom",
    "emri_small.dcm": "dicom",
    "example4d.nii.gz": "nifti",
}


def _need_volume(volume) -> None:
    """Skip only when the package shipping the file (pydicom-data, of the test extra) is
    absent; with the packages installed a missing volume is a failure."""
    if volume.package == "pydicom-data" and importlib.util.find_spec("data_store") is None:
        pytest.skip("needs pydicom-data from the 'test' extra: pip install -e \".[test]\"")
    assert volume.available(), f"{volume.id} not found although {volume.package} is installed"


@pytest.mark.parametrize(
    "volume",
    [pytest.param(v, id=v.id, marks=getattr(pytest.mark, READER_EXTRA[v.id])) for v in INSTALLED],
)
def test_modality_is_within_tolerance_of_its_real_volume(volume) -> None:
    _need_volume(volume)
    row = compare(volume)
    modelled = volume.counterparts[0]
    ratio = row["synthetic"][modelled]
    assert volume.tolerance is not None
    assert 1 / volume.tolerance <= ratio / row["real"] <= volume.tolerance, row
    band = get_modality(modelled).ratio_band
    assert band is not None
    if modelled in ("ct_clinical", "mri_brain"):  # bands calibrated on these volumes
        assert band.low <= row["real"] <= band.high
        assert volume.id in band.source


@pytest.mark.dicom
@pytest.mark.nifti
def test_background_modalities_beat_their_foreground_only_cousins() -> None:
    """The point of the new modalities: with air around the anatomy, the ratio is
    several times that of the HiP-CT / noisy-head models at the same shape."""
    by_id = {v.id: v for v in INSTALLED}
    for vol_id in ("eCT_Supplemental.dcm", "example4d.nii.gz"):
        vol = by_id[vol_id]
        _need_volume(vol)
        synth = compare(vol)["synthetic"]
        new, old = vol.counterparts
        assert synth[new] > 2 * synth[old]


@pytest.mark.slow
@pytest.mark.mrc
def test_real_emd_map_from_mrcfile_sdist() -> None:
    """EMD-3001.map from mrcfile's source distribution (downloaded once, cached in the
    temp folder) reads with its header voxel size, and is recorded against cryoet."""
    from zarr_benchmarks.data.userdata import load_user_data

    try:
        path = mrcfile_sdist_file("EMD-3001.map")
    except LookupError as exc:
        pytest.skip(f"mrcfile's sdist could not be fetched from the package index: {exc}")
    data, meta = load_user_data(path)
    assert data.shape == (25, 43, 73) and data.dtype == np.float32
    assert meta.units == "angstrom" and meta.voxel_size == pytest.approx(
        (0.45875, 0.3925, 0.44825), rel=1e-4
    )
    from typer.testing import CliRunner

    from zarr_benchmarks.cli import app

    res = CliRunner().invoke(
        app, ["recommend", "--data", str(path), "--codecs", "zstd-3", "--runs", "1"]
    )
    assert res.exit_code == 0, res.output
    assert "voxel size 0.45875 x 0.3925 x 0.44825 angstrom" in " ".join(res.output.split())
    row = compare(next(v for v in REAL_VOLUMES if v.id == "EMD-3001.map"))
    assert 2.2 < row["real"] < 2.6  # a filtered density map compresses well
    assert row["synthetic"]["cryoet"] < row["real"]  # raw tomogram noise does not
