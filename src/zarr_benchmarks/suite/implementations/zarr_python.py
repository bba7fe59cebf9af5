"""zarr-python, the default implementation: exactly the calls of :mod:`zarr_io`.

The handle methods are the :mod:`zarr_benchmarks.suite.zarr_io` functions themselves
(bound as instance attributes), so a benchmark going through this object times
the same call, at the same cost, as one calling ``zarr_io`` directly.
"""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import Any

import numpy as np

from zarr_benchmarks.suite import zarr_io
from zarr_benchmarks.suite.zarr_io import ArraySettings


class ZarrPython:
    """zarr-python with its default (batched, pure-Python) codec pipeline."""

    name = "zarr-python"
    extra: str | None = None

    def __init__(self) -> None:
        # Plain attribute lookups of the zarr_io functions: no wrapper in the timed path.
        self.create_array = zarr_io.create_array
        self.open_array = zarr_io.open_array
        self.write = zarr_io.write
        self.read = zarr_io.read
        self.read_selection = zarr_io.read_selection
        self.first_chunk_selection = zarr_io.first_chunk_selection

    def available(self) -> tuple[bool, str]:
        return True, f"zarr {self.version()}"

    def supports(self, settings: ArraySettings, dtype: np.dtype) -> tuple[bool, str]:
        try:
            settings.codec.zarr_v3_filters(dtype)
        except NotImplementedError as exc:
            return False, str(exc)
        return True, ""

    def version(self) -> str | None:
        return _version("zarr")

    def __repr__(self) -> str:
        return f"<implementation {self.name}>"


IMPLEMENTATION: Any = ZarrPython()
