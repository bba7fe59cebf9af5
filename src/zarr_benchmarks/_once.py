"""Loading on first use: a registry's built-ins and entry points once, safely across
threads (:class:`LoadOnce`), and a package's public names (:func:`lazy_attributes`).

Every registry (codecs, modalities, readers, implementations) imports its built-in
modules on first use. Marking a registry loaded *before* those imports finish lets a
concurrent first lookup see it empty (16 threads at start-up: 15 rejected); marking it
after, without a lock, imports twice. :class:`LoadOnce` does it once: other threads wait
until loading has finished, the loading thread's own re-entrant calls (the built-ins
registering themselves) return at once, and a load that failed is tried again.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

__all__ = ["LoadOnce", "lazy_attributes", "load_entry_points"]


class LoadOnce:
    """Call ``load`` the first time this object is called, once, thread-safely."""

    def __init__(self, load: Callable[[], object]) -> None:
        self._load = load
        self._lock = threading.RLock()
        self._done = False
        self._loading = False

    @property
    def done(self) -> bool:
        """Whether loading has finished."""
        return self._done

    def __call__(self) -> None:
        if self._done:
            return
        with self._lock:
            if self._done or self._loading:
                return
            self._loading = True
            try:
                self._load()
                self._done = True
            finally:
                self._loading = False


def load_entry_points(group: str, seen: set[tuple[str, str]]) -> list[str]:
    """Call each entry point of ``group`` not in ``seen`` (name, value) and add it there;
    return the names newly loaded."""
    loaded = []
    for ep in entry_points(group=group):
        key = (ep.name, ep.value)
        if key in seen:
            continue
        seen.add(key)
        ep.load()()
        loaded.append(ep.name)
    return loaded


def lazy_attributes(
    namespace: dict[str, Any], public: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose public names load on first use.

    ``public`` maps each name to the module (absolute) that defines it; ``namespace`` is
    the package's ``globals()``, where a loaded name is kept so later lookups are plain.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = public.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*namespace, *public])

    return __getattr__, __dir__
