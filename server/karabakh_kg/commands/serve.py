"""`karabakh-kg serve`: serve the current build over HTTP (SPARQL endpoint, linked data).

`--dataset FILE …` serves the user's own RDF files instead (read-only, the same engines, protocol,
limits and settings; only the SPARQL routes, the Graph Store read side and /health): the files are
written as a plain release in a temporary build folder, removed when the server stops, and a file
that does not parse stops the command with file:line:column (exit code 2).

Exit code 2 when the build, the settings or the port are unusable: all are checked before any
worker starts, so the message is one clear line instead of workers failing one by one. The
server's process id goes to a pid file, which `karabakh-kg reload` reads.
"""

from __future__ import annotations

import argparse
import atexit
import errno
import logging
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from karabakh_kg import config, releases
from karabakh_kg.build import dataset_release
from karabakh_kg.errors import InputError
from karabakh_kg.web import access_log, engines, server


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
    parser.add_argument(
        "--allow-network",
        action="store_true",
        default=defaults["ALLOW_NETWORK"],
        help="run query processes without the no-network sandbox (only where it cannot be set up; logged)",
    )
    parser.add_argument(
        "--dataset",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="serve these RDF files instead of the build: TriG, N-Quads, Turtle, N-Triples, RDF/XML, JSON-LD "
        "(no reasoning, no linked-data pages)",
    )
    parser.add_argument(
        "--graph",
        action="append",
        default=[],
        metavar="IRI",
        help="with --dataset: the named graph of the n-th triples file (default: the file's file: IRI)",
    )


def run(args: argparse.Namespace) -> int:
    overrides = {
        "BUILD_DIR": args.build_dir,
        "ENGINE": args.engine,
        "HOST": args.host,
        "PORT": args.port,
        "WORKERS": args.workers,
        "THREADS": args.threads,
        "ALLOW_NETWORK": args.allow_network,
    }
    if args.graph and not args.dataset:
        print("karabakh-kg serve: --graph names a graph of a --dataset file; give --dataset too", file=sys.stderr)
        return 2
    try:
        if args.dataset:
            overrides["BUILD_DIR"] = prepare_dataset(args, config.load(overrides))
        settings = config.load(overrides)
        release = server.verify_release(settings)
    except InputError as err:
        for problem in err.problems:
            print(f"karabakh-kg serve: {problem}", file=sys.stderr)
        print(
            f"karabakh-kg serve: cannot start: {len(err.problems)} problem(s) in the --dataset files", file=sys.stderr
        )
        return 2
    except (releases.ReleaseError, ValueError) as err:
        print(f"karabakh-kg serve: cannot start: {err}", file=sys.stderr)
        return 2
    busy = port_in_use(settings["HOST"], settings["PORT"])
    if busy:
        print(busy, file=sys.stderr)
        return 2
    settings["PID_FILE"] = str(pid_file(settings) or "")
    logging.basicConfig(level=logging.INFO, format=access_log.LINE_FORMAT, stream=sys.stderr)
    access_log.install(sys.stderr)
    if 1 < settings["THREADS"] <= settings["QUERY_PROCESSES"] + settings["QUERY_QUEUE"]:
        logging.getLogger("karabakh_kg.serve").warning(
            "THREADS (%d) is not above QUERY_PROCESSES + QUERY_QUEUE (%d): under a flood of slow queries "
            "every thread can be taken and /health will wait behind them",
            settings["THREADS"],
            settings["QUERY_PROCESSES"] + settings["QUERY_QUEUE"],
        )
    if settings["ALLOW_NETWORK"]:
        logging.getLogger("karabakh_kg.serve").warning(
            "ALLOW_NETWORK is set: query processes run WITHOUT the no-network sandbox; a query the checks "
            "miss could reach any address this host can"
        )
    print(
        f"karabakh-kg serve: dataset {release.version} from {release.path} with engine {settings['ENGINE']}"
        f" ({engines.create(settings['ENGINE'], release, settings).storage})",
        file=sys.stderr,
    )
    server.serve(settings, release, overrides)
    return 0


def prepare_dataset(args: argparse.Namespace, settings: dict) -> str:
    """Write the --dataset files as a plain release in a temporary build folder; return that folder.

    Its base (what relative IRIs in queries resolve against) is PUBLIC_BASE, else this server's URL.
    """
    base = settings["PUBLIC_BASE"] or f"http://{args.host}{'' if args.port == 0 else f':{args.port}'}/"
    build_dir = Path(tempfile.mkdtemp(prefix="karabakh-kg-dataset-"))
    master = os.getpid()
    atexit.register(lambda: os.getpid() == master and shutil.rmtree(build_dir, ignore_errors=True))
    release = dataset_release.write(list(args.dataset), build_dir, base, args.graph)
    graphs = len(release.manifest["graphs"])
    print(
        f"karabakh-kg serve: {release.manifest['triples']} triples in {graphs} named graph(s) "
        f"from {len(args.dataset)} file(s)",
        file=sys.stderr,
    )
    return str(build_dir)


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
