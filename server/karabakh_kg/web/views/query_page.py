"""The query page (GET /sparql from a browser): a form that works without JavaScript, and the editor.

Without JavaScript the form sends the query and the server draws the answer as a table. With it,
`static/editor.js` (built from `server/editor/`, `make editor`) turns the text box into a SPARQL
editor and runs queries through the protocol endpoint. The script reads what it needs (prefixes,
the ontology's terms, the download formats) from the form's data attributes: nothing inline, so
the page's policy allows scripts and requests from this server only.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
from flask import Response, request, url_for

from karabakh_kg import namespaces
from karabakh_kg.web import answering, conneg, safety
from karabakh_kg.web.state import state
from karabakh_kg.web.views import htmlpage, pagedata
from karabakh_kg.web.views.pagedata import PageQueryFailed, Term

DISPLAY_ROWS = 1000  # rows drawn in the server's table (downloads carry the whole answer)
EDITOR_CSP = htmlpage.CSP + "; script-src 'self'; connect-src 'self'"
# The prefixes a new query starts with: those the dataset's own queries use most.
STARTER_PREFIXES = ("kg", "kgo", "rdf", "rdfs", "xsd", "time", "oa")
STARTER_BODY = (
    "SELECT ?resource ?label WHERE {\n  ?resource a kgo:Region ; rdfs:label ?label .\n}\nORDER BY ?label\nLIMIT 20\n"
)


def starter_query() -> str:
    """The query the editor opens with: the dataset's prefixes declared, a small example below."""
    known = namespaces.prefixes(state().base)
    return "".join(f"PREFIX {p}: <{known[p]}>\n" for p in STARTER_PREFIXES) + "\n" + STARTER_BODY


def _ontology_terms() -> dict[str, list[tuple[str, str]]]:
    """The ontology's terms by prefix, for completion after `kgo:` (local name, English label)."""
    ns = namespaces.prefixes(state().base)["kgo"]
    terms = sorted(
        {
            (row["term"].value[len(ns) :], row["label"].value if "label" in row else "")
            for row in pagedata.select("ontology-terms")
            if row["term"].value.startswith(ns)
        }
    )
    return {"kgo": terms}


def editor_settings() -> dict[str, str]:
    """The form's data attributes that the editor script reads."""
    try:
        terms = pagedata.memo("editor-terms", _ontology_terms)
    except PageQueryFailed:
        terms = {}
    formats = [
        {"key": f.key, "label": f.label or f.key, "kind": kind}
        for kind in (conneg.RESULTS, conneg.GRAPH)
        for f in conneg.formats(kind)
    ]
    return {
        "prefixes": json.dumps(namespaces.prefixes(state().base)),
        "terms": json.dumps(terms),
        "formats": json.dumps(formats),
        "base": state().base,
        "root": request.script_root,
    }


def _ox_term(term) -> Term:
    if isinstance(term, ox.NamedNode):
        return Term("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value)
    datatype = term.datatype.value if not term.language else None
    return Term("literal", term.value, datatype, term.language)


def _table(body: bytes, fmt: str, form: str) -> tuple[list[str], list[list[Term | None]], bool | None]:
    """Columns and rows of an answer for display (ASK: no rows, the boolean)."""
    if form == "ASK":
        return [], [], bool(json.loads(body)["boolean"])
    if fmt == "json":
        data = json.loads(body)
        variables = data["head"]["vars"]
        rows = [[pagedata._term(b[v]) if v in b else None for v in variables] for b in data["results"]["bindings"]]
        return variables, rows, None
    rows = [
        [_ox_term(t.subject), _ox_term(t.predicate), _ox_term(t.object)]
        for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
    ]
    return ["subject", "predicate", "object"], rows, None


def run_for_page(query: str) -> tuple[int, dict]:
    """Run a query for an HTML page: (status, the template context of its answer or its error)."""
    st = state()
    answer = {
        "columns": [],
        "rows": [],
        "boolean": None,
        "error": None,
        "downloads": [],
        "truncated": False,
        "total": 0,
        "ran": False,
    }
    try:
        info = answering.inspect(query, st.settings)
    except safety.Refused as err:
        return err.status, {**answer, "error": err.message}
    if info.form is None:
        return 400, {**answer, "error": "Not a SPARQL query: expected SELECT, CONSTRUCT, DESCRIBE or ASK."}
    fmt = "json" if info.kind == conneg.RESULTS else "ntriples"
    try:
        body, truncated = pagedata.run_text(query, info.form, fmt, info.has_dataset_clause)
    except PageQueryFailed as err:
        return err.status, {**answer, "error": err.message}
    except pagedata.UserQueryError as err:
        return 400, {**answer, "error": str(err)}
    columns, rows, boolean = _table(body, fmt, info.form)
    downloads = [
        (f.label, f.key, url_for("sparql.sparql", query=query, format=f.key)) for f in conneg.formats(info.kind)
    ]
    return 200, {
        **answer,
        "columns": columns,
        "rows": rows[:DISPLAY_ROWS],
        "boolean": boolean,
        "truncated": truncated,
        "total": len(rows),
        "ran": True,
        "downloads": downloads,
    }


def text_rows(text: str) -> int:
    """How tall the plain text box is drawn: the query's lines and some room, within bounds."""
    return max(12, min(40, text.count("\n") + 3))


def query_page(query: str | None) -> Response:
    """The query editor with the competency queries as examples, the answer as a table, downloads."""
    from karabakh_kg.web.views.queries import catalogue

    status, answer = 200, {"ran": False, "error": None}
    if query is None and request.args.get("example") in catalogue():
        text = catalogue()[request.args["example"]].text
    elif query:
        text = query
        status, answer = run_for_page(query)
    else:
        text = starter_query()
    response = htmlpage.page(
        "query.html",
        status=status,
        query=text,
        text_rows=text_rows(text),
        examples=list(catalogue().values()),
        editor=editor_settings(),
        **answer,
    )
    response.headers["Content-Security-Policy"] = EDITOR_CSP
    response.headers["Cache-Control"] = "no-store" if status != 200 else "no-cache"
    return response
