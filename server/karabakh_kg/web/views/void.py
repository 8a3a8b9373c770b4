"""Describe the dataset in VoID and DCAT: figures, partitions, endpoint, dumps, vocabularies, licence.

The licence covers the project's own statements only; `dcterms:rights` says so and names the
article's text as its publisher's (ontology/README.md, "Rights").

Every figure is counted by a page query on the served data, so the description cannot drift
from what the endpoint answers. IRIs are minted under the public base like everything else: the
description is `<base>.well-known/void`, the dataset `<base>.well-known/void#dataset`, its
subsets are the named graphs themselves, the endpoint `<base>sparql`, the dumps `<base>dumps/…`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, XSD

from karabakh_kg import jsonld, prefixes
from karabakh_kg.namespaces import SD, VOID
from karabakh_kg.web import conneg
from karabakh_kg.web.state import state
from karabakh_kg.web.views import pagedata

IANA = "http://www.iana.org/assignments/media-types/"
GRAPH_TITLES = {
    "ontology": "the ontology (OWL 2 RL)",
    "asserted": "the facts stated by the article, with their mentions",
    "links": "links to Wikidata and GeoNames (skos:exactMatch / closeMatch)",
    "inferred": "what OWL-RL reasoning adds (noise removed)",
}

RIGHTS = (
    "The licence covers the project's own statements: the ontology, the curated facts and statements, and the"
    " offsets and annotations the build derives. The article's text and the quotes of it belong to its"
    " publisher (all rights reserved by the publisher; the publisher is not named in the source)."
)


@dataclass
class Figures:
    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    properties: int
    graphs: list[tuple[str, int, int]]  # (graph IRI, triples, distinct subjects)
    classes: list[tuple[str, int]]  # (class IRI, instances)
    property_partitions: list[tuple[str, int]]  # (property IRI, triples)
    examples: list[str]
    sources: list[str]
    licence: str | None
    vocabularies: list[str]


def _int(row: dict, name: str) -> int:
    term = row.get(name)
    return int(term.value) if term is not None else 0


def namespace(iri: str) -> str:
    """The vocabulary an IRI belongs to: everything up to its last `#` or `/`."""
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > 0 else iri


def figures() -> Figures:
    """Count everything VoID states, with the page queries."""
    totals = pagedata.select("void-totals")[0]
    entities = pagedata.select("void-entities")[0]
    graphs = [(r["g"].value, _int(r, "triples"), _int(r, "distinctSubjects")) for r in pagedata.select("void-graphs")]
    classes = [(r["class"].value, _int(r, "entities")) for r in pagedata.select("void-classes") if r["class"].is_iri]
    props = [(r["p"].value, _int(r, "triples")) for r in pagedata.select("void-properties")]
    examples = [r["s"].value for r in pagedata.select("void-example")]
    sources = [r["article"].value for r in pagedata.select("articles")]
    licence = None
    for row in pagedata.select("ontology-header"):
        if row["p"].value == str(DCTERMS.license) and row["o"].is_iri:
            licence = row["o"].value
    vocabularies = sorted({namespace(iri) for iri, _ in props} | {namespace(iri) for iri, _ in classes})
    return Figures(
        triples=_int(totals, "triples"),
        entities=_int(entities, "entities"),
        distinct_subjects=_int(totals, "distinctSubjects"),
        distinct_objects=_int(totals, "distinctObjects"),
        properties=_int(totals, "properties"),
        graphs=graphs,
        classes=classes,
        property_partitions=props,
        examples=examples,
        sources=sources,
        licence=licence,
        vocabularies=vocabularies,
    )


def dumps() -> list[tuple[str, int, conneg.Format | None]]:
    """(file name, bytes, format) of each dump in the release's dumps/ folder."""
    folder: Path = state().release.dumps
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name.endswith(".gz") and not path.name.startswith("."):
            ext = path.name[:-3].rpartition(".")[2]
            ext = "rdf" if ext == "owl" else ext  # the OWL tools' copy is RDF/XML
            out.append((path.name, path.stat().st_size, conneg.by_name(ext, conneg.GRAPH)))
    return out


def iris(base: str) -> dict[str, URIRef]:
    return {
        "document": URIRef(base + ".well-known/void"),
        "dataset": URIRef(base + ".well-known/void#dataset"),
        "endpoint": URIRef(base + "sparql"),
        "home": URIRef(base),
    }


def graph(figs: Figures, base: str) -> Graph:
    """The VoID + DCAT description as an RDF graph."""
    st = state()
    names = iris(base)
    ds, doc, endpoint = names["dataset"], names["document"], names["endpoint"]
    g = Graph()
    for prefix, ns in (
        ("void", VOID),
        ("dcat", DCAT),
        ("dcterms", DCTERMS),
        ("foaf", FOAF),
        ("sd", SD),
        ("xsd", XSD),
        ("owl", OWL),
        ("rdfs", RDFS),
    ):
        g.bind(prefix, ns)
    count = lambda n: Literal(n, datatype=XSD.integer)  # noqa: E731
    g.add((doc, RDF.type, VOID.DatasetDescription))
    g.add((doc, DCTERMS.title, Literal("VoID and DCAT description of the Karabakh KG", lang="en")))
    g.add((doc, FOAF.primaryTopic, ds))
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal("Karabakh KG", lang="en")))
    g.add(
        (
            ds,
            DCTERMS.description,
            Literal(
                "A linked-data knowledge graph of the November 2020 Nagorno-Karabakh ceasefire, built from one "
                "news article: every fact cites the exact quote it comes from; OWL-RL inferences are kept in "
                "their own named graph.",
                lang="en",
            ),
        )
    )
    g.add((ds, OWL.versionInfo, Literal(st.version)))
    g.add((ds, DCAT.landingPage, names["home"]))
    g.add((ds, FOAF.homepage, names["home"]))
    if figs.licence:
        g.add((ds, DCTERMS.license, URIRef(figs.licence)))
        g.add((ds, DCTERMS.rights, Literal(RIGHTS, lang="en")))
    for source in figs.sources:
        g.add((ds, DCTERMS.source, URIRef(source)))
        g.add((ds, VOID.rootResource, URIRef(source)))
    g.add((ds, VOID.sparqlEndpoint, endpoint))
    g.add((ds, VOID.uriSpace, Literal(base + "id/")))
    for vocabulary in figs.vocabularies:
        g.add((ds, VOID.vocabulary, URIRef(vocabulary)))
    for example in figs.examples:
        g.add((ds, VOID.exampleResource, URIRef(example)))
    g.add((ds, VOID.triples, count(figs.triples)))
    g.add((ds, VOID.entities, count(figs.entities)))
    g.add((ds, VOID.classes, count(len(figs.classes))))
    g.add((ds, VOID.properties, count(figs.properties)))
    g.add((ds, VOID.distinctSubjects, count(figs.distinct_subjects)))
    g.add((ds, VOID.distinctObjects, count(figs.distinct_objects)))
    for iri, triples, subjects in figs.graphs:
        subset = URIRef(iri)
        g.add((ds, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, RDF.type, SD.Graph))
        name = iri[len(base + "graph/") :] if iri.startswith(base + "graph/") else iri
        g.add((subset, DCTERMS.title, Literal(f"{name}: {GRAPH_TITLES.get(name, 'a named graph')}", lang="en")))
        g.add((subset, VOID.triples, count(triples)))
        g.add((subset, VOID.distinctSubjects, count(subjects)))
        g.add((subset, VOID.sparqlEndpoint, endpoint))
    for i, (cls, entities) in enumerate(figs.classes):
        part = URIRef(f"{ds}-class-{i}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, count(entities)))
    for i, (prop, triples) in enumerate(figs.property_partitions):
        part = URIRef(f"{ds}-property-{i}")
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(prop)))
        g.add((part, VOID.triples, count(triples)))
    service = endpoint
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, RDF.type, SD.Service))
    g.add((service, DCAT.endpointURL, endpoint))
    g.add((service, DCAT.servesDataset, ds))
    g.add((service, DCTERMS.title, Literal("SPARQL 1.1 endpoint (read-only)", lang="en")))
    g.add((ds, DCAT.distribution, service))
    for name, size, fmt in dumps():
        url = URIRef(base + "dumps/" + name)
        g.add((ds, VOID.dataDump, url))
        g.add((ds, DCAT.distribution, url))
        g.add((url, RDF.type, DCAT.Distribution))
        g.add((url, DCAT.downloadURL, url))
        g.add((url, DCAT.accessURL, url))
        g.add((url, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
        g.add((url, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
        if fmt is not None:
            g.add((url, DCAT.mediaType, URIRef(IANA + fmt.media_type)))
            if fmt.w3c:
                g.add((ds, VOID.feature, URIRef(fmt.w3c)))
            title = f"the whole dataset in {fmt.label}, gzip-compressed"
            if name.endswith(".owl.gz"):
                title = (
                    "ontology, asserted facts and links for OWL 2 DL tools (Protégé, HermiT), RDF/XML, gzip-compressed"
                )
            g.add((url, DCTERMS.title, Literal(title, lang="en")))
        if fmt is not None and fmt.key in ("trig", "nquads"):
            g.add((url, RDFS.comment, Literal("keeps the named graphs", lang="en")))
    return g


# The description is one graph: as TriG it is Turtle (triples in the default graph), as N-Quads it is
# N-Triples (quads without a graph name); both are valid documents of those formats.
RDFLIB_FORMATS = {
    "turtle": "turtle",
    "ntriples": "nt",
    "jsonld": "json-ld",
    "rdfxml": "xml",
    "trig": "turtle",
    "nquads": "nt",
}


def serialize(g: Graph, fmt_key: str, base: str) -> bytes:
    """The description in a format; JSON-LD compact, with the project's context like every JSON-LD answer."""
    body = g.serialize(format=RDFLIB_FORMATS[fmt_key], encoding="utf-8")
    return jsonld.compact(body, prefixes.table(base)) if fmt_key == "jsonld" else body
