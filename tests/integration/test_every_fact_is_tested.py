"""Removing any one curated fact makes some test fail (a mutation test over every triple in data/facts/).

For each triple of the facts, the test deletes it from the built dataset (a quote or an evidence
takes its spans and selectors with it, any other triple the statement the build supplied for it) and checks that some competency query no longer gives its expected answers
or some `checks/*-violation.rq` query now reports a row. Inferences are not recomputed per mutant
(that would take owlrl ~4 s each): a stale inferred triple can only hide a change, so a mutant that
survives here is a fact no test pins down, never a false alarm.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from rdflib import RDF

from karabakh_kg import query_files, releases
from karabakh_kg.build import sources
from karabakh_kg.namespaces import DEFAULT, KGO, OA
from karabakh_kg.rdf_bridge import to_oxigraph
from support.kg import EXPECTED, rows

ASSERTED = ox.NamedNode(str(DEFAULT.graph("asserted")))
CURATED_STATEMENTS = str(DEFAULT.kg) + "statement/"


@pytest.fixture(scope="module")
def store(kg_build):
    loaded = ox.Store()
    loaded.bulk_load(path=str(releases.open_current(kg_build).dataset), format=ox.RdfFormat.N_QUADS)
    return loaded


@pytest.fixture(scope="module")
def oracle():
    """True while every competency query gives its expected rows and every check gives none."""
    expectations = [
        (
            query.text,
            {tuple(r) for r in json.loads((EXPECTED / f"{query.name}.json").read_text(encoding="utf-8"))["rows"]},
        )
        for query in query_files.listing()
    ]
    checks = [check.text for check in query_files.listing("checks")]

    def holds(store) -> bool:
        return all(rows(store, text) == expected for text, expected in expectations) and not any(
            rows(store, text) for text in checks
        )

    return holds


def consequences(store, s, p, o) -> list[ox.Quad]:
    """The quads that go with a fact: itself and what the build minted from it.

    A quote or an evidence takes its spans (mention or evidence span, with selectors); any other
    triple takes the statement the build supplied for it (supported by its subject's quotes).
    """
    removed = [ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ASSERTED)]
    if p in (KGO.quote, KGO.evidence):
        found = store.query(
            f"SELECT ?m WHERE {{ ?m <{OA.hasBody}> <{s}> ; <{OA.hasTarget}>/<{OA.hasSelector}>/<{OA.exact}> {to_oxigraph(o)} }}",
            use_default_graph_as_union=True,
        )
        for mention in [row["m"].value for row in found]:
            for node in (mention, f"{mention}#target", f"{mention}#quote", f"{mention}#position"):
                removed += store.quads_for_pattern(ox.NamedNode(node), None, None, None)
            removed += store.quads_for_pattern(None, None, ox.NamedNode(mention), None)
        return removed
    supplied = store.query(
        f"SELECT ?st WHERE {{ ?st <{RDF.subject}> {to_oxigraph(s)} ; <{RDF.predicate}> {to_oxigraph(p)} ; "
        f'<{RDF.object}> {to_oxigraph(o)} . FILTER(CONTAINS(STR(?st), "/statement/") '
        f'&& !STRSTARTS(STR(?st), "{CURATED_STATEMENTS}")) }}',
        use_default_graph_as_union=True,
    )
    for statement in [row["st"].value for row in supplied]:
        removed += store.quads_for_pattern(ox.NamedNode(statement), None, None, None)
    return removed


def test_every_fact_is_pinned_by_a_test(store, oracle):
    assert oracle(store), "the unmutated build must pass the oracle"
    facts = sorted(sources.parse_all(sources.locate().facts))
    assert len(facts) > 600
    survivors = []
    for s, p, o in facts:
        removed = consequences(store, s, p, o)
        for quad in removed:
            store.remove(quad)
        if oracle(store):
            survivors.append(f"{s.n3()} {p.n3()} {o.n3()}")
        for quad in removed:
            store.add(quad)
    assert survivors == [], f"{len(survivors)} of {len(facts)} facts can be removed without any test failing"
