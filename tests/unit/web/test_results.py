"""The result writers: every format of the SPARQL 1.1 results specs, and the row limit."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox

from karabakh_kg.web import results

ROWS = [
    (ox.NamedNode("http://e/a"), ox.Literal("x", language="en")),
    (ox.BlankNode("b0"), None),
    (ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), ox.Literal("plain")),
]


def test_json_results_carry_every_term_kind():
    answer = results.solutions(["s", "o"], ROWS, "json", 10)
    data = json.loads(answer.body)
    assert data["head"]["vars"] == ["s", "o"]
    first, second, third = data["results"]["bindings"]
    assert first["s"] == {"type": "uri", "value": "http://e/a"}
    assert first["o"] == {"type": "literal", "value": "x", "xml:lang": "en"}
    assert second["s"]["type"] == "bnode" and "o" not in second  # unbound: left out
    assert third["s"]["datatype"].endswith("#integer") and "datatype" not in third["o"]
    assert (answer.rows, answer.truncated) == (3, False)


def test_the_row_limit_cuts_and_says_so():
    answer = results.solutions(["s", "o"], ROWS, "json", 2)
    assert answer.truncated and answer.rows == 2
    assert len(json.loads(answer.body)["results"]["bindings"]) == 2


def test_xml_results_are_well_formed():
    root = ET.fromstring(results.solutions(["s", "o"], ROWS, "xml", 10).body)
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert [v.get("name") for v in root.iter(ns + "variable")] == ["s", "o"]
    assert len(list(root.iter(ns + "result"))) == 3


def test_csv_has_a_header_and_plain_values():
    table = list(csv.reader(io.StringIO(results.solutions(["s", "o"], ROWS, "csv", 10).body.decode())))
    assert table[0] == ["s", "o"] and table[1] == ["http://e/a", "x"] and table[2][1] == ""


def test_tsv_writes_terms_in_turtle_syntax():
    lines = results.solutions(["s", "o"], ROWS, "tsv", 10).body.decode().splitlines()
    assert lines[0] == "?s\t?o" and lines[1] == '<http://e/a>\t"x"@en'


def test_boolean_in_json_and_xml():
    assert json.loads(results.boolean(True, "json").body) == {"head": {}, "boolean": True}
    assert b"<boolean>false</boolean>" in results.boolean(False, "xml").body
