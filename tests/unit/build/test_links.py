"""Wikidata/GeoNames pairs: a pair that disagrees with the vendored table of P1566 values fails."""

import pytest

from karabakh_kg.build import links
from karabakh_kg.errors import InputError
from support.kg import ROOT

LINKS = ROOT / "data" / "links"


def test_the_vendored_table_gives_each_item_one_geonames_id_with_its_source():
    table = links.geonames_of(LINKS / "wikidata-geonames.tsv")
    assert table["Q227"][0] == "587116" and "country-data-package" in table["Q227"][1]


def test_the_curated_pairs_agree_and_the_unverifiable_are_named():
    problems, unverified = links.pair_problems(LINKS / "ids.tsv", links.geonames_of(LINKS / "wikidata-geonames.tsv"))
    assert problems == []
    assert {"Azerbaijan", "Armenia", "Russia"}.isdisjoint(unverified)  # checked against the table
    assert "Baku" in unverified and "Q9248" in unverified["Baku"]  # both IDs given, no source for the pair


def test_a_pair_that_names_two_places_is_refused(tmp_path):
    ids = tmp_path / "ids.tsv"
    ids.write_text("label\twikidata\tgeonames\tconfidence\nArmenia\tQ399\t587116\tconfirmed\n", encoding="utf-8")
    problems, _ = links.pair_problems(ids, links.geonames_of(LINKS / "wikidata-geonames.tsv"))
    assert problems and "ids.tsv:2: Wikidata Q399 has GeoNames ID 174982" in problems[0]


def test_a_table_row_without_its_source_is_refused(tmp_path):
    table = tmp_path / "wikidata-geonames.tsv"
    table.write_text("wikidata\tgeonames\tlabel\tsource\nQ227\t587116\tAzerbaijan\t\n", encoding="utf-8")
    with pytest.raises(InputError, match="wikidata-geonames.tsv:2: needs"):
        links.geonames_of(table)
