"""The application factory: settings, the release being served, its engine, and the routes."""

from __future__ import annotations

import atexit
import importlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from karabakh_kg import config, releases
from karabakh_kg.web import engines, host_header, sandbox
from karabakh_kg.web.cache import LRUCache
from karabakh_kg.web.fastpath import FastPath, ReplayStore
from karabakh_kg.web.query_pool import InlineRunner, QueryPool

# The routes, one blueprint per area, registered in this order. Add yours with one line.
BLUEPRINTS = (
    "karabakh_kg.web.views.health:bp",
    "karabakh_kg.web.views.sparql:bp",
    "karabakh_kg.web.views.queries:bp",
    "karabakh_kg.web.views.linked_data:bp",
    "karabakh_kg.web.views.pages:bp",
)

access_log = logging.getLogger("karabakh_kg.access")


@dataclass
class State:
    """Everything a request needs, held in `app.extensions["karabakh_kg"]`."""

    settings: dict[str, Any]
    release: releases.Release
    engine: engines.Engine
    runner: Any  # QueryPool or InlineRunner
    cache: LRUCache
    base: str
    # Renders the HTML query page, `query_page(query_text_or_None) -> Response`. The linked-data
    # views replace it (e.g. from a blueprint's `record_once`); the default is a plain form.
    query_page: Callable[[str | None], Response] | None = None
    started: float = field(default_factory=time.time)

    @property
    def version(self) -> str:
        return self.release.version


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app serving `<BUILD_DIR>/current`; raise ReleaseError if there is no good build."""
    app = Flask(__name__)
    settings = config.load(test_config)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_BODY_BYTES"]
    release = releases.open_current(settings["BUILD_DIR"])
    engine = engines.create(settings["ENGINE"], release, settings)
    engine.prepare()
    limits = sandbox.Limits.from_settings(settings)
    runner = (
        QueryPool(engine, settings["QUERY_PROCESSES"], limits, settings["QUERY_QUEUE"])
        if engine.isolated
        else InlineRunner(engine, limits, settings["QUERY_PROCESSES"] + settings["QUERY_QUEUE"])
    )
    atexit.register(runner.close)
    state = State(
        settings=settings,
        release=release,
        engine=engine,
        runner=runner,
        cache=LRUCache(settings["CACHE_BYTES"], settings["CACHE_MAX_BYTES"], settings["CACHE_ENTRIES"]),
        base=settings["PUBLIC_BASE"] or release.manifest["base"],
    )
    app.extensions["karabakh_kg"] = state
    host_header.before_routing(app)
    for spec in BLUEPRINTS:
        module_name, _, attr = spec.partition(":")
        app.register_blueprint(getattr(importlib.import_module(module_name), attr))
    _install_hooks(app)
    host_header.install(app, settings)
    replay = ReplayStore(settings["CACHE_BYTES"], settings["CACHE_MAX_BYTES"], settings["CACHE_ENTRIES"])
    app.extensions["karabakh_kg_fastpath"] = app.wsgi_app = FastPath(app.wsgi_app, replay, settings["ACCESS_LOG"])
    return app


def state() -> State:
    from flask import current_app

    return current_app.extensions["karabakh_kg"]


def text_response(status: int, message: str, headers: dict | None = None) -> Response:
    """A plain-text answer (errors are always text/plain, never HTML, never a stack trace)."""
    response = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    if headers:
        response.headers.update(headers)
    return response


def _install_hooks(app: Flask) -> None:
    min_gzip = app.config["GZIP_MIN_BYTES"]
    log_enabled = app.config["ACCESS_LOG"]

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        if (
            not getattr(response, "encoded", False)
            and response.status_code == 200
            and not response.direct_passthrough
            and "Content-Encoding" not in response.headers
            and request.method != "HEAD"
        ):
            body = response.get_data()
            if len(body) >= min_gzip and request.accept_encodings["gzip"] > 0:
                import gzip

                response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
                response.headers["Content-Encoding"] = "gzip"
            response.vary.add("Accept-Encoding")
        if log_enabled:
            request.environ["karabakh_kg.log"] = _log(response)
        return response

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        response = text_response(err.code or 500, f"{err.code} {err.name}: {err.description}")
        if err.code == 405 and getattr(err, "valid_methods", None):
            response.headers["Allow"] = ", ".join(err.valid_methods)
        return response

    @app.errorhandler(Exception)
    def internal_error(err: Exception):
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return text_response(500, "500 Internal Server Error: the error was logged.")


def _log(response: Response) -> dict:
    started = getattr(g, "started", None)
    record = {
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule else request.path,
        "path": request.path,
        "status": response.status_code,
        "query_hash": getattr(g, "query_hash", None),
        "format": getattr(g, "format", None),
        "rows": getattr(g, "rows", None),
        "truncated": getattr(g, "truncated", False),
        "cache": getattr(g, "cache", None),
        "ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
    }
    access_log.info(json.dumps(record, separators=(",", ":")))
    return record
