"""No compression: the baseline every other codec is measured against. Id: ``none``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from zarr_benchmarks.suite.codecs._base import CodecSpec, UnknownCodecError
from zarr_benchmarks.suite.codecs._registry import CodecFamily


@dataclass(frozen=True, eq=False, repr=False)
class NoCompression(CodecSpec):
    family = "none"

    @property
    def id(self) -> str:
        return "none"

    @property
    def config(self) -> dict[str, Any]:
        return {"id": "none"}

    def zarr_v3_compressors(self, dtype: np.dtype) -> tuple[Any, ...]:
        return ()

    def zarr_v2_compressor(self, dtype: np.dtype) -> None:
        return None

    def numcodecs_codec(self, dtype: np.dtype) -> None:
        return None


def from_id(codec_id: str) -> NoCompression | None:
    return NoCompression() if codec_id in ("none", "raw", "uncompressed") else None


def from_config(config: Mapping[str, Any]) -> NoCompression:
    if set(config) - {"id"}:
        raise UnknownCodecError(f"codec 'none' takes no options, got {dict(config)!r}")
    return NoCompression()


def all_ids() -> list[str]:
    return ["none"]


FAMILY = CodecFamily("none", from_id, from_config, all_ids)
