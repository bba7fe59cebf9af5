"""Zstandard on its own (no shuffle). Ids: ``zstd-<level>``, level -7..22; ``zstd`` is level 3."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numcodecs
import numpy as np

from zarr_benchmarks.suite.codecs._base import CodecSpec, UnknownCodecError
from zarr_benchmarks.suite.codecs._registry import CodecFamily

_ID = re.compile(r"^zstd(?:-(?P<level>-?\d+))?$")


@dataclass(frozen=True, eq=False, repr=False)
class ZstdSpec(CodecSpec):
    level: int = 3
    family = "zstd"

    def __post_init__(self) -> None:
        if not (isinstance(self.level, int) and -7 <= self.level <= 22):
            raise UnknownCodecError(f"zstd level must be an integer -7..22, not {self.level!r}")

    @property
    def id(self) -> str:
        return f"zstd-{self.level}"

    @property
    def config(self) -> dict[str, Any]:
        return {"id": "zstd", "level": self.level}

    def zarr_v3_compressors(self, dtype: np.dtype) -> tuple[Any, ...]:
        from zarr.codecs import ZstdCodec

        return (ZstdCodec(level=self.level),)

    def zarr_v2_compressor(self, dtype: np.dtype) -> Any:
        return self.numcodecs_codec(dtype)

    def numcodecs_codec(self, dtype: np.dtype) -> Any:
        return numcodecs.Zstd(level=self.level)


def from_id(codec_id: str) -> ZstdSpec | None:
    match = _ID.match(codec_id)
    if match is None:
        return None
    return ZstdSpec(level=3 if match["level"] is None else int(match["level"]))


def from_config(config: Mapping[str, Any]) -> ZstdSpec:
    unknown = set(config) - {"id", "level"}
    if unknown:
        raise UnknownCodecError(f"unknown zstd config keys {sorted(unknown)}")
    return ZstdSpec(level=config.get("level", 3))


def all_ids() -> list[str]:
    return [ZstdSpec(level).id for level in (1, 3, 5, 9, 19)]


FAMILY = CodecFamily("zstd", from_id, from_config, all_ids)
