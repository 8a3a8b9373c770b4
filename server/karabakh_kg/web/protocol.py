"""Read a SPARQL 1.1 Protocol query request (GET, form POST, direct POST) into its parameters.

Parameters are decoded here from the raw bytes, strictly as UTF-8, so a malformed request gets a
400 naming what is wrong instead of a query silently mangled by replacement characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from pyoxigraph import NamedNode

from karabakh_kg.web.safety import UPDATE_REFUSED, Refused

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"


@dataclass
class QueryRequest:
    """One query request as the protocol defines it (query text and RDF dataset), plus `format=`."""

    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    format: str | None = None


def _decode_params(raw: bytes, where: str) -> dict[str, list[str]]:
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        raise Refused(400, f"The {where} is not valid UTF-8 (percent-encoded bytes must encode UTF-8).") from None
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    """The bare media type and its charset parameter (lower-cased)."""
    if not content_type:
        return "", None
    pieces = content_type.split(";")
    charset = None
    for param in pieces[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return pieces[0].strip().lower(), charset


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise Refused(400, f"The parameter {name!r} is given {len(values)} times; give it once.")
    return values[0]


def _utf8(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Refused(400, f"The {what} is not valid UTF-8 (byte {err.start}: {err.reason}).") from None


def parse(method: str, query_string: bytes, content_type: str | None, body: bytes) -> QueryRequest:
    """Turn an HTTP request into a QueryRequest; raise Refused (400/403/405) when it is not one."""
    url_params = _decode_params(query_string, "query string")
    if "update" in url_params or "using-graph-uri" in url_params or "using-named-graph-uri" in url_params:
        raise Refused(403, UPDATE_REFUSED)
    if method in ("GET", "HEAD"):
        params = url_params
        query = _one(params, "query")
    elif method == "POST":
        media, charset = _media_type(content_type)
        if charset not in (None, "utf-8", "utf8", "us-ascii"):
            raise Refused(400, f"Unsupported charset {charset!r}: send UTF-8.")
        if media == FORM:
            form = _decode_params(body, "form body")
            if "update" in form:
                raise Refused(403, UPDATE_REFUSED)
            params = dict(url_params)
            for name, values in form.items():
                params.setdefault(name, [])
                params[name] = params[name] + values
            query = _one(params, "query")
        elif media == SPARQL_QUERY:
            params = url_params
            if "query" in params:
                raise Refused(400, "A direct POST carries the query in its body; do not also give a 'query' parameter.")
            query = _utf8(body, "request body")
        elif media == SPARQL_UPDATE:
            raise Refused(403, UPDATE_REFUSED)
        else:
            shown = content_type or "none"
            raise Refused(
                400,
                f"Unsupported Content-Type {shown!r} for POST: use {FORM} (query=...) "
                f"or {SPARQL_QUERY} (the query as the body).",
            )
    else:
        raise Refused(405, f"Method {method} is not allowed here: use GET or POST.")
    for name in ("default-graph-uri", "named-graph-uri"):
        for iri in params.get(name, ()):
            try:
                NamedNode(iri)
            except ValueError as err:
                raise Refused(400, f"{name}={iri!r} is not an absolute IRI ({err}).") from None
    return QueryRequest(
        query=query,
        default_graphs=tuple(params.get("default-graph-uri", ())),
        named_graphs=tuple(params.get("named-graph-uri", ())),
        format=_one(params, "format"),
    )
