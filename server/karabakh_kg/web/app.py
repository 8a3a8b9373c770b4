"""The application factory: settings, the release being served, its engine, and the routes."""

from __future__ import annotations

import atexit
import gzip
import time
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from karabakh_kg import config, releases
from karabakh_kg.web import access_log, engines, host_header, sandbox
from karabakh_kg.web.cache import LRUCache
from karabakh_kg.web.fastpath import FastPath, ReplayStore
from karabakh_kg.web.misslane import MissLane
from karabakh_kg.web.pattern_lane import PatternLane
from karabakh_kg.web.query_pool import InlineRunner, QueryPool
from karabakh_kg.web.record import current as record
from karabakh_kg.web.state import State
from karabakh_kg.web.views import graph_store, health, htmlpage, linked_data, pages, queries, reconcile, search, sparql
from karabakh_kg.web.views.responses import text_response

# The routes, one blueprint per area, registered in this order.
BLUEPRINTS = (health.bp, sparql.bp, graph_store.bp, queries.bp, linked_data.bp, pages.bp, search.bp, reconcile.bp)
# A plain dataset (`serve --dataset`) gets the SPARQL routes, the Graph Store read side and /health only.
DATASET_BLUEPRINTS = BLUEPRINTS[:3]


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
        lane=PatternLane.for_engine(engine, limits, settings["PATTERN_LANE"]),
        cache=LRUCache(settings["CACHE_BYTES"], settings["CACHE_MAX_BYTES"], settings["CACHE_ENTRIES"]),
        replay=ReplayStore(settings["CACHE_BYTES"], settings["CACHE_MAX_BYTES"], settings["CACHE_ENTRIES"]),
        base=settings["PUBLIC_BASE"] or release.manifest["base"],
    )
    app.extensions["karabakh_kg"] = state
    host_header.before_routing(app)
    for blueprint in DATASET_BLUEPRINTS if release.plain else BLUEPRINTS:
        app.register_blueprint(blueprint)
    htmlpage.init_app(app)
    _install_hooks(app)
    host_header.install(app, settings)
    app.wsgi_app = FastPath(app.wsgi_app, state.replay, settings["ACCESS_LOG"], MissLane(state))
    return app


def _install_hooks(app: Flask) -> None:
    min_gzip = app.config["GZIP_MIN_BYTES"]
    log_enabled = app.config["ACCESS_LOG"]

    @app.before_request
    def start_timer():
        record().started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        if (
            not record().encoded
            and response.status_code == 200
            and not response.direct_passthrough
            and "Content-Encoding" not in response.headers
            and request.method != "HEAD"
        ):
            body = response.get_data()
            if len(body) >= min_gzip and request.accept_encodings["gzip"] > 0:
                response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
                response.headers["Content-Encoding"] = "gzip"
            response.vary.add("Accept-Encoding")
        if log_enabled:
            record().log = _log(response)
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
    rec = record()
    line = {
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule else request.path,
        "path": request.path,
        "status": response.status_code,
        "query_hash": rec.query_hash,
        "format": rec.format,
        "rows": rec.rows,
        "truncated": rec.truncated,
        "cache": rec.cache,
        "ms": round((time.perf_counter() - rec.started) * 1000, 2) if rec.started else None,
    }
    access_log.write(line)
    return line
