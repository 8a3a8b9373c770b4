"""The rules reasoner derives exactly what owlrl derives, minus owlrl's noise."""

from __future__ import annotations

from importlib import resources

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF

from karabakh_kg import releases
from karabakh_kg.build import reasoning, rules
from karabakh_kg.errors import InputError
from karabakh_kg.rdf_bridge import to_rdflib
from support.paths import DATA as TEST_DATA

DATA = TEST_DATA / "rules"


def fixture() -> tuple[rdflib.Graph, rdflib.Graph]:
    ontology = rdflib.Graph().parse(DATA / "ontology.ttl")
    data = rdflib.Graph().parse(DATA / "data.ttl")
    return ontology, data


def article(build_dir) -> tuple[rdflib.Graph, rdflib.Graph]:
    """The article graph as the build reasons over it: its ontology and asserted graphs."""
    release = releases.open_current(build_dir)
    base = release.manifest["base"]
    graphs = {base + "graph/ontology": rdflib.Graph(), base + "graph/asserted": rdflib.Graph()}
    for quad in ox.parse(path=str(release.dataset), format=ox.RdfFormat.N_QUADS):
        if quad.graph_name.value in graphs:
            graphs[quad.graph_name.value].add(tuple(to_rdflib(t) for t in (quad.subject, quad.predicate, quad.object)))
    ontology, asserted = graphs.values()
    assert len(ontology) and len(asserted)
    return ontology, asserted


@pytest.mark.parametrize("which", ["fixture", "article"])
def test_rules_derive_exactly_what_owlrl_derives(which, kg_build):
    """Same input selection and noise filter as the build; owlrl (reasoning.closure) is the reference."""
    ontology, data = fixture() if which == "fixture" else article(kg_build)
    expected, _ = reasoning.closure(ontology, data)
    got, _ = rules.closure(ontology, data)
    assert set(got) - set(expected) == set(), "derived by rules only"
    assert set(expected) - set(got) == set(), "derived by owlrl only"
    assert len(got) > 60  # instance data only: the schema closure is dropped as noise by both


def test_reason_alone_matches_the_build_filter_too():
    ontology, data = fixture()
    expected, _ = reasoning.closure(ontology, data)
    assert set(rules.reason(data, ontology)) == set(expected)


def test_an_inconsistent_graph_is_refused_naming_the_clash():
    ontology, data = fixture()
    kg = rdflib.Namespace("https://w3id.org/karabakh-kg/id/")
    kgo = rdflib.Namespace("https://w3id.org/karabakh-kg/ontology#")
    data.add((kg.aliyev, kgo.partOf, kg.azerbaijan))  # a person made a place by partOf's domain
    with pytest.raises(InputError) as rules_err:
        rules.closure(ontology, data)
    with pytest.raises(InputError) as owlrl_err:
        reasoning.closure(ontology, data)
    assert any("https://w3id.org/karabakh-kg/id/aliyev" in p for p in rules_err.value.problems)
    assert set(rules_err.value.problems) <= set(owlrl_err.value.problems)


def test_fixture_exercises_every_kind_of_axiom():
    """The fixture must keep covering each rule, or the equality above proves little."""
    ontology, data = fixture()
    store = ox.Store()
    source = ox.NamedNode(rules.WORK + "source")
    terms = rules._Terms()
    store.extend(terms.quad(*t, source) for t in ontology)
    store.extend(terms.quad(*t, source) for t in data)
    stats = rules.reason_in_store(store, [source], ox.NamedNode("urn:test:inferred"))
    for name in (
        "cax-sco",
        "prp-spo1",
        "prp-dom",
        "prp-rng",
        "prp-inv",
        "prp-symp",
        "prp-trp",
        "prp-spo2-2",
        "prp-spo2-3",
    ):
        assert stats.rules.get(name, 0) > 0, name
    assert stats.data_rounds > 2 and stats.inferred > 0


def test_specific_inferences():
    ontology, data = fixture()
    got = rules.reason(data, ontology)
    kgo = rdflib.Namespace("https://w3id.org/karabakh-kg/ontology#")
    kg = rdflib.Namespace("https://w3id.org/karabakh-kg/id/")
    assert (kg.aghdam, kgo.partOf, kg.azerbaijan) in got  # transitive
    assert (kg.azerbaijan, kgo.hasPart, kg.aghdam) in got  # inverse of the transitive closure
    assert (kg["handover-aghdam"], kgo.occursIn, kg.azerbaijan) in got  # chain place ∘ partOf
    assert (kg.speech1, kgo.spokenBy, kg.aliyev) in got  # three-step chain
    assert (kg.armenia, kgo.borders, kg.kalbajar) in got  # symmetric
    assert (kg["handover-aghdam"], kgo.AzerbaijaniEvent, None) not in got
    assert (kg["handover-aghdam"], RDF.type, kgo.AzerbaijaniEvent) in got  # hasValue over a chain
    assert (kg.ceasefire, RDF.type, kgo.RussianBrokered) in got  # intersection with hasValue
    assert (kg.resign, RDF.type, kgo.SpeechOrResignation) in got  # union
    assert not any(isinstance(o, rdflib.BNode) for _, p, o in got if p == RDF.type)
    assert (kg.aliyev, RDF.type, rdflib.OWL.Thing) not in got  # noise, as in the build


def test_inputs_are_not_modified_and_stores_work_too():
    ontology, data = fixture()
    before_o, before_d = set(ontology), set(data)
    from_graph = set(rules.reason(data, ontology))
    assert set(ontology) == before_o and set(data) == before_d
    store = ox.Store()
    store.load((DATA / "data.ttl").read_bytes(), ox.RdfFormat.TURTLE)
    size = len(store)
    from_store = set(rules.reason(store, ontology))
    assert len(store) == size
    assert from_store == from_graph


def test_reason_in_store_leaves_sources_and_cleans_up():
    ontology, data = fixture()
    store = ox.Store()
    asserted = ox.NamedNode("urn:test:asserted")
    schema = ox.NamedNode("urn:test:ontology")
    target = ox.NamedNode("urn:test:inferred")
    store.load((DATA / "data.ttl").read_bytes(), ox.RdfFormat.TURTLE, to_graph=asserted)
    store.load((DATA / "ontology.ttl").read_bytes(), ox.RdfFormat.TURTLE, to_graph=schema)
    sizes = {g: len(list(store.quads_for_pattern(None, None, None, g))) for g in (asserted, schema)}
    stats = rules.reason_in_store(store, [asserted, schema], target)
    assert {g: len(list(store.quads_for_pattern(None, None, None, g))) for g in sizes} == sizes
    assert set(store.named_graphs()) == {asserted, schema, target}
    assert stats.inferred == len(list(store.quads_for_pattern(None, None, None, target)))
    again = rules.reason_in_store(store, [asserted, schema], target)  # idempotent, replaces target
    assert again.inferred == stats.inferred


def test_every_template_fills_and_parses():
    folder = resources.files("karabakh_kg.queries.rules")
    names = sorted(e.name[:-3] for e in folder.iterdir() if e.name.endswith(".rq"))
    assert {"cax-sco", "prp-trp", "prp-spo2-2", "scm-sco"} <= set(names)
    store = ox.Store()
    node = ox.NamedNode("urn:test:x")
    for name in names:
        text = rules.template(name)
        assert text.startswith("# "), f"{name}.rq needs a header comment"
        keys = set(rules._PLACEHOLDER.findall(text))
        filled = rules.render(name, **{k: node for k in keys})
        assert "{{" not in filled
        if "SELECT" in filled:
            store.query(filled)
        else:
            store.update(filled)


def test_missing_placeholder_and_bad_values_are_refused():
    with pytest.raises(KeyError, match="cax-sco.rq"):
        rules.render("cax-sco", supers=[ox.NamedNode("urn:x")])
    with pytest.raises(TypeError):
        rules.render("count", graph=ox.Literal("x"))


def test_long_property_chains_are_refused_by_name():
    ontology = rdflib.Graph().parse(
        data="""
        @prefix : <urn:t#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
        :p owl:propertyChainAxiom ( :a :b :c :d :e ) .""",
        format="turtle",
    )
    with pytest.raises(rules.RulesError, match="urn:t#p"):
        rules.reason(rdflib.Graph(), ontology)
