"""Real volumes shipped in PyPI packages, and the modalities they calibrate.

Each :class:`RealVolume` names a file inside an installed package (or a package's
source distribution), how it is measured (codec, cubic chunk edge, the same
definition as :class:`~zarr_benchmarks.data.modalities.RatioBand`) and the modalities
whose generators it is compared with, at the real volume's own shape and dtype.
``python scripts/real_vs_synthetic.py`` prints the table in ``docs/data.md``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.data.userdata import load_user_data
from zarr_benchmarks.suite.calibration import measure_ratio

__all__ = ["REAL_VOLUMES", "RealVolume", "compare", "mrcfile_sdist_file"]


@dataclass(frozen=True)
class RealVolume:
    """A real volume and the synthetic modalities it is compared with."""

    id: str
    description: str
    package: str
    locate: Callable[[], Path]
    codec: str
    chunks: int
    #: modality ids compared at this volume's shape; the first is the one it models
    counterparts: tuple[str, ...]
    #: the first counterpart must lie within this factor of the real ratio
    tolerance: float | None = 1.5

    def available(self) -> bool:
        """Whether the volume can be found here without downloading anything."""
        try:
            return self.locate().is_file()
        except (ImportError, OSError, LookupError):
            return False

    def load(self) -> np.ndarray:
        """The volume as the project's readers present it (slowest axis first)."""

        data, _ = load_user_data(self.locate())
        return np.ascontiguousarray(data)


def _module_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise LookupError(f"{module} is not installed")
    return Path(spec.origin).parent


def _pydicom_data(name: str) -> Callable[[], Path]:
    return lambda: _module_dir("data_store") / "data" / name


def _pydicom_test(name: str) -> Callable[[], Path]:
    return lambda: _module_dir("pydicom") / "data" / "test_files" / name


def _nibabel_test(name: str) -> Callable[[], Path]:
    return lambda: _module_dir("nibabel") / "tests" / "data" / name


def mrcfile_sdist_file(name: str, cache: str | os.PathLike[str] | None = None) -> Path:
    """A test file from mrcfile's source distribution, downloaded once into ``cache``.

    The sdist (about 52 MB) is fetched with ``pip download --no-binary :all:
    --no-deps mrcfile`` into ``cache`` (default: ``$ZARR_BENCHMARKS_DATA_CACHE`` or
    the temp folder), and only the requested member is extracted.

    Raises
    ------
    LookupError
        If the download fails or the member is not in the archive.
    """
    root = Path(cache or os.environ.get("ZARR_BENCHMARKS_DATA_CACHE") or tempfile.gettempdir())
    folder = root / "mrcfile-sdist"
    target = folder / name
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    archives = sorted(folder.glob("mrcfile-*.tar.gz"))
    if not archives:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
             "--quiet", "mrcfile", "-d", str(folder)],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        archives = sorted(folder.glob("mrcfile-*.tar.gz"))
        if proc.returncode != 0 or not archives:
            raise LookupError(f"could not download mrcfile's sdist: {proc.stderr.strip()[-200:]}")
    with tarfile.open(archives[-1]) as tar:
        member = next((m for m in tar.getmembers() if m.name.endswith(f"test_data/{name}")), None)
        if member is None:
            raise LookupError(f"{name} is not in {archives[-1].name}")
        extracted = tar.extractfile(member)
        if extracted is None:
            raise LookupError(f"{name} in {archives[-1].name} is not a file")
        tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_bytes(extracted.read())
        tmp.replace(target)
    return target


REAL_VOLUMES: tuple[RealVolume, ...] = (
    RealVolume(
        "eCT_Supplemental.dcm",
        "head CT, 2x512x512 uint16, enhanced multi-frame DICOM",
        "pydicom-data",
        _pydicom_data("eCT_Supplemental.dcm"),
        "blosc-zstd-3-shuffle",
        128,
        ("ct_clinical", "ct"),
    ),
    RealVolume(
        "example4d.nii.gz",
        "EPI brain time series, 2x24x96x128 int16, NIfTI",
        "nibabel",
        _nibabel_test("example4d.nii.gz"),
        "blosc-zstd-5-shuffle",
        64,
        ("mri_brain", "mri"),
    ),
    RealVolume(
        "emri_small.dcm",
        "MR, 10x64x64 uint16, multi-frame DICOM",
        "pydicom-data",
        _pydicom_data("emri_small.dcm"),
        "blosc-zstd-5-shuffle",
        64,
        ("mri", "mri_brain"),
    ),
    RealVolume(
        "EMD-3001.map",
        "EM density map, 25x43x73 float32, MRC (mrcfile sdist)",
        "mrcfile (sdist)",
        lambda: mrcfile_sdist_file("EMD-3001.map"),
        "zstd-3",
        128,
        ("cryoet",),
        tolerance=None,
    ),
)


def compare(volume: RealVolume, seed: int = 0) -> dict[str, object]:
    """Ratios of the real volume and of each counterpart generated at its shape/dtype."""

    real = volume.load()
    synthetic: dict[str, float] = {}
    row: dict[str, object] = {
        "volume": volume.id,
        "shape": real.shape,
        "dtype": str(real.dtype),
        "zeros": float((real == 0).mean()),
        "codec": volume.codec,
        "chunks": volume.chunks,
        "real": measure_ratio(real, volume.codec, volume.chunks),
        "synthetic": synthetic,
    }
    for modality in volume.counterparts:
        synth = get_modality(modality).generate(real.shape, real.dtype, seed)
        synthetic[modality] = measure_ratio(synth, volume.codec, volume.chunks)
    return row
