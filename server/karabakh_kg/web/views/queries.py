"""The competency queries (`queries/*.rq`), listed at `/queries/` and runnable by name with parameters.

`/queries/<name>` answers like `/sparql` with that query (Accept, `format=`, `default-graph-uri`,
`named-graph-uri`); the query's declared parameters (`# parameter:` header lines) are set in the
URL, e.g. `/queries/handovers?asOf=2020-11-21&region=kg:kalbajar`, typed and bound by
`query_params` (never spliced as text). Any other parameter, or a value of the wrong type, is a
400 naming the accepted ones. Browsers get a page: the question, a form for its parameters, the
answer as a table and its SPARQL. `/queries/<name>.rq` gives the text.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, jsonify, request, url_for

from karabakh_kg import namespaces, query_files, query_params
from karabakh_kg.query_params import ParameterError
from karabakh_kg.web import host_header
from karabakh_kg.web.protocol import parse
from karabakh_kg.web.safety import Refused
from karabakh_kg.web.state import state
from karabakh_kg.web.views import htmlpage
from karabakh_kg.web.views.query_page import run_for_page
from karabakh_kg.web.views.responses import error
from karabakh_kg.web.views.sparql import add_cors, answer, preflight

bp = Blueprint("queries", __name__)
bp.after_request(add_cors)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
PROTOCOL_PARAMETERS = ("format", "default-graph-uri", "named-graph-uri")


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, query_files.QueryFile]:
    """Every competency query shipped in the `karabakh_kg.queries` package, by name."""
    return {q.name: q for q in query_files.listing() if NAME.match(q.name)}


def _wants_html() -> bool:
    fmt = request.args.get("format")
    if fmt is not None:
        return fmt == "html"
    accept = request.accept_mimetypes
    return accept.quality("text/html") > max(
        accept.quality("application/json"), accept.quality("application/sparql-results+json")
    )


def _describe(q: query_files.QueryFile) -> dict:
    return {
        "name": q.name,
        "title": q.title,
        "description": q.description,
        "parameters": [
            {"name": p.name, "type": p.type, "default": list(p.default), "description": p.description}
            for p in q.parameters
        ],
        "url": host_header.public_url(state().base, url_for("queries.run", name=q.name)),
        "source": host_header.public_url(state().base, url_for("queries.source", name=q.name)),
    }


@bp.route("/queries/")
def index():
    """List the competency queries with their parameters (HTML for browsers, JSON otherwise)."""
    items = list(catalogue().values())
    if _wants_html():
        json_url = url_for("queries.index", format="json")
        return htmlpage.page("queries.html", queries=items, alternates=[(json_url, "application/json")])
    response = jsonify([_describe(q) for q in items])
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


def _given(named: query_files.QueryFile) -> dict[str, list[str]]:
    """The query's parameters set in the URL; ParameterError for any name that is not one."""
    declared = {p.name for p in named.parameters}
    given = {}
    for name in request.args:
        if name in PROTOCOL_PARAMETERS:
            continue
        if name not in declared:
            raise ParameterError(f"unknown parameter {name!r}")
        given[name] = request.args.getlist(name)
    return given


def _refusal(named: query_files.QueryFile, err: ParameterError) -> Response:
    message = str(err).split("; the query")[0].rstrip(".")
    return error(
        400,
        f"{message}. The {query_params.accepted(named)[4:]}; and the protocol's {', '.join(PROTOCOL_PARAMETERS)}. "
        f"See {url_for('queries.run', name=named.name)} (a form) or /queries/ for each parameter.",
    )


@bp.route("/queries/<name>", methods=["GET", "OPTIONS"])
def run(name: str):
    """Run a competency query by name with its parameters, negotiated like /sparql."""
    named = _lookup(name)
    if request.method == "OPTIONS":
        return preflight()
    try:
        parsed = parse("GET", request.query_string, None, b"")
    except Refused as err:
        return error(err.status, err.message)
    if parsed.query is not None:
        return error(400, "A named query takes no 'query' parameter; use /sparql for your own query.")
    try:
        given = _given(named)
        text = query_params.bind(named, given, namespaces.prefixes(state().base))
    except ParameterError as err:
        return _refusal(named, err)
    if _wants_html():
        return _page(named, given, text)
    return answer(text, parsed.default_graphs, parsed.named_graphs, parsed.format)


def _page(named: query_files.QueryFile, given: dict[str, list[str]], text: str) -> Response:
    """The question, a form for its parameters, the answer as a table, and its SPARQL."""
    status, result = run_for_page(text)
    fields = [(p, [v for v in given.get(p.name, []) if v.strip()] or list(p.default) or [""]) for p in named.parameters]
    args = [(k, v) for k, vs in given.items() for v in vs]
    alternates = [
        (url_for("queries.run", name=named.name) + "?" + urlencode([*args, ("format", key)]), media)
        for key, media in (("json", "application/sparql-results+json"), ("csv", "text/csv"))
    ]
    response = htmlpage.page(
        "named_query.html",
        status=status,
        q=named,
        fields=fields,
        text=text,
        editor_url=url_for("sparql.sparql", query=text),
        alternates=alternates,
        **result,
    )
    response.headers["Cache-Control"] = "no-store" if status != 200 else "no-cache"
    return response
