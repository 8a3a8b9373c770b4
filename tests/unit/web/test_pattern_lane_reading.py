"""The one shape the web worker answers itself (`web/pattern_lane.py`): what is read, what is declined,
and that whatever a client writes, the engine is only ever given a text of the lane's own small language."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karabakh_kg.web import safety
from karabakh_kg.web.pattern_lane import RDF_TYPE, read

IRI = r"<[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]*>"
VAR = r"\?[^\s{}<>?$]+"
TERM = rf"(?:{VAR}|{IRI})"
# Every text the lane may hand to the engine: nothing else can be written.
WRITTEN = re.compile(
    rf"(?:ASK \{{ {TERM} {TERM} {TERM} \}}"
    rf"|SELECT (?:\*|{VAR}(?: {VAR})*) WHERE \{{ {TERM} {TERM} {TERM} \}} LIMIT \d+)\Z"
)

ACCEPTED = [
    ("ASK { ?s ?p ?o }", "ASK { ?s ?p ?o }"),
    ("ask where{?s ?p ?o.}", "ASK { ?s ?p ?o }"),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 10\n# a unique comment 42", "SELECT * WHERE { ?s ?p ?o } LIMIT 10"),
    ("SELECT ?p ?o WHERE { <http://e/x> ?p ?o }", "SELECT ?p ?o WHERE { <http://e/x> ?p ?o } LIMIT 1001"),
    ("SELECT * { ?s ?p ?o } LIMIT 5000", "SELECT * WHERE { ?s ?p ?o } LIMIT 1001"),
    ("SELECT * { ?s ?p ?o } LIMIT 0", "SELECT * WHERE { ?s ?p ?o } LIMIT 0"),
    (
        "PREFIX ex: <http://e/> SELECT $t { ex:a a $t }",
        f"SELECT ?t WHERE {{ <http://e/a> <{RDF_TYPE}> ?t }} LIMIT 1001",
    ),
    (
        "prefix : <http://e/>\nselect ?o { :a.b :p%41 ?o }",
        "SELECT ?o WHERE { <http://e/a.b> <http://e/p%41> ?o } LIMIT 1001",
    ),
    ("PREFIX SELECT: <http://e/> SELECT ?o { SELECT:x ?p ?o }", "SELECT ?o WHERE { <http://e/x> ?p ?o } LIMIT 1001"),
    ("ASK { <http://e/.well-known/x?a=/../#/./> ?p ?o }", "ASK { <http://e/.well-known/x?a=/../#/./> ?p ?o }"),
    ("SELECT * { ?s ?p ?o } LIMIT 999999999999999999", "SELECT * WHERE { ?s ?p ?o } LIMIT 1001"),
]

DECLINED = [
    "SELECT * { ?s ?p ?s }",  # a repeated variable: a filtering scan, not an index read
    "SELECT * { ?s ?p ?o FILTER(?o) }",
    "SELECT * { ?s ?p ?o . ?o ?q ?r }",
    "SELECT * { ?s ?p 'x' }",
    "SELECT * { ?s ?p 1 }",
    "SELECT * { _:b ?p ?o }",
    "SELECT * { [] ?p ?o }",
    "SELECT * { ?s ?p ?o } ORDER BY ?s",
    "SELECT * { ?s ?p ?o } LIMIT 10 OFFSET 5",
    "SELECT * { ?s ?p ?o } OFFSET 5",
    "SELECT * { ?s ?p ?o } LIMIT 1.5",
    "SELECT * { ?s ?p ?o } LIMIT 99999999999999999999999",  # the engine refuses it: its message
    "SELECT * { <http://e/a/./b> ?p ?o }",
    "SELECT * { <urn:./b> ?p ?o }",
    "SELECT * { <http://e/a/..#x> ?p ?o }",
    "SELECT DISTINCT ?p { ?s ?p ?o }",
    "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    "SELECT * FROM <http://e/g> { ?s ?p ?o }",
    "SELECT * { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * { ?s <http://e/p>* ?o }",
    "SELECT * { ?s ?p ?o } VALUES ?s { <http://e/a> }",
    "ASK { ?s ?p ?o } LIMIT 1",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "BASE <http://e/> SELECT * { <a> ?p ?o }",
    "SELECT * { <a> ?p ?o }",  # relative: resolved against a base
    "SELECT * { <http://e/a/../b> ?p ?o }",  # a dot segment that resolving would remove
    "PREFIX ex: <http://e/a/..> SELECT * { ?s ex:b ?o }",
    "SELECT * { <http://e/\\u0061> ?p ?o }",
    "PREFIX ex: <http://e/> SELECT * { ex:a\\.b ?p ?o }",
    "SELECT * { ex:a ?p ?o }",  # an undeclared prefix: the engine says so
    "PREFIX ex: <http://e/> PREFIX ex: <http://f/> SELECT * { ex:a ?p ?o }",
    "SELECT * { ?s A ?o }",  # `a` is the one keyword that is case-sensitive
    "SELECT * { a ?p ?o }",
    "SELECT { ?s ?p ?o }",
    "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * { ?s ?p ?o } # and more\n LIMIT 1 LIMIT 2",
    "SELECT * { ?s ?p ?o",
    "",
]


@pytest.mark.parametrize(("query", "written"), ACCEPTED)
def test_the_one_shape_is_read_and_written_anew(query, written):
    pattern = read(query)
    assert pattern is not None
    assert pattern.text(1000) == written
    assert WRITTEN.match(written)


@pytest.mark.parametrize("query", DECLINED)
def test_anything_else_is_declined(query):
    assert read(query) is None


def test_a_long_text_is_declined_without_reading_it_all():
    assert read("SELECT * { ?s ?p ?o }" + " # x\n" * 10 + " ." * 100) is None


PIECES = [
    "SELECT",
    "ASK",
    "select",
    "WHERE",
    "*",
    "{",
    "}",
    ".",
    "LIMIT",
    "OFFSET",
    "10",
    "0",
    "a",
    "A",
    "?s",
    "$p",
    "?o",
    "?s",
    "<http://e/x>",
    "<x>",
    "<http://e/\\u003E>",
    "ex:a",
    "ex:",
    ":b",
    "PREFIX",
    "<http://e/>",
    "SERVICE",
    "<http://127.0.0.1:9/>",
    "FILTER(?o)",
    "'x'",
    '"y"@en',
    "_:b",
    "[]",
    "# c\n",
    "\n",
    "GRAPH",
    "FROM",
    "BIND(1 AS ?z)",
    "ex:a\\#",
    "SERVICE:x",
    "}}",
    "{{",
    ";",
    ",",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=16), st.sampled_from([" ", "", "\t"]))
def test_whatever_is_written_the_engine_gets_only_the_lane_language(pieces, glue):
    pattern = read(glue.join(pieces))
    if pattern is not None:
        for rows in (0, 1, 1000):
            assert WRITTEN.match(pattern.text(rows)), pattern


@pytest.mark.parametrize("query", [q for q, _ in ACCEPTED] + DECLINED)
def test_the_lexers_kept_tokens_read_as_the_text_does(query):
    try:
        info = safety.analyse(query)
    except safety.Refused:
        return  # refused before any lane sees it
    assert read(query, info.short_tokens) == read(query)


def test_a_text_of_more_tokens_keeps_none():
    assert safety.analyse("SELECT * { ?s ?p ?o }").short_tokens is not None
    assert safety.analyse("SELECT * { ?s ?p ?o }" + " ." * safety.SHORT).short_tokens is None
