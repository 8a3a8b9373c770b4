"""Content negotiation: one table of media types, and the choice of one of them for a request.

Server preference is the order of the table; the client's Accept header (q-values, `type/*`,
`*/*`, `q=0` meaning "not this") decides first, and an explicit `format=` parameter beats both.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

RESULTS = "results"  # SELECT and ASK
GRAPH = "graph"  # CONSTRUCT, DESCRIBE, the service description
HTML = "html"


@dataclass(frozen=True)
class Format:
    key: str  # short name for `format=` and for cache keys
    media_type: str  # what the response says it is
    kind: str
    aliases: tuple[str, ...] = ()  # other media types a client may ask for it by
    names: tuple[str, ...] = ()  # other `format=` values
    label: str = ""
    w3c: str = ""  # http://www.w3.org/ns/formats/ IRI, for the service description
    charset: bool = True

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type


FORMATS_NS = "http://www.w3.org/ns/formats/"

# The one media-type table. Within a kind, the first entry is the default.
FORMATS: tuple[Format, ...] = (
    Format(
        "json",
        "application/sparql-results+json",
        RESULTS,
        ("application/json",),
        ("srj",),
        "SPARQL 1.1 Query Results JSON",
        FORMATS_NS + "SPARQL_Results_JSON",
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        RESULTS,
        ("application/xml", "text/xml"),
        ("srx",),
        "SPARQL Query Results XML",
        FORMATS_NS + "SPARQL_Results_XML",
    ),
    Format("csv", "text/csv", RESULTS, (), (), "SPARQL 1.1 Query Results CSV", FORMATS_NS + "SPARQL_Results_CSV"),
    Format(
        "tsv",
        "text/tab-separated-values",
        RESULTS,
        (),
        (),
        "SPARQL 1.1 Query Results TSV",
        FORMATS_NS + "SPARQL_Results_TSV",
    ),
    Format("turtle", "text/turtle", GRAPH, ("application/x-turtle",), ("ttl",), "Turtle", FORMATS_NS + "Turtle"),
    Format("ntriples", "application/n-triples", GRAPH, (), ("nt", "n-triples"), "N-Triples", FORMATS_NS + "N-Triples"),
    Format(
        "jsonld",
        "application/ld+json",
        GRAPH,
        ("application/json",),
        ("json-ld", "json"),
        "JSON-LD",
        FORMATS_NS + "JSON-LD",
    ),
    Format(
        "rdfxml",
        "application/rdf+xml",
        GRAPH,
        ("application/xml", "text/xml"),
        ("rdf", "xml", "rdf+xml"),
        "RDF/XML",
        FORMATS_NS + "RDF_XML",
    ),
    Format("trig", "application/trig", GRAPH, (), (), "TriG", FORMATS_NS + "TriG"),
    Format("nquads", "application/n-quads", GRAPH, (), ("nq", "n-quads"), "N-Quads", FORMATS_NS + "N-Quads"),
    Format("html", "text/html", HTML, ("application/xhtml+xml",), (), "HTML"),
)

BY_KEY = {f.key: f for f in FORMATS}


def formats(kind: str) -> tuple[Format, ...]:
    return tuple(f for f in FORMATS if f.kind == kind)


class NotAcceptable(Exception):
    """Nothing the client accepts (or names with `format=`) is offered here."""

    def __init__(self, offered: tuple[Format, ...], asked: str):
        self.offered = offered
        self.asked = asked
        types = ", ".join(f.media_type for f in offered)
        super().__init__(f"Not Acceptable: {asked or 'nothing acceptable'}. Supported media types here: {types}")


def parse_accept(header: str | None) -> list[tuple[str, str, float]]:
    """Split an Accept header into (type, subtype, q) ranges; malformed ranges are skipped."""
    ranges: list[tuple[str, str, float]] = []
    if not header:
        return ranges
    for part in header.split(","):
        pieces = part.split(";")
        media = pieces[0].strip().lower()
        if "/" not in media:
            continue
        mtype, _, subtype = media.partition("/")
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((mtype.strip(), subtype.strip(), q))
    return ranges


def _quality(ranges: list[tuple[str, str, float]], media_type: str) -> tuple[float, int]:
    """The q the client gives a media type: that of the most specific matching range."""
    mtype, _, subtype = media_type.partition("/")
    best_spec, best_q = -1, 0.0
    for rtype, rsub, q in ranges:
        if rtype == mtype and rsub == subtype:
            spec = 2
        elif rtype == mtype and rsub == "*":
            spec = 1
        elif rtype == "*" and rsub == "*":
            spec = 0
        else:
            continue
        if spec > best_spec or (spec == best_spec and q > best_q):
            best_spec, best_q = spec, q
    return best_q, best_spec


def by_name(name: str, kind: str) -> Format | None:
    """The format a `format=` value names for this kind of answer (a key, an alias or a media type)."""
    name = name.strip().lower()
    for f in formats(kind):
        if name == f.key or name in f.names or name == f.media_type or name in f.aliases:
            return f
    return None


@functools.lru_cache(maxsize=512)  # a pure function of a few header values that clients repeat
def negotiate(accept: str | None, kind: str, format_param: str | None = None, extra: tuple[Format, ...] = ()) -> Format:
    """Choose the format for an answer of `kind`; raise NotAcceptable when nothing fits."""
    offered = formats(kind) + extra
    if format_param:
        chosen = by_name(format_param, kind)
        if chosen is None:
            for f in extra:
                if format_param.strip().lower() in (f.key, f.media_type):
                    return f
            raise NotAcceptable(offered, f"format={format_param}")
        return chosen
    return choose(accept, offered)


def choose(accept: str | None, offered: tuple[Format, ...]) -> Format:
    """The offered format the Accept header prefers (ties go to the earlier one); no header: the first."""
    ranges = parse_accept(accept)
    if not ranges:
        return offered[0]
    best: Format | None = None
    best_score = (0.0, -1, 0)
    for rank, f in enumerate(offered):
        q, spec = _quality(ranges, f.media_type)
        if spec < 2:  # a client naming an alias exactly (application/json) asks for this format
            exact = [aq for aq, aspec in (_quality(ranges, a) for a in f.aliases) if aspec == 2]
            if exact:
                q, spec = max(exact), 2
        if q <= 0.0:
            continue
        score = (q, spec, -rank)
        if score > best_score:
            best, best_score = f, score
    if best is None:
        raise NotAcceptable(offered, f"Accept: {accept}")
    return best


# Linked-data documents (a resource's, the ontology): RDF/XML first, HTML for those who ask for it.
DOCUMENT = tuple(BY_KEY[k] for k in ("rdfxml", "turtle", "jsonld", "ntriples", "html"))


def negotiate_document(accept: str | None, offered: tuple[Format, ...] = DOCUMENT) -> Format:
    """The format of a linked-data document: RDF for programs, HTML for browsers.

    A client that states no preference (no Accept header, or only `*/*`: owlready2, urllib, wget,
    curl) is a program and gets the first format offered, RDF/XML, which every RDF and OWL tool
    reads; a browser always names text/html. Otherwise the Accept header decides, ties going to
    the earlier format.
    """
    ranges = parse_accept(accept)
    if not ranges or all(t == "*" and s == "*" and q > 0 for t, s, q in ranges):
        return offered[0]
    return choose(accept, offered)
