"""`karabakh-kg diagram FILE`: draw the ontology's classes and properties (Graphviz SVG)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from karabakh_kg.build import sources
from karabakh_kg.build.diagram import available, dot_source, svg


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", type=Path, help="the SVG file to write (e.g. docs/img/ontology.svg)")
    parser.add_argument("--dot", action="store_true", help="write the Graphviz source instead of SVG")


def run(args: argparse.Namespace) -> int:
    try:
        ontology = sources.parse_all(sources.locate().ontology)
    except Exception as err:  # noqa: BLE001
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.dot:
        args.output.write_text(dot_source(ontology), encoding="utf-8")
        return 0
    if not available():
        print("error: Graphviz `dot` is not installed (Debian: apt-get install graphviz)", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(svg(ontology))
    print(f"wrote {args.output}")
    return 0
