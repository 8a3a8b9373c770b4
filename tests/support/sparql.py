"""Queries, graph names and request helpers shared by the SPARQL protocol tests of every engine."""

from __future__ import annotations

import json
import warnings
from urllib.parse import urlencode

import rdflib

BASE = "https://w3id.org/karabakh-kg/"
G = {name: f"{BASE}graph/{name}" for name in ("ontology", "asserted", "links", "inferred")}
PLACES = "PREFIX kgo: <https://w3id.org/karabakh-kg/ontology#> SELECT ?p WHERE { ?p a kgo:Place } ORDER BY ?p"
PLACE_IRIS = [f"{BASE}id/aghdam", f"{BASE}id/kalbajar", f"{BASE}id/lachin"]
EVENTS = "PREFIX kgo: <https://w3id.org/karabakh-kg/ontology#> SELECT ?e WHERE { ?e a kgo:Event } ORDER BY ?e"
CONSTRUCT = "PREFIX kgo: <https://w3id.org/karabakh-kg/ontology#> CONSTRUCT { ?p a kgo:Place } WHERE { ?p a kgo:Place }"
FORM = "application/x-www-form-urlencoded"
SRJ = "application/sparql-results+json"


def get(client, query, headers=None, **params):
    return client.get("/sparql?" + urlencode({"query": query, **params}, doseq=True), headers=headers or {})


def parse_triples(data: bytes, rdflib_format: str) -> set:
    """The triples of an RDF answer (quad formats: all graphs together)."""
    with warnings.catch_warnings():  # rdflib 7 deprecation notices from its own parsers
        warnings.simplefilter("ignore", DeprecationWarning)
        if rdflib_format in ("trig", "nquads"):
            dataset = rdflib.Dataset()
            dataset.parse(data=data, format=rdflib_format)
            return {(s, p, o) for s, p, o, _ in dataset.quads((None, None, None, None))}
        return set(rdflib.Graph().parse(data=data, format=rdflib_format))


def sd_graph(data: bytes, rdflib_format: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    for triple in parse_triples(data, rdflib_format):
        graph.add(triple)
    return graph


def bindings(response, var):
    return [b[var]["value"] for b in json.loads(response.data)["results"]["bindings"]]
