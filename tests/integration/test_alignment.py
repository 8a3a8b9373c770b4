"""The graph stays consistent under the published axioms of the vocabularies it aligns to.

Our ontology only declares the external terms it uses; PROV-O, ORG, Web Annotation and OWL-Time
bring their own domains, ranges and disjointness (e.g. prov:Activity and prov:Entity are disjoint,
prov:wasAttributedTo has domain prov:Entity). The vendored copies (tests/vocab/) are reasoned over
with the build's dataset, so a fresh clone checks this without a network.
"""

from __future__ import annotations

import warnings

import pytest
import rdflib

from karabakh_kg import releases
from karabakh_kg.build import reasoning
from karabakh_kg.errors import InputError
from karabakh_kg.namespaces import DEFAULT, KGO
from support.paths import TESTS

VOCAB = TESTS / "vocab"
SCHEMA = rdflib.Namespace("https://schema.org/")


@pytest.fixture(scope="module")
def graphs(kg_build) -> dict[str, rdflib.Graph]:
    with warnings.catch_warnings():  # rdflib 7.x deprecations inside its own N-Quads parser
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset = rdflib.Dataset()
        dataset.parse(data=releases.open_current(kg_build).dataset.read_text(encoding="utf-8"), format="nquads")
        graphs = {}
        for name in ("ontology", "asserted", "inferred"):
            graphs[name] = rdflib.Graph()
            for triple in dataset.graph(DEFAULT.graph(name)):
                graphs[name].add(triple)
    return graphs


@pytest.fixture(scope="module")
def vocabularies() -> rdflib.Graph:
    vocab = rdflib.Graph()
    for path in sorted(VOCAB.glob("*.ttl")):
        vocab.parse(path)
    return vocab


def test_every_vendored_vocabulary_is_there_with_its_source():
    assert {p.name for p in VOCAB.glob("*.ttl")} == {"prov-o.ttl", "org.ttl", "oa.ttl", "time.ttl"}
    readme = (VOCAB / "README.md").read_text(encoding="utf-8")
    assert "8e3feba8f0e4a8f6e747144fbb01314d2524614a" in readme and "Licen" in readme


@pytest.mark.slow
def test_dataset_with_the_published_vocabularies_has_no_clash(graphs, vocabularies):
    inferred, _ = reasoning.closure(graphs["ontology"] + vocabularies, graphs["asserted"] + graphs["inferred"])
    assert len(inferred) > 0


@pytest.mark.slow
def test_an_attributed_event_would_clash_with_prov(graphs, vocabularies):
    """The 0.1.0 modelling (attribution on an event, an event a prov:Activity) is caught by this check."""
    data = graphs["asserted"] + graphs["inferred"]
    data.add((DEFAULT.kg["tonoyan-resignation"], KGO.accordingTo, DEFAULT.kg["aravot"]))
    with pytest.raises(InputError, match="prov#Activity and http://www.w3.org/ns/prov#Entity"):
        reasoning.closure(graphs["ontology"] + vocabularies, data)


def test_the_article_mentions_what_it_names_and_is_about_nothing_it_only_mentions(graphs):
    union = graphs["asserted"] + graphs["inferred"]
    article = DEFAULT.kg["article/2020-11-20-aghdam"]
    assert (article, SCHEMA.mentions, DEFAULT.kg["q-77-percent"]) in union
    assert (DEFAULT.kg["q-77-percent"], SCHEMA.subjectOf, article) not in union
