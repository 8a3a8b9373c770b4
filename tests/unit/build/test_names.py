"""Name mentions: every occurrence of a name is decided, and each mention is grounded where it is."""

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef

from karabakh_kg.build import names
from karabakh_kg.build.grounding import load_article
from karabakh_kg.errors import InputError
from karabakh_kg.namespaces import OA, IRIs

IRI = IRIs()
KG, KGO = IRI.kg, IRI.kgo
TEXT = "date 2020-11-20\nAghdam is ours. Armenia holds Aghdam region; it will hand it over. Armenian forces left.\n"
HEADER = "words\tcontext\tresource\tkind\tnote\n"


@pytest.fixture
def world(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    facts = Graph()
    for slug, cls, label in (("aghdam", KGO.District, "Aghdam"), ("armenia", KGO.Country, "Armenia")):
        facts.add((KG[slug], RDF.type, cls))
        facts.add((KG[slug], RDFS.label, Literal(label, lang="en")))
    ontology = Graph()
    for cls, top in ((KGO.District, KGO.Region), (KGO.Country, KGO.Agent), (KGO.Agent, KGO.Agent)):
        ontology.add((cls, RDFS.subClassOf, top))
    return tmp_path, load_article(article, IRI), facts, ontology


def run(world, rows: str):
    folder, article, facts, ontology = world
    path = folder / "names.tsv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return names.ground(facts, ontology, article, IRI, path), path


def spans(graph):
    out = set()
    for mention, resource in graph.subject_objects(OA.hasBody):
        start, end = (int(graph.value(URIRef(f"{mention}#position"), p)) for p in (OA.start, OA.end))
        out.add((str(resource).rsplit("/", 1)[-1], TEXT[start:end], start))
    return out


GOOD = (
    "Aghdam\t\taghdam\tname\t\n"
    "Aghdam region\t\taghdam\tname\t\n"
    "Armenia\t\tarmenia\tname\t\n"
    "it\tit will hand\tarmenia\tcoreference\tArmenia\n"
    "it\thand it over\t\tnot a mention\tthe region, not a named thing\n"
    "Armenian\t\t\tnot a mention\tan adjective\n"
)


def test_every_occurrence_is_a_mention_at_its_own_place(world):
    graph, _ = run(world, GOOD)
    found = spans(graph)
    assert ("aghdam", "Aghdam", TEXT.index("Aghdam")) in found
    assert ("aghdam", "Aghdam region", TEXT.index("Aghdam region")) in found
    # "Aghdam" inside "Aghdam region" is left out; "Armenia" inside "Armenian" is no occurrence
    assert len([f for f in found if f[0] == "aghdam"]) == 2 and len([f for f in found if f[1] == "Armenia"]) == 1
    assert ("armenia", "it", TEXT.index("it will")) in found
    coreference = next(graph.subjects(RDF.type, KGO.CoreferenceMention))
    assert str(coreference).endswith("/armenia/reference/1")
    assert (coreference, OA.motivatedBy, OA.identifying) in graph
    assert graph.value(coreference, RDFS.comment) == Literal("Armenia", lang="en")
    # the selector says which occurrence of "it" (counting every "it" in the text) is meant
    assert (
        int(graph.value(URIRef(f"{coreference}#quote"), KGO.occurrence))
        == TEXT.count("it", 0, TEXT.index("it will")) + 1
    )


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("Aghdam\t\t", "'Aghdam' (characters 16–22) is not a mention of anything"),  # a label's occurrence
        ("it\thand it over", "'it' (characters"),  # a listed word's occurrence
    ],
)
def test_an_undecided_occurrence_fails_the_build_with_its_place(world, drop, message):
    rows = "".join(line for line in GOOD.splitlines(True) if not line.startswith(drop))
    with pytest.raises(InputError) as error:
        run(world, rows)
    assert message in str(error.value) and "a.txt:2:" in str(error.value)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Agdam\t\taghdam\tname\t\n", "'Agdam' does not occur"),
        ("it\tit shall\tarmenia\tcoreference\tx\n", "does not occur verbatim"),
        ("he\tit will hand\tarmenia\tcoreference\tx\n", "is not inside its context"),
        ("it\tit will hand\tarmenia\tcoreference\t\n", "needs a note"),
        ("Aghdam\t\tnowhere\tname\t\n", "is not a resource of the facts"),
        ("Aghdam\t\taghdam\tnick\t\n", "is not one of"),
    ],
)
def test_a_bad_row_is_named_by_its_line(world, row, message):
    with pytest.raises(InputError) as error:
        run(world, GOOD + row)
    assert message in str(error.value) and "names.tsv:8:" in str(error.value)
