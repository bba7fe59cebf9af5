"""``zarr-benchmarks serve``: run the contribution service (waitress by default)."""

from __future__ import annotations

import json
import logging
import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from zarr_benchmarks.cli._common import fail


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
        threads: Annotated[
            int, typer.Option(min=1, max=256, help="Request threads (waitress).")
        ] = 16,
        instance_dir: Annotated[
            Path | None,
            typer.Option(help="Instance folder (setting INSTANCE_DIR)."),
        ] = None,
        remote: Annotated[
            str | None,
            typer.Option(
                help="Results repository URL (setting REMOTE); "
                "default: an embedded bare repository in the instance folder."
            ),
        ] = None,
        debug: Annotated[
            bool, typer.Option("--debug", help="Debug mode: commit but never push.")
        ] = False,
        dev: Annotated[
            bool, typer.Option("--dev", help="Use Flask's development server instead.")
        ] = False,
    ) -> None:
        """Serve the contribution API (POST /contribute, /results, /docs, jobs).

        Every setting is also an environment variable ZARR_BENCHMARKS_<SETTING>, e.g.
        ZARR_BENCHMARKS_INSTANCE_DIR (all of them: docs/service.md).
        """
        from flask_app import ConfigError, create_app
        from flask_app.store import StoreError

        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        overrides: dict[str, Any] = {}
        if instance_dir is not None:
            overrides["instance_dir"] = instance_dir
        if remote is not None:
            overrides["remote"] = remote
        if debug:
            overrides["debug"] = True
        try:
            flask_app = create_app(overrides)
        except ConfigError as exc:
            fail(str(exc), 2)
        except StoreError as exc:
            fail(str(exc), 1)

        def _terminate(signum: int, frame: Any) -> None:
            raise SystemExit(0)  # leave the server loop so `finally` flushes the store

        signal.signal(signal.SIGTERM, _terminate)
        try:
            if dev:
                flask_app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
            else:
                config = flask_app.extensions["zarr_benchmarks"].config
                if config.wait_slots >= threads:
                    logging.getLogger(__name__).warning(
                        "ZARR_BENCHMARKS_WAIT_SLOTS=%d >= --threads %d: requests waiting "
                        "for a push (?wait) can take every request thread",
                        config.wait_slots,
                        threads,
                    )
                _waitress(flask_app, host, port, threads, config.max_body).run()
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1)
        finally:
            from flask_app import shutdown

            shutdown(flask_app)


def _waitress(flask_app: Any, host: str, port: int, threads: int, max_body: int) -> Any:
    """A waitress server that refuses an oversized body itself, answering JSON errors.

    ``max_request_body_size`` makes waitress answer 413 from the ``Content-Length``
    header (or as soon as a chunked body passes the limit) instead of reading and
    buffering the whole body before Flask's ``MAX_CONTENT_LENGTH`` check could run.
    The errors waitress answers itself (413, 400 for a malformed request) are JSON like
    the app's own.
    """
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer, create_server
    from waitress.task import ErrorTask

    class JsonErrorTask(ErrorTask):
        def execute(self) -> None:
            error: Any = getattr(self.request, "error", None)
            detail = str(error.body)
            if error.code == 413:
                detail = (
                    f"the request body is larger than {max_body} bytes (ZARR_BENCHMARKS_MAX_BODY)"
                )
            body = json.dumps({"error": error.reason, "detail": detail}).encode()
            self.status = f"{error.code} {error.reason}"
            self.response_headers = [("Content-Type", "application/json")]
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class JsonErrorChannel(HTTPChannel):
        error_task_class = JsonErrorTask

    server = create_server(
        flask_app,
        host=host,
        port=port,
        threads=threads,
        ident="zarr-benchmarks",
        clear_untrusted_proxy_headers=True,
        # waitress refuses a body of this many bytes or more
        max_request_body_size=max_body + 1,
    )
    for listener in [server, *getattr(server, "map", {}).values()]:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = JsonErrorChannel
    return server
