"""The registry proper: families parse ids and configs into :class:`CodecSpec` objects."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from zarr_benchmarks._once import LoadOnce, load_entry_points
from zarr_benchmarks.suite.codecs._base import CodecSpec, UnknownCodecError

ENTRY_POINT_GROUP = "zarr_benchmarks.suite.codecs"


@dataclass(frozen=True)
class CodecFamily:
    """How to build specs of one family from an id string or a config mapping."""

    name: str
    from_id: Callable[[str], CodecSpec | None]
    from_config: Callable[[Mapping[str, Any]], CodecSpec]
    #: every id this family offers in the full matrix (used for listings and tests)
    all_ids: Callable[[], list[str]]


_FAMILIES: dict[str, CodecFamily] = {}
_loaded_entry_points: set[tuple[str, str]] = set()


def register_codec(family: CodecFamily, *, replace: bool = False) -> None:
    """Register a codec family.

    Parameters
    ----------
    family
        The family; its ``name`` is the ``"id"`` key of its configs.
    replace
        Allow replacing an already registered family of the same name.
    """
    if family.name in _FAMILIES and not replace:
        raise ValueError(f"codec family {family.name!r} is already registered")
    _FAMILIES[family.name] = family


def _load_entry_points_once() -> None:
    load_entry_points(ENTRY_POINT_GROUP, _loaded_entry_points)


#: calls the codec entry points once, thread-safely (:class:`LoadOnce`)
_load_entry_points = LoadOnce(_load_entry_points_once)


def codec_families() -> dict[str, CodecFamily]:
    """All registered families, built-in and from entry points."""
    _ensure_builtins()
    _load_entry_points()
    return dict(_FAMILIES)


def get_codec(spec: str | Mapping[str, Any] | CodecSpec) -> CodecSpec:
    """Return the codec for an id (``"zstd-3"``), a config mapping, or a spec.

    Raises
    ------
    UnknownCodecError
        When no family recognises the id or config; the message lists the known forms.
    """
    if isinstance(spec, CodecSpec):
        return spec
    families = codec_families()
    if isinstance(spec, Mapping):
        family_name = spec.get("id")
        if family_name not in families:
            raise UnknownCodecError(
                f"unknown codec family {family_name!r} in config {dict(spec)!r}; "
                f"known families: {', '.join(sorted(families))}"
            )
        return families[family_name].from_config(spec)
    if not isinstance(spec, str):
        raise UnknownCodecError(f"a codec is an id string or a config mapping, not {spec!r}")
    # Accept the seed's underscore spelling ("blosc_zstd") as well as dashes.
    normalised = spec.strip().lower().replace("_", "-")
    for family in families.values():
        try:
            codec = family.from_id(normalised)
        except UnknownCodecError as exc:
            # a family's own complaint ("shuffle 'shufle' is not one of ...") with the id
            raise UnknownCodecError(
                f"unknown codec id {spec!r}: {exc} (see `zarr-benchmarks codecs`)"
            ) from None
        if codec is not None:
            return codec
    raise UnknownCodecError(
        f"unknown codec id {spec!r}; ids look like 'blosc-zstd-5-shuffle', 'blosc-lz4', "
        f"'zstd-3', 'gzip-5' or 'none' (see `zarr-benchmarks codecs`)"
    )


def list_codec_ids() -> list[str]:
    """Every id of every registered family."""
    return [cid for family in codec_families().values() for cid in family.all_ids()]


def _register_builtins() -> None:
    from zarr_benchmarks.suite.codecs import blosc, gzip, none, zstd

    for module in (none, blosc, zstd, gzip):
        register_codec(module.FAMILY, replace=True)
    from zarr_benchmarks.suite.codecs import lossy

    for family in lossy.FAMILIES:
        register_codec(family, replace=True)


#: registers the built-in families once, thread-safely (:class:`LoadOnce`)
_ensure_builtins = LoadOnce(_register_builtins)
