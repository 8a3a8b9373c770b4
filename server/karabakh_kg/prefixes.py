"""The one prefix table, and the prefixes that keep every written IRI readable.

Turtle, TriG and RDF/XML answers, the dumps, the JSON-LD context, the pages and the query editor
all use `table(base)`. A prefixed name stays readable only if its local part needs no escapes:
`kg:aghdam/mention/2` would have to be written `kg:aghdam\\/mention\\/2`. Such IRIs are written
in full instead, relative to the document's `@base` (`<id/aghdam/mention/2>`), by `short`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Every vocabulary the ontology, the facts, the links and the dataset description use.
VOCABULARIES: tuple[tuple[str, str], ...] = (
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("sem", "http://semanticweb.cs.vu.nl/2009/11/sem/"),
    ("schema", "https://schema.org/"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("time", "http://www.w3.org/2006/time#"),
    ("org", "http://www.w3.org/ns/org#"),
    ("geo", "http://www.opengis.net/ont/geosparql#"),
    ("oa", "http://www.w3.org/ns/oa#"),
    ("gaf", "http://groundedannotationframework.org/gaf#"),
    ("wd", "http://www.wikidata.org/entity/"),
    ("gn", "https://sws.geonames.org/"),
    ("void", "http://rdfs.org/ns/void#"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("sd", "http://www.w3.org/ns/sparql-service-description#"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vann", "http://purl.org/vocab/vann/"),
    ("sh", "http://www.w3.org/ns/shacl#"),
    ("formats", "http://www.w3.org/ns/formats/"),
)

# A local name that Turtle reads without escapes (PN_LOCAL, ASCII part).
_CLEAN_LOCAL = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?)?\Z")


def table(base: str) -> dict[str, str]:
    """Prefix -> namespace: the project's own (`kgo:` terms, `kg:` resources, `kgs:` statements,
    `article:` articles), then the vocabularies."""
    own = {
        "kgo": base + "ontology#",
        "kg": base + "id/",
        "kgs": base + "id/statement/",
        "article": base + "id/article/",
    }
    return {**own, **dict(VOCABULARIES)}


def clean(local: str) -> bool:
    return bool(_CLEAN_LOCAL.match(local))


def _best(iri: str, namespaces: dict[str, str]) -> tuple[str, str] | None:
    found = None
    for prefix, ns in namespaces.items():
        if iri.startswith(ns) and (found is None or len(ns) > len(found[1])):
            found = (prefix, ns)
    return found


def for_iris(iris: Iterable[str], namespaces: dict[str, str]) -> tuple[dict[str, str], bool]:
    """The prefixes some of these IRIs use, and whether every IRI under them has a clean local name."""
    used: dict[str, str] = {}
    all_clean = True
    for iri in set(iris):
        best = _best(iri, namespaces)
        if best is None:
            continue
        if clean(iri[len(best[1]) :]):
            used[best[0]] = best[1]
        else:
            all_clean = False
    return {p: ns for p, ns in namespaces.items() if p in used}, all_clean


def short(iri: str, namespaces: dict[str, str], base: str = "") -> str:
    """How Turtle writes an IRI: `prefix:local` when the local name is clean, else `<IRI>`, relative
    to `base` when under it (`<id/aghdam/mention/2#target>`)."""
    best = _best(iri, namespaces)
    if best is not None and clean(iri[len(best[1]) :]):
        return f"{best[0]}:{iri[len(best[1]) :]}"
    if base and iri.startswith(base):
        rest = iri[len(base) :]
        path = rest.split("#", 1)[0].split("?", 1)[0]
        dot_segment = any(segment in (".", "..") for segment in path.split("/"))  # resolution would drop it
        if rest and ":" not in rest.split("/", 1)[0] and not rest.startswith(("/", "?", "#")) and not dot_segment:
            return f"<{rest}>"
    return f"<{iri}>"


def curie(iri: str, namespaces: dict[str, str]) -> str:
    """`prefix:local` for an IRI under a namespace of the table (any local part), else the IRI."""
    best = _best(iri, namespaces)
    if best is None or iri == best[1] or iri[len(best[1]) :].startswith("//"):
        return iri
    return f"{best[0]}:{iri[len(best[1]) :]}"
