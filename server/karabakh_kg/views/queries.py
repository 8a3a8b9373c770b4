"""The competency queries (`queries/*.rq`), listed at `/queries/` and runnable by name.

Each file starts with comment lines `# title: ...` and `# description: ...` (a description may
continue on the following comment lines). `/queries/<name>` answers exactly like `/sparql` with
that query (Accept, `format=`, `default-graph-uri`, `named-graph-uri`); `/queries/<name>.rq`
gives its text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from karabakh_kg.protocol import parse
from karabakh_kg.safety import Refused
from karabakh_kg.views.sparql import add_cors, answer, error, preflight

bp = Blueprint("queries", __name__)
bp.after_request(add_cors)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    text: str


def parse_header(name: str, text: str) -> NamedQuery:
    """Read `# title:` and `# description:` from the leading comment block of a query file."""
    fields: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        content = stripped.lstrip("#").strip()
        label, sep, value = content.partition(":")
        if sep and label.strip().lower() in ("title", "description") and " " not in label.strip():
            current = label.strip().lower()
            fields[current] = [value.strip()]
        elif current and content:
            fields[current].append(content)
    title = " ".join(fields.get("title", [])) or name.replace("-", " ").replace("_", " ")
    return NamedQuery(name, title, " ".join(fields.get("description", [])), text)


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, NamedQuery]:
    """Every competency query shipped in the `karabakh_kg.queries` package, by name."""
    found = {}
    for entry in resources.files("karabakh_kg.queries").iterdir():
        if entry.is_file() and entry.name.endswith(".rq"):
            name = entry.name[:-3]
            if NAME.match(name):
                found[name] = parse_header(name, entry.read_text(encoding="utf-8"))
    return dict(sorted(found.items()))


@bp.route("/queries/")
def index():
    """List the competency queries (HTML for browsers, JSON otherwise)."""
    items = list(catalogue().values())
    accept = request.accept_mimetypes
    if request.args.get("format") == "html" or (
        request.args.get("format") is None and accept.quality("text/html") > accept.quality("application/json")
    ):
        response = Response(render_template("sparql_queries.html", queries=items), mimetype="text/html")
    else:
        response = jsonify([
            {"name": q.name, "title": q.title, "description": q.description,
             "url": url_for("queries.run", name=q.name, _external=True),
             "source": url_for("queries.source", name=q.name, _external=True)}
            for q in items
        ])
    response.vary.add("Accept")
    return response


def _lookup(name: str) -> NamedQuery:
    found = catalogue().get(name) if NAME.match(name) else None
    if found is None:
        abort(404, f"No competency query named {name!r}; see /queries/ for the list.")
    return found


@bp.route("/queries/<name>.rq")
def source(name: str):
    """The text of a competency query."""
    return Response(_lookup(name).text, mimetype="application/sparql-query")


@bp.route("/queries/<name>", methods=["GET", "OPTIONS"])
def run(name: str):
    """Run a competency query by name, with the same negotiation and parameters as /sparql."""
    named = _lookup(name)
    if request.method == "OPTIONS":
        return preflight()
    try:
        parsed = parse("GET", request.query_string, None, b"")
    except Refused as err:
        return error(err.status, err.message)
    if parsed.query is not None:
        return error(400, "A named query takes no 'query' parameter; use /sparql for your own query.")
    return answer(named.text, parsed.default_graphs, parsed.named_graphs, parsed.format)
