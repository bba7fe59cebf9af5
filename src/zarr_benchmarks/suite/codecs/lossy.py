"""Lossy codecs: bit-rounding and quantisation filters in front of a lossless compressor.

Each lossy codec is an array-to-array filter (``numcodecs.BitRound``,
``numcodecs.Quantize`` or ``numcodecs.FixedScaleOffset``; the Zarr format 3
wrappers in ``zarr.codecs.numcodecs``) followed by one of the registered lossless
codecs, which does the actual compressing: the filter only makes the data more
compressible by throwing precision away.

Ids (the lossless part is any lossless codec id; it defaults to
``blosc-zstd-5-shuffle``, and the canonical id always spells it out):

``bitround-<keepbits>[-<lossless id>]``
    Float data only. Keeps ``keepbits`` (0..23 for float32, 0..52 for float64) of
    the mantissa, rounding to nearest. Documented error: ``|x - y| <= 2**-(keepbits+1) * |x|``
    (plus the smallest normal number, for subnormals).
``quantize-<digits>[-<lossless id>]``
    Float data only. Keeps ``digits`` decimal digits after the point
    (``numcodecs.Quantize``: rounds to a multiple of ``2**-b`` with ``2**b >= 10**digits``).
    Documented error: ``|x - y| <= 2**-(b+1)`` (plus one float rounding of ``|x|``).
``shift-<bits>[-<lossless id>]``
    Integer data only. Drops the ``bits`` low bits (quantisation step ``q = 2**bits``)
    with ``numcodecs.FixedScaleOffset`` (scale ``1/q``, offset ``(q-1)/2``), so every
    value maps to the middle of its step and the largest value cannot overflow.
    Documented error: ``|x - y| <= q/2``.

Applied to the wrong kind of data, a lossy codec raises ``NotImplementedError`` with
a message naming the codec and dtype (asv reports that combination as skipped).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numcodecs
import numpy as np

from zarr_benchmarks.suite.codecs._base import CodecSpec, UnknownCodecError
from zarr_benchmarks.suite.codecs._registry import CodecFamily

DEFAULT_LOSSLESS = "blosc-zstd-5-shuffle"

# zarr warns, each time it builds one (also when opening an array), that numcodecs
# codecs are outside the v3 spec; that is the point of these codecs, so say it once.
warnings.filterwarnings(
    "ignore", message="Numcodecs codecs are not in the Zarr version 3 specification"
)

_ID = re.compile(r"^(?P<family>bitround|quantize|shift)-(?P<n>\d+)(?:-(?P<rest>.+))?$")
_MAX_KEEPBITS = {4: 23, 8: 52}
_FAMILIES = ("bitround", "quantize", "shift")


def _lossless(spec: str | Mapping[str, Any] | CodecSpec | None) -> CodecSpec:
    from zarr_benchmarks.suite.codecs._registry import get_codec

    codec = get_codec(DEFAULT_LOSSLESS if spec is None else spec)
    if not codec.lossless:
        raise UnknownCodecError(
            f"the compressor after a lossy filter must be lossless, got {codec.id!r}"
        )
    return codec


def _v3_numcodecs(cls_name: str, **config: Any) -> Any:
    from zarr.codecs import numcodecs as zarr_numcodecs

    return getattr(zarr_numcodecs, cls_name)(**config)


@dataclass(frozen=True, eq=False, repr=False)
class LossySpec(CodecSpec):
    """A lossy filter followed by a lossless compressor.

    Subclasses define :meth:`numcodecs_filter`, :meth:`_v3_filter`,
    :meth:`error_bound` and the kind of data they accept.
    """

    n: int = 0
    compressor: CodecSpec = field(default_factory=lambda: _lossless(None))
    lossless = False
    #: numpy dtype kinds the filter accepts ("f" floats, "iu" integers)
    kinds = "f"
    #: what ``n`` means, for messages
    n_name = "n"

    # -- ids and configs -----------------------------------------------------------
    @property
    def id(self) -> str:
        return f"{self.family}-{self.n}-{self.compressor.id}"

    @property
    def config(self) -> dict[str, Any]:
        return {"id": self.family, self.n_name: self.n, "compressor": self.compressor.config}

    # -- data checks ---------------------------------------------------------------
    def check_dtype(self, dtype: np.dtype) -> np.dtype:
        """Return ``dtype`` if the filter accepts it; raise ``NotImplementedError`` otherwise."""
        dtype = np.dtype(dtype)
        if dtype.kind not in self.kinds:
            wanted = "floating-point" if self.kinds == "f" else "integer"
            hint = "shift-<bits>" if self.kinds == "f" else "bitround-<keepbits> or quantize-<d>"
            raise NotImplementedError(
                f"lossy codec {self.id!r} needs {wanted} data, not {dtype.name} "
                f"(for {dtype.name} data use {hint})"
            )
        return dtype

    def error_bound(self, original: np.ndarray) -> np.ndarray | float:
        """Largest allowed ``|original - decoded|`` (per element or overall)."""
        raise NotImplementedError

    def within_tolerance(self, original: np.ndarray, decoded: np.ndarray) -> bool:
        """Whether ``decoded`` is within this codec's documented error of ``original``.

        NaNs must stay NaN and infinities must stay equal.
        """
        original = np.asarray(original)
        decoded = np.asarray(decoded)
        if original.shape != decoded.shape:
            return False
        if original.dtype.kind == "f":
            nan = np.isnan(original)
            if not np.array_equal(nan, np.isnan(decoded)):
                return False
            inf = np.isinf(original)
            if not np.array_equal(original[inf], decoded[inf]):
                return False
            finite = ~(nan | inf)
            orig = original[finite].astype(np.float64)
            dec = decoded[finite].astype(np.float64)
            bound = self.error_bound(original)
            bound = bound[finite] if isinstance(bound, np.ndarray) else bound
            return bool(np.all(np.abs(orig - dec) <= bound))
        err = np.abs(original.astype(np.int64) - decoded.astype(np.int64))
        return bool(np.all(err <= self.error_bound(original)))

    # -- codec objects -------------------------------------------------------------
    def numcodecs_filter(self, dtype: np.dtype) -> Any:
        raise NotImplementedError

    def _v3_filter(self, dtype: np.dtype) -> Any:
        raise NotImplementedError

    def zarr_v3_filters(self, dtype: np.dtype) -> tuple[Any, ...]:
        return (self._v3_filter(self.check_dtype(dtype)),)

    def zarr_v2_filters(self, dtype: np.dtype) -> tuple[Any, ...]:
        return (self.numcodecs_filter(self.check_dtype(dtype)),)

    def zarr_v3_compressors(self, dtype: np.dtype) -> tuple[Any, ...]:
        return self.compressor.zarr_v3_compressors(dtype)

    def zarr_v2_compressor(self, dtype: np.dtype) -> Any | None:
        return self.compressor.zarr_v2_compressor(dtype)

    def numcodecs_codec(self, dtype: np.dtype) -> Any | None:
        """The lossless compressor alone (the filter is :meth:`numcodecs_filter`)."""
        return self.compressor.numcodecs_codec(dtype)

    def encode_decode(self, data: np.ndarray) -> np.ndarray:
        """Apply the filter and its inverse with raw numcodecs (what a reader gets back)."""
        codec = self.numcodecs_filter(self.check_dtype(data.dtype))
        out = codec.decode(codec.encode(np.ascontiguousarray(data)))
        return np.asarray(out).reshape(data.shape).astype(data.dtype, copy=False)


@dataclass(frozen=True, eq=False, repr=False)
class BitRoundSpec(LossySpec):
    family = "bitround"
    n_name = "keepbits"
    kinds = "f"

    def __post_init__(self) -> None:
        if not (isinstance(self.n, int) and 0 <= self.n <= 52):
            raise UnknownCodecError(f"bitround keepbits must be an integer 0..52, not {self.n!r}")

    def check_dtype(self, dtype: np.dtype) -> np.dtype:
        dtype = super().check_dtype(dtype)
        limit = _MAX_KEEPBITS.get(dtype.itemsize)
        if limit is None:
            raise NotImplementedError(
                f"lossy codec {self.id!r} supports float32 and float64, not {dtype.name}"
            )
        if self.n > limit:
            raise NotImplementedError(
                f"lossy codec {self.id!r}: {dtype.name} has only {limit} mantissa bits"
            )
        return dtype

    @property
    def keepbits(self) -> int:
        return self.n

    def error_bound(self, original: np.ndarray) -> np.ndarray:
        tiny = float(np.finfo(original.dtype).tiny)
        return 2.0 ** -(self.n + 1) * np.abs(original.astype(np.float64)) + tiny

    def numcodecs_filter(self, dtype: np.dtype) -> Any:
        return numcodecs.BitRound(keepbits=self.n)

    def _v3_filter(self, dtype: np.dtype) -> Any:
        return _v3_numcodecs("BitRound", keepbits=self.n)


@dataclass(frozen=True, eq=False, repr=False)
class QuantizeSpec(LossySpec):
    family = "quantize"
    n_name = "digits"
    kinds = "f"

    def __post_init__(self) -> None:
        if not (isinstance(self.n, int) and 0 <= self.n <= 15):
            raise UnknownCodecError(f"quantize digits must be an integer 0..15, not {self.n!r}")

    @property
    def digits(self) -> int:
        return self.n

    @property
    def step(self) -> float:
        """The quantisation step ``2**-b`` numcodecs uses for ``digits``."""
        bits = math.ceil(math.log2(10.0**self.n))
        return 2.0**-bits

    def error_bound(self, original: np.ndarray) -> np.ndarray:
        eps = float(np.finfo(original.dtype).eps)
        return self.step / 2 + eps * np.abs(original.astype(np.float64))

    def numcodecs_filter(self, dtype: np.dtype) -> Any:
        return numcodecs.Quantize(digits=self.n, dtype=np.dtype(dtype).str)

    def _v3_filter(self, dtype: np.dtype) -> Any:
        return _v3_numcodecs("Quantize", digits=self.n, dtype=np.dtype(dtype).str)


@dataclass(frozen=True, eq=False, repr=False)
class ShiftSpec(LossySpec):
    family = "shift"
    n_name = "bits"
    kinds = "iu"

    def __post_init__(self) -> None:
        if not (isinstance(self.n, int) and 0 <= self.n <= 31):
            raise UnknownCodecError(f"shift bits must be an integer 0..31, not {self.n!r}")

    def check_dtype(self, dtype: np.dtype) -> np.dtype:
        dtype = super().check_dtype(dtype)
        if self.n >= 8 * dtype.itemsize:
            raise NotImplementedError(
                f"lossy codec {self.id!r} drops {self.n} bits but {dtype.name} has "
                f"{8 * dtype.itemsize}"
            )
        return dtype

    @property
    def bits(self) -> int:
        return self.n

    @property
    def step(self) -> int:
        return 2**self.n

    def error_bound(self, original: np.ndarray) -> float:
        return self.step / 2

    def _params(self, dtype: np.dtype) -> dict[str, Any]:
        # offset (q-1)/2 makes the encoder's round() a floor and puts each decoded
        # value inside its step, so the largest value cannot wrap around.
        q = self.step
        dt = np.dtype(dtype).str
        return {"offset": (q - 1) / 2, "scale": 1 / q, "dtype": dt, "astype": dt}

    def numcodecs_filter(self, dtype: np.dtype) -> Any:
        return numcodecs.FixedScaleOffset(**self._params(dtype))

    def _v3_filter(self, dtype: np.dtype) -> Any:
        return _v3_numcodecs("FixedScaleOffset", **self._params(dtype))


_CLASSES: dict[str, type[LossySpec]] = {
    "bitround": BitRoundSpec,
    "quantize": QuantizeSpec,
    "shift": ShiftSpec,
}


def _from_id(family: str, codec_id: str) -> LossySpec | None:
    match = _ID.match(codec_id)
    if match is None or match["family"] != family:
        return None
    return _CLASSES[family](int(match["n"]), _lossless(match["rest"]))


def _from_config(family: str, config: Mapping[str, Any]) -> LossySpec:
    cls = _CLASSES[family]
    unknown = set(config) - {"id", cls.n_name, "compressor"}
    if unknown:
        raise UnknownCodecError(f"unknown {family} config keys {sorted(unknown)}")
    if cls.n_name not in config:
        raise UnknownCodecError(f"{family} config needs {cls.n_name!r}, got {dict(config)!r}")
    return cls(config[cls.n_name], _lossless(config.get("compressor")))


def _all_ids(family: str) -> list[str]:
    ns = {"bitround": (4, 7, 10, 16), "quantize": (1, 2, 3), "shift": (2, 4)}[family]
    return [_CLASSES[family](n, _lossless(None)).id for n in ns]


def list_lossy_ids() -> list[str]:
    """The lossy codec ids the lossy benchmarks use by default."""
    return [cid for name in _FAMILIES for cid in _all_ids(name)]


def _family(name: str) -> CodecFamily:
    return CodecFamily(
        name,
        lambda codec_id: _from_id(name, codec_id),
        lambda config: _from_config(name, config),
        lambda: _all_ids(name),
    )


FAMILIES = tuple(_family(name) for name in _FAMILIES)


LOSSY_CODECS_ENV = "ZARR_BENCHMARKS_LOSSY_CODECS"

#: lossy codecs of the asv suite per preset; a lossless reference comes first
_PRESET_CODECS = {
    "quick": (DEFAULT_LOSSLESS, "bitround-10", "quantize-3"),
    "default": (DEFAULT_LOSSLESS, "bitround-7", "bitround-10", "bitround-16", "quantize-2"),
}


def benchmark_lossy_codecs(
    preset: str, environ: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """Codec ids of the lossy benchmarks for ``preset`` (``full``: every lossy id),
    or the comma-separated list in ``ZARR_BENCHMARKS_LOSSY_CODECS``; normalised ids."""
    import os

    from zarr_benchmarks.suite.codecs._registry import get_codec

    env = os.environ if environ is None else environ
    chosen = [v.strip() for v in (env.get(LOSSY_CODECS_ENV) or "").split(",") if v.strip()]
    if not chosen:
        chosen = list(_PRESET_CODECS.get(preset) or (DEFAULT_LOSSLESS, *list_lossy_ids()))
    return tuple(dict.fromkeys(get_codec(c).id for c in chosen))
