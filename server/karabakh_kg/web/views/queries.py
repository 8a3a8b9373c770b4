"""The competency queries (`queries/*.rq`), listed at `/queries/` and runnable by name.

Each file starts with comment lines `# title: ...` and `# description: ...` (a description may
continue on the following comment lines). `/queries/<name>` answers exactly like `/sparql` with
that query (Accept, `format=`, `default-graph-uri`, `named-graph-uri`); `/queries/<name>.rq`
gives its text.
"""

from __future__ import annotations

import functools
import re

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from karabakh_kg import query_files
from karabakh_kg.web import host_header
from karabakh_kg.web.app import state
from karabakh_kg.web.protocol import parse
from karabakh_kg.web.safety import Refused
from karabakh_kg.web.views.sparql import add_cors, answer, error, preflight

bp = Blueprint("queries", __name__)
bp.after_request(add_cors)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, query_files.QueryFile]:
    """Every competency query shipped in the `karabakh_kg.queries` package, by name."""
    return {q.name: q for q in query_files.listing() if NAME.match(q.name)}


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
        response = jsonify(
            [
                {
                    "name": q.name,
                    "title": q.title,
                    "description": q.description,
                    "url": host_header.public_url(state().base, url_for("queries.run", name=q.name)),
                    "source": host_header.public_url(state().base, url_for("queries.source", name=q.name)),
                }
                for q in items
            ]
        )
    response.vary.add("Accept")
    return response


def _lookup(name: str) -> query_files.QueryFile:
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
