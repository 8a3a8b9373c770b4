"""The SPARQL 1.1 Protocol route, `/sparql`, and the answering path shared with `/queries/<name>`.

Order of work per request, cheapest first: parse the protocol, refuse what is not allowed
(update, SERVICE, limits), negotiate the format, answer 304 or from the cache, and only then
hand the query to a query process with a deadline.
"""

from __future__ import annotations

import functools
import hashlib
import logging

from flask import Blueprint, Response, current_app, g, render_template, request

from karabakh_kg.web import conneg, host_header, protocol, safety, service_description
from karabakh_kg.web.app import state, text_response
from karabakh_kg.web.cache import Entry, digest, key
from karabakh_kg.web.engines import EngineError, Job, QueryError, QueryTimeout
from karabakh_kg.web.results import triples as render_triples
from karabakh_kg.web.safety import Refused

bp = Blueprint("sparql", __name__)
log = logging.getLogger("karabakh_kg.sparql")

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, X-Result-Rows, X-Result-Truncated, X-Result-Limit",
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


def error(status: int, message: str) -> Response:
    g.status_reason = message
    response = text_response(status, message)
    response.vary.add("Accept")
    return response


@functools.lru_cache(maxsize=4096)
def _analyse_cached(query: str, max_depth: int, max_tokens: int) -> safety.QueryInfo:
    return safety.analyse(query, max_depth, max_tokens)


def _analyse(query: str, settings: dict) -> safety.QueryInfo:
    """The lexer's verdict, remembered for short queries (the repeated ones)."""
    limits = (settings["MAX_QUERY_DEPTH"], settings["MAX_QUERY_TOKENS"])
    return _analyse_cached(query, *limits) if len(query) <= 8192 else safety.analyse(query, *limits)


def _etag(version: str, parts: tuple) -> str:
    h = hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f'W/"{version}-{h}"'


def _not_modified(etag: str) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    bare = etag[2:]
    return "*" in tags or any(t == etag or t == bare or t[2:] == bare for t in tags)


def _send(entry: Entry, status: int = 200) -> Response:
    gz = len(entry.body) >= current_app.config["GZIP_MIN_BYTES"] and request.accept_encodings["gzip"] > 0
    response = Response(entry.gzipped() if gz else entry.body, status=status, content_type=entry.content_type)
    headers = response.headers
    if gz:
        headers["Content-Encoding"] = "gzip"
    headers["Vary"] = "Accept, Accept-Encoding"
    headers["ETag"] = entry.etag
    headers["X-Result-Rows"] = str(entry.rows)
    response.encoded = True  # tells the app's after_request hook not to look at the body again
    if status == 200:  # the same raw GET may be answered again by the fast path (fastpath.py)
        request.environ["karabakh_kg.replayable"] = True
    if entry.truncated:
        response.headers["X-Result-Truncated"] = "true"
        response.headers["X-Result-Limit"] = str(current_app.config["MAX_RESULT_ROWS"])
    g.rows, g.truncated = entry.rows, entry.truncated
    return response


def query_page(query: str | None) -> Response:
    """The HTML query page (the linked-data views may provide a richer one)."""
    st = state()
    if st.query_page is not None:
        return st.query_page(query)
    response = Response(render_template("sparql_query_form.html", query=query or ""), mimetype="text/html")
    response.vary.add("Accept")
    return response


def answer(query: str, default_graphs=(), named_graphs=(), format_param: str | None = None) -> Response:
    """Answer a query request: refuse, negotiate, serve from cache or evaluate with a deadline."""
    st = state()
    settings = st.settings
    g.query_hash = digest(query)
    try:
        safety.check_length(query, settings["MAX_QUERY_LENGTH"])
        info = _analyse(query, settings)
    except Refused as err:
        return error(err.status, err.message)
    if info.form is None:  # not a query: let the parser say where, in a query process
        try:
            st.runner.run(Job(query=query, form=None, format="json", timeout=settings["QUERY_TIMEOUT"]))
        except QueryError as err:
            return error(400, str(err))
        except (QueryTimeout, EngineError):
            pass
        return error(400, "Not a SPARQL query: expected SELECT, CONSTRUCT, DESCRIBE or ASK.")
    try:
        fmt = conneg.negotiate(
            request.headers.get("Accept"), info.kind, format_param, extra=() if format_param else HTML_FORMATS
        )
    except conneg.NotAcceptable as err:
        return error(406, str(err))
    if fmt.kind == conneg.HTML:
        return query_page(query)
    g.format = fmt.key
    parts = (query, fmt.key, tuple(default_graphs), tuple(named_graphs))
    etag = _etag(st.version, parts)
    if _not_modified(etag):
        g.cache = "304"
        response = Response(status=304)
        response.headers["ETag"] = etag
        response.vary.update(("Accept", "Accept-Encoding"))
        return response
    cache_key = key(st.version, *parts)
    entry = st.cache.get(cache_key)
    if entry is not None:
        g.cache = "hit"
        return _send(entry)
    g.cache = "miss"
    job = Job(
        query=query,
        form=info.form,
        format=fmt.key,
        default_graphs=tuple(default_graphs),
        named_graphs=tuple(named_graphs),
        has_dataset_clause=info.has_dataset_clause,
        max_rows=settings["MAX_RESULT_ROWS"],
        timeout=settings["QUERY_TIMEOUT"],
    )
    try:
        rendered = st.runner.run(job)
    except QueryError as err:
        return error(400, str(err))
    except QueryTimeout as err:
        log.warning("query %s stopped: %s", g.query_hash, err)
        response = error(503, f"Query timed out: {err}. Simplify the query or add a LIMIT.")
        response.headers["Retry-After"] = "1"
        return response
    except EngineError as err:
        log.error("engine failure on query %s: %s", g.query_hash, err)
        status = getattr(err, "status", 502 if not st.engine.isolated else 500)
        response = error(status, str(err) if status == 503 else f"The query engine failed: {err}")
        if status == 503:  # overloaded, or a query process killed from outside: the server's state
            response.headers["Retry-After"] = "1"
        return response
    if rendered.truncated:
        log.warning("query %s truncated at %d rows (MAX_RESULT_ROWS)", g.query_hash, settings["MAX_RESULT_ROWS"])
    entry = Entry(rendered.body, fmt.content_type, rendered.rows, rendered.truncated, etag)
    st.cache.put(cache_key, entry)
    return _send(entry)


def describe_service() -> Response:
    """Answer a bare GET /sparql: the Service Description in RDF, or the query page for browsers."""
    st = state()
    try:
        fmt = conneg.negotiate(
            request.headers.get("Accept"), conneg.GRAPH, request.args.get("format"), extra=HTML_FORMATS
        )
    except conneg.NotAcceptable as err:
        return error(406, str(err))
    if fmt.kind == conneg.HTML:
        return query_page(None)
    endpoint = host_header.public_url(st.base, "sparql")  # never from the request's Host
    etag = _etag(st.version, ("service-description", endpoint, fmt.key))
    if _not_modified(etag):
        response = Response(status=304)
        response.headers["ETag"] = etag
        response.vary.add("Accept")
        return response
    cache_key = key(st.version, "service-description " + endpoint, fmt.key)
    entry = st.cache.get(cache_key)
    if entry is None:
        rendered = render_triples(
            service_description.triples(endpoint, st.release.manifest),
            fmt.key,
            1_000_000,
            service_description.PREFIXES,
            "DESCRIBE",
        )
        entry = Entry(rendered.body, fmt.content_type, rendered.rows, False, etag)
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
