"""The HTTP front: the app on gunicorn (never Flask's development server).

The build is checked before any worker starts, so a missing or corrupt build stops the command
with a clear message (exit code 2) instead of workers failing one by one.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

from karabakh_kg import releases
from karabakh_kg.web import sandbox


def verify_release(settings: dict) -> releases.Release:
    """Open the release and its engine once, to fail early and clearly (raises ReleaseError/ValueError)."""
    from karabakh_kg.web import engines

    release = releases.open_current(settings["BUILD_DIR"])
    releases.verify(release)  # every checksum the manifest records: a flipped byte is refused here
    sandbox.check_budget(settings)
    engine = engines.create(settings["ENGINE"], release, settings)
    if engine.name == "oxigraph" and not release.store.is_dir():
        raise releases.ReleaseError(f"{release.store}: missing; the build is incomplete, rebuild it")
    if engine.isolated:
        # Enter the sandbox and open the store in a throw-away child, as every query process will:
        # a host where the sandbox cannot be set up stops here. RocksDB state must not leak into
        # forked workers either.
        context = multiprocessing.get_context("fork")
        parent, child = context.Pipe()
        process = context.Process(target=_try_open, args=(engine, sandbox.Limits.from_settings(settings), child))
        process.start()
        child.close()
        try:
            message = parent.recv() if parent.poll(30) else f"{release.store}: the store did not open within 30 s"
        except (EOFError, OSError):
            process.join(5)
            message = (
                f"{release.store}: the Oxigraph store is corrupt (opening it crashed, exit code "
                f"{process.exitcode}); rebuild it"
            )
        process.join(5)
        if process.is_alive():
            process.kill()
        if message:
            raise releases.ReleaseError(message)
    return release


def _preload_modules() -> None:
    """Import the app's modules once in the master, so each worker forks with them loaded.

    Only modules: every worker still creates its own app from the pinned release, so a SIGHUP
    reload serves the new build (gunicorn's preload_app would keep the master's old app).
    """
    import importlib

    from karabakh_kg.web import app

    for spec in app.BLUEPRINTS:
        importlib.import_module(spec.partition(":")[0])


def _try_open(engine, limits, conn) -> None:
    from karabakh_kg.web.engines import EngineError

    try:
        sandbox.enter(limits)
    except (sandbox.SandboxError, OSError) as err:
        conn.send(
            f"the query processes' sandbox cannot be set up here ({err}); serving without it needs "
            "`--allow-network` (KARABAKH_KG_ALLOW_NETWORK=1), which lets a query reach the network"
        )
        return
    try:
        engine.open()
        conn.send("")
    except EngineError as err:
        conn.send(str(err))


def unavailable(environ, start_response):
    """The WSGI app of a worker that could not open its release: 503 for everything, never a crash.

    gunicorn halts the whole server when a worker fails to boot; a worker answering 503 keeps the
    master (and the other workers) up, and the log says why.
    """
    body = b"503 Service Unavailable: the server cannot open its dataset right now; try again later.\n"
    start_response(
        "503 Service Unavailable",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), ("Retry-After", "5")],
    )
    return [body]


def serve(settings: dict, release: releases.Release, overrides: dict) -> None:
    """Run gunicorn with the app on `release` until it is stopped; SIGHUP re-checks and reloads."""
    from gunicorn.app.base import BaseApplication

    host, port, workers, threads = settings["HOST"], settings["PORT"], settings["WORKERS"], settings["THREADS"]

    class Application(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", [f"{host}:{port}"])
            self.cfg.set("workers", max(1, workers))
            self.cfg.set("threads", max(1, threads))
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("timeout", int(settings["QUERY_TIMEOUT"]) + 30)
            self.cfg.set("graceful_timeout", 5)
            self.cfg.set("keepalive", 5)
            self.cfg.set("accesslog", None)
            self.cfg.set("errorlog", "-")
            self.cfg.set("proc_name", "karabakh-kg")
            self.cfg.set("control_socket_disable", True)
            self.cfg.set("forwarded_allow_ips", settings["TRUSTED_PROXIES"])  # scheme headers: only from these
            self.pin()

        def pin(self) -> None:
            """At start and on SIGHUP: check `current` and pin the workers to that release. A broken
            build is refused with a log line and the last good release stays served (workers that
            failed to boot on it would make gunicorn halt the whole server)."""
            nonlocal release
            if pinned.exists():
                try:
                    release = verify_release(settings)
                except (releases.ReleaseError, ValueError) as err:
                    logging.getLogger("karabakh_kg.serve").error(
                        "reload refused, still serving %s: %s", release.version, err
                    )
                    return
            link = pinned.parent / ".current-new"
            if link.is_symlink():
                link.unlink()
            os.symlink(release.path.resolve(), link)
            os.replace(link, pinned)
            releases.mark_served(settings["BUILD_DIR"], release)  # no build prunes what is served

        def load(self):
            from karabakh_kg.web.app import create_app

            try:
                app = create_app({**overrides, "BUILD_DIR": str(pinned.parent)})
            except Exception as err:  # noqa: BLE001 - a worker that cannot boot must not halt the master
                logging.getLogger("karabakh_kg.serve").error("a web worker cannot open its release: %s", err)
                return unavailable
            try:  # one query process ready before the first request, not started by it
                app.extensions["karabakh_kg"].runner.warm(timeout=10, count=1)
            except Exception as err:  # noqa: BLE001 - the first query will try again
                logging.getLogger("karabakh_kg.serve").warning("could not start a query process: %s", err)
            return app

    # The workers open the release pinned here, never `current` directly: a worker restarted after
    # a crash serves the same release as its siblings even if a new build has landed meanwhile.
    pin_dir = Path(tempfile.mkdtemp(prefix="karabakh-kg-serve-"))
    pinned = pin_dir / "current"
    master = os.getpid()
    atexit.register(lambda: os.getpid() == master and shutil.rmtree(pin_dir, ignore_errors=True))
    served_mark = Path(settings["BUILD_DIR"]) / releases.SERVED / str(master)
    atexit.register(lambda: os.getpid() == master and served_mark.unlink(missing_ok=True))
    _preload_modules()
    Application().run()
