"""`karabakh-kg serve`: serve the current build over HTTP (SPARQL endpoint, linked data).

Exit code 2 when the build, the settings or the port are unusable: all are checked before any
worker starts, so the message is one clear line instead of workers failing one by one. The
server's process id goes to a pid file, which `karabakh-kg reload` reads.
"""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys
from pathlib import Path

from karabakh_kg import config, releases
from karabakh_kg.web import server


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = config.load()
    parser.add_argument("--host", default=defaults["HOST"], help="address to listen on (default %(default)s)")
    parser.add_argument(
        "--port", type=int, default=defaults["PORT"], help="port, 0 for any free one (default %(default)s)"
    )
    parser.add_argument(
        "--workers", type=int, default=defaults["WORKERS"], help="web worker processes (default %(default)s)"
    )
    parser.add_argument(
        "--threads", type=int, default=defaults["THREADS"], help="threads per web worker (default %(default)s)"
    )
    parser.add_argument(
        "--engine", default=defaults["ENGINE"], help="oxigraph, rdflib or sparql:URL (default %(default)s)"
    )
    parser.add_argument(
        "--build-dir", default=defaults["BUILD_DIR"], help="build folder holding `current` (default %(default)s)"
    )


def run(args: argparse.Namespace) -> int:
    overrides = {
        "BUILD_DIR": args.build_dir,
        "ENGINE": args.engine,
        "HOST": args.host,
        "PORT": args.port,
        "WORKERS": args.workers,
        "THREADS": args.threads,
    }
    try:
        settings = config.load(overrides)
        release = server.verify_release(settings)
    except (releases.ReleaseError, ValueError) as err:
        print(f"karabakh-kg serve: cannot start: {err}", file=sys.stderr)
        return 2
    busy = port_in_use(settings["HOST"], settings["PORT"])
    if busy:
        print(busy, file=sys.stderr)
        return 2
    settings["PID_FILE"] = str(pid_file(settings) or "")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    print(
        f"karabakh-kg serve: dataset {release.version} from {release.path} with engine {settings['ENGINE']}",
        file=sys.stderr,
    )
    server.serve(settings, release, overrides)
    return 0


def pid_file(settings: dict) -> Path | None:
    """Where the server's process id is written: the setting, else `<BUILD_DIR>/serve-<PORT>.pid`."""
    if settings["PID_FILE"]:
        return Path(settings["PID_FILE"])
    if not settings["PORT"]:
        return None
    return Path(settings["BUILD_DIR"]) / f"serve-{settings['PORT']}.pid"


def port_in_use(host: str, port: int) -> str:
    """A message saying the port is taken and how to choose another, or `` when it is free."""
    if not port:
        return ""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            probe.bind((host, port))
    except OSError as err:
        if err.errno != errno.EADDRINUSE:
            return f"karabakh-kg serve: cannot listen on {host}:{port}: {err.strerror}"
        return (
            f"karabakh-kg serve: port {port} on {host} is already in use (another `karabakh-kg serve`?).\n"
            f"  Choose another port: `karabakh-kg serve --port {port + 1}` (or KARABAKH_KG_PORT={port + 1}; "
            "`--port 0` takes any free one),\n"
            f"  or reload the server already there with `karabakh-kg reload --port {port}`."
        )
    return ""
