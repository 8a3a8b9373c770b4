"""The `karabakh-kg` command: one subcommand per concern, each implemented in its own module.

Exit codes everywhere: 0 success, 1 invalid input (the data or query is wrong), 2 usage or
internal error.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from karabakh_kg import __version__

# subcommand -> (module, help); each module has `add_arguments(parser)` and `run(args) -> int`.
COMMANDS = {
    "build": ("karabakh_kg.commands.build", "load, check quotes, validate, reason and write the dataset"),
    "check": ("karabakh_kg.commands.check", "validate the inputs without writing a build (0 conforms, 1 not)"),
    "query": ("karabakh_kg.commands.query", "run a competency query (by name or file) on the current build"),
    "serve": ("karabakh_kg.commands.serve", "serve the current build over HTTP (SPARQL endpoint, linked data)"),
    "reload": ("karabakh_kg.commands.reload", "make the running server serve the current build (no downtime)"),
    "publish": (
        "karabakh_kg.commands.publish",
        "load the current build into a SPARQL 1.1 store (Graph Store Protocol)",
    ),
    "diagram": ("karabakh_kg.commands.diagram", "draw the ontology's classes and properties (Graphviz SVG)"),
}


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with `only`, just that subcommand's arguments are loaded (faster start)."""
    top = argparse.ArgumentParser(prog="karabakh-kg", description=__doc__.splitlines()[0])
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subs = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        sub = subs.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module=module)
        if only is None or name == only:
            _module(module).add_arguments(sub)
    return top


def _module(name: str):
    return importlib.import_module(name)


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    args = parser(given[0] if given and given[0] in COMMANDS else None).parse_args(argv)
    try:
        return _module(args.module).run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
