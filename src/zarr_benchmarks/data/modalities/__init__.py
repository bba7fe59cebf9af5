"""Modality registry: one module per imaging modality, added without editing the core.

A modality is registered with :func:`register_modality` (from any module, or from
a third-party package through the ``zarr_benchmarks.data.modalities`` entry-point group,
whose entry points name a callable that registers its modalities). Once registered,
it is a :class:`~zarr_benchmarks.data.dataset_types.DatasetType` member
(``DatasetType.MRI``), has a ``DatasetMetadata`` factory and a synthetic generator,
and appears in the asv suite's modality parameter.
"""

from __future__ import annotations

import threading

from zarr_benchmarks._once import LoadOnce, load_entry_points
from zarr_benchmarks.data.modalities._base import Generator, Modality, RatioBand

ENTRY_POINT_GROUP = "zarr_benchmarks.data.modalities"

__all__ = [
    "Generator",
    "Modality",
    "RatioBand",
    "UnknownModalityError",
    "get_modality",
    "list_modalities",
    "register_modality",
    "reload_entry_points",
    "unregister_modality",
]


class UnknownModalityError(ValueError):
    """Raised for a modality id that is not registered."""


_REGISTRY: dict[str, Modality] = {}
#: guards changes to ``_REGISTRY``
_lock = threading.RLock()


def register_modality(modality: Modality, *, replace: bool = False) -> Modality:
    """Register ``modality`` and return it.

    Raises
    ------
    ValueError
        If the id or member name is taken (unless ``replace``), or malformed.
    """
    _ensure_loaded()  # built-ins first: keeps their order and catches clashes with them
    if not modality.id.isidentifier() or modality.id != modality.id.lower():
        raise ValueError(f"modality id must be a lower-case identifier, got {modality.id!r}")
    if not modality.name.isidentifier() or modality.name != modality.name.upper():
        raise ValueError(f"modality name must be an upper-case identifier, got {modality.name!r}")
    with _lock:
        if not replace:
            if modality.id in _REGISTRY:
                raise ValueError(f"modality {modality.id!r} is already registered")
            if any(m.name == modality.name for m in _REGISTRY.values()):
                raise ValueError(f"modality name {modality.name!r} is already registered")
        _REGISTRY[modality.id] = modality
    return modality


def unregister_modality(modality_id: str) -> None:
    """Remove a modality (mainly for tests that register their own)."""
    with _lock:
        _REGISTRY.pop(modality_id, None)


_loaded_entry_points: set[tuple[str, str]] = set()


def _load() -> None:
    from zarr_benchmarks.data.modalities import _builtin  # noqa: F401  (registers)

    load_entry_points(ENTRY_POINT_GROUP, _loaded_entry_points)


#: imports the built-ins and entry points once, thread-safely (:class:`LoadOnce`)
_ensure_loaded = LoadOnce(_load)


def reload_entry_points() -> list[str]:
    """Load entry points of the ``zarr_benchmarks.data.modalities`` group not loaded yet.

    The registry reads entry points once, on first use; call this after installing
    a plugin in a running process (or in tests). Returns the names newly loaded.
    """
    _ensure_loaded()
    with _lock:
        return load_entry_points(ENTRY_POINT_GROUP, _loaded_entry_points)


def get_modality(modality_id: str) -> Modality:
    """Return the registered modality with this id (or member name, any case)."""
    _ensure_loaded()
    key = str(getattr(modality_id, "value", modality_id)).strip().lower()
    aliases = {"lightsheet": "light_sheet", "ct_scan": "ct", "twophoton": "two_photon"}
    key = aliases.get(key.replace("-", "_"), key.replace("-", "_"))
    try:
        return _REGISTRY[key]
    except KeyError:
        raise UnknownModalityError(
            f"unknown modality {modality_id!r}; known: {', '.join(sorted(_REGISTRY))}"
        ) from None


def list_modalities() -> list[Modality]:
    """All registered modalities: built-ins in their fixed order, then the others in
    registration order (stable however modules were first imported)."""
    _ensure_loaded()
    from zarr_benchmarks.data.modalities._builtin import BUILTIN_MODALITIES

    rank = {name: i for i, name in enumerate(BUILTIN_MODALITIES)}
    return sorted(_REGISTRY.values(), key=lambda m: rank.get(m.id, len(rank)))
