"""`karabakh-kg check`: validate the inputs (quotes, SHACL, checks, consistency) without writing.

Exit codes: 0 the inputs conform, 1 they do not (each problem printed with file:line or node),
2 usage or internal error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from karabakh_kg.build import pipeline, sources
from karabakh_kg.errors import InputError
from karabakh_kg.namespaces import IRIs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", type=Path, help="a folder with ontology/ and data/ (default: the installed package's)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        graphs, extra = pipeline.assemble(sources.locate(args.source), IRIs())
    except InputError as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"does not conform: {len(err.problems)} problem(s)", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - a message, never a traceback
        print(f"internal error: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
    print(f"conforms: {sum(len(g) for g in graphs.values())} triples, {extra['mentions']} mentions, no violations")
    return 0
