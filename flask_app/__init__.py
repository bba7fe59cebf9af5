"""The zarr-benchmarks contribution service (Flask).

``create_app(config=None)`` builds the app: configuration from ``ZARR_BENCHMARKS_*``
environment variables (see :mod:`flask_app.config`), a git-backed results store
(:mod:`flask_app.store`), a persisted benchmark job queue (:mod:`flask_app.jobqueue`),
JSON errors, write tokens, a per-client rate limit, and an OpenAPI 3 document at
``/openapi.json`` with Swagger UI at ``/docs``.

Run it with ``zarr-benchmarks serve`` (waitress).
"""

from __future__ import annotations

import atexit
import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from flask_app.config import ConfigError, ServiceConfig, load_config

__all__ = ["ConfigError", "Service", "ServiceConfig", "create_app", "shutdown"]

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Service:
    """Everything a request handler needs, stored in ``app.extensions``."""

    config: ServiceConfig
    store: Any  # flask_app.store.ResultStore
    jobs: Any  # flask_app.jobqueue.JobManager
    limiter: Any

    def shutdown(self) -> None:
        """Stop the job workers and the store writer (flushes what is spooled)."""
        self.jobs.stop()
        self.store.stop()


def create_app(config: Mapping[str, Any] | ServiceConfig | None = None) -> Flask:
    """Create the service app and start its background workers.

    Parameters
    ----------
    config
        Settings overriding the environment (lower-case names, see
        :mod:`flask_app.config`), or a complete :class:`ServiceConfig`.

    Raises
    ------
    ConfigError
        If a setting is invalid.
    flask_app.store.StoreError
        If the store cannot be prepared (e.g. the instance folder is in use).
    """
    from flask_app import contribute, contributions, dashboard, docs, health, jobs, results
    from flask_app.errors import register_error_handlers
    from flask_app.jobqueue import JobManager
    from flask_app.store import ResultStore

    cfg = load_config(config)
    cfg.instance_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(cfg.instance_dir))
    app.config.update(
        MAX_CONTENT_LENGTH=cfg.max_body,
        DEBUG=cfg.debug,
        JSON_SORT_KEYS=True,
        PROPAGATE_EXCEPTIONS=False,
    )
    app.json.sort_keys = True  # type: ignore[attr-defined]
    if cfg.trusted_proxies:
        # Behind a reverse proxy every request comes from the proxy's address: believe
        # the last N X-Forwarded-For hops (and only then; a client could forge them).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=cfg.trusted_proxies)  # type: ignore[method-assign]

    limiter = _make_limiter(app, cfg)
    store = ResultStore(cfg)
    job_manager = JobManager(cfg, cfg.instance_dir / "jobs.sqlite")
    service = Service(cfg, store, job_manager, limiter)
    app.extensions["zarr_benchmarks"] = service

    register_error_handlers(app)
    docs.register_docs_templates(app)  # before flasgger: our offline templates win
    for module in (dashboard, contribute, results, health, jobs):
        app.register_blueprint(module.bp)
    if cfg.rate_limit and limiter is not None:
        limiter.limit(cfg.rate_limit, methods=["POST"])(contribute.bp)
        limiter.limit(cfg.rate_limit, methods=["POST"])(jobs.bp)
    app.register_blueprint(contributions.bp)  # GET /contributions/<id>
    docs.init_openapi(app)

    store.start()
    try:
        job_manager.start()
    except Exception:
        store.stop()
        raise
    dashboard.warm_up(app, store)
    _live.add(service)
    return app


def _make_limiter(app: Flask, cfg: ServiceConfig) -> Any:
    from flask_limiter import Limiter

    from flask_app.auth import client_key

    return Limiter(
        client_key,
        app=app,
        default_limits=[],
        storage_uri="memory://",
        headers_enabled=True,
        enabled=cfg.rate_limit is not None,
    )


def shutdown(app: Flask) -> None:
    """Stop the background workers of an app made by :func:`create_app`."""
    service = app.extensions.get("zarr_benchmarks")
    if service is not None:
        service.shutdown()
        _live.discard(service)


_live: weakref.WeakSet[Service] = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    for service in list(_live):
        try:
            service.shutdown()
        except Exception:  # interpreter exit: best effort, the spool keeps the data
            log.debug("shutdown failed", exc_info=True)
