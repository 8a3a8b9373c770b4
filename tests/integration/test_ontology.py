"""The ontology: header, versions, labels and definitions, OWL 2 RL patterns that pay off."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

import karabakh_kg
from karabakh_kg.build import sources
from karabakh_kg.namespaces import DEFAULT, KGO


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return sources.parse_all(sources.locate().ontology)


def own_terms(ontology: Graph, kind) -> list[URIRef]:
    return sorted(s for s in ontology.subjects(RDF.type, kind) if str(s).startswith(str(KGO)))


def test_version_info_equals_package_version(ontology):
    assert karabakh_kg.__version__ != "0.0.0", "the package must be installed"
    assert ontology.value(DEFAULT.ontology, OWL.versionInfo) == Literal(karabakh_kg.__version__)
    assert ontology.value(DEFAULT.ontology, OWL.versionIRI) == DEFAULT.version_iri(karabakh_kg.__version__)


@pytest.mark.parametrize(
    "field", [DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator, DCTERMS.created, DCTERMS.modified]
)
def test_header_fields(ontology, field):
    assert ontology.value(DEFAULT.ontology, field) is not None, f"owl:Ontology lacks {field}"


@pytest.mark.parametrize("kind", [OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty])
def test_every_term_has_english_label_and_definition(ontology, kind):
    terms = own_terms(ontology, kind)
    assert len(terms) > 5
    for term in terms:
        labels = [
            label
            for label in ontology.objects(term, RDFS.label)
            if isinstance(label, Literal) and label.language == "en"
        ]
        assert labels, f"{term} has no English rdfs:label"
        assert ontology.value(term, SKOS.definition) is not None, f"{term} has no skos:definition"


def test_every_term_used_in_axioms_is_declared(ontology):
    declared = set()
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual):
        declared |= set(ontology.subjects(RDF.type, kind))
    used = {t for s, p, o in ontology for t in (s, p, o) if isinstance(t, URIRef)}
    builtin = (str(RDF), str(RDFS), str(OWL), "http://www.w3.org/2001/XMLSchema#")
    missing = sorted(
        t
        for t in used
        if not str(t).startswith(builtin)
        and t not in declared
        and t != DEFAULT.ontology
        and not str(t).startswith(("https://creativecommons.org/", str(DEFAULT.kg)))
        and not str(t).startswith(str(DEFAULT.ontology) + "/")  # version IRIs, this one and prior ones
    )
    assert missing == []


@pytest.mark.parametrize(
    "own, external",
    [
        (KGO.Event, URIRef("http://semanticweb.cs.vu.nl/2009/11/sem/Event")),
        (KGO.Event, URIRef("https://schema.org/Event")),
        (KGO.Person, URIRef("https://schema.org/Person")),
        (KGO.Region, URIRef("http://www.opengis.net/ont/geosparql#Feature")),
        (KGO.Mention, URIRef("http://www.w3.org/ns/oa#Annotation")),
        (KGO.Article, URIRef("http://www.w3.org/ns/prov#Entity")),
        (KGO.Position, URIRef("http://www.w3.org/ns/org#Post")),
    ],
)
def test_alignments(ontology, own, external):
    assert (own, RDFS.subClassOf, external) in ontology


def test_owl_rl_patterns_present(ontology):
    assert (KGO.partOf, RDF.type, OWL.TransitiveProperty) in ontology
    assert (KGO.partOf, OWL.inverseOf, KGO.hasPart) in ontology
    assert ontology.value(KGO.occursIn, OWL.propertyChainAxiom) is not None
    assert (KGO.signatory, RDFS.subPropertyOf, KGO.hasParticipant) in ontology
    assert any(ontology.subjects(RDF.type, OWL.AllDisjointClasses))
    assert (KGO.controller, RDF.type, OWL.TransitiveProperty) not in ontology, "control is never transitive"


def test_no_two_terms_in_use_differ_only_in_case_and_renamed_ones_name_their_successor(ontology):
    terms = {s for s in ontology.subjects() if isinstance(s, URIRef) and str(s).startswith(str(KGO))}
    deprecated = {s for s in terms if (s, OWL.deprecated, Literal(True)) in ontology}
    live = sorted(str(s).lower() for s in terms - deprecated)
    assert len(live) == len(set(live))
    assert len(deprecated) >= 7
    for term in deprecated:
        successor = ontology.value(term, DCTERMS.isReplacedBy)
        assert successor in terms - deprecated, term


def test_positions_are_org_posts_that_people_hold(ontology):
    assert (KGO.holdsPosition, RDFS.subPropertyOf, URIRef("http://www.w3.org/ns/org#holds")) in ontology
    assert (KGO.Tenure, RDFS.subClassOf, URIRef("http://www.w3.org/ns/org#Membership")) not in ontology
