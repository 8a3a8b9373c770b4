"""The synthetic-data generator is deterministic, sized as asked, and speaks the ontology."""

from __future__ import annotations

from importlib import resources

import pyoxigraph as ox
import pytest
import rdflib

from karabakh_kg.build import rules
from support.paths import ROOT, bench_module

KGO = "https://w3id.org/karabakh-kg/ontology#"


@pytest.fixture(scope="module")
def gen():
    return bench_module("generate")


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    text = resources.files("karabakh_kg.ontology").joinpath("karabakh.ttl").read_text("utf-8")
    return rdflib.Graph().parse(data=text, format="turtle")


def test_same_seed_same_bytes_other_seed_other_bytes(gen):
    assert gen.generate(3000, seed=5) == gen.generate(3000, seed=5)
    assert gen.generate(3000, seed=5) != gen.generate(3000, seed=6)


@pytest.mark.parametrize("size", [1000, 10_000])
def test_size_is_the_target_within_one_percent(gen, size):
    lines = gen.generate(size, seed=1)
    assert size <= len(lines) <= size + max(size // 100, 300)  # one story (with its provenance) at most
    assert len(set(lines)) == len(lines), "duplicate triples would shrink the graph"


def test_output_is_valid_ntriples_in_the_ontology_vocabulary(gen, ontology, tmp_path):
    path = gen.write(tmp_path / "g.nt", 5000, seed=2)
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    assert len(store) == len(path.read_text("utf-8").splitlines())
    defined = {str(s) for s in ontology.subjects()}
    used = {str(q.predicate.value) for q in store} | {
        q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(str(rdflib.RDF.type)), None)
    }
    unknown = sorted(t for t in used if t.startswith(KGO) and t not in defined)
    assert unknown == []
    kinds = {t.removeprefix(KGO) for t in used if t.startswith(KGO)}
    assert {
        "Handover",
        "Address",
        "Resignation",
        "Ceasefire",
        "Obligation",
        "NameMention",
        "partOf",
        "transferredRegion",
        "deadline",
        "accordingTo",
        "Statement",
        "Interpretation",
        "EvidenceSpan",
        "voice",
        "supportedBy",
        "evidence",
        "expressedIn",
        "occurrence",
        "MilitaryControl",
        "Holding",
    } <= kinds


def test_provenance_in_the_builds_shape(gen, tmp_path):
    """Every plain triple about a mentioned resource has its statement node in the article's voice,
    supported by a mention with both selectors; statements in another voice are never plain."""
    path = gen.write(tmp_path / "g.nt", 8000, seed=3)
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    ask = (ROOT / "queries" / "bench" / "generated-shape.rq").read_text("utf-8")
    answers = {row["check"].value: int(row["n"].value) for row in store.query(ask)}
    assert answers["statements"] > 300 and answers["voiced"] > 5 and answers["spans"] > 5
    assert answers.get("unsupported", 0) == 0, "a statement without a mention or span with both selectors"
    assert answers.get("voiced_plain", 0) == 0, "a statement in another voice written as a plain triple"
    assert answers.get("plain_without_statement", 0) == 0


def test_the_ontology_reasons_over_it(gen, ontology):
    data = rdflib.Graph().parse(data="\n".join(gen.generate(8000, seed=3)), format="nt")
    inferred = rules.reason(data, ontology)
    occurs_in = rdflib.URIRef(KGO + "occursIn")
    country = rdflib.URIRef("https://w3id.org/karabakh-kg/id/azerbaijan")  # country 0 bears the article name
    assert any(inferred.triples((None, occurs_in, country))), "chain place ∘ partOf+ reaches countries"
    assert (None, rdflib.RDF.type, rdflib.URIRef(KGO + "Event")) in inferred


def test_command_line(gen, tmp_path):
    out = tmp_path / "x.nt"
    assert gen.main(["--triples", "500", "--seed", "4", "--out", str(out)]) == 0
    assert out.read_text("utf-8").splitlines() == gen.generate(500, seed=4)
    with pytest.raises(SystemExit) as err:
        gen.main(["--triples", "5", "--out", str(out)])
    assert err.value.code == 2
