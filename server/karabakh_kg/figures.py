"""Whole-dataset figures, counted once by the build and written with the release (`figures.json`).

VoID's statistics (triples, distinct subjects and objects, properties, entities, classes and
properties with their sizes, the named graphs), the home page's figures (how many resources of
each class, the first of them by label, how many events) and the timeline's events each need a
scan of the whole dataset: at a million triples, seconds per query. A release is read-only, so the
build counts them once, with the same page queries the views would run (`queries/pages/`), on the
store it has just written, and the views read the file; `releases.verify` checks it like the rest
of the release.

A release without the file (written before it existed, or `serve --dataset`) still works: the views
then run the same queries per request (`web/views/pagedata.py`).
"""

from __future__ import annotations

import json
from collections import defaultdict

import pyoxigraph as ox

from karabakh_kg import query_files
from karabakh_kg.namespaces import DEFAULT_BASE

FILE = "figures.json"
FORMAT = 1
# Page queries without parameters whose answers are whole-dataset figures: stored as they are.
QUERIES = (
    "void-totals",
    "void-entities",
    "void-graphs",
    "void-classes",
    "void-properties",
    "void-example",
    "event-count",
    "timeline",  # every event with its time: the timeline page's data (5,000 events at 1M triples: 1.4 s)
)
FIRST_PER_CLASS = 100  # resources listed per class on the home page (the rest by a query link)


def _query(name: str, base: str) -> str:
    text = query_files.load(name, "pages").text
    return text.replace(DEFAULT_BASE, base) if base != DEFAULT_BASE else text


def _binding(term) -> dict:
    """A term as in the SPARQL 1.1 JSON results format (what the views read either way)."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def _rows(store: ox.Store, name: str, base: str) -> list[dict]:
    result = store.query(_query(name, base), use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [
        {var: _binding(row[var]) for var in names if row[var] is not None}
        for row in result  # type: ignore[union-attr]
    ]


def home_classes(rows: list[dict]) -> list[dict]:
    """The home page's groups from the `resources` page query's rows: for each asserted class, its
    label, how many resources it has and the first FIRST_PER_CLASS of them by label (then IRI)."""
    by_type: dict[str, dict] = {}
    members: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for row in rows:
        iri = row["type"]["value"]
        entry = by_type.setdefault(iri, {"type": iri, "typeLabel": None})
        if entry["typeLabel"] is None and "typeLabel" in row:
            entry["typeLabel"] = row["typeLabel"]["value"]
        label = row["label"]["value"] if "label" in row else None
        members[iri].append((row["s"]["value"], label))
    out = []
    for iri in sorted(by_type):
        items = sorted(members[iri], key=lambda item: ((item[1] or item[0]).lower(), item[0]))
        out.append({**by_type[iri], "count": len(items), "first": [list(i) for i in items[:FIRST_PER_CLASS]]})
    return out


def compute(store: ox.Store, base: str) -> dict:
    """Every figure, counted on `store` (the release's data, default graph = union of the graphs)."""
    return {
        "format": FORMAT,
        "base": base,
        "queries": {name: _rows(store, name, base) for name in QUERIES},
        "home_classes": home_classes(_rows(store, "resources", base)),
    }


def dumps(figures: dict) -> bytes:
    return (json.dumps(figures, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
