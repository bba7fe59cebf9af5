"""Loading custom datasets from real TIFF, .npy and Zarr/OME-Zarr files, and every error."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import tifffile
import zarr

from zarr_benchmarks.data.dataset_types import DatasetType
from zarr_benchmarks.data.userdata import UserDataError, format_crop, load_user_data, parse_crop


@pytest.fixture
def volume() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 4096, (6, 20, 24), dtype=np.uint16)


# --- formats ------------------------------------------------------------------------


def test_multipage_tiff(tmp_path: Path, volume: np.ndarray) -> None:
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, volume)
    data, meta = load_user_data(path)
    np.testing.assert_array_equal(data, volume)
    assert meta.dataset_type == DatasetType.CUSTOM
    assert meta.shape == volume.shape and meta.dtype == np.uint16
    assert meta.modality_specific["loaded_from"] == "tiff"
    assert meta.name == "stack.tif" and meta.source == "file:stack.tif"
    assert str(tmp_path) not in repr(meta.to_dict())  # no paths leak into results


def test_tiff_folder_is_sorted_naturally(tmp_path: Path, volume: np.ndarray) -> None:
    folder = tmp_path / "planes"
    folder.mkdir()
    for i, plane in enumerate(volume):
        tifffile.imwrite(folder / f"z{i * 5}.TIFF", plane)  # z0, z5, z10 ... z25
    (folder / "notes.txt").write_text("ignored")
    data, meta = load_user_data(folder)
    np.testing.assert_array_equal(data, volume)  # z10 after z5, not after z0
    assert meta.modality_specific["loaded_from"] == "tiff-folder"
    assert meta.modality_specific["files"] == len(volume)


def test_npy_is_memory_mapped(tmp_path: Path, volume: np.ndarray) -> None:
    path = tmp_path / "vol.npy"
    np.save(path, volume)
    data, meta = load_user_data(path, crop="1:3,:,4:")
    assert isinstance(data, np.memmap)
    np.testing.assert_array_equal(data, volume[1:3, :, 4:])
    assert meta.shape == (2, 20, 20)
    assert meta.modality_specific["crop"] == "1:3,0:20,4:24"
    assert meta.modality_specific["original_shape"] == [6, 20, 24]


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_zarr_array(tmp_path: Path, volume: np.ndarray, zarr_format: int) -> None:
    path = tmp_path / "a.zarr"
    arr = zarr.create_array(
        store=str(path), shape=volume.shape, dtype=volume.dtype, chunks=(2, 8, 8),
        zarr_format=zarr_format,
    )  # fmt: skip
    arr[:] = volume
    data, meta = load_user_data(path, crop=(slice(0, 2), slice(None), 3))
    np.testing.assert_array_equal(data, volume[0:2, :, 3:4])
    assert meta.modality_specific["loaded_from"] == f"zarr-v{zarr_format}"


def _ome_group(path: Path, volume: np.ndarray, zarr_format: int) -> None:
    multiscales = [
        {
            "version": "0.4" if zarr_format == 2 else "0.5",
            "axes": [
                {"name": "z", "type": "space", "unit": "micrometer"},
                {"name": "y", "type": "space", "unit": "micrometer"},
                {"name": "x", "type": "space", "unit": "micrometer"},
            ],
            "datasets": [
                {
                    "path": "s0",
                    "coordinateTransformations": [{"type": "scale", "scale": [2.0, 0.5, 0.5]}],
                },
                {
                    "path": "s1",
                    "coordinateTransformations": [{"type": "scale", "scale": [4.0, 1.0, 1.0]}],
                },
            ],
        }
    ]
    attrs = (
        {"multiscales": multiscales}
        if zarr_format == 2
        else {"ome": {"version": "0.5", "multiscales": multiscales}}
    )
    group = zarr.open_group(str(path), mode="w", zarr_format=zarr_format, attributes=attrs)
    # An array sorting before the level-0 array proves the metadata is used.
    group.create_array("labels_first", shape=(2, 2), dtype="uint8")[:] = 7
    group.create_array("s1", shape=(3, 10, 12), dtype=volume.dtype)[:] = volume[::2, ::2, ::2]
    group.create_array("s0", shape=volume.shape, dtype=volume.dtype)[:] = volume


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_ome_zarr_picks_level_zero(tmp_path: Path, volume: np.ndarray, zarr_format: int) -> None:
    path = tmp_path / "image.ome.zarr"
    _ome_group(path, volume, zarr_format)
    data, meta = load_user_data(path)
    np.testing.assert_array_equal(data, volume)
    assert meta.voxel_size == (2.0, 0.5, 0.5)
    assert meta.units == "um"
    assert meta.modality_specific["loaded_from"] == f"ome-zarr-v{zarr_format}"
    assert meta.modality_specific["level"] == "s0"
    assert meta.modality_specific["axes"] == "zyx"


def test_plain_zarr_group_uses_first_array(tmp_path: Path, volume: np.ndarray) -> None:
    path = tmp_path / "g.zarr"
    group = zarr.open_group(str(path), mode="w")
    group.create_array("b", shape=(2, 2), dtype="float32")[:] = 1
    group.create_array("a", shape=volume.shape, dtype=volume.dtype)[:] = volume
    data, meta = load_user_data(path)
    np.testing.assert_array_equal(data, volume)
    assert meta.modality_specific["array"] == "a"


def test_explicit_name_and_voxel_size(tmp_path: Path, volume: np.ndarray) -> None:
    path = tmp_path / "v.npy"
    np.save(path, volume)
    _, meta = load_user_data(path, name="my scan", voxel_size=(1, 0.2, 0.2))
    assert meta.name == "my scan" and meta.voxel_size == (1.0, 0.2, 0.2)


# --- crops --------------------------------------------------------------------------


def test_parse_crop_forms() -> None:
    shape = (10, 20, 30)
    assert parse_crop(None, shape) == (slice(0, 10), slice(0, 20), slice(0, 30))
    assert parse_crop("0:5, 2:, :-10", shape) == (slice(0, 5), slice(2, 20), slice(0, 20))
    assert parse_crop("3,:,-1", shape) == (slice(3, 4), slice(0, 20), slice(29, 30))
    crop = parse_crop((slice(1, 2), slice(None), slice(-5, None)), shape)
    assert format_crop(crop) == "1:2,0:20,25:30"


@pytest.mark.parametrize(
    ("crop", "message"),
    [
        ("0:5,:", "has 2 entries but the array has 3 axes"),
        ((slice(0, 5),), "has 1 entries"),
        ("0:11,:,:", "out of bounds on axis 0"),
        (":,:,-31:", "out of bounds on axis 2"),
        ("5:5,:,:", "selects nothing on axis 0"),
        ("7:3,:,:", "selects nothing"),
        ("10,:,:", "outside 0..9"),
        ("a:b,:,:", "cannot parse crop entry 'a:b'"),
        ("0:4:2,:,:", "cannot parse"),
        ((slice(0, 4, 2), slice(None), slice(None)), "steps are not supported"),
        (("0", slice(None), slice(None)), "must be slices or integers"),
    ],
)
def test_bad_crops(crop: object, message: str) -> None:
    with pytest.raises(UserDataError, match=message) as info:
        parse_crop(crop, (10, 20, 30), where="vol.npy")  # type: ignore[arg-type]
    assert str(info.value).startswith("vol.npy:")


def test_crop_errors_name_the_file(tmp_path: Path, volume: np.ndarray) -> None:
    path = tmp_path / "vol.npy"
    np.save(path, volume)
    with pytest.raises(UserDataError, match=r"vol\.npy: crop .* out of bounds"):
        load_user_data(path, crop="0:7,:,:")
    with pytest.raises(UserDataError, match=r"vol\.npy: crop .* 2 entries"):
        load_user_data(path, crop="0:2,:")


# --- errors -------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserDataError, match=r"nope\.tif: no such file"):
        load_user_data(tmp_path / "nope.tif")


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "scan.tar.xz"
    path.write_bytes(b"\xfd7zXZ not really")
    with pytest.raises(UserDataError, match=r"scan\.tar\.xz: unsupported file type '\.tar\.xz'"):
        load_user_data(path)
    with pytest.raises(UserDataError, match=r"readable: .*DICOM.*NIfTI.*MRC.*HDF5"):
        load_user_data(path)


def test_corrupt_tiff(tmp_path: Path, volume: np.ndarray) -> None:
    path = tmp_path / "broken.tif"
    tifffile.imwrite(path, volume)
    path.write_bytes(path.read_bytes()[:64])  # truncated
    with pytest.raises(UserDataError, match=r"broken\.tif: not a readable TIFF"):
        load_user_data(path)
    garbage = tmp_path / "garbage.tiff"
    garbage.write_bytes(b"this is not a tiff at all" * 10)
    with pytest.raises(UserDataError, match=r"garbage\.tiff: not a readable TIFF"):
        load_user_data(garbage)


def test_tiff_folder_with_mismatched_planes(tmp_path: Path) -> None:
    folder = tmp_path / "planes"
    folder.mkdir()
    tifffile.imwrite(folder / "p1.tif", np.zeros((8, 8), np.uint16))
    tifffile.imwrite(folder / "p2.tif", np.zeros((8, 9), np.uint16))
    with pytest.raises(UserDataError, match=r"p2\.tif: shape \(8, 9\)"):
        load_user_data(folder)
    tifffile.imwrite(folder / "p2.tif", np.zeros((2, 8, 8), np.uint16))
    with pytest.raises(UserDataError, match=r"p2\.tif: a TIFF folder must hold 2-D images"):
        load_user_data(folder)


def test_folder_without_data(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(UserDataError, match=r"neither Zarr metadata .* nor \.tif"):
        load_user_data(tmp_path)


def test_object_npy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(UserDataError, match=r"objects\.npy: holds Python objects"):
        load_user_data(path)


def test_pickle_disguised_as_npy_is_never_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "evil.npy"
    marker = tmp_path / "executed"
    # Unpickling this would create the marker file; the loader must refuse instead.
    payload = pickle.dumps(_Exploit(str(marker)))
    path.write_bytes(payload)
    with pytest.raises(UserDataError, match=r"evil\.npy"):
        load_user_data(path)
    assert not marker.exists()


class _Exploit:
    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (Path.write_text, (Path(self.target), "pwned"))  # type: ignore[return-value]


def test_truncated_npy(tmp_path: Path, volume: np.ndarray) -> None:
    path = tmp_path / "cut.npy"
    np.save(path, volume)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(UserDataError, match=r"cut\.npy: not a valid \.npy"):
        load_user_data(path)


def test_zarr_group_without_arrays(tmp_path: Path) -> None:
    path = tmp_path / "empty.zarr"
    zarr.open_group(str(path), mode="w").create_group("nested")
    with pytest.raises(UserDataError, match=r"empty\.zarr: the Zarr group holds no arrays"):
        load_user_data(path)


def test_ome_zarr_with_missing_level(tmp_path: Path, volume: np.ndarray) -> None:
    path = tmp_path / "bad.ome.zarr"
    attrs = {"multiscales": [{"version": "0.4", "datasets": [{"path": "0"}]}]}
    zarr.open_group(str(path), mode="w", zarr_format=2, attributes=attrs)
    with pytest.raises(UserDataError, match=r"level 0 '0' named in 'multiscales' is missing"):
        load_user_data(path)


@pytest.mark.parametrize(
    "array",
    [np.array(["a", "bc"]), np.zeros(3, dtype=[("x", "u1"), ("y", "f4")])],
    ids=["strings", "structured"],
)
def test_non_numeric_dtype(tmp_path: Path, array: np.ndarray) -> None:
    path = tmp_path / "text.npy"
    np.save(path, array)
    with pytest.raises(UserDataError, match=r"text\.npy: dtype .* is not numeric"):
        load_user_data(path)


def test_empty_array(tmp_path: Path) -> None:
    path = tmp_path / "empty.npy"
    np.save(path, np.zeros((0, 5), np.uint8))
    with pytest.raises(UserDataError, match=r"empty\.npy: the array is empty"):
        load_user_data(path)


def test_user_data_error_is_a_value_error() -> None:
    assert issubclass(UserDataError, ValueError)


def test_tiff_voxel_size_from_imagej_and_ome_metadata(tmp_path: Path, volume: np.ndarray) -> None:
    ij = tmp_path / "ij.tif"
    tifffile.imwrite(
        ij, volume, imagej=True, resolution=(2.0, 2.0), metadata={"spacing": 3.0, "unit": "um"}
    )
    _, meta = load_user_data(ij)
    assert meta.voxel_size == pytest.approx((3.0, 0.5, 0.5)) and meta.units == "um"
    ome = tmp_path / "img.ome.tif"
    tifffile.imwrite(
        ome,
        volume,
        ome=True,
        metadata={"axes": "ZYX", "PhysicalSizeZ": 1.5, "PhysicalSizeY": 0.2, "PhysicalSizeX": 0.25},
    )
    data, meta = load_user_data(ome)
    np.testing.assert_array_equal(data, volume)
    assert meta.voxel_size == pytest.approx((1.5, 0.2, 0.25)) and meta.units == "um"
