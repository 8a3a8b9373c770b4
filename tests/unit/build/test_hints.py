"""The hints added to build errors: nearest passages, near names, label tags, where a term is used."""

from __future__ import annotations

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef

from karabakh_kg.build import hints

KGO = "https://w3id.org/karabakh-kg/ontology#"
TEXT = "date 2020-11-20\n\nArmenia’s forces left “the town” on Friday, said the president."


def test_nearest_passage_marks_each_differing_character():
    hint = hints.nearest_passage('Armenia\'s forces left "the town"', TEXT)
    assert "article: Armenia[’]s forces left [“]the town[”]" in hint
    assert 'quote:   Armenia[\']s forces left ["]the town["]' in hint
    assert "U+201C LEFT DOUBLE QUOTATION MARK" in hint
    assert "(article characters 17–" in hint


def test_a_quote_from_elsewhere_has_no_nearest_passage():
    assert "no passage of the article is close" in hints.nearest_passage("Completely unrelated words here", TEXT)


def test_did_you_mean_only_offers_declared_terms_of_the_same_namespace():
    g = Graph()
    g.add((URIRef(KGO + "Group"), RDF.type, OWL.Class))
    g.add((URIRef("http://other/Grup"), RDF.type, OWL.Class))
    assert hints.did_you_mean(URIRef(KGO + "Grup"), g) == " — did you mean `kgo:Group`?"
    assert hints.did_you_mean(URIRef(KGO + "Zebra"), g) == ""


def test_label_hint_says_which_tag_is_missing_or_wrong():
    g, node = Graph(), URIRef("https://w3id.org/karabakh-kg/id/x")
    assert "add a label" in hints.label_language(g, node, RDFS.label)
    g.add((node, RDFS.label, Literal("Aghdam", lang="hy")))
    assert "is tagged @hy" in hints.label_language(g, node, RDFS.label)
    g.add((node, RDFS.label, Literal("Aghdam")))
    assert 'has no language tag: write "Aghdam"@en' in hints.label_language(g, node, RDFS.label)


def test_where_finds_whole_terms_only(tmp_path):
    facts = tmp_path / "f.ttl"
    facts.write_text('kg:a a kgo:Groups ;\n    rdfs:label "x" .\nkg:b a kgo:Group .\n', encoding="utf-8")
    assert hints.where([facts], "kgo:Group") == f"{facts}:3: "
    assert hints.where([facts], "kgo:Nothing") == ""
    assert hints.where_said([facts], "kg:a", "rdfs:label") == f"{facts}:2: "
