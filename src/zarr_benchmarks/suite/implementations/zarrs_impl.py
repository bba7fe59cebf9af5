"""zarr-python with the zarrs (Rust) codec pipeline.

zarr-python picks an array's codec pipeline when the array object is built
(``create_array``/``open_array``), from ``zarr.config["codec_pipeline.path"]``.
This implementation sets that option only while building the array, inside
``zarr.config.set(...)`` as a context manager, so it never leaks into other
benchmarks; the array keeps its zarrs pipeline for the timed calls, which are the
same ``array[...] = data`` / ``array[...]`` as zarr-python's.

zarrs quietly falls back to the Python pipeline for an array whose codecs it lacks
(e.g. ``numcodecs.bitround``); we would then be timing zarr-python under the zarrs
name, so such arrays are refused (``ZarrsUnsupportedError``, a
``NotImplementedError``) with zarrs's own reason. (``codec_pipeline.strict`` is not
used: it also turns off zarrs's per-selection fallback, so that reading one plane of
a sharded array fails.)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Iterator
from functools import lru_cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from typing import Any

import numpy as np

from zarr_benchmarks.data.chunking import Layout
from zarr_benchmarks.suite import zarr_io
from zarr_benchmarks.suite.zarr_io import ArraySettings

PIPELINE_PATH = "zarrs.ZarrsCodecPipeline"


@contextlib.contextmanager
def zarrs_pipeline() -> Iterator[list[str]]:
    """Within the block, arrays opened or created by zarr-python use the zarrs pipeline.

    Yields the messages of zarrs's "unsupported" warnings raised in the block.
    """
    import zarr

    unsupported: list[str] = []
    caught: list[warnings.WarningMessage] = []
    try:
        with (
            zarr.config.set({"codec_pipeline.path": PIPELINE_PATH}),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            yield unsupported
    finally:
        # Outside catch_warnings, so that re-raised warnings reach the caller.
        for w in caught:
            text = str(w.message)
            if "unsupported by ZarrsCodecPipeline" in text:
                unsupported.append(text)
            else:  # not ours to swallow
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def pipeline_name(array: Any) -> str:
    """Class name of the codec pipeline a zarr-python array uses."""
    return type(array._async_array.codec_pipeline).__name__


class ZarrsUnsupportedError(NotImplementedError):
    """zarrs cannot encode or decode this array."""


def _built(array: Any, what: str, unsupported: list[str]) -> Any:
    pipeline = array._async_array.codec_pipeline
    if type(pipeline).__name__ != "ZarrsCodecPipeline" or getattr(pipeline, "impl", None) is None:
        detail = f" ({unsupported[0]})" if unsupported else ""
        raise ZarrsUnsupportedError(f"zarrs cannot handle the array {what}{detail}")
    return array


class Zarrs:
    """zarr-python's API with the zarrs codec pipeline (Rust codecs, parallel chunks)."""

    name = "zarrs"
    extra: str | None = "zarrs"

    def __init__(self) -> None:
        # Timed calls are zarr-python's own; only building the array differs.
        self.write = zarr_io.write
        self.read = zarr_io.read
        self.read_selection = zarr_io.read_selection
        self.first_chunk_selection = zarr_io.first_chunk_selection

    def available(self) -> tuple[bool, str]:
        try:
            import zarrs  # noqa: F401
        except ImportError as exc:
            return False, (
                f"zarrs cannot be imported ({exc}); install it with "
                "`pip install 'zarr-benchmarks[zarrs]'`"
            )
        return True, f"zarrs {self.version()}"

    def supports(self, settings: ArraySettings, dtype: np.dtype) -> tuple[bool, str]:
        try:
            settings.codec.zarr_v3_filters(dtype)
        except NotImplementedError as exc:
            return False, str(exc)
        return _probe(settings, np.dtype(dtype).str)

    def version(self) -> str | None:
        try:
            return _version("zarrs")
        except PackageNotFoundError:
            return None

    def create_array(
        self,
        path: str | os.PathLike[str],
        shape: tuple[int, ...],
        dtype: Any,
        settings: ArraySettings,
    ) -> Any:
        with zarrs_pipeline() as unsupported:
            array = zarr_io.create_array(path, shape, dtype, settings)
        return _built(array, f"with codec {settings.codec.id!r}", unsupported)

    def open_array(self, path: str | os.PathLike[str]) -> Any:
        with zarrs_pipeline() as unsupported:
            array = zarr_io.open_array(path)
        return _built(array, f"at {os.path.basename(os.fspath(path))!r}", unsupported)

    def __repr__(self) -> str:
        return f"<implementation {self.name}>"


@lru_cache(maxsize=256)
def _probe_cached(settings: ArraySettings, dtype: str) -> tuple[bool, str]:
    # Build a tiny array with the same codecs in a scratch folder: the only sure way
    # to learn whether zarrs implements every codec of the chain.
    ndim = len(settings.layout.chunks)
    small = ArraySettings(
        settings.codec,
        Layout("probe", (2,) * ndim, (4,) * ndim if settings.layout.shards else None),
        settings.zarr_format,
    )
    with tempfile.TemporaryDirectory(prefix="zarrs-probe-") as tmp:
        try:
            IMPLEMENTATION.create_array(os.path.join(tmp, "a.zarr"), (4,) * ndim, dtype, small)
        except NotImplementedError as exc:
            return False, str(exc)
    return True, ""


def _probe(settings: ArraySettings, dtype: str) -> tuple[bool, str]:
    return _probe_cached(settings, dtype)


IMPLEMENTATION: Any = Zarrs()
