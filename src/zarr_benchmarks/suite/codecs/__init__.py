"""Codec registry: compressor configurations as plain data with stable, readable ids.

Modelled on numcodecs: every codec family lives in its own small module and
registers a parser for its ids. A codec is described by a JSON-able config
(``{"id": "blosc", "cname": "zstd", "clevel": 5, "shuffle": "shuffle"}``) and a
stable id string (``"blosc-zstd-5-shuffle"``); both round-trip.

Third-party packages add codec families through the ``zarr_benchmarks.suite.codecs``
entry-point group; each entry point names a callable that registers its codecs.

Examples
--------
>>> from zarr_benchmarks.suite.codecs import get_codec
>>> get_codec("blosc-zstd-5-shuffle").config
{'id': 'blosc', 'cname': 'zstd', 'clevel': 5, 'shuffle': 'shuffle'}
"""

from __future__ import annotations

from zarr_benchmarks.suite.codecs._base import CodecSpec, UnknownCodecError
from zarr_benchmarks.suite.codecs._registry import (
    codec_families,
    get_codec,
    list_codec_ids,
    register_codec,
)

__all__ = [
    "CodecSpec",
    "UnknownCodecError",
    "codec_families",
    "get_codec",
    "list_codec_ids",
    "register_codec",
]
