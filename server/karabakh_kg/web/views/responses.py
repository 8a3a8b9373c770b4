"""The views' response toolkit: plain-text errors, 404s, one ETag policy, safe paths, RDF answers.

Errors are always text/plain (or the HTML 404 page for browsers), never a stack trace. Every
cacheable answer gets a weak ETag `W/"<dataset version>-<hash>"` made here, and one function
answers 304 to a matching `If-None-Match`, so all routes agree on what "unchanged" means.
"""

from __future__ import annotations

import difflib
import re

from flask import Response, request

from karabakh_kg.web import cache, conneg
from karabakh_kg.web.state import state
from karabakh_kg.web.views import htmlpage, pagedata, weblinks
from karabakh_kg.web.views.pagedata import PageQueryFailed

_ENCODED_SEPARATOR = re.compile(r"%(2f|5c|00)", re.IGNORECASE)
_BAD_CHARS = re.compile(r'[\x00-\x20\x7f<>"{}|^`\\]')


def text_response(status: int, message: str, headers: dict | None = None) -> Response:
    """A plain-text answer (errors are always text/plain, never HTML, never a stack trace)."""
    response = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    if headers:
        response.headers.update(headers)
    return response


def error(status: int, message: str) -> Response:
    """A client or server error whose wording may depend on the Accept header."""
    response = text_response(status, message)
    response.vary.add("Accept")
    return response


def not_acceptable(err: conneg.NotAcceptable) -> Response:
    return error(406, str(err))


def failed(err: PageQueryFailed) -> Response:
    """A page whose data could not be had (timeout, engine failure): the server's fault."""
    return text_response(err.status, err.message, {"Retry-After": "1"} if err.status == 503 else None)


# --- one ETag policy ----------------------------------------------------------------------------


def etag(*parts) -> str:
    """The weak ETag of an answer of this dataset version (see `cache.tag`)."""
    return cache.tag(state().version, *parts)


def not_modified(tag: str) -> bool:
    """True when a GET/HEAD's If-None-Match names `tag` (weak comparison, RFC 9110 13.1.2)."""
    if request.method not in ("GET", "HEAD"):
        return False
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    opaque = tag.removeprefix("W/")
    return any(t.strip() == "*" or t.strip().removeprefix("W/") == opaque for t in header.split(","))


def unchanged(tag: str, vary: tuple[str, ...] = ("Accept",)) -> Response:
    """The 304 answer for `tag`."""
    response = Response(status=304)
    response.headers["ETag"] = tag
    response.vary.update(vary)
    return response


def conditional(response: Response, tag: str) -> Response:
    """`response` with its ETag, or a 304 when the client already has it."""
    if not_modified(tag):
        return unchanged(tag, tuple(response.vary))
    response.headers["ETag"] = tag
    return response


def rdf_response(
    body: bytes, fmt: conneg.Format, alternates: list[tuple[str, str]], tag: str, content_location: str | None = None
) -> Response:
    """An RDF document with its twins in `Link`, `Vary: Accept` and the ETag policy."""
    response = Response(body, mimetype=None, content_type=fmt.content_type)
    response.vary.add("Accept")
    response.headers["Link"] = htmlpage.link_header(alternates)
    if content_location:
        response.headers["Content-Location"] = content_location
    return conditional(response, tag)


# --- paths and 404 ------------------------------------------------------------------------------


def safe_path(path: str) -> bool:
    """Refuse traversal and smuggling: `.`/`..`/empty segments, encoded slashes, odd characters."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    if _ENCODED_SEPARATOR.search(raw.split("?", 1)[0]):
        return False
    if not path or _BAD_CHARS.search(path):
        return False
    return all(segment not in ("", ".", "..") for segment in path.split("/"))


def _slugs() -> tuple[dict[str, str | None], dict[str, str]]:
    """Every named resource's label, and the resource by the last segment of its IRI (for near matches)."""
    rows = pagedata.select("resources")
    names = {row["s"].value: (row.get("label").value if row.get("label") else None) for row in rows}
    return names, {iri.rsplit("/", 1)[-1].lower(): iri for iri in names}


def not_found(what: str, kind: str = "resource") -> Response:
    """404 with a page that says what this server does describe (and near matches by name)."""
    suggestions = []
    if kind == "resource":
        try:
            names, by_slug = pagedata.memo("resource-slugs", _slugs)
        except PageQueryFailed:
            names, by_slug = {}, {}
        wanted = what.rsplit("/", 1)[-1].lower()[:200]
        for slug in difflib.get_close_matches(wanted, list(by_slug), n=5, cutoff=0.5):
            suggestions.append((by_slug[slug], names[by_slug[slug]]))
    if htmlpage.wants_html():
        response = htmlpage.page("not_found.html", status=404, what=what, kind=kind, suggestions=suggestions)
    else:
        lines = [f"404 Not Found: no {kind} {what} in this dataset."]
        if suggestions:
            lines.append("Did you mean: " + ", ".join(weblinks.local_path(iri) or iri for iri, _ in suggestions) + " ?")
        lines.append("Every resource is listed on / ; query the data at /sparql ; the ontology is /ontology .")
        response = Response("\n".join(lines) + "\n", status=404, mimetype="text/plain")
        response.vary.add("Accept")
    response.headers["Cache-Control"] = "no-cache"
    return response
