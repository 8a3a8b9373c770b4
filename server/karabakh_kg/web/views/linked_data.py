"""Dereferenceable IRIs (Cool URIs): resources, their documents, the ontology and its version IRI.

- `/id/<path>` names a thing; it answers 303 See Other to the document describing it, chosen by
  Accept: `/doc/<path>.rdf|.ttl|.jsonld|.nt` or `/doc/<path>` (HTML).
- `/doc/<path>[.suffix]` is that document; a suffix beats the Accept header. HTML and RDF twins
  point to each other with `Link: <…>; rel="alternate"; type=…`; everything says `Vary: Accept`.
- `/ontology` (terms are hash IRIs `/ontology#Term`) and its version IRI `/ontology/<version>`
  answer directly, by Accept or suffix.
- One policy for every document: RDF/XML to a client that states no preference (no Accept, or
  `*/*`: owlready2, urllib, wget, curl), HTML to browsers (they always ask for it), else what the
  Accept header prefers among RDF/XML, Turtle, JSON-LD, N-Triples and HTML.
- `/graph/<name>` (the named graphs): the graph itself to RDF clients, else 303 to the VoID description.
- `/context.jsonld` is the JSON-LD context (the prefix table) that JSON-LD answers carry inline.
An IRI the dataset does not mention gets a 404 with a page saying what exists instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re

from flask import Blueprint, Response, redirect, request, url_for

from karabakh_kg import jsonld
from karabakh_kg.web import conneg
from karabakh_kg.web.state import state
from karabakh_kg.web.views import describe, graph_store, htmlpage, ontology_doc, pagedata, weblinks
from karabakh_kg.web.views.pagedata import PageQueryFailed
from karabakh_kg.web.views.responses import (
    conditional,
    etag,
    failed,
    not_acceptable,
    not_found,
    rdf_response,
    safe_path,
)

bp = Blueprint("linked_data", __name__)

# suffix -> conneg format key, and back; the RDF formats a document is offered in, in this order.
SUFFIXES = {"html": "html", "ttl": "turtle", "jsonld": "jsonld", "rdf": "rdfxml", "nt": "ntriples"}
ONTOLOGY_SUFFIXES = {**SUFFIXES, "owl": "rdfxml"}
SUFFIX_OF = {"turtle": "ttl", "jsonld": "jsonld", "rdfxml": "rdf", "ntriples": "nt", "html": "html"}
RDF_DOC = tuple(f for f in conneg.DOCUMENT if f.key != "html")
OWL_XML = "application/owl+xml"
ONTOLOGY_FORMATS = (
    dataclasses.replace(conneg.BY_KEY["rdfxml"], aliases=conneg.BY_KEY["rdfxml"].aliases + (OWL_XML,)),
) + conneg.DOCUMENT[1:]


# --- paths and IRIs -----------------------------------------------------------------------------


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
    """A resource's document: RDF/XML for programs that state no preference, HTML for browsers."""
    return conneg.negotiate_document(accept)


def negotiate_ontology(accept: str | None) -> conneg.Format:
    """The ontology: as a resource's document, and RDF/XML for `application/owl+xml` too.

    OWL/XML is not written here; the OWL API (Protégé) reads RDF/XML whatever it asked for, so an
    OWL/XML request gets RDF/XML, labelled as such, rather than a 406 (RFC 9110 12.5.1 allows it).
    """
    return conneg.negotiate_document(accept, ONTOLOGY_FORMATS)


def twins(path_for, current: str) -> list[tuple[str, str]]:
    """(url, media type) of every other form of a document, HTML first."""
    out = []
    for key in ("html",) + tuple(f.key for f in RDF_DOC):
        if key != current:
            out.append((path_for(SUFFIX_OF[key]), conneg.BY_KEY[key].media_type))
    return out


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


def _every(more: bool, query: str, iri: str) -> str | None:
    """When a page shows only the first of a list: a link to the query answering all of it."""
    if not more:
        return None
    return url_for("sparql.sparql", query=pagedata.query_text(query, weblinks.base(), {"this": iri}))


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
            d = describe.describe(iri, weblinks.base())
            return htmlpage.page(
                "resource.html",
                alternates=alternates,
                d=d,
                rdf_links=alternates,
                every_incoming=_every(d.incoming_more, "resource-incoming-all", iri),
                incoming_shown=describe.INCOMING_SHOWN,
                every_said=_every(d.said_more, "resource-statements-all", iri),
                said_shown=describe.SAID_SHOWN,
            )
        body, _ = pagedata.construct("resource-document", fmt.key, this=iri)
    except conneg.NotAcceptable as err:
        return not_acceptable(err)
    except PageQueryFailed as err:
        return failed(err)
    location = None if fmt_key else path_for(SUFFIX_OF[fmt.key])
    return rdf_response(body, fmt, alternates, etag("doc", stem, fmt.key), location)


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
    return rdf_response(body, fmt, alternates, etag("ontology", fmt.key), location)


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
    return conditional(Response(path.read_bytes(), mimetype="image/svg+xml"), etag("diagram"))


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
    """A named graph IRI: the graph itself for RDF clients (streamed, as the Graph Store read side
    answers it), else 303 to the dataset description (VoID) that describes each graph."""
    graphs = state().release.manifest.get("graphs", {})
    if name not in graphs or not safe_path(name):
        return not_found(weblinks.base() + "graph/" + name, "graph")
    try:
        wanted = conneg.negotiate(request.headers.get("Accept"), conneg.HTML, extra=conneg.formats(conneg.GRAPH))
    except conneg.NotAcceptable as err:
        return not_acceptable(err)
    if wanted.kind == conneg.GRAPH:
        return graph_store.graph_response(graphs[name]["iri"])
    response = redirect(url_for("pages.void"), code=303)
    response.vary.add("Accept")
    return response


@bp.route("/context.jsonld")
def jsonld_context():
    """The JSON-LD context every JSON-LD answer and dump carries inline: the project's prefixes."""
    body = json.dumps(jsonld.context(weblinks.base()), indent=1).encode("utf-8")
    response = Response(body, content_type="application/ld+json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return conditional(response, etag("context"))
