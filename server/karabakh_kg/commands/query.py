"""`karabakh-kg query FILE|NAME`: run a competency query on the current build, from the shell.

Results print as an aligned table, SPARQL JSON or CSV. `--values VAR=TERM` replaces the query's
`VALUES ?VAR { … }` default (e.g. `--values 'date="2020-11-21"^^xsd:date'`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path

import pyoxigraph

from karabakh_kg import namespaces, query_errors, query_files, query_params, releases


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="a competency query name (see queries/*.rq) or a path to a .rq file")
    parser.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format (default: table)"
    )
    parser.add_argument(
        "--values",
        action="append",
        default=[],
        metavar="VAR=TERM",
        help="replace the query's VALUES ?VAR block with one SPARQL term (repeatable)",
    )
    parser.add_argument("--build-dir", type=Path, default=Path("build"), help="where the build is (default: build)")


def run(args: argparse.Namespace) -> int:
    try:
        text = _read(args.query)
        for assignment in args.values:
            text = with_values(text, assignment)
        release = releases.open_current(args.build_dir)
        store = pyoxigraph.Store.read_only(str(release.store))
        result = store.query(text, use_default_graph_as_union=True)
    except (KeyError, FileNotFoundError):
        print(
            f"error: no query named {args.query!r}; names: {', '.join(q.name for q in query_files.listing())}",
            file=sys.stderr,
        )
        return 2
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except SyntaxError as err:
        hint = query_errors.explain(text, str(err), namespaces.prefixes(release.manifest["base"]))
        print(f"error: the query is not valid SPARQL. {hint}".rstrip(), file=sys.stderr)
        return 1
    except (releases.ReleaseError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(render(result, args.format))
    return 0


def _read(query: str) -> str:
    path = Path(query)
    if path.suffix == ".rq" and path.is_file():
        return path.read_text(encoding="utf-8")
    return query_files.load(query).text


def with_values(text: str, assignment: str) -> str:
    """Replace `VALUES ?var { … }` (single-variable form) with the given term."""
    name, sep, term = assignment.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"--values takes VAR=TERM, got {assignment!r}")
    block = query_params.values_block(text, name)
    if block is None:
        settable = settable_variables(text)
        raise ValueError(
            f"the query has no `VALUES ?{name} {{ … }}` block to replace; "
            + (f"the variables that can be set: {', '.join(settable)}" if settable else "it has no VALUES block to set")
        )
    return text[: block.start(1)] + f" {term} " + text[block.end(1) :]


def settable_variables(text: str) -> list[str]:
    """The variables of the query's one-variable VALUES blocks: what `--values` can set."""
    return [m.group(1) for m in re.finditer(r"VALUES\s+\?([A-Za-z_][A-Za-z0-9_]*)\s*\{", text)]


def render(result, fmt: str) -> str:
    """Serialise a pyoxigraph result as a table, SPARQL JSON results or CSV."""
    if isinstance(result, bool):
        return json.dumps({"head": {}, "boolean": result}) + "\n" if fmt == "json" else f"{str(result).lower()}\n"
    if isinstance(result, pyoxigraph.QueryTriples):
        return pyoxigraph.serialize(result, format=pyoxigraph.RdfFormat.TURTLE).decode("utf-8")
    if fmt == "json":
        return result.serialize(format=pyoxigraph.QueryResultsFormat.JSON).decode("utf-8") + "\n"
    names = [v.value for v in result.variables]
    rows = [[("" if row[v] is None else row[v].value) for v in names] for row in result]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
        return out.getvalue()
    widths = [min(60, max([len(n)] + [len(r[i]) for r in rows])) for i, n in enumerate(names)]

    def line(cells):
        return " | ".join(
            (c if len(c) <= 60 else c[:57] + "...").ljust(w) for c, w in zip(cells, widths, strict=False)
        ).rstrip()

    return (
        "\n".join([line(names), "-+-".join("-" * w for w in widths), *(line(r) for r in rows), f"({len(rows)} rows)"])
        + "\n"
    )
