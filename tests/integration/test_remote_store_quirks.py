"""What the `sparql:URL` engine reads from a store beyond the standard (Virtuoso's ways), without a store.

The same behaviour against a real Virtuoso: tests/test_virtuoso.py and the W3C protocol suite.
"""

from __future__ import annotations

from email.message import Message

import pyoxigraph as ox
import pytest

from karabakh_kg.web.engines import EngineError
from karabakh_kg.web.engines.remote import ask_table_value, partial_answer, with_base


def headers(**fields) -> Message:
    message = Message()
    for name, value in fields.items():
        message[name.replace("_", "-")] = value
    return message


def test_a_complete_answer_has_no_partial_marker():
    assert partial_answer(headers(Content_Type="application/sparql-results+json")) == ""


def test_virtuoso_row_cap_and_anytime_answers_are_partial():
    assert "ResultSetMaxRows" in partial_answer(headers(X_SPARQL_MaxRows="1000"))
    found = partial_answer(headers(X_SQL_State="S1TAT", X_SQL_Message="RC...: Returning incomplete results"))
    assert "S1TAT" in found and "incomplete" in found


def table(value: str | None):
    bindings = [] if value is None else [f'{{"__ASK_RETVAL": {{"type": "literal", "value": "{value}"}}}}']
    text = '{"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": [' + ",".join(bindings) + "]}}"
    return ox.parse_query_results(text.encode(), ox.QueryResultsFormat.JSON)


@pytest.mark.parametrize("value,expected", [("1", True), ("0", False), (None, False), ("true", True)])
def test_an_ask_answered_as_a_table_is_read_as_a_boolean(value, expected):
    assert ask_table_value(table(value)) is expected


def test_a_table_that_is_not_one_value_is_an_engine_error():
    text = b'{"head": {"vars": ["a"]}, "results": {"bindings": [{"a": {"type": "uri", "value": "http://e/"}}]}}'
    with pytest.raises(EngineError):
        ask_table_value(ox.parse_query_results(text, ox.QueryResultsFormat.JSON))


@pytest.mark.parametrize(
    "query,sent",
    [
        ("SELECT * {}", "BASE <http://h/kg/sparql> SELECT * {}"),
        ("BASE <graph/> SELECT * FROM <a> {}", "BASE <http://h/kg/graph/> SELECT * FROM <a> {}"),
        ("base <http://x/> ASK {}", "base <http://x/> ASK {}"),  # never a second BASE: Virtuoso refuses two
        ("# BASE <y>\nASK { <BASE> ?p ?o }", "BASE <http://h/kg/sparql> # BASE <y>\nASK { <BASE> ?p ?o }"),
    ],
)
def test_relative_iris_reach_the_store_anchored_to_the_endpoint(query, sent):
    assert with_base(query, "http://h/kg/sparql") == sent
