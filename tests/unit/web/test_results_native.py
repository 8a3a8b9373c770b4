"""pyoxigraph's own JSON results writer gives the same bytes as the Python writer, cut the same way."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from karabakh_kg.web import results

DATA = """
<http://e/a> <http://e/p> "plain" , "chat"@fr , "été\\nligne\\ttab \\"q\\" \\\\ <b>"@fr-BE ,
    "1971"^^<http://www.w3.org/2001/XMLSchema#integer> , "01"^^<http://www.w3.org/2001/XMLSchema#integer> ,
    "+5"^^<http://www.w3.org/2001/XMLSchema#integer> , "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> ,
    "1e3"^^<http://www.w3.org/2001/XMLSchema#double> , "abc"^^<http://www.w3.org/2001/XMLSchema#integer> ,
    "true"^^<http://www.w3.org/2001/XMLSchema#boolean> , "2020-11-10"^^<http://www.w3.org/2001/XMLSchema#date> ,
    "x"^^<http://e/custom> , _:b1 , <http://e/with%20space?q=1#f> , "\\u0001\\u007f"  .
_:b1 <http://e/p> "emoji \\U0001F600" .
"""

QUERIES = [
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT ?o ?s WHERE { ?s ?p ?o } ORDER BY STR(?o)",
    "SELECT ?x WHERE { ?x <http://e/none> ?y }",
    "SELECT * {}",
    "SELECT ?a ?b WHERE { OPTIONAL { ?a <http://e/none> ?b } }",
    "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s",
    'SELECT ?t WHERE { BIND(<<( <http://e/a> <http://e/p> "c\\nd"@en )>> AS ?t) }',
    'SELECT ?v WHERE { VALUES ?v { "a\\tb" UNDEF "" } }',
]


@pytest.fixture(scope="module")
def store():
    store = ox.Store()
    store.load(DATA.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    return store


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("limit", [10_000, 3, 1, 0])
def test_native_json_is_byte_for_byte_the_python_writer(store, query, limit):
    python = results.solutions([v.value for v in store.query(query).variables], store.query(query), "json", limit)
    native = results.native_solutions(store.query(query), "json", limit)
    assert native == python


def test_a_long_answer_is_cut_without_being_written_whole(store):
    big = ox.Store()
    big.load(
        "".join(f'<http://e/s{i}> <http://e/p> "{i}" .\n' for i in range(50_000)).encode(),
        format=ox.RdfFormat.N_TRIPLES,
    )
    native = results.native_solutions(big.query("SELECT * WHERE { ?s ?p ?o }"), "json", 10)
    assert native.rows == 10 and native.truncated
    assert len(native.body) < 2_000


def test_formats_without_a_native_twin_are_left_to_the_python_writer(store):
    for fmt in ("xml", "csv", "tsv"):
        assert results.native_solutions(store.query("SELECT * WHERE { ?s ?p ?o }"), fmt, 10) is None


@pytest.mark.parametrize("query", QUERIES)
def test_a_bounded_answer_written_in_one_pass_is_the_same_answer(store, query):
    """What the pattern lane sends (JSON in one pass, rows counted after) equals the cut-as-written path."""
    one_pass = results.bounded_json_solutions(store.query(query))
    as_written = results.native_solutions(store.query(query), "json", 10_000)
    assert (one_pass.body, one_pass.rows, one_pass.truncated) == (as_written.body, as_written.rows, False)
