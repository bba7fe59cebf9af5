"""Extending the suite as a third party would: the seed guide's MRI walk-through with a
new modality (PET) registered from outside the package, and plugin discovery through a
real ``*.dist-info`` entry point on ``sys.path``."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest

from zarr_benchmarks.data.dataset_types import CompressionProfile, DatasetMetadata, DatasetType
from zarr_benchmarks.data.modalities import (
    ENTRY_POINT_GROUP,
    Modality,
    RatioBand,
    UnknownModalityError,
    get_modality,
    list_modalities,
    register_modality,
    reload_entry_points,
    unregister_modality,
)
from zarr_benchmarks.suite.calibration import measure_ratio
from zarr_benchmarks.suite.config import BenchmarkConfig


def generate_pet(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """PET-like: a smooth tracer uptake map (hot lesions) with Poisson counts, low resolution."""
    rng = np.random.default_rng(seed)
    z, y, x = np.ogrid[: shape[-3], : shape[-2], : shape[-1]]
    c = [s / 2 for s in shape[-3:]]
    body = ((z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2) < (min(shape[-3:]) / 2.5) ** 2
    activity = 5.0 + 20.0 * body
    counts = rng.poisson(np.broadcast_to(activity, shape[-3:])).astype(np.float32)
    return np.broadcast_to(counts, shape).astype(dtype)


PET = Modality(
    id="pet",
    name="PET",
    title="Positron emission tomography",
    dtype="float32",
    shape=(1, 32, 64, 64),
    axes="tzyx",
    generator=generate_pet,
    ratio_band=RatioBand("blosc-lz4-5-shuffle", 1.0, 2.0, "test", chunks=32),
    voxel_size=(2.0, 2.0, 2.0),
    units="mm",
    suggested_codec="blosc_lz4",  # the seed guide's spelling: "fast for clinical use"
    chunk_layouts=("cube64", "plane"),
    modality_specific={"tracer": "FDG", "frame_duration_s": 300},
)


@pytest.fixture
def pet() -> Iterator[Modality]:
    register_modality(PET)
    try:
        yield PET
    finally:
        unregister_modality("pet")


def test_pet_becomes_a_dataset_type_member(pet: Modality) -> None:
    assert DatasetType.PET.value == "pet"
    assert DatasetType("pet") == DatasetType.PET == DatasetType("PET")
    assert DatasetType.PET.name == "PET"
    assert DatasetType.PET in list(DatasetType)
    assert "pet" in DatasetType
    assert repr(DatasetType.PET) == "<DatasetType.PET: 'pet'>"
    assert list_modalities()[-1] is pet


def test_seed_walkthrough_with_pet(pet: Modality) -> None:
    from zarr_benchmarks.data.dataset_types import create_pet_metadata

    data = DatasetType.PET.modality.generate()
    metadata = create_pet_metadata(
        shape=(1, *data.shape[1:]), voxel_size=(2.0, 2.0, 2.0), source="synthetic_phantom"
    )
    assert isinstance(metadata, DatasetMetadata)
    assert metadata.dataset_type == DatasetType.PET
    assert metadata.name == "pet_1x32x64x64"
    assert metadata.dtype == np.float32 and metadata.units == "mm"
    assert metadata.timepoints == 1
    assert metadata.modality_specific == {"tracer": "FDG", "frame_duration_s": 300}
    assert metadata.suggest_compression() == "blosc_lz4"
    assert metadata.suggest_chunk_size() == (1, 32, 64, 64)  # cube64 clipped to the shape
    config = BenchmarkConfig(
        dataset_metadata=metadata,
        compression_profile=CompressionProfile.FAST,
        codecs_to_test=["blosc_zstd", "blosc_lz4", "zstd"],
        num_runs=3,
    )
    assert config.codecs == ("blosc-zstd-5-shuffle", "blosc-lz4-5-shuffle", "zstd-3")
    assert metadata.to_dict()["type"] == "pet"


def test_pet_generation_is_deterministic_and_calibratable(pet: Modality) -> None:
    a = pet.generate(seed=3)
    np.testing.assert_array_equal(a, pet.generate(seed=3))
    assert not np.array_equal(a, pet.generate(seed=4))
    assert pet.ratio_band is not None
    ratio = measure_ratio(a, pet.ratio_band.codec, pet.ratio_band.chunks)
    assert ratio >= 1.0


def test_builtin_mri_walkthrough() -> None:
    from zarr_benchmarks.data.dataset_types import create_mri_metadata

    data = DatasetType.MRI.modality.generate(shape=(32, 32, 32))
    metadata = create_mri_metadata(shape=(1, *data.shape), voxel_size=(1.0, 1.0, 1.0))
    assert metadata.dataset_type == DatasetType.MRI
    assert metadata.dtype == np.float32
    assert metadata.modality_specific["field_strength"] == "3T"
    assert metadata.suggest_compression() == get_modality("mri").suggested_codec
    assert len(metadata.suggest_chunk_size()) == 4


def test_duplicate_registration_is_refused(pet: Modality) -> None:
    with pytest.raises(ValueError, match="'pet' is already registered"):
        register_modality(PET)
    renamed = Modality(**{**PET.__dict__, "id": "pet2"})
    with pytest.raises(ValueError, match="name 'PET' is already registered"):
        register_modality(renamed)
    with pytest.raises(ValueError, match="already registered"):
        register_modality(Modality(**{**PET.__dict__, "id": "mri", "name": "MRI2"}))
    replaced = Modality(**{**PET.__dict__, "title": "PET (replaced)"})
    register_modality(replaced, replace=True)
    assert get_modality("pet").title == "PET (replaced)"


def test_malformed_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="lower-case identifier"):
        register_modality(Modality(**{**PET.__dict__, "id": "Pet-Scan"}))
    with pytest.raises(ValueError, match="upper-case identifier"):
        register_modality(Modality(**{**PET.__dict__, "name": "pet"}))


def test_unregistered_modality_is_gone() -> None:
    register_modality(PET)
    unregister_modality("pet")
    with pytest.raises(UnknownModalityError, match="unknown modality 'pet'"):
        DatasetType("pet")
    assert not hasattr(DatasetType, "PET")
    with pytest.raises(ImportError):
        from zarr_benchmarks.data.dataset_types import create_pet_metadata  # noqa: F401


# --- entry points -------------------------------------------------------------------


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real installed distribution: a module and its ``*.dist-info`` with entry points."""
    (tmp_path / "zb_spect_plugin.py").write_text(
        textwrap.dedent(
            '''
            """A third-party plugin adding a SPECT modality."""
            import numpy as np
            from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality


            def generate(shape, dtype, seed):
                rng = np.random.default_rng(seed)
                return rng.poisson(8.0, shape).astype(dtype)


            def register():
                register_modality(
                    Modality(
                        id="spect",
                        name="SPECT",
                        title="SPECT (plugin)",
                        dtype="uint16",
                        shape=(16, 32, 32),
                        axes="zyx",
                        generator=generate,
                        ratio_band=RatioBand("zstd-3", 1.0, 4.0, "plugin test", 16),
                    )
                )
            '''
        )
    )
    info = tmp_path / "zb_spect_plugin-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: zb-spect-plugin\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nspect = zb_spect_plugin:register\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield tmp_path
    finally:
        unregister_modality("spect")
        sys.modules.pop("zb_spect_plugin", None)


def test_entry_point_is_discovered_and_loaded(plugin_dir: Path) -> None:
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == "spect"]
    assert len(found) == 1 and found[0].value == "zb_spect_plugin:register"
    assert found[0].dist is not None and found[0].dist.name == "zb-spect-plugin"
    with pytest.raises(UnknownModalityError):
        DatasetType("spect")  # not loaded until the registry re-reads entry points
    assert "spect" in reload_entry_points()
    assert DatasetType.SPECT.value == "spect"
    data = DatasetType("spect").modality.generate(seed=1)
    assert data.shape == (16, 32, 32) and data.dtype == np.uint16
    # Loaded once: a second reload does not register it again (which would fail).
    assert "spect" not in reload_entry_points()
