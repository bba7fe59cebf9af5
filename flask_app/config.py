"""Service configuration: environment variables prefixed ``ZARR_BENCHMARKS_``.

Every setting has an environment variable (``ZARR_BENCHMARKS_<NAME>``) and can be
overridden by the ``config`` mapping given to :func:`flask_app.create_app` (lower-case
names, e.g. ``{"instance_dir": "/srv/zb", "tokens": ["abc"]}``).

==================  =========================================================  ==============
variable            meaning                                                    default
==================  =========================================================  ==============
INSTANCE_DIR        folder for the working clone, spool, jobs DB, aggregate    ``./instance``
REMOTE              git URL of the results repository                          embedded bare
BRANCH              branch of the results repository                           ``main``
GIT_TOKEN           token for an https remote (sent as an HTTP header only)    none
TOKENS              comma list of accepted write (Bearer) tokens               none (open)
RATE_LIMIT          per-client limit on writes, e.g. ``600/minute``; ``none``  ``600/minute``
MAX_BODY            largest accepted request body in bytes (``K``/``M`` ok)    ``4M``
DEBUG               ``1``: Flask debug mode; the store commits but never pushes ``0``
DASK_SCHEDULER      address of a Dask scheduler that runs benchmark jobs       none
JOB_WORKERS         jobs run at the same time                                  ``1``
JOB_QUEUE_MAX       queued jobs accepted before answering 503                  ``64``
JOB_EXECUTOR        ``process`` (isolated) or ``thread`` for the local pool    ``process``
BATCH_MAX           most files per commit                                      ``2000``
PUSH_RETRY_MAX      longest wait between push retries, seconds                 ``30``
GIT_TIMEOUT         seconds a clone/fetch/push may run before it is killed     ``60``
GIT_LOCAL_TIMEOUT   seconds any other git command may run before it is killed  ``300``
PUSH_STALL_AFTER    ``/health`` is degraded when a push runs longer (seconds)  ``20``
AGGREGATE_DEBOUNCE  seconds between Parquet rebuilds after new contributions   ``10``
WAIT_SLOTS          requests that may wait for their push (``?wait``) at once  ``4``
WAIT_MAX            longest ``?wait=`` a client may ask for, in seconds        ``30``
TRUSTED_PROXIES     reverse proxies in front whose ``X-Forwarded-For`` is      ``0``
                    believed (the rate limit keys on the client they name)
==================  =========================================================  ==============
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "ZARR_BENCHMARKS_"


class ConfigError(ValueError):
    """A setting has an invalid value; the message names the variable."""


@dataclass(frozen=True)
class ServiceConfig:
    """Validated service settings (see the module docstring for the variables)."""

    instance_dir: Path = field(default_factory=lambda: Path("instance").resolve())
    remote: str | None = None
    branch: str = "main"
    git_token: str | None = field(default=None, repr=False)
    tokens: frozenset[str] = field(default=frozenset(), repr=False)
    rate_limit: str | None = "600/minute"
    max_body: int = 4 * 2**20
    debug: bool = False
    dask_scheduler: str | None = None
    job_workers: int = 1
    job_queue_max: int = 64
    job_executor: str = "process"
    batch_max: int = 2000
    push_retry_max: float = 30.0
    git_timeout: float = 60.0
    git_local_timeout: float = 300.0
    push_stall_after: float = 20.0
    aggregate_debounce: float = 10.0
    wait_slots: int = 4
    wait_max: float = 30.0
    trusted_proxies: int = 0

    @property
    def embedded_remote(self) -> bool:
        """True when no remote is configured and a local bare repository is used."""
        return not self.remote


def _parse_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{PREFIX}{name.upper()}: expected 1/0/true/false, got {value!r}")


def _parse_size(name: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        match = re.fullmatch(r"\s*(\d+)\s*([kKmMgG]?)(i?[bB])?\s*", str(value))
        if not match:
            raise ConfigError(
                f"{PREFIX}{name.upper()}: expected bytes like 4194304 or 4M, got {value!r}"
            )
        size = (
            int(match.group(1))
            * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[match.group(2).lower()]
        )
    if size < 1024:
        raise ConfigError(f"{PREFIX}{name.upper()}: must be at least 1024 bytes, got {size}")
    return size


def _parse_number(name: str, value: Any, *, integer: bool, minimum: float) -> Any:
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{PREFIX}{name.upper()}: expected {kind}, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{PREFIX}{name.upper()}: must be >= {minimum}, got {number}")
    return number


def _parse_tokens(value: Any) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else list(value or ())
    return frozenset(t.strip() for t in items if str(t).strip())


def _parse_rate_limit(value: Any) -> str | None:
    text = str(value or "").strip()
    if text.lower() in {"", "none", "off", "0"}:
        return None
    from limits import parse_many  # flask-limiter's own parser: fail early on bad syntax

    try:
        parse_many(text)
    except ValueError:
        raise ConfigError(
            f"{PREFIX}RATE_LIMIT: expected e.g. '600/minute' or '10 per second', got {text!r}"
        ) from None
    return text


def _check_remote(value: Any) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme in {"http", "https"} and parts.password:
        # A token in the URL would be stored in .git/config and shown in errors.
        raise ConfigError(
            f"{PREFIX}REMOTE: do not put credentials in the URL; set {PREFIX}GIT_TOKEN instead"
        )
    return text


_INT = {"job_workers": 0, "job_queue_max": 1, "batch_max": 1, "wait_slots": 0}
_INT["trusted_proxies"] = 0
_FLOAT = {"push_retry_max": 0.1, "aggregate_debounce": 0.0, "wait_max": 0.0}
_FLOAT.update(git_timeout=0.5, git_local_timeout=1.0, push_stall_after=0.0)


def load_config(
    overrides: Mapping[str, Any] | ServiceConfig | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServiceConfig:
    """Build the configuration from the environment and explicit overrides.

    Parameters
    ----------
    overrides
        A :class:`ServiceConfig` (used as is) or a mapping of lower-case setting names
        that take precedence over the environment.
    environ
        The environment to read (default ``os.environ``).

    Raises
    ------
    ConfigError
        If a value is invalid or a setting name is unknown.
    """
    if isinstance(overrides, ServiceConfig):
        return overrides
    env = os.environ if environ is None else environ
    known = {f.name for f in fields(ServiceConfig)}
    raw: dict[str, Any] = {}
    for name in known:
        value = env.get(PREFIX + name.upper())
        if value is not None and value != "":
            raw[name] = value
    for name, value in (overrides or {}).items():
        key = name.lower()
        if key not in known:
            raise ConfigError(f"unknown setting {name!r}; known: {', '.join(sorted(known))}")
        raw[key] = value

    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "instance_dir":
            values[name] = Path(value).expanduser().resolve()
        elif name == "remote":
            values[name] = _check_remote(value)
        elif name == "branch":
            branch = str(value).strip()
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,100}", branch) or ".." in branch:
                raise ConfigError(f"{PREFIX}BRANCH: not a valid branch name: {value!r}")
            values[name] = branch
        elif name == "git_token":
            values[name] = str(value).strip() or None
        elif name == "tokens":
            values[name] = _parse_tokens(value)
        elif name == "rate_limit":
            values[name] = _parse_rate_limit(value)
        elif name == "max_body":
            values[name] = _parse_size(name, value)
        elif name == "debug":
            values[name] = _parse_bool(name, value)
        elif name == "dask_scheduler":
            values[name] = str(value).strip() or None
        elif name == "job_executor":
            executor = str(value).strip().lower()
            if executor not in {"process", "thread"}:
                raise ConfigError(
                    f"{PREFIX}JOB_EXECUTOR: expected 'process' or 'thread', got {value!r}"
                )
            values[name] = executor
        elif name in _INT:
            values[name] = _parse_number(name, value, integer=True, minimum=_INT[name])
        elif name in _FLOAT:
            values[name] = _parse_number(name, value, integer=False, minimum=_FLOAT[name])
    return replace(ServiceConfig(), **values)
