"""Gzip (deflate). Ids: ``gzip-<level>``, level 0..9; ``gzip`` is level 5."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numcodecs
import numpy as np

from zarr_benchmarks.suite.codecs._base import CodecSpec, UnknownCodecError
from zarr_benchmarks.suite.codecs._registry import CodecFamily

_ID = re.compile(r"^gzip(?:-(?P<level>\d))?$")


@dataclass(frozen=True, eq=False, repr=False)
class GzipSpec(CodecSpec):
    level: int = 5
    family = "gzip"

    def __post_init__(self) -> None:
        if not (isinstance(self.level, int) and 0 <= self.level <= 9):
            raise UnknownCodecError(f"gzip level must be an integer 0..9, not {self.level!r}")

    @property
    def id(self) -> str:
        return f"gzip-{self.level}"

    @property
    def config(self) -> dict[str, Any]:
        return {"id": "gzip", "level": self.level}

    def zarr_v3_compressors(self, dtype: np.dtype) -> tuple[Any, ...]:
        from zarr.codecs import GzipCodec

        return (GzipCodec(level=self.level),)

    def zarr_v2_compressor(self, dtype: np.dtype) -> Any:
        return self.numcodecs_codec(dtype)

    def numcodecs_codec(self, dtype: np.dtype) -> Any:
        return numcodecs.GZip(level=self.level)


def from_id(codec_id: str) -> GzipSpec | None:
    match = _ID.match(codec_id)
    if match is None:
        return None
    return GzipSpec(level=5 if match["level"] is None else int(match["level"]))


def from_config(config: Mapping[str, Any]) -> GzipSpec:
    unknown = set(config) - {"id", "level"}
    if unknown:
        raise UnknownCodecError(f"unknown gzip config keys {sorted(unknown)}")
    return GzipSpec(level=config.get("level", 5))


def all_ids() -> list[str]:
    return [GzipSpec(level).id for level in (1, 5, 9)]


FAMILY = CodecFamily("gzip", from_id, from_config, all_ids)
