"""`karabakh-kg publish --to URL`: load the current build into a SPARQL 1.1 store.

Exit codes: 0 every graph published; 1 the store refused a graph (its answer is printed);
2 usage or set-up error (no build, bad URL, store unreachable or timed out).
"""

from __future__ import annotations

import argparse
import sys

from karabakh_kg import releases
from karabakh_kg.publishing import PublishError, credentials, publish, safe, store_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the store's Graph Store Protocol URL, e.g. http://127.0.0.1:7878/store (Oxigraph) or "
        "http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso); credentials: set KARABAKH_KG_STORE_USER "
        "and KARABAKH_KG_STORE_PASSWORD (never in the URL)",
    )
    parser.add_argument("--build-dir", default="build", help="build folder holding `current` (default %(default)s)")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for the store on each graph (default %(default)s)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        target = store_url(args.to)
        release = releases.open_current(args.build_dir)
        if args.timeout <= 0:
            raise PublishError(2, "--timeout must be positive")
        sent = publish(release, target, args.timeout, log=lambda m: print(m, file=sys.stderr), auth=credentials())
    except releases.ReleaseError as err:
        print(f"karabakh-kg publish: {err}", file=sys.stderr)
        return 2
    except PublishError as err:
        print(f"karabakh-kg publish: {err}", file=sys.stderr)
        return err.code
    total = sum(sent.values())
    print(
        f"karabakh-kg publish: {len(sent)} graphs, {total} triples of build {release.version} now in {safe(target)}",
        file=sys.stderr,
    )
    return 0
