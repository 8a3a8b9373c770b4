"""External links (Wikidata, GeoNames) from `data/links/`: links, not claims of the article.

`ids.tsv` is the list of identifiers seen in public datasets (copied from the design notes, never
typed from memory); `links.tsv` says which of our resources each row is about. Confirmed rows
become skos:exactMatch; rows from a dataset with known errors become skos:closeMatch at most.
The links live in their own named graph and are kept out of reasoning, so an identity mistake in
a public dataset can never propagate through OWL-RL (no owl:sameAs anywhere).
"""

from __future__ import annotations

import csv
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from karabakh_kg.errors import InputError
from karabakh_kg.namespaces import IRIs

WIKIDATA = "http://www.wikidata.org/entity/"
GEONAMES = "https://sws.geonames.org/{}/"


def _rows(path: Path) -> list[tuple[int, dict]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return [(n, row) for n, row in enumerate(csv.DictReader(handle, delimiter="\t"), 2)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"{path}: cannot read ({err})") from None


def match_predicate(confidence: str, source: str) -> URIRef:
    """exactMatch for confirmed identifiers, closeMatch for those from a dataset with known errors."""
    if confidence == "confirmed" or confidence.startswith(f"{source} confirmed"):
        return SKOS.exactMatch
    return SKOS.closeMatch


def build_links(links_file: Path, ids_file: Path, iris: IRIs, known: set[URIRef]) -> Graph:
    """The links graph; every row must name a known resource and a label present in ids.tsv."""
    ids = {row["label"]: (n, row) for n, row in _rows(ids_file)}
    graph, problems = Graph(), []
    graph.bind("skos", SKOS)
    for n, row in _rows(links_file):
        slug, label = row.get("resource", ""), row.get("label in ids.tsv", "")
        resource = iris.kg[slug]
        if resource not in known:
            problems.append(f"{links_file}:{n}: <{resource}> is not a resource of the facts")
            continue
        if label not in ids:
            problems.append(f"{links_file}:{n}: {label!r} is not a label in {ids_file.name}")
            continue
        _, ids_row = ids[label]
        confidence = ids_row.get("confidence", "")
        if ids_row.get("wikidata"):
            graph.add((resource, match_predicate(confidence, "wikidata"), URIRef(WIKIDATA + ids_row["wikidata"])))
        if ids_row.get("geonames"):
            graph.add((resource, match_predicate(confidence, "geonames"), URIRef(GEONAMES.format(ids_row["geonames"]))))
        if confidence != "confirmed":
            graph.add((resource, SKOS.editorialNote, Literal(f"{label}: {confidence}", lang="en")))
    if problems:
        raise InputError(problems)
    return graph
