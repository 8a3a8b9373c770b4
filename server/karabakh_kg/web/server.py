"""The HTTP front: the app on granian (default) or gunicorn, never Flask's development server.

granian was chosen by measurement (docs/benchmarks.md, "HTTP fronts"): it is the fastest front
measured here and the only one that both keeps slow clients off the Python threads and closes
them after `CLIENT_TIMEOUT`, while replacing a killed worker and reloading on SIGHUP.

The build is checked before any worker starts, so a missing or corrupt build stops the command
with a clear message (exit code 2) instead of workers failing one by one.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import logging
import multiprocessing
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

from karabakh_kg import releases
from karabakh_kg.web import affinity, sandbox

log = logging.getLogger("karabakh_kg.serve")


def verify_release(settings: dict) -> releases.Release:
    """Open the release and its engine once, to fail early and clearly (raises ReleaseError/ValueError).

    An isolated engine is opened in a throw-away child that enters the sandbox first, as every
    query process will: a host where the sandbox cannot be set up stops here, and RocksDB state
    never leaks into the forked workers.
    """
    from karabakh_kg.web import engines

    release = releases.open_current(settings["BUILD_DIR"])
    releases.verify(release)  # every checksum the manifest records: a flipped byte is refused here
    sandbox.check_budget(settings)
    engine = engines.create(settings["ENGINE"], release, settings)
    engine.verify()
    if engine.isolated:
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
    from karabakh_kg.web import app  # noqa: F401 - imports every view with it


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
    """Serve `release` on the configured front until stopped; SIGHUP re-checks `current` and reloads.

    The workers open the release pinned in a private folder, never `current` directly: a worker
    restarted after a crash serves the same release as its siblings even if a new build has landed.
    """
    pin_dir = Path(tempfile.mkdtemp(prefix="karabakh-kg-serve-"))
    pinned = Pinned(pin_dir / "current", settings, release)
    master = os.getpid()
    atexit.register(lambda: os.getpid() == master and shutil.rmtree(pin_dir, ignore_errors=True))
    served_mark = Path(settings["BUILD_DIR"]) / releases.SERVED / str(master)
    atexit.register(lambda: os.getpid() == master and served_mark.unlink(missing_ok=True))
    pid_file = Path(settings["PID_FILE"]) if settings.get("PID_FILE") else None
    if pid_file is not None:  # read by `karabakh-kg reload` (SIGHUP to this process, on either front)
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        pid_file.write_text(f"{master}\n", encoding="utf-8")
        atexit.register(lambda: os.getpid() == master and pid_file.unlink(missing_ok=True))
    _preload_modules()
    front = settings["SERVER"]
    if front == "granian":
        _serve_granian(settings, pinned, {**overrides, "BUILD_DIR": str(pin_dir)})
    elif front == "gunicorn":
        _serve_gunicorn(settings, pinned, {**overrides, "BUILD_DIR": str(pin_dir)})
    else:
        raise ValueError(f"KARABAKH_KG_SERVER={front!r}: use granian or gunicorn")


class Pinned:
    """The release the workers serve: a symlink moved only after the new build passed its checks."""

    def __init__(self, link: Path, settings: dict, release: releases.Release):
        self.link, self.settings, self.release = link, settings, release
        self.update()

    def update(self) -> None:
        """At start and on SIGHUP: check `current` and pin it. A broken build is refused with a log
        line and the last good release stays served (workers failing to boot on it could make the
        front halt the whole server)."""
        if self.link.exists():
            try:
                self.release = verify_release(self.settings)
            except (releases.ReleaseError, ValueError) as err:
                log.error("reload refused, still serving %s: %s", self.release.version, err)
                return
        staged = self.link.parent / ".current-new"
        if staged.is_symlink():
            staged.unlink()
        os.symlink(self.release.path.resolve(), staged)
        os.replace(staged, self.link)
        releases.mark_served(self.settings["BUILD_DIR"], self.release)  # no build prunes what is served


def load_app(settings: dict):
    """In each web worker: the app on the pinned release, with one query process started.

    Never raises: a worker that cannot create the app serves 503s and says why in the log, so a
    front that stops after repeated boot failures is never brought down by a bad release.
    """
    from karabakh_kg.web.app import create_app

    try:
        app = create_app(settings)
    except Exception as err:  # noqa: BLE001 - any failure becomes a logged 503, never a dead server
        log.error("this worker cannot serve (answering 503): %s", err)
        return _unavailable
    try:  # one query process ready before the first request, not started by it
        app.extensions["karabakh_kg"].runner.warm(timeout=10, count=1)
    except Exception as err:  # noqa: BLE001 - the first query will try again
        log.warning("could not start a query process: %s", err)
    return app


class Reconnect:
    """granian only: every `every`-th answer of a web worker asks its client to reconnect.

    All workers accept from one shared listening socket, and whichever wakes first takes a whole
    burst of new connections: 8 kept-alive clients can all land on one worker, which then runs at
    one core while the other idles (measured: 2,400 against 3,900 req/s). `Connection: close` on
    one answer in `every` makes a client open a new connection now and then, and the idle worker,
    waiting in its accept loop, is the one that takes it, so the load spreads again. Apache
    (MaxKeepAliveRequests 100) and nginx (keepalive_requests) limit kept-alive connections the
    same way; clients reconnect on `Connection: close` by HTTP/1.1. A hop-by-hop header is the
    server's business (PEP 3333), so this wraps the app only where granian serves it, and granian
    honours it; the app itself never sends one.
    """

    def __init__(self, app, every: int):
        self.app = app
        self.every = every
        self._answers = itertools.count(1)  # next() on it is atomic under the GIL

    def __call__(self, environ, start_response):
        if next(self._answers) % self.every:
            return self.app(environ, start_response)

        def closing(status, headers, exc_info=None):
            headers = [*headers, ("Connection", "close")]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, closing)


def _unavailable(environ, start_response):
    body = b"The server cannot open its dataset; the operator has been told in the log. Try again later.\n"
    start_response(
        "503 Service Unavailable",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(body))), ("Retry-After", "5")],
    )
    return [body]


def _pinned(cpus: set[int], loader):
    """In a new granian worker, before its app, runtime threads and query processes start."""
    affinity.pin(cpus)
    return loader()


def _shared_socket_granian():
    """granian with one listening socket, bound by the master and inherited by every worker.

    On Linux granian otherwise binds one SO_REUSEPORT socket per worker: the kernel then hands a
    fixed share of new connections to each worker, so connections queued on a worker that is
    killed are reset, and a worker busy with runaway queries still gets its share. One shared
    queue loses nothing when a worker dies and lets idle workers take the load. It also lets
    `--port 0` bind once and log the port really bound.
    """
    from granian import Granian
    from granian.net import SocketSpec

    class SharedSocketGranian(Granian):
        last_respawn: dict[int, float] = {}
        pin_workers = False  # PIN_WORKERS: each worker (by its index, kept when it is replaced) on its CPU share

        def _spawn_worker(self, idx, target, callback_loader):
            if self.pin_workers:
                cpus = affinity.share(affinity.allowed(), idx, self.workers)
                callback_loader = functools.partial(_pinned, cpus, callback_loader)
            return super()._spawn_worker(idx, target, callback_loader)

        def _init_shared_socket(self):  # granian's own path on platforms without SO_REUSEPORT
            self._ssp = None
            self._shd = SocketSpec(self.bind_addr, self.bind_port, self.backlog).build()
            self._sfd = self._shd.get_fd()
            self._sso = socket.socket(fileno=self._sfd)
            self._sso.set_inheritable(True)
            self.bind_port = self._sso.getsockname()[1]

        def _respawn_workers(self, workers, spawn_target, target_loader, delay: float = 0):
            """Replace dead workers however often they die (granian stops the whole server when a
            worker dies twice within 5.5 s); one dying again and again is retried once a second."""
            if any(time.monotonic() - self.last_respawn.get(i, -60.0) < 5.5 for i in workers):
                time.sleep(1.0)
            super()._respawn_workers(workers, spawn_target, target_loader, delay)
            self.last_respawn.update(dict.fromkeys(workers, time.monotonic()))
            self.respawned_wrks.clear()

        def _reload(self, spawn_target, target_loader):
            """SIGHUP: start every new worker, then stop every old one at once, as gunicorn does. The
            old ones stop accepting and finish what they serve; new connections wait in the shared
            queue until a new worker takes them, so no client sees an old answer after a new one."""
            log.info("SIGHUP: replacing the workers")
            self.reload_signal = False
            self.respawned_wrks.clear()
            self.main_loop_interrupt.clear()
            self._call_hooks(self.hooks_reload)
            old, self.wrks = self.wrks, []
            self._spawn_workers(spawn_target, target_loader)
            for worker in old:
                worker.terminate()
            for worker in old:
                worker.join(self.workers_kill_timeout)
                if worker.is_alive():
                    worker.kill()
                    worker.join()

    return SharedSocketGranian


def _serve_granian(settings: dict, pinned: Pinned, app_settings: dict) -> None:
    """granian: Rust (tokio/hyper) reads and writes every connection, so slow or idle clients hold no
    Python thread; WSGI calls run on BLOCKING threads per worker; a dead worker is respawned."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    server = _shared_socket_granian()(
        "karabakh_kg",  # not imported by name: the loader below builds the app
        address=settings["HOST"],
        port=settings["PORT"],
        interface=Interfaces.WSGI,
        http=HTTPModes.http1,
        workers=max(1, settings["WORKERS"]),
        blocking_threads=max(1, settings["THREADS"]),
        http1_settings=HTTP1Settings(header_read_timeout=min(60_000, max(1, int(settings["CLIENT_TIMEOUT"] * 1000)))),
        respawn_failed_workers=True,
        workers_kill_timeout=int(settings["QUERY_TIMEOUT"]) + 5,
        log_access=False,
    )
    server.pin_workers = settings["PIN_WORKERS"]
    server.on_reload(pinned.update)
    every = settings["RECONNECT_EVERY"]
    server.serve(
        target_loader=lambda: Reconnect(load_app(app_settings), every) if every > 0 else load_app(app_settings),
        wrap_loader=False,
    )


def _serve_gunicorn(settings: dict, pinned: Pinned, app_settings: dict) -> None:
    """gunicorn, kept for comparison (`KARABAKH_KG_SERVER=gunicorn`): gthread reads each request in
    a worker thread, so THREADS slow clients per worker stall it (docs/deployment.md)."""
    from gunicorn.app.base import BaseApplication

    threads = max(1, settings["THREADS"])

    class Application(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", [f"{settings['HOST']}:{settings['PORT']}"])
            self.cfg.set("workers", max(1, settings["WORKERS"]))
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("timeout", int(settings["QUERY_TIMEOUT"]) + 30)
            self.cfg.set("graceful_timeout", 5)
            self.cfg.set("keepalive", max(1, int(min(5, settings["CLIENT_TIMEOUT"]))))
            self.cfg.set("accesslog", None)
            self.cfg.set("errorlog", "-")
            self.cfg.set("proc_name", "karabakh-kg")
            self.cfg.set("control_socket_disable", True)
            self.cfg.set("forwarded_allow_ips", settings["TRUSTED_PROXIES"])  # scheme headers: only from these

        def reload(self):  # SIGHUP: pin the new release first, then let gunicorn replace the workers
            pinned.update()
            super().reload()

        def load(self):
            return load_app(app_settings)

    Application().run()
