"""Registers the built-in modalities (one module each), in the seed guide's order."""

from importlib import import_module

#: Module names under ``zarr_benchmarks.data.modalities``; importing one registers it.
BUILTIN_MODALITIES = (
    "cryoet",
    "light_sheet",
    "confocal",
    "two_photon",
    "widefield",
    "sem",
    "sted",
    "palm_storm",
    "mri",
    "ct",
    "labels_dense",
    "labels_sparse",
    "synthetic",
    "custom",
    # with background, calibrated against real volumes shipped in PyPI packages
    "ct_clinical",
    "mri_brain",
)

for _name in BUILTIN_MODALITIES:
    import_module(f"zarr_benchmarks.data.modalities.{_name}")
