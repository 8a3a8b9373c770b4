"""Dereferenceable IRIs (Cool URIs): resources, their documents, the ontology and its version IRI.

- `/id/<path>` names a thing; it answers 303 See Other to the document describing it, chosen by
  Accept: `/doc/<path>` (HTML) or `/doc/<path>.ttl|.jsonld|.rdf|.nt`.
- `/doc/<path>[.suffix]` is that document; a suffix beats the Accept header. HTML and RDF twins
  point to each other with `Link: <…>; rel="alternate"; type=…`; everything says `Vary: Accept`.
- `/ontology` (terms are hash IRIs `/ontology#Term`) and its version IRI `/ontology/<version>`
  answer directly: RDF/XML by default (Protégé's OWL API, owlready2, rdflib), Turtle, JSON-LD,
  N-Triples by Accept or suffix, and HTML documentation for browsers.
- `/graph/<name>` (the named graphs) answers 303 to the VoID description of the dataset.
An IRI the dataset does not mention gets a 404 with a page saying what exists instead.
"""

from __future__ import annotations

import difflib
import hashlib
import re

from flask import Blueprint, Response, redirect, request, url_for

from karabakh_kg.web import conneg
from karabakh_kg.web.app import state
from karabakh_kg.web.views import describe, htmlpage, ontology_doc, pagedata, weblinks
from karabakh_kg.web.views.pagedata import PageQueryFailed

bp = Blueprint("linked_data", __name__)
bp.record_once(lambda setup: htmlpage.init_app(setup.app))

# suffix -> conneg format key, and back; the RDF formats a document is offered in, in this order.
SUFFIXES = {"html": "html", "ttl": "turtle", "jsonld": "jsonld", "rdf": "rdfxml", "nt": "ntriples"}
ONTOLOGY_SUFFIXES = {**SUFFIXES, "owl": "rdfxml"}
SUFFIX_OF = {"turtle": "ttl", "jsonld": "jsonld", "rdfxml": "rdf", "ntriples": "nt", "html": "html"}
RDF_DOC = tuple(conneg.BY_KEY[k] for k in ("turtle", "jsonld", "rdfxml", "ntriples"))
ONTOLOGY_DEFAULT = conneg.BY_KEY["rdfxml"]
_ENCODED_SEPARATOR = re.compile(r"%(2f|5c|00)", re.IGNORECASE)
_BAD_CHARS = re.compile(r'[\x00-\x20\x7f<>"{}|^`\\]')


# --- paths and IRIs -----------------------------------------------------------------------------


def safe_path(path: str) -> bool:
    """Refuse traversal and smuggling: `.`/`..`/empty segments, encoded slashes, odd characters."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    if _ENCODED_SEPARATOR.search(raw.split("?", 1)[0]):
        return False
    if not path or _BAD_CHARS.search(path):
        return False
    return all(segment not in ("", ".", "..") for segment in path.split("/"))


def resource_iri(path: str) -> str | None:
    """The IRI `/id/<path>` stands for under the public base, or None for an unusable path."""
    if not safe_path(path):
        return None
    iri = weblinks.base() + "id/" + path
    return iri if pagedata.valid_iri(iri) else None


def exists(iri: str | None) -> bool:
    return iri is not None and pagedata.ask("resource-exists", this=iri)


def split_suffix(path: str, suffixes: dict[str, str]) -> tuple[str, str | None]:
    """`aghdam.ttl` -> (`aghdam`, `turtle`); a path without a known suffix -> (path, None)."""
    stem, dot, ext = path.rpartition(".")
    if dot and stem and ext in suffixes and "/" not in ext:
        return stem, suffixes[ext]
    return path, None


# --- negotiation --------------------------------------------------------------------------------


def negotiate_document(accept: str | None) -> conneg.Format:
    """HTML or an RDF format for a resource document; HTML when the client states no preference."""
    return conneg.negotiate(accept, conneg.HTML, extra=RDF_DOC)


def negotiate_ontology(accept: str | None) -> conneg.Format:
    """RDF/XML unless the client prefers something specific (OWL API, owlready2, */*)."""
    ranges = conneg.parse_accept(accept)
    if not ranges or all(t == "*" and s == "*" and q > 0 for t, s, q in ranges):
        return ONTOLOGY_DEFAULT
    return conneg.negotiate(
        accept, conneg.HTML, extra=(ONTOLOGY_DEFAULT,) + tuple(f for f in RDF_DOC if f.key != "rdfxml")
    )


def not_acceptable(err: conneg.NotAcceptable) -> Response:
    response = Response(str(err) + "\n", status=406, mimetype="text/plain")
    response.vary.add("Accept")
    return response


def failed(err: PageQueryFailed) -> Response:
    response = Response(err.message + "\n", status=err.status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    if err.status == 503:
        response.headers["Retry-After"] = "1"
    return response


def _etag(*parts: str) -> str:
    return hashlib.blake2b(
        "\0".join((state().version,) + parts).encode("utf-8", "surrogatepass"), digest_size=10
    ).hexdigest()


def rdf_response(
    body: bytes, fmt: conneg.Format, alternates: list[tuple[str, str]], etag: str, content_location: str | None = None
) -> Response:
    response = Response(body, mimetype=None, content_type=fmt.content_type)
    response.vary.add("Accept")
    response.headers["Link"] = htmlpage.link_header(alternates)
    if content_location:
        response.headers["Content-Location"] = content_location
    response.set_etag(etag, weak=True)
    return response.make_conditional(request)


def twins(path_for, current: str) -> list[tuple[str, str]]:
    """(url, media type) of every other form of a document, HTML first."""
    out = []
    for key in ("html",) + tuple(f.key for f in RDF_DOC):
        if key != current:
            out.append((path_for(SUFFIX_OF[key]), conneg.BY_KEY[key].media_type))
    return out


# --- 404 ----------------------------------------------------------------------------------------


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


# --- routes -------------------------------------------------------------------------------------


@bp.route("/id/<path:path>")
def resource(path: str):
    """Answer 303 See Other to the document describing the resource, in the format asked for."""
    try:
        iri = resource_iri(path)
        if not exists(iri):
            return not_found(iri or "/id/" + path)
        fmt = negotiate_document(request.headers.get("Accept"))
    except conneg.NotAcceptable as err:
        return not_acceptable(err)
    except PageQueryFailed as err:
        return failed(err)
    suffix = None if fmt.key == "html" else SUFFIX_OF[fmt.key]
    # A relative Location (RFC 9110 allows it): never built from the request's Host header.
    target = url_for("linked_data.document", path=path + (f".{suffix}" if suffix else ""))
    response = redirect(target, code=303)
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "max-age=3600"
    return response


@bp.route("/doc/<path:path>")
def document(path: str):
    """The document describing a resource: HTML or RDF by suffix, else by Accept."""
    try:
        stem, fmt_key = split_suffix(path, SUFFIXES)
        iri = resource_iri(stem)
        if fmt_key is not None and not exists(iri):  # maybe the dot belongs to the resource's name
            stem, fmt_key, iri = path, None, resource_iri(path)
        if not exists(iri):
            return not_found(iri or "/doc/" + path)
        fmt = conneg.BY_KEY[fmt_key] if fmt_key else negotiate_document(request.headers.get("Accept"))
        path_for = lambda ext: url_for("linked_data.document", path=f"{stem}.{ext}")  # noqa: E731
        alternates = twins(path_for, fmt.key)
        if fmt.key == "html":
            return htmlpage.page(
                "resource.html",
                alternates=alternates,
                d=describe.describe(iri, weblinks.base()),
                rdf_links=alternates,
            )
        body, _ = pagedata.construct("resource-document", fmt.key, this=iri)
    except conneg.NotAcceptable as err:
        return not_acceptable(err)
    except PageQueryFailed as err:
        return failed(err)
    location = None if fmt_key else path_for(SUFFIX_OF[fmt.key])
    return rdf_response(body, fmt, alternates, _etag("doc", stem, fmt.key), location)


def _ontology(fmt_key: str | None, self_path) -> Response:
    try:
        fmt = conneg.BY_KEY[fmt_key] if fmt_key else negotiate_ontology(request.headers.get("Accept"))
        alternates = [
            (self_path(ext), conneg.BY_KEY[key].media_type) for ext, key in SUFFIXES.items() if key != fmt.key
        ]
        if fmt.key == "html":
            return htmlpage.page("ontology.html", alternates=alternates, o=ontology_doc.document())
        body, _ = pagedata.construct("ontology-graph", fmt.key)
    except conneg.NotAcceptable as err:
        return not_acceptable(err)
    except PageQueryFailed as err:
        return failed(err)
    location = None if fmt_key else self_path(SUFFIX_OF[fmt.key])
    return rdf_response(body, fmt, alternates, _etag("ontology", fmt.key), location)


@bp.route("/ontology")
def ontology():
    """The ontology document (hash IRIs for terms): RDF/XML by default, or what Accept asks."""
    return _ontology(None, lambda ext: url_for("linked_data.ontology_as", ext=ext))


@bp.route("/ontology.<ext>")
def ontology_as(ext: str):
    """The ontology in the format its suffix names."""
    if ext not in ONTOLOGY_SUFFIXES:
        return not_found(request.path, "document")
    return _ontology(ONTOLOGY_SUFFIXES[ext], lambda e: url_for("linked_data.ontology_as", ext=e))


@bp.route("/ontology/diagram.svg")
def ontology_diagram():
    """The class diagram the build drew (Graphviz), when the release has one."""
    path = state().release.path / "diagram.svg"
    if not path.is_file():
        return not_found(request.path, "document")
    response = Response(path.read_bytes(), mimetype="image/svg+xml")
    response.set_etag(_etag("diagram"), weak=True)
    return response.make_conditional(request)


def _earlier_version(stem: str) -> bytes | None:
    """An earlier release of the ontology, kept in the package as `ontology/versions/<version>.ttl`.

    Its version IRI (owl:priorVersion of the current one) keeps answering, in Turtle as published.
    """
    from importlib import resources

    if not re.fullmatch(r"\d+\.\d+\.\d+", stem):
        return None
    path = resources.files("karabakh_kg.ontology").joinpath("versions", f"{stem}.ttl")
    return path.read_bytes() if path.is_file() else None


@bp.route("/ontology/<path:version>")
def ontology_version(version: str):
    """The version IRI of the ontology (owl:versionIRI) answers like the ontology IRI itself."""
    stem, fmt_key = split_suffix(version, ONTOLOGY_SUFFIXES)
    try:
        current = ontology_doc.version_path()
    except PageQueryFailed as err:
        return failed(err)
    if not safe_path(version) or current is None or stem != current:
        if current is not None and version == current:
            stem, fmt_key = version, None
        elif safe_path(version) and (earlier := _earlier_version(stem)) is not None:
            response = Response(earlier, mimetype="text/turtle")
            response.set_etag(hashlib.sha256(earlier).hexdigest()[:16])
            return response.make_conditional(request)
        else:
            return not_found(weblinks.base() + "ontology/" + version, "ontology version")
    return _ontology(fmt_key, lambda ext: url_for("linked_data.ontology_version", version=f"{stem}.{ext}"))


@bp.route("/graph/<name>")
def graph(name: str):
    """A named graph IRI: 303 to the dataset description (VoID) that describes each graph."""
    graphs = state().release.manifest.get("graphs", {})
    if name not in graphs or not safe_path(name):
        return not_found(weblinks.base() + "graph/" + name, "graph")
    response = redirect(url_for("pages.void"), code=303)
    response.vary.add("Accept")
    return response
