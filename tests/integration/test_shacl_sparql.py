"""The shapes' SPARQL constraints run on Oxigraph (build/shacl_sparql.py) and the rest on pySHACL:
the same violation lines as pySHACL running every constraint itself, on the article's facts as
they are and broken; constraints the Oxigraph path cannot take exactly stay with pySHACL."""

from __future__ import annotations

import pyshacl
import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import SH

from karabakh_kg.build import grounding, pipeline, shacl_sparql, sources, statements, validation
from karabakh_kg.namespaces import DEFAULT

KGO, KG = DEFAULT.kgo, DEFAULT.kg
SCHEMA_VALUE = URIRef("https://schema.org/value")


def _pyshacl_only(data: Graph, shapes: Graph, ontology: Graph) -> list[str]:
    """What the build reported before: pySHACL with every constraint, lines written the same way."""
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True
    )
    lines = []
    for result in [] if conforms else report.subjects(SH.focusNode, None):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        node, path = report.value(result, SH.focusNode), report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage) or "violates a shape"
        lines.append(validation._line(data, shapes, node, path, message, report.value(result, SH.sourceShape)))
    return sorted(set(lines))


@pytest.fixture(scope="module")
def article():
    src = sources.locate()
    ontology, shapes, facts = (sources.parse_all(p) for p in (src.ontology, src.shapes, src.facts))
    text = grounding.load_article(src.articles[0], DEFAULT)
    asserted = facts + grounding.describe_article(text, DEFAULT)
    mentions = grounding.ground(asserted, text, DEFAULT, src.facts)
    asserted += mentions
    asserted += statements.statements(facts, mentions, text, DEFAULT, src.facts, labels=ontology)
    return pipeline._with_prefixes(asserted, facts), shapes, ontology


def _broken(asserted: Graph, *triples) -> Graph:
    copy = Graph()
    for prefix, namespace in asserted.namespaces():
        copy.bind(prefix, namespace, override=True, replace=True)
    copy += asserted
    for triple in triples:
        copy.add(triple)
    return copy


CASES = {
    "as they are": (),
    "an event with neither place nor participant": (
        (KG["test-event"], RDF.type, KGO.Mediation),
        (KG["test-event"], KGO.factuality, KGO.Actual),
    ),
    "an approximate number given as exact": ((KG["q-deaths-1990s"], SCHEMA_VALUE, Literal(30000)),),
}


@pytest.mark.parametrize("case", CASES)
def test_the_same_lines_as_pyshacl_alone(article, case):
    asserted, shapes, ontology = article
    data = _broken(asserted, *CASES[case])
    ours = validation.shacl_problems(data, shapes, ontology)
    assert ours == _pyshacl_only(data, shapes, ontology)
    if case.startswith("an "):
        assert any("kgsh:EventShape" in line or "kgsh:QuantityShape" in line for line in ours), ours


def test_the_articles_sparql_constraints_are_taken_out_of_pyshacls_shapes(article):
    _, shapes, _ = article
    core, taken = shacl_sparql.split(shapes, {"kgo": str(KGO), "rdfs": "http://www.w3.org/2000/01/rdf-schema#"})
    assert sorted(str(c.shape).rsplit("#", 1)[1] for c in taken) == ["EventShape", "QuantityShape"]
    assert not list(core.subject_objects(SH.sparql)) and list(shapes.subject_objects(SH.sparql))


SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:Taken a sh:NodeShape ; sh:targetClass ex:C ;
    sh:sparql [ sh:message "taken" ; sh:select "SELECT $this WHERE { FILTER NOT EXISTS { $this ex:p ?o } }" ] .
"""
KEPT = {
    "a property shape ($PATH)": "ex:S a sh:PropertyShape ; sh:targetClass ex:C ; sh:path ex:p ; "
    'sh:sparql [ sh:message "m" ; sh:select "SELECT $this ?value WHERE { $this $PATH ?value }" ] .',
    "a shape another refers to": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; "
    'sh:sparql [ sh:message "m" ; sh:select "SELECT $this WHERE { $this ex:p ?o }" ] . ex:T sh:node ex:S .',
    "a message template": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; "
    'sh:sparql [ sh:message "{$this} is wrong" ; sh:select "SELECT $this WHERE { $this ex:p ?o }" ] .',
    "declared prefixes": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; "
    'sh:sparql [ sh:message "m" ; sh:prefixes ex: ; sh:select "SELECT $this WHERE { $this ex:p ?o }" ] .',
    "a deactivated shape": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:deactivated true ; "
    'sh:sparql [ sh:message "m" ; sh:select "SELECT $this WHERE { $this ex:p ?o }" ] .',
    "a severity": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:severity sh:Warning ; "
    'sh:sparql [ sh:message "m" ; sh:select "SELECT $this WHERE { $this ex:p ?o }" ] .',
    "the shapes graph": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; "
    'sh:sparql [ sh:message "m" ; sh:select "SELECT $this WHERE { GRAPH $shapesGraph { ?s ?p ?o } }" ] .',
    "a failure variable": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; "
    'sh:sparql [ sh:message "m" ; sh:select "SELECT $this ?failure WHERE { $this ex:p ?o }" ] .',
    "an ASK query": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; "
    'sh:sparql [ sh:message "m" ; sh:select "ASK { $this ex:p ?o }" ] .',
}


@pytest.mark.parametrize("case", KEPT)
def test_what_is_not_implemented_exactly_stays_with_pyshacl(case):
    shapes = Graph().parse(data=SHAPES + KEPT[case], format="turtle")
    core, taken = shacl_sparql.split(shapes, {"ex": "http://example.org/"})
    assert [str(c.shape) for c in taken] == ["http://example.org/Taken"]
    assert (URIRef("http://example.org/S"), SH.sparql, None) in core


def test_targets_and_prebinding_on_a_small_graph():
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <http://example.org/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:targetNode ex:n ; sh:targetSubjectsOf ex:q ;
            sh:targetObjectsOf ex:r ;
            sh:sparql [ sh:message "needs a p" ; sh:select "SELECT $this WHERE { FILTER NOT EXISTS { $this ex:p ?o } }" ] .
        """,
        format="turtle",
    )
    data = Graph().parse(
        data="""
        @prefix ex: <http://example.org/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:D rdfs:subClassOf ex:C .
        ex:a a ex:D .
        ex:b a ex:C ; ex:p 1 .
        ex:c ex:q 2 .
        ex:d ex:r ex:e .
        ex:e ex:p 3 .
        ex:f ex:r "literal" .
        """,
        format="turtle",
    )
    data.bind("ex", "http://example.org/")
    ours = validation.shacl_problems(data, shapes, Graph())
    assert ours == _pyshacl_only(data, shapes, Graph())
    # an instance of a sub-class, a subject of ex:q, the target node, an object of ex:r (a literal)
    assert ours == [f"{node}: needs a p (ex:S)" for node in ('"literal"', "ex:a", "ex:c", "ex:n")]
