"""TensorStore (Google's C++ array library) through its ``zarr3`` and ``zarr`` (v2) drivers.

The codec, chunk and shard settings of a case are translated to the TensorStore
spec that describes the same array zarr-python would write:

- Zarr format 3: ``bytes`` (little endian) followed by the compressor's own v3
  JSON (``blosc`` with ``typesize``/``shuffle``, ``zstd``, ``gzip``); with shards,
  one ``sharding_indexed`` codec holding those, its index stored as
  ``bytes`` + ``crc32c`` at the end, as zarr-python does.
- Zarr format 2: the numcodecs compressor config (``blosc``, ``zstd``, ``gzip``)
  with ``.`` as the chunk-key separator, as zarr-python does.

TensorStore has no numcodecs filters, so lossy codecs (bit-rounding,
quantisation) are reported as unsupported rather than silently written without
the filter. Timed calls are ``handle.write(data).result()`` and
``handle.read().result()``; the default context has no chunk cache, so repeated
reads go to the files each time, like zarr-python's.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks.suite.zarr_io import ArraySettings

#: v3 bytes-to-bytes codecs TensorStore's zarr3 driver implements
_V3_CODECS = frozenset({"blosc", "zstd", "gzip", "crc32c"})
#: numcodecs compressor ids TensorStore's zarr (v2) driver implements
_V2_COMPRESSORS = frozenset({"blosc", "zstd", "gzip", "zlib", "bz2"})
_DTYPES = frozenset(
    {
        *("bool", "float16", "float32", "float64", "complex64", "complex128"),
        *(f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)),
    }
)
_BYTES = {"name": "bytes", "configuration": {"endian": "little"}}


class UnsupportedSpecError(NotImplementedError):
    """The settings have no TensorStore equivalent."""


def _v3_codecs(settings: ArraySettings, dtype: np.dtype) -> list[dict[str, Any]]:
    codec = settings.codec
    if codec.zarr_v3_filters(dtype):
        raise UnsupportedSpecError(
            f"codec {codec.id!r} needs numcodecs array-to-array filters, which "
            "TensorStore's zarr3 driver does not implement"
        )
    out = [_BYTES]
    for c in codec.zarr_v3_compressors(dtype):
        doc = c.to_dict()
        if doc["name"] not in _V3_CODECS:
            raise UnsupportedSpecError(
                f"codec {codec.id!r}: TensorStore's zarr3 driver has no {doc['name']!r} codec"
            )
        out.append(doc)
    return out


def _v2_compressor(settings: ArraySettings, dtype: np.dtype) -> dict[str, Any] | None:
    codec = settings.codec
    if codec.zarr_v2_filters(dtype):
        raise UnsupportedSpecError(
            f"codec {codec.id!r} needs numcodecs filters, which TensorStore's zarr "
            "(v2) driver does not implement"
        )
    compressor = codec.zarr_v2_compressor(dtype)
    if compressor is None:
        return None
    config = dict(compressor.get_config())
    if config["id"] not in _V2_COMPRESSORS:
        raise UnsupportedSpecError(
            f"codec {codec.id!r}: TensorStore's zarr (v2) driver has no {config['id']!r} compressor"
        )
    # numcodecs writes "checksum": false for zstd; TensorStore rejects the member.
    if config["id"] == "zstd" and config.pop("checksum", False):
        raise UnsupportedSpecError("TensorStore's zarr (v2) zstd has no checksum option")
    return config


def array_spec(
    path: str | os.PathLike[str], shape: tuple[int, ...], dtype: Any, settings: ArraySettings
) -> dict[str, Any]:
    """The TensorStore spec creating the array zarr-python would create for ``settings``.

    Raises
    ------
    UnsupportedSpecError
        When the codec or dtype has no TensorStore equivalent.
    """
    dtype = np.dtype(dtype)
    if dtype.name not in _DTYPES:
        raise UnsupportedSpecError(f"TensorStore's zarr drivers have no dtype {dtype.name}")
    kvstore = {"driver": "file", "path": str(Path(path)) + "/"}
    layout = settings.layout
    if settings.zarr_format == 3:
        codecs = _v3_codecs(settings, dtype)
        grid = list(layout.chunks)
        if layout.shards is not None:
            grid = list(layout.shards)
            codecs = [
                {
                    "name": "sharding_indexed",
                    "configuration": {
                        "chunk_shape": list(layout.chunks),
                        "codecs": codecs,
                        "index_codecs": [_BYTES, {"name": "crc32c"}],
                        "index_location": "end",
                    },
                }
            ]
        metadata: dict[str, Any] = {
            "shape": list(shape),
            "data_type": dtype.name,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": grid}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": False if dtype.kind == "b" else 0,
            "codecs": codecs,
        }
        return {"driver": "zarr3", "kvstore": kvstore, "metadata": metadata}
    metadata = {
        "shape": list(shape),
        "chunks": list(layout.chunks),
        "dtype": dtype.str,
        "compressor": _v2_compressor(settings, dtype),
        "fill_value": 0,
        "order": "C",
        "filters": None,
        "dimension_separator": ".",
    }
    return {"driver": "zarr", "kvstore": kvstore, "metadata": metadata}


class TensorStore:
    """TensorStore's ``zarr3``/``zarr`` drivers on the local file system."""

    name = "tensorstore"
    extra: str | None = "tensorstore"

    def available(self) -> tuple[bool, str]:
        try:
            import tensorstore  # noqa: F401
        except ImportError as exc:
            return False, (
                f"tensorstore cannot be imported ({exc}); install it with "
                "`pip install 'zarr-benchmarks[tensorstore]'`"
            )
        return True, f"tensorstore {self.version()}"

    def supports(self, settings: ArraySettings, dtype: np.dtype) -> tuple[bool, str]:
        try:
            array_spec("unused", (1,) * len(settings.layout.chunks), dtype, settings)
        except NotImplementedError as exc:
            return False, str(exc)
        return True, ""

    def version(self) -> str | None:
        try:
            return _version("tensorstore")
        except PackageNotFoundError:
            return None

    def create_array(
        self,
        path: str | os.PathLike[str],
        shape: tuple[int, ...],
        dtype: Any,
        settings: ArraySettings,
    ) -> Any:
        import tensorstore as ts

        spec = array_spec(path, tuple(shape), dtype, settings)
        return ts.open(spec, create=True, delete_existing=True).result()

    def open_array(self, path: str | os.PathLike[str]) -> Any:
        import tensorstore as ts

        path = Path(path)
        if (path / "zarr.json").exists():
            driver = "zarr3"
        elif (path / ".zarray").exists():
            driver = "zarr"
        else:
            raise FileNotFoundError(f"no Zarr array (zarr.json or .zarray) at {path.name!r}")
        spec = {"driver": driver, "kvstore": {"driver": "file", "path": str(path) + "/"}}
        return ts.open(spec, open=True, read=True, write=False).result()

    def write(self, handle: Any, data: np.ndarray) -> None:
        handle.write(data).result()

    def read(self, handle: Any) -> np.ndarray:
        return handle.read().result()

    def read_selection(self, handle: Any, selection: tuple[Any, ...]) -> np.ndarray:
        return handle[selection].read().result()

    def first_chunk_selection(self, handle: Any) -> tuple[slice, ...]:
        chunks = handle.chunk_layout.read_chunk.shape
        return tuple(slice(0, min(c, s)) for c, s in zip(chunks, handle.shape))

    def __repr__(self) -> str:
        return f"<implementation {self.name}>"


IMPLEMENTATION: Any = TensorStore()
