"""Every IRI the project mints, derived from one public base so the base stays a setting."""

from dataclasses import dataclass

from rdflib import Namespace, URIRef

DEFAULT_BASE = "https://w3id.org/karabakh-kg/"

OA = Namespace("http://www.w3.org/ns/oa#")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
SCHEMA = Namespace("https://schema.org/")
TIME = Namespace("http://www.w3.org/2006/time#")
ORG = Namespace("http://www.w3.org/ns/org#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
GAF = Namespace("http://groundedannotationframework.org/gaf#")
WD = Namespace("http://www.wikidata.org/entity/")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

GRAPH_NAMES = ("ontology", "asserted", "links", "inferred")

# The vocabularies the data uses or aligns to, by their usual prefix: one table for query hints,
# the editor's completion and the pages' short names (the project's own two come from the base).
VOCABULARIES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "sem": str(SEM),
    "schema": str(SCHEMA),
    "prov": "http://www.w3.org/ns/prov#",
    "time": str(TIME),
    "org": str(ORG),
    "geo": str(GEO),
    "oa": str(OA),
    "gaf": str(GAF),
    "wd": str(WD),
    "gn": "https://sws.geonames.org/",
    "void": str(VOID),
    "dcat": "http://www.w3.org/ns/dcat#",
    "sd": str(SD),
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vann": "http://purl.org/vocab/vann/",
    "sh": "http://www.w3.org/ns/shacl#",
}


def prefixes(base: str = DEFAULT_BASE) -> dict[str, str]:
    """Every known prefix for a public base: `kgo:` and `kg:` first, then the vocabularies."""
    return {"kgo": base + "ontology#", "kg": base + "id/", **VOCABULARIES}


@dataclass(frozen=True)
class IRIs:
    """The IRIs minted under one public base (ontology terms, resources, graphs)."""

    base: str = DEFAULT_BASE

    @property
    def ontology(self) -> URIRef:
        return URIRef(self.base + "ontology")

    def version_iri(self, version: str) -> URIRef:
        return URIRef(f"{self.base}ontology/{version}")

    @property
    def kgo(self) -> Namespace:
        """Ontology terms are hash IRIs of the ontology document."""
        return Namespace(self.base + "ontology#")

    @property
    def kg(self) -> Namespace:
        """Resources (entities, events, mentions) live under /id/."""
        return Namespace(self.base + "id/")

    def graph(self, name: str) -> URIRef:
        if name not in GRAPH_NAMES:
            raise KeyError(name)
        return URIRef(f"{self.base}graph/{name}")

    @property
    def graphs(self) -> dict[str, URIRef]:
        return {name: self.graph(name) for name in GRAPH_NAMES}


DEFAULT = IRIs()
KGO = DEFAULT.kgo
KG = DEFAULT.kg
