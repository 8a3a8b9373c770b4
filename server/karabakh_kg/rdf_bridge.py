"""Move graphs between rdflib and Oxigraph, so build-time queries run on Oxigraph's fast engine.

rdflib's SPARQL engine took 9 s for the build's checks on the article graph; Oxigraph takes
milliseconds. Terms are converted one by one (no serialising and parsing in between).
"""

from __future__ import annotations

import pyoxigraph
from rdflib import BNode, Graph, Literal, URIRef


def to_store(graph: Graph, store: pyoxigraph.Store | None = None) -> pyoxigraph.Store:
    """An in-memory Oxigraph store (a new one, or `store`) with `graph` added to its default graph."""
    store = pyoxigraph.Store() if store is None else store
    store.extend(quads(graph))
    return store


def quads(graph: Graph, graph_name=None, convert: Converter | None = None) -> list[pyoxigraph.Quad]:
    """`graph`'s triples as Oxigraph quads in `graph_name` (default: the default graph)."""
    convert = convert or Converter()
    name = pyoxigraph.DefaultGraph() if graph_name is None else graph_name
    return [pyoxigraph.Quad(convert(s), convert(p), convert(o), name) for s, p, o in graph]


class Converter:
    """`to_oxigraph` with a memory for IRIs and blank nodes (a graph repeats them; each is converted
    once). Literals are converted every time: rdflib calls `"1"^^xsd:integer` and `"01"^^xsd:integer`
    equal, so they cannot be keys."""

    def __init__(self):
        self.cache: dict = {}

    def __call__(self, term):
        if isinstance(term, Literal):
            return to_oxigraph(term)
        try:
            return self.cache[term]
        except KeyError:
            value = self.cache[term] = to_oxigraph(term)
            return value


def construct(store: pyoxigraph.Store, query: str) -> Graph:
    """Run a CONSTRUCT query and return its triples as an rdflib graph."""
    result = Graph()
    for triple in store.query(query):
        result.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
    return result


def select(store: pyoxigraph.Store, query: str) -> list[tuple]:
    """Run a SELECT query; each row is a tuple of rdflib terms (None where unbound)."""
    return [tuple(to_rdflib(term) for term in row) for row in store.query(query)]


def to_rdflib(term):
    """One Oxigraph term as the equivalent rdflib term."""
    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return Literal(term.value)  # rdflib tells a plain literal from an xsd:string one; RDF 1.1 does not
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def to_oxigraph(term):
    """One rdflib term as the equivalent Oxigraph term."""
    if not isinstance(term, (URIRef, BNode, Literal)):
        raise TypeError(f"unexpected rdflib term {term!r}")
    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    if isinstance(term, BNode):
        return pyoxigraph.BlankNode(str(term))
    if term.language:
        return pyoxigraph.Literal(str(term), language=term.language)
    if term.datatype:
        return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(str(term.datatype)))
    return pyoxigraph.Literal(str(term))


def nquads(quads) -> bytes:
    """N-Quads of (s, p, o, graph IRI) rdflib quads, one sorted line each, duplicates removed."""
    ox = [pyoxigraph.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), to_oxigraph(g)) for s, p, o, g in quads]
    data = pyoxigraph.serialize(ox, format=pyoxigraph.RdfFormat.N_QUADS) or b""
    return b"\n".join(sorted({line for line in data.splitlines() if line.strip()})) + b"\n"
