"""Zarr implementations the suite can measure: zarr-python (default), TensorStore,
and zarr-python with the zarrs (Rust) codec pipeline.

Every implementation exposes the same open-handle API, so the timed region of a
benchmark holds only the library call:

- ``create_array(path, shape, dtype, settings)`` / ``open_array(path)`` (untimed)
  return a handle;
- ``write(handle, data)``, ``read(handle)``, ``read_selection(handle, sel)`` are the
  timed calls;
- ``available()`` and ``supports(settings, dtype)`` return ``(ok, reason)`` so a
  missing library or an untranslatable codec is skipped with a clear reason.

Optional implementations are install extras
(``pip install -e '.[tensorstore,zarrs]'``); :func:`require` raises
:class:`ImplementationUnavailable`, a ``NotImplementedError`` (what asv reports as
a skipped benchmark), when one cannot run.

Examples
--------
>>> from zarr_benchmarks.suite.implementations import get_implementation
>>> get_implementation("zarr-python").name
'zarr-python'
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np

from zarr_benchmarks._once import LoadOnce
from zarr_benchmarks.suite.zarr_io import ArraySettings

DEFAULT_IMPLEMENTATION = "zarr-python"


class UnknownImplementationError(ValueError):
    """Raised for an implementation name nobody registered."""


class ImplementationUnavailable(NotImplementedError):
    """An implementation is not installed, or cannot express the requested settings."""


@runtime_checkable
class Implementation(Protocol):
    """What each implementation module provides (see the module docstring)."""

    #: stable name used as the asv parameter and in results
    name: str
    #: the pip extra that installs it (``None`` for the default)
    extra: str | None

    def available(self) -> tuple[bool, str]:
        """Whether the library can be imported, and why not."""
        ...

    def supports(self, settings: ArraySettings, dtype: np.dtype) -> tuple[bool, str]:
        """Whether these codec/layout/format settings can be expressed, and why not."""
        ...

    def version(self) -> str | None:
        """The library version (``None`` when unavailable)."""
        ...

    def create_array(
        self, path: str | os.PathLike[str], shape: tuple[int, ...], dtype: Any, settings: Any
    ) -> Any:
        """Create an empty array (replacing anything at ``path``); return a handle."""
        ...

    def open_array(self, path: str | os.PathLike[str]) -> Any:
        """Open an existing array read-only; return a handle."""
        ...

    def write(self, handle: Any, data: np.ndarray) -> None:
        """Timed: write the whole array."""
        ...

    def read(self, handle: Any) -> np.ndarray:
        """Timed: read the whole array."""
        ...

    def read_selection(self, handle: Any, selection: tuple[Any, ...]) -> np.ndarray:
        """Timed: read a region."""
        ...

    def first_chunk_selection(self, handle: Any) -> tuple[slice, ...]:
        """The selection covering exactly the first (inner) chunk."""
        ...


_REGISTRY: dict[str, Implementation] = {}
#: guards changes to ``_REGISTRY``
_lock = threading.RLock()
_ALIASES = {"zarr": "zarr-python", "zarrpython": "zarr-python", "ts": "tensorstore"}


def _normalise(name: str) -> str:
    key = str(name).strip().lower().replace("_", "-")
    return _ALIASES.get(key, key)


def register_implementation(impl: Implementation, *, replace: bool = False) -> None:
    """Register an implementation under ``impl.name``."""
    if not isinstance(impl, Implementation):
        raise TypeError(f"{impl!r} does not provide the Implementation protocol")
    key = _normalise(impl.name)
    with _lock:
        if key in _REGISTRY and not replace:
            raise ValueError(f"implementation {impl.name!r} is already registered")
        _REGISTRY[key] = impl


def unregister_implementation(name: str) -> None:
    """Remove a registered implementation (no error if absent)."""
    with _lock:
        _REGISTRY.pop(_normalise(name), None)


def _load_builtins() -> None:
    from zarr_benchmarks.suite.implementations import tensorstore_impl, zarr_python, zarrs_impl

    with _lock:
        for module in (zarr_python, tensorstore_impl, zarrs_impl):
            _REGISTRY.setdefault(module.IMPLEMENTATION.name, module.IMPLEMENTATION)


#: imports the built-in implementations once, thread-safely (:class:`LoadOnce`)
_ensure_builtins = LoadOnce(_load_builtins)


def list_implementations() -> list[str]:
    """Names of every registered implementation, installed or not."""
    _ensure_builtins()
    return list(_REGISTRY)


def get_implementation(name: str | Implementation | None = None) -> Implementation:
    """The implementation called ``name`` (default zarr-python).

    Raises
    ------
    UnknownImplementationError
        For a name nobody registered; the message lists the known ones.
    """
    if name is None:
        name = DEFAULT_IMPLEMENTATION
    if not isinstance(name, str):
        if isinstance(name, Implementation):
            return name
        raise UnknownImplementationError(f"an implementation is a name, not {name!r}")
    _ensure_builtins()
    try:
        return _REGISTRY[_normalise(name)]
    except KeyError:
        raise UnknownImplementationError(
            f"unknown implementation {name!r}; known: {', '.join(_REGISTRY)}"
        ) from None


def require(
    impl: Implementation | str,
    settings: ArraySettings | None = None,
    dtype: Any = None,
) -> Implementation:
    """Return the implementation, or raise :class:`ImplementationUnavailable` with the
    reason it cannot run (not installed, or cannot express ``settings``)."""
    impl = get_implementation(impl)
    ok, reason = impl.available()
    if not ok:
        raise ImplementationUnavailable(f"{impl.name} is unavailable: {reason}")
    if settings is not None:
        ok, reason = impl.supports(settings, np.dtype(dtype if dtype is not None else "uint16"))
        if not ok:
            raise ImplementationUnavailable(f"{impl.name} cannot run this case: {reason}")
    return impl


def write_array(
    impl: Implementation | str,
    path: str | os.PathLike[str],
    data: np.ndarray,
    settings: ArraySettings,
) -> None:
    """Create an array at ``path`` with ``impl`` and write ``data`` into it (untimed helper)."""
    impl = require(impl, settings, data.dtype)
    handle = impl.create_array(path, data.shape, data.dtype, settings)
    impl.write(handle, data)


def read_array(impl: Implementation | str, path: str | os.PathLike[str]) -> np.ndarray:
    """Open the array at ``path`` with ``impl`` and read all of it (untimed helper)."""
    impl = require(impl)
    return np.asarray(impl.read(impl.open_array(path)))


__all__ = [
    "DEFAULT_IMPLEMENTATION",
    "IMPLEMENTATIONS_ENV",
    "Implementation",
    "ImplementationUnavailable",
    "UnknownImplementationError",
    "benchmark_implementations",
    "get_implementation",
    "list_implementations",
    "read_array",
    "register_implementation",
    "require",
    "unregister_implementation",
    "write_array",
]


IMPLEMENTATIONS_ENV = "ZARR_BENCHMARKS_IMPLEMENTATIONS"


def benchmark_implementations(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Implementations the asv suite parametrises over: every registered one (missing
    ones are skipped at set-up), or the comma-separated list in
    ``ZARR_BENCHMARKS_IMPLEMENTATIONS``.

    Raises
    ------
    UnknownImplementationError
        For a name in the environment variable that nobody registered.
    """
    env = os.environ if environ is None else environ
    chosen = [v.strip() for v in (env.get(IMPLEMENTATIONS_ENV) or "").split(",") if v.strip()]
    if not chosen:
        return tuple(list_implementations())
    return tuple(dict.fromkeys(get_implementation(name).name for name in chosen))
