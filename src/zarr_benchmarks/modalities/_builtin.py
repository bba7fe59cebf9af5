"""Registers the built-in modalities (one module each)."""

from zarr_benchmarks.modalities import (  # noqa: F401  (each module registers itself)
    confocal,
    cryoet,
    ct,
    light_sheet,
    palm_storm,
    sted,
    synthetic,
    two_photon,
    widefield,
)
