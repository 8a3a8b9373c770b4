"""Parse errors in words a user acts on: line:column, the undeclared prefix, the PREFIX line to add.

Each hint is checked against the engine itself: adding the lines the message suggests must make
pyoxigraph parse the query.
"""

from __future__ import annotations

import re

import pyoxigraph
import pytest

from karabakh_kg import namespaces, query_errors

PREFIXES = namespaces.prefixes()


def explained(query: str) -> str:
    try:
        pyoxigraph.Store().query(query)
    except SyntaxError as err:
        return query_errors.explain(query, f"Query parse error: {err}", PREFIXES)
    raise AssertionError("the query parses")


def suggested_lines(message: str) -> list[str]:
    return re.findall(r"^PREFIX \w+: <[^>]+>$", message, re.MULTILINE)


# (query, undeclared prefixes in order, the position reported first)
UNDECLARED = [
    ("SELECT * WHERE { ?s a kgo:Event }", ["kgo"], "1:23"),
    ("SELECT * WHERE {\n  ?s a kgo:Event .\n  ?s rdfs:label ?l }", ["kgo", "rdfs"], "2:8"),
    ("SELECT * WHERE { ?s ?p ?o FILTER(?o = kg:aghdam) }", ["kg"], "1:39"),  # Oxigraph points at the end
    ("SELECT * WHERE { kg:aghdam ?p ?o }", ["kg"], "1:18"),  # Oxigraph: "expected OPTIONAL"
    ('SELECT * WHERE { VALUES ?d { "2020-11-20"^^xsd:date } }', ["xsd"], "1:44"),
    ("SELECT (xsd:date(?d) AS ?x) WHERE { ?s time:inXSDDate ?d }", ["xsd", "time"], "1:9"),
    ('# see schema: in a comment\nSELECT * WHERE { ?s <http://x/a:b> "sem:x" ; schema:name ?n }', ["schema"], "2:46"),
    (
        "PREFIX kg: <https://w3id.org/karabakh-kg/id/>\nSELECT * WHERE { kg:aghdam prov:wasDerivedFrom ?o }",
        ["prov"],
        "2:28",
    ),
    (
        "select * where { ?a oa:hasBody ?b ; skos:exactMatch ?c ; owl:sameAs ?d ; sem:hasActor ?e }",
        ["oa", "skos", "owl", "sem"],
        "1:21",
    ),
]


@pytest.mark.parametrize(("query", "names", "first"), UNDECLARED)
def test_an_undeclared_prefix_is_named_with_the_line_to_add(query, names, first):
    message = explained(query)
    assert message.startswith(f"Query parse error at {first} (line:column): the prefix {names[0]}: is not declared.")
    assert "expected one of" not in message and "['" not in message
    lines = suggested_lines(message)
    assert lines == [f"PREFIX {n}: <{PREFIXES[n]}>" for n in names]
    fixed = "\n".join(lines) + "\n" + query
    pyoxigraph.Store().query(fixed)  # the engine agrees: with these lines the query parses


def test_an_unknown_prefix_is_named_without_a_made_up_namespace():
    message = explained("SELECT * WHERE { ?s foaff:name ?n }")
    assert "the prefix foaff: is not declared" in message
    assert "PREFIX foaff: <namespace IRI>" in message
    assert suggested_lines(message) == []


def test_a_prefix_used_only_inside_strings_iris_and_comments_is_not_blamed():
    query = '# kg: here\nSELECT * WHERE { ?s <http://example.org/kg:x> "kg:y" ?o }'
    message = explained(query)
    assert "prefix" not in message
    assert message.startswith("Query parse error at 2:")


def test_another_mistake_after_the_prefixes_is_still_reported():
    message = explained("SELECT * WHERE { ?s a kgo:Event ; ?p }")
    assert "the prefix kgo: is not declared" in message
    assert re.search(r"Even with them declared, the parser stops at 1:\d+", message)


@pytest.mark.parametrize(
    ("query", "position", "words"),
    [
        ("SELECT * WHERE { ?s ?p }", "1:25", "expected one of LATERAL, SERVICE"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT x", "1:35", "unexpected text here"),
        ("PREFIX ex: <http://example.org/>\nSELECT * WHERE {\n  ?s ex:p ?o ,, \n}", "4:2", "expected one of GRAPH"),
    ],
)
def test_other_errors_keep_line_and_column_and_show_the_line(query, position, words):
    message = explained(query)
    assert message.startswith(f"Query parse error at {position} (line:column): {words}")
    line, column = (int(n) for n in position.split(":"))
    shown, caret = message.splitlines()[1:3]
    assert shown == "  " + query.splitlines()[line - 1]
    assert caret == "  " + " " * (column - 1) + "^"


def test_a_message_without_a_position_is_passed_through_when_the_query_parses():
    assert query_errors.explain("ASK {}", "something else", PREFIXES) == "something else"


def test_the_server_answers_the_hint_to_every_client(client):
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s a kgo:Place ; rdfs:label ?l }"})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "the prefix kgo: is not declared" in text
    assert "PREFIX kgo: <https://w3id.org/karabakh-kg/ontology#>" in text
    assert "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>" in text


@pytest.mark.live
def test_sparqlwrapper_users_read_the_hint_in_query_bad_formed(live_server):
    from SPARQLWrapper import JSON, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sw = SPARQLWrapper(live_server.url + "/sparql")
    sw.setQuery("SELECT ?l WHERE { ?s rdfs:label ?l } LIMIT 1")
    sw.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed) as info:
        sw.query()
    assert "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>" in str(info.value)


def test_names_inside_iris_strings_and_comments_are_hidden_in_one_pass():
    query = 'SELECT * { ?s <http://x/a:b> \'a:b\' ; """x:y\n z:w""" ?o # c:d\n ?s e:f "unterminated g:h\n?s k:l ?o }'
    masked = query_errors._masked(query)
    assert len(masked) == len(query) and masked.count("\n") == query.count("\n")
    assert set(query_errors._candidates(query)) == {"e", "k"}


def test_a_long_line_is_shown_around_the_column_only():
    query = "SELECT * WHERE { " + "?s ?p ?o . " * 2000 + "?s ex:p ?o }"
    message = explained(query)
    shown, caret = message.splitlines()[1:3]
    assert len(shown) < 140 and shown.startswith("  …")
    assert shown[caret.index("^") : caret.index("^") + 4] == "ex:p"
