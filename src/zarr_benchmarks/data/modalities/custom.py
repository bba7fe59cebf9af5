"""CUSTOM: the user's own data, loaded from files rather than generated.

There is no synthetic model for "your data": a custom dataset is read from a TIFF
stack, a ``.npy`` file or an existing Zarr/OME-Zarr array with
:func:`zarr_benchmarks.data.userdata.load_user_data`, which also returns its
:class:`~zarr_benchmarks.data.dataset_types.DatasetMetadata`. The modality exists so that
metadata, recommendations and results can name the type; its generator raises a
``ValueError`` that says where custom data comes from. It has no ratio band.
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, register_modality


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """Always raises: custom datasets are loaded from files, not synthesised.

    Raises
    ------
    ValueError
        Always, pointing to :func:`zarr_benchmarks.data.userdata.load_user_data`.
    """
    raise ValueError(
        "the 'custom' modality has no synthetic generator: custom datasets are loaded "
        "from files (a TIFF stack, a .npy file or a Zarr/OME-Zarr array) with "
        "zarr_benchmarks.data.userdata.load_user_data(path)"
    )


CUSTOM = register_modality(
    Modality(
        id="custom",
        name="CUSTOM",
        title="Custom (user data loaded from files)",
        dtype="uint16",
        shape=(64, 256, 256),
        axes="zyx",
        generator=generate,
        ratio_band=None,
        voxel_size=(1.0, 1.0, 1.0),
        units="um",
        suggested_codec="blosc-zstd-5-shuffle",
        chunk_layouts=("cube64", "plane", "cube32-shard128"),
        modality_specific={"loaded_from": None},
    )
)
