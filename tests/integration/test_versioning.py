"""Published IRIs are promises: the prior ontology version keeps answering; withdrawn resources resolve."""

from __future__ import annotations

import rdflib
from rdflib import OWL
from rdflib.namespace import DCTERMS

import karabakh_kg
from karabakh_kg.build import sources
from karabakh_kg.namespaces import DEFAULT


def test_the_ontology_names_its_prior_version_and_keeps_its_file():
    ontology = sources.parse_all(sources.locate().ontology)
    prior = ontology.value(DEFAULT.ontology, OWL.priorVersion)
    assert prior is not None and prior != DEFAULT.version_iri(karabakh_kg.__version__)
    version = str(prior).rsplit("/", 1)[1]
    kept = rdflib.Graph().parse(sources.locate().ontology[0].parent / "versions" / f"{version}.ttl")
    assert kept.value(DEFAULT.ontology, OWL.versionIRI) == prior
    assert str(kept.value(DEFAULT.ontology, OWL.versionInfo)) == version


def test_the_prior_version_iri_answers_with_the_prior_ontology(kg_build, make_ld_app):
    client = make_ld_app(kg_build).test_client()
    answer = client.get("/ontology/0.1.0", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200 and answer.mimetype == "text/turtle"
    old = rdflib.Graph().parse(data=answer.get_data(as_text=True), format="turtle")
    assert str(old.value(DEFAULT.ontology, OWL.versionInfo)) == "0.1.0"
    assert client.get("/ontology/0.0.1").status_code == 404


def test_a_withdrawn_resource_resolves_and_names_its_successor(kg_build, make_ld_app):
    client = make_ld_app(kg_build).test_client()
    answer = client.get("/doc/obligation-deploy-peacekeepers.ttl")
    assert answer.status_code == 200
    doc = rdflib.Graph().parse(data=answer.get_data(as_text=True), format="turtle")
    withdrawn = DEFAULT.kg["obligation-deploy-peacekeepers"]
    assert (withdrawn, OWL.deprecated, rdflib.Literal(True)) in doc
    assert (withdrawn, DCTERMS.isReplacedBy, DEFAULT.kg["peacekeeper-deployment"]) in doc
