"""Every quote is found verbatim at offsets the build computes (characters, header line included)."""

from __future__ import annotations

import re

import pytest

from karabakh_kg import query_files
from support.kg import ROOT, rows

ARTICLE = (ROOT / "data" / "articles" / "2020-11-20-aghdam.txt").read_text(encoding="utf-8")

# Verified spans from shared/design/modelling.md (end exclusive).
VERIFIED = [
    ("Aghdam region", 91, 104),
    ("Ilham Aliyev", 486, 498),
    ("Aghdam is ours!", 534, 549),
    ("November 25", 1066, 1077),
    ("some 77 percent", 1143, 1158),
    ("nearly 200,000", 1198, 1212),
    ("Davit Tonoyan", 1321, 1334),
    ("some 30,000 dead", 1953, 1969),
    ("Shusha", 2918, 2924),
]


def test_article_counts_characters_not_bytes():
    assert len(ARTICLE) == 2925
    assert len(ARTICLE.encode("utf-8")) == 2945


@pytest.fixture(scope="module")
def mentions(kg_store):
    return rows(kg_store, query_files.load("quotes").text)


def test_every_mention_is_the_article_text_at_its_offsets(mentions):
    assert len(mentions) > 100
    for resource, quote, start, end, _ in mentions:
        assert ARTICLE[int(start) : int(end)] == quote, (resource, quote)


@pytest.mark.parametrize(
    "quote, start, end",
    [
        v
        for v in VERIFIED
        if v[0] in ("Aghdam region", "Aghdam is ours!", "some 77 percent", "nearly 200,000", "some 30,000 dead")
    ],
)
def test_verified_spans_are_mentions(mentions, quote, start, end):
    assert any(q == quote and (int(s), int(e)) == (start, end) for _, q, s, e, _ in mentions)


@pytest.mark.parametrize(
    "quote, start", [("Ilham Aliyev", 486), ("Davit Tonoyan", 1321), ("Shusha", 2918), ("November 25", 1066)]
)
def test_verified_spans_lie_inside_a_mention(mentions, quote, start):
    assert any(int(s) <= start and start + len(quote) <= int(e) for _, q, s, e, _ in mentions)


def test_article_is_described_with_checksum_and_date(kg_store):
    import hashlib

    found = rows(
        kg_store,
        """
        PREFIX kgo: <https://w3id.org/karabakh-kg/ontology#> PREFIX schema: <https://schema.org/>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?sha ?date WHERE { ?a a schema:NewsArticle, prov:Entity ; kgo:sha256 ?sha ; schema:datePublished ?date }""",
    )
    digest = hashlib.sha256((ROOT / "data" / "articles" / "2020-11-20-aghdam.txt").read_bytes()).hexdigest()
    assert found == {(digest, "2020-11-20")}


@pytest.fixture(scope="module")
def names(kg_store):
    return rows(kg_store, query_files.load("name-mentions").text)


@pytest.mark.parametrize(
    ("words", "resource"),
    [
        ("Aghdam", "aghdam"),
        ("Azerbaijan", "azerbaijan"),
        ("Armenia", "armenia"),
        ("Moscow", "moscow"),
        ("Russia", "russia"),
    ],
)
def test_every_occurrence_of_a_name_is_a_name_mention_there(names, words, resource):
    starts = [m.start() for m in re.finditer(rf"(?<!\w){words}(?!\w)", ARTICLE)]
    assert starts
    for at in starts:
        assert any(
            int(s) <= at and at + len(words) <= int(e) and r.endswith(f"/id/{resource}") and k.endswith("#NameMention")
            for s, e, _, r, k, _ in names
        ), (words, at)


def test_name_and_coreference_mentions_are_the_article_text_at_their_offsets(names):
    kinds = {k.rsplit("#", 1)[1] for *_, k, _ in names}
    assert kinds == {"NameMention", "CoreferenceMention"}
    for start, end, exact, *_ in names:
        assert ARTICLE[int(start) : int(end)] == exact


@pytest.mark.parametrize(
    ("exact", "start", "resource"),
    [
        ("it", 305, "armenia"),
        ("his forces", 58, "azerbaijani-forces"),
        ("he", 1570, "nikol-pashinyan"),
        ("the president", 906, "ilham-aliyev"),
        ("his resignation", 1348, "tonoyan-resignation"),
    ],
)
def test_coreference_is_a_mention_with_a_note(names, exact, start, resource):
    found = [n for n in names if int(n[0]) == start and n[2] == exact and n[3].endswith(f"/id/{resource}")]
    assert found and found[0][4].endswith("#CoreferenceMention") and found[0][5]


def test_adjectives_are_not_name_mentions_of_a_state(names):
    for _start, _end, exact, resource, *_ in names:
        if resource.rsplit("/", 1)[1] in {"azerbaijan", "armenia", "russia", "soviet-union"}:
            assert not re.search(r"Azerbaijani|Armenian|Russian|Soviet", exact) or "rivals" in exact, exact
