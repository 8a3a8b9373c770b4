"""Broken inputs to `karabakh-kg build` beyond the facts (test_build_errors.py covers those):
bytes that are not UTF-8 in a facts file or the article, a missing ontology or shapes file, a
malformed row in the links table. Each fails with exit code 1 and a message naming the file (and
line where there is one), and leaves the previous build untouched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.kg import check_failed, copy_inputs


def _non_utf8_fact(source: Path) -> None:
    path = source / "data" / "facts" / "events.ttl"
    data = path.read_bytes()
    assert b"Ceasefire" in data
    path.write_bytes(data.replace(b"Ceasefire", b"Cease\xff\xfefire", 1))


def _non_utf8_article(source: Path) -> None:
    path = next((source / "data" / "articles").glob("*.txt"))
    path.write_bytes(path.read_bytes() + b"\xff")


def _no_ontology(source: Path) -> None:
    (source / "ontology" / "karabakh.ttl").unlink()


def _no_shapes(source: Path) -> None:
    (source / "ontology" / "shapes.ttl").unlink()


def _undecided_name(source: Path) -> None:
    path = source / "data" / "mentions" / "names.tsv"
    rows = path.read_text(encoding="utf-8").splitlines(True)
    path.write_text("".join(r for r in rows if not r.startswith("Moscow\t")), encoding="utf-8")


def _name_not_in_article(source: Path) -> None:
    path = source / "data" / "mentions" / "names.tsv"
    path.write_text(path.read_text(encoding="utf-8") + "Yerevan\t\tarmenia\tname\t\n", encoding="utf-8")


def _two_holders_of_kalbajar(source: Path) -> None:
    """The Armenian forces *holding* Kalbajar as Armenia does: the same kind of control, overlapping."""
    path = source / "data" / "facts" / "events.ttl"
    path.write_text(
        path.read_text(encoding="utf-8")
        + '\nkg:hold-of-kalbajar-by-armenian-forces a kgo:Holding ; rdfs:label "x"@en ;'
        " kgo:controller kg:armenian-forces ; kgo:controlledRegion kg:kalbajar ;"
        ' kgo:hasTime kg:t-armenian-hold-2020 ; kgo:quote "areas it holds" .\n',
        encoding="utf-8",
    )


def _pair_naming_two_places(source: Path) -> None:
    path = source / "data" / "links" / "ids.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("Q399\t174982", "Q399\t587116"), encoding="utf-8")


def _bad_links_row(source: Path) -> None:
    path = source / "data" / "links" / "links.tsv"
    path.write_text(path.read_text(encoding="utf-8") + "not a slug\tnot a label\n", encoding="utf-8")


@pytest.mark.parametrize(
    "breaker, expected",
    [
        (_non_utf8_fact, ["events.ttl:", "UTF-8"]),
        (_non_utf8_article, ["2020-11-20-aghdam.txt", "UTF-8"]),
        (_no_ontology, ["ontology", "no ontology files"]),
        (_no_shapes, ["no shapes files"]),
        (_bad_links_row, ["links.tsv:", "not a resource of the facts"]),
        (_undecided_name, ["2020-11-20-aghdam.txt:31:138: 'Moscow' (characters 2401–2407) is not a mention"]),
        (_name_not_in_article, ["names.tsv:62: 'Yerevan' does not occur"]),
        (_two_holders_of_kalbajar, ["control overlaps with", "control-overlap-violation"]),
        (_pair_naming_two_places, ["ids.tsv:3: Wikidata Q399 has GeoNames ID 174982", "not 587116"]),
    ],
    ids=[
        "non-UTF-8 facts",
        "non-UTF-8 article",
        "no ontology",
        "no shapes",
        "malformed links row",
        "undecided name",
        "name not in the article",
        "two holdings overlap",
        "Wikidata and GeoNames disagree",
    ],
)
def test_broken_input_fails_clearly_and_keeps_the_previous_build(capsys, tmp_path, good_build, breaker, expected):
    breaker(copy_inputs(tmp_path))
    err = check_failed(capsys, tmp_path, good_build, *expected)
    assert "internal error" not in err
