"""`karabakh-kg serve`: serve the current build over HTTP (SPARQL endpoint, linked data).

Exit code 2 when the build or the settings are unusable: the build is checked before any worker
starts, so the message is one clear line instead of workers failing one by one.
"""

from __future__ import annotations

import argparse
import logging
import sys

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
    parser.add_argument(
        "--allow-network",
        action="store_true",
        default=defaults["ALLOW_NETWORK"],
        help="run query processes without the no-network sandbox (only where it cannot be set up; logged)",
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
    try:
        settings = config.load(overrides)
        release = server.verify_release(settings)
    except (releases.ReleaseError, ValueError) as err:
        print(f"karabakh-kg serve: cannot start: {err}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
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
        f"karabakh-kg serve: dataset {release.version} from {release.path} with engine {settings['ENGINE']}",
        file=sys.stderr,
    )
    server.serve(settings, release, overrides)
    return 0
