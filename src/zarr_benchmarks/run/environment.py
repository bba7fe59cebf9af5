"""Software environment information: Python and the versions of the packages that matter.

Versions come from :mod:`importlib.metadata` (works for pip, conda and uv installs alike);
interpreter paths and environment names are never recorded.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from zarr_benchmarks._format import SCHEMA_VERSION
from zarr_benchmarks._jsonio import sha256_id
from zarr_benchmarks.run.hardware import collect_python

__all__ = ["PACKAGES", "collect_packages", "compute_environment_id", "environment_document"]


#: Distributions whose version can change benchmark results (recorded when installed).
PACKAGES: tuple[str, ...] = (
    "zarr",
    "numcodecs",
    "numpy",
    "asv",
    "asv_runner",
    "blosc",
    "blosc2",
    "crc32c",
    "zstandard",
    "tensorstore",
    "zarrs",
    "dask",
    "obstore",
    "fsspec",
    "s3fs",
)


def collect_packages(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (missing distributions are left out)."""
    out: dict[str, str] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def compute_environment_id(python: dict[str, str], packages: dict[str, str]) -> str:
    """SHA-256 over the canonical JSON of the Python info and package versions."""
    return sha256_id({"python": python, "packages": packages})


def environment_document(
    python: dict[str, str] | None = None, packages: dict[str, str] | None = None
) -> dict[str, Any]:
    """The ``environment`` document of docs/formats.md for this (or the given) environment."""
    python = python if python is not None else collect_python()
    packages = packages if packages is not None else collect_packages()
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "environment",
        "environment_id": compute_environment_id(python, packages),
        "python": python,
        "packages": packages,
    }
