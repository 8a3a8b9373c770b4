"""The SPARQL 1.1 Service Description of this endpoint (sd: vocabulary), built from the manifest."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import RDF

from karabakh_kg import prefixes as prefix_table
from karabakh_kg.namespaces import DEFAULT_BASE, VOID
from karabakh_kg.namespaces import SD as SD_NS
from karabakh_kg.web import conneg

SD = str(SD_NS)
RDF_TYPE = ox.NamedNode(str(RDF.type))
VOID_TRIPLES = ox.NamedNode(str(VOID.triples))
DCT_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
SIMPLE_ENTAILMENT = ox.NamedNode("http://www.w3.org/ns/entailment/Simple")

# The project's one prefix table (the description names no resource, so the base does not matter):
# its JSON-LD carries the same context as every other JSON-LD answer.
PREFIXES = prefix_table.table(DEFAULT_BASE)


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def _count(n: int) -> ox.Literal:
    return ox.Literal(str(int(n)), datatype=XSD_INTEGER)


def triples(endpoint: str, manifest: dict) -> list[ox.Triple]:
    """Describe the service at `endpoint`: languages, formats, features and the default dataset."""
    service = ox.NamedNode(endpoint)
    out = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("defaultEntailmentRegime"), SIMPLE_ENTAILMENT),
        ox.Triple(service, DCT_TITLE, ox.Literal("Karabakh KG SPARQL 1.1 endpoint (read-only)", language="en")),
    ]
    for fmt in conneg.FORMATS:
        if fmt.w3c:
            out.append(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(fmt.w3c)))
    dataset = ox.BlankNode("dataset")
    default_graph = ox.BlankNode("defaultGraph")
    out += [
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _sd("Graph")),
    ]
    graphs = manifest.get("graphs", {})
    total = manifest.get("triples")
    if total is None:
        total = sum(int(info.get("triples", 0)) for info in graphs.values())
    out.append(ox.Triple(default_graph, VOID_TRIPLES, _count(total)))
    for name, info in sorted(graphs.items()):
        named = ox.BlankNode(f"namedGraph_{name}")
        graph = ox.BlankNode(f"graph_{name}")
        out += [
            ox.Triple(dataset, _sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(info["iri"])),
            ox.Triple(named, _sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, _sd("Graph")),
            ox.Triple(graph, VOID_TRIPLES, _count(info.get("triples", 0))),
        ]
    return out
