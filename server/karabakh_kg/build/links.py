"""External links (Wikidata, GeoNames) from `data/links/`: links, not claims of the article.

`ids.tsv` is the list of identifiers seen in public datasets (copied from the design notes, never
typed from memory); `links.tsv` says which of our resources each row is about. Confirmed rows
become skos:exactMatch; rows from a dataset with known errors become skos:closeMatch at most.
The links live in their own named graph and are kept out of reasoning, so an identity mistake in
a public dataset can never propagate through OWL-RL (no owl:sameAs anywhere).

Where a row gives both a Wikidata and a GeoNames ID, the two must be one place: `wikidata-geonames.tsv`
is a vendored table of Wikidata items' GeoNames IDs (Wikidata property P1566), each row with its
source. A pair that disagrees with it fails the build; a pair the table cannot confirm (no source
at hand gives the item's GeoNames ID) gets an editorial note saying it is not verified.
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


def geonames_of(pairs_file: Path) -> dict[str, tuple[str, str]]:
    """Wikidata item -> (GeoNames ID, source) from the vendored table; every row needs both IDs and a source."""
    table, problems = {}, []
    for n, row in _rows(pairs_file):
        item, geonames, source = row.get("wikidata") or "", row.get("geonames") or "", row.get("source") or ""
        if not (item.startswith("Q") and item[1:].isdigit() and geonames.isdigit() and source):
            problems.append(f"{pairs_file}:{n}: needs a Wikidata item (Q…), a GeoNames ID (digits) and its source")
        elif item in table and table[item][0] != geonames:
            problems.append(f"{pairs_file}:{n}: {item} is given two GeoNames IDs")
        else:
            table[item] = (geonames, source)
    if problems:
        raise InputError(problems)
    return table


def pair_problems(ids_file: Path, table: dict[str, tuple[str, str]]) -> tuple[list[str], dict[str, str]]:
    """(problems, unverified): rows of ids.tsv whose Wikidata item has another GeoNames ID in the
    table, and the labels of rows with both IDs that the table cannot confirm (label -> note)."""
    problems, unverified = [], {}
    for n, row in _rows(ids_file):
        item, geonames = row.get("wikidata") or "", row.get("geonames") or ""
        if not (item and geonames):
            continue
        if item not in table:
            unverified[row["label"]] = (
                f"Wikidata {item} and GeoNames {geonames} not checked against each other:"
                f" no source at hand gives {item}'s GeoNames ID (P1566)"
            )
        elif table[item][0] != geonames:
            problems.append(
                f"{ids_file}:{n}: Wikidata {item} has GeoNames ID {table[item][0]} ({table[item][1]}), not {geonames}:"
                " the two identifiers name different places"
            )
    return problems, unverified


def build_links(
    links_file: Path, ids_file: Path, iris: IRIs, known: set[URIRef], pairs_file: Path | None = None
) -> Graph:
    """The links graph; every row must name a known resource and a label present in ids.tsv, and
    each Wikidata/GeoNames pair must agree with the vendored table where it gives the item."""
    ids = {row["label"]: (n, row) for n, row in _rows(ids_file)}
    problems, unverified = pair_problems(ids_file, geonames_of(pairs_file)) if pairs_file else ([], {})
    graph = Graph()
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
        if label in unverified:
            graph.add((resource, SKOS.editorialNote, Literal(f"{label}: {unverified[label]}", lang="en")))
    if problems:
        raise InputError(problems)
    return graph
