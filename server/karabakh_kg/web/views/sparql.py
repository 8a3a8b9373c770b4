"""The SPARQL 1.1 Protocol route, `/sparql`, and the request handling shared with `/queries/<name>`.

Order of work per request, cheapest first: parse the protocol, refuse what is not allowed
(update, SERVICE, limits), negotiate the format, answer 304, and only then ask `answering` (the
cache, else a query process with a deadline).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from karabakh_kg.web import answering, conneg, host_header, protocol, service_description
from karabakh_kg.web.cache import Entry, digest, key
from karabakh_kg.web.record import current as record
from karabakh_kg.web.results import triples as render_triples
from karabakh_kg.web.safety import Refused
from karabakh_kg.web.state import state
from karabakh_kg.web.views import htmlpage
from karabakh_kg.web.views import query_page as editor
from karabakh_kg.web.views.responses import error, etag, not_acceptable, not_modified, unchanged

bp = Blueprint("sparql", __name__)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, X-Result-Rows",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match",
    "Access-Control-Max-Age": "86400",
}
HTML_FORMATS = conneg.formats(conneg.HTML)


def add_cors(response: Response) -> Response:
    """CORS for any origin: the query routes are public and read-only."""
    response.headers.update(CORS_HEADERS)
    return response


bp.after_request(add_cors)


def preflight() -> Response:
    response = Response(status=204)
    response.headers.update(PREFLIGHT_HEADERS)
    return response


def answer_headers(entry: Entry, gz: bool) -> tuple[bytes, list[tuple[str, str]]]:
    """The body and every header of a 200 answer: one definition for this view and the miss lane."""
    body = entry.gzipped() if gz else entry.body
    headers = [("Content-Type", entry.content_type), ("Content-Length", str(len(body)))]
    if gz:
        headers.append(("Content-Encoding", "gzip"))
    headers += [("Vary", "Accept, Accept-Encoding"), ("ETag", entry.etag), ("X-Result-Rows", str(entry.rows))]
    headers += CORS_HEADERS.items()
    headers += htmlpage.SECURITY_HEADERS.items()  # what the app's hook would add (answers are never HTML)
    return body, headers


def _send(entry: Entry) -> Response:
    gz = len(entry.body) >= current_app.config["GZIP_MIN_BYTES"] and request.accept_encodings["gzip"] > 0
    body, headers = answer_headers(entry, gz)
    response = Response(body, status=200, headers=headers)
    rec = record()
    rec.encoded = True  # the app's after_request hook need not look at the body again
    rec.replayable = True  # the same raw GET may be answered again by the fast path (fastpath.py)
    rec.rows, rec.truncated = entry.rows, entry.truncated
    return response


def query_page(query: str | None) -> Response:
    """The HTML query page: the editor with the site's pages, or a plain form for a plain dataset."""
    if "pages" in current_app.blueprints:
        return editor.query_page(query)
    response = Response(render_template("sparql_query_form.html", query=query or ""), mimetype="text/html")
    response.vary.add("Accept")
    return response


def answer(query: str, default_graphs=(), named_graphs=(), format_param: str | None = None) -> Response:
    """Answer a query request: refuse, negotiate, answer 304, or the answer (cached or evaluated)."""
    st = state()
    rec = record()
    rec.query_hash = digest(query)
    try:
        info = answering.inspect(query, st.settings)
    except Refused as err:
        return error(err.status, err.message)
    if info.form is None:  # not a query: let the parser say where, in a query process
        try:
            answering.run(query, None, "json")
        except answering.AnswerError as err:
            if err.kind == "query":
                return error(400, err.message)
        return error(400, "Not a SPARQL query: expected SELECT, CONSTRUCT, DESCRIBE or ASK.")
    try:
        fmt = conneg.negotiate(
            request.headers.get("Accept"), info.kind, format_param, extra=() if format_param else HTML_FORMATS
        )
    except conneg.NotAcceptable as err:
        return not_acceptable(err)
    if fmt.kind == conneg.HTML:
        return query_page(query)
    rec.format = fmt.key
    tag = etag(query, fmt.key, tuple(default_graphs), tuple(named_graphs))
    if not_modified(tag):
        rec.cache = "304"
        return unchanged(tag, ("Accept", "Accept-Encoding"))
    try:
        entry = answering.run(
            query,
            info.form,
            fmt.key,
            tuple(default_graphs),
            tuple(named_graphs),
            info.has_dataset_clause,
            short_tokens=info.short_tokens,
        )
    except answering.AnswerError as err:
        response = error(err.status, err.message)
        if err.retry:
            response.headers["Retry-After"] = "1"
        return response
    return _send(entry)


def describe_service() -> Response:
    """Answer a bare GET /sparql: the Service Description in RDF, or the query page for browsers."""
    st = state()
    try:
        fmt = conneg.negotiate(
            request.headers.get("Accept"), conneg.GRAPH, request.args.get("format"), extra=HTML_FORMATS
        )
    except conneg.NotAcceptable as err:
        return not_acceptable(err)
    if fmt.kind == conneg.HTML:
        return query_page(None)
    endpoint = host_header.public_url(st.base, "sparql")  # never from the request's Host
    tag = etag("service-description", endpoint, fmt.key)
    if not_modified(tag):
        return unchanged(tag)
    cache_key = key(st.version, "service-description " + endpoint, fmt.key)
    entry = st.cache.get(cache_key)
    if entry is None:
        rendered = render_triples(
            service_description.triples(endpoint, st.release.manifest),
            fmt.key,
            1_000_000,
            service_description.PREFIXES,
        )
        entry = Entry(rendered.body, fmt.content_type, rendered.rows, False, tag)
        st.cache.put(cache_key, entry)
    return _send(entry)


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def sparql():
    """The SPARQL 1.1 Protocol query operation (GET, form POST, direct POST); no query: describe the service."""
    if request.method == "OPTIONS":
        return preflight()
    body = request.get_data(cache=False) if request.method == "POST" else b""
    try:
        parsed = protocol.parse(request.method, request.query_string, request.content_type, body)
    except Refused as err:
        return error(err.status, err.message)
    if parsed.query is None:
        if request.method == "POST" or parsed.default_graphs or parsed.named_graphs:
            return error(400, "Missing the 'query' parameter (SPARQL 1.1 Protocol).")
        return describe_service()
    return answer(parsed.query, parsed.default_graphs, parsed.named_graphs, parsed.format)
