"""Blosc: a meta-compressor with byte/bit shuffling in front of lz4, lz4hc, zstd, zlib or blosclz.

Ids: ``blosc-<cname>-<clevel>-<shuffle>``; ``blosc-<cname>`` and ``blosc-<cname>-<clevel>``
default to level 5 and byte shuffle.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numcodecs
import numpy as np

from zarr_benchmarks.suite.codecs._base import CodecSpec, UnknownCodecError
from zarr_benchmarks.suite.codecs._registry import CodecFamily

CNAMES = ("lz4", "lz4hc", "zstd", "zlib", "blosclz")
SHUFFLES = ("noshuffle", "shuffle", "bitshuffle")
LEVELS = tuple(range(0, 10))
_NUMCODECS_SHUFFLE = {
    "noshuffle": numcodecs.Blosc.NOSHUFFLE,
    "shuffle": numcodecs.Blosc.SHUFFLE,
    "bitshuffle": numcodecs.Blosc.BITSHUFFLE,
}
_ID = re.compile(r"^blosc-(?P<cname>[a-z0-9]+)(?:-(?P<clevel>\d))?(?:-(?P<shuffle>[a-z]+))?$")


@dataclass(frozen=True, eq=False, repr=False)
class BloscSpec(CodecSpec):
    cname: str = "zstd"
    clevel: int = 5
    shuffle: str = "shuffle"
    family = "blosc"

    def __post_init__(self) -> None:
        if self.cname not in CNAMES:
            raise UnknownCodecError(f"blosc cname {self.cname!r} is not one of {CNAMES}")
        if self.shuffle not in SHUFFLES:
            raise UnknownCodecError(f"blosc shuffle {self.shuffle!r} is not one of {SHUFFLES}")
        if not (isinstance(self.clevel, int) and 0 <= self.clevel <= 9):
            raise UnknownCodecError(f"blosc clevel must be an integer 0-9, not {self.clevel!r}")

    @property
    def id(self) -> str:
        return f"blosc-{self.cname}-{self.clevel}-{self.shuffle}"

    @property
    def config(self) -> dict[str, Any]:
        return {"id": "blosc", "cname": self.cname, "clevel": self.clevel, "shuffle": self.shuffle}

    def zarr_v3_compressors(self, dtype: np.dtype) -> tuple[Any, ...]:
        from zarr.codecs import BloscCname, BloscCodec, BloscShuffle

        # typesize must be the item size, or shuffling is silently a no-op.
        return (
            BloscCodec(
                cname=BloscCname(self.cname),  # __post_init__ checked both names
                clevel=self.clevel,
                shuffle=BloscShuffle(self.shuffle),
                typesize=np.dtype(dtype).itemsize,
            ),
        )

    def zarr_v2_compressor(self, dtype: np.dtype) -> Any:
        return self.numcodecs_codec(dtype)

    def numcodecs_codec(self, dtype: np.dtype) -> Any:
        return numcodecs.Blosc(
            cname=self.cname,
            clevel=self.clevel,
            shuffle=_NUMCODECS_SHUFFLE[self.shuffle],
            typesize=np.dtype(dtype).itemsize,
        )


def from_id(codec_id: str) -> BloscSpec | None:
    match = _ID.match(codec_id)
    if match is None:
        return None
    clevel = match["clevel"]
    return BloscSpec(
        cname=match["cname"],
        clevel=5 if clevel is None else int(clevel),
        shuffle=match["shuffle"] or "shuffle",
    )


def from_config(config: Mapping[str, Any]) -> BloscSpec:
    unknown = set(config) - {"id", "cname", "clevel", "shuffle"}
    if unknown:
        raise UnknownCodecError(f"unknown blosc config keys {sorted(unknown)}")
    return BloscSpec(
        cname=config.get("cname", "zstd"),
        clevel=config.get("clevel", 5),
        shuffle=config.get("shuffle", "shuffle"),
    )


def all_ids() -> list[str]:
    return [
        BloscSpec(cname, level, shuffle).id
        for cname in CNAMES
        for shuffle in SHUFFLES
        for level in (1, 3, 5, 9)
    ]


FAMILY = CodecFamily("blosc", from_id, from_config, all_ids)
