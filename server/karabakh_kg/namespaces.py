"""Every IRI the project mints, derived from one public base so the base stays a setting."""

from dataclasses import dataclass

from rdflib import Namespace, URIRef

from karabakh_kg import prefixes as prefix_table

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

# One prefix table for the whole project: `prefixes.py` (query hints, the editor, pages, answers).
VOCABULARIES = dict(prefix_table.VOCABULARIES)


def prefixes(base: str = DEFAULT_BASE) -> dict[str, str]:
    """Every known prefix for a public base: `kgo:` and `kg:` first, then the vocabularies."""
    return prefix_table.table(base)


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
