"""Reading a SPARQL 1.1 Protocol request: the three ways to send a query, and what is refused."""

import pytest

from karabakh_kg.web.protocol import FORM, SPARQL_QUERY, parse
from karabakh_kg.web.safety import Refused

ASK = "ASK {}"


@pytest.mark.parametrize(
    ("method", "query_string", "content_type", "body"),
    [
        ("GET", b"query=ASK%20%7B%7D", None, b""),
        ("POST", b"", FORM, b"query=ASK%20%7B%7D"),
        ("POST", b"", SPARQL_QUERY, ASK.encode()),
        ("POST", b"", SPARQL_QUERY + "; charset=utf-8", ASK.encode()),
    ],
)
def test_the_three_ways_give_the_same_query(method, query_string, content_type, body):
    assert parse(method, query_string, content_type, body).query == ASK


def test_dataset_parameters_are_kept_in_order():
    parsed = parse("GET", b"query=ASK%7B%7D&default-graph-uri=http://a/1&default-graph-uri=http://a/2", None, b"")
    assert parsed.default_graphs == ("http://a/1", "http://a/2")


@pytest.mark.parametrize(
    ("method", "query_string", "content_type", "body", "status"),
    [
        ("GET", b"update=DROP%20ALL", None, b"", 403),
        ("POST", b"", "application/sparql-update", b"DROP ALL", 403),
        ("POST", b"", FORM, b"update=DROP%20ALL", 403),
        ("GET", b"query=a&query=b", None, b"", 400),
        ("GET", b"query=%FF", None, b"", 400),
        ("POST", b"", "text/plain", b"ASK {}", 400),
        ("POST", b"", SPARQL_QUERY + "; charset=latin-1", b"ASK {}", 400),
        ("POST", b"query=x", SPARQL_QUERY, b"ASK {}", 400),
        ("PUT", b"", None, b"", 405),
        ("GET", b"query=ASK%7B%7D&named-graph-uri=not%20an%20iri", None, b"", 400),
    ],
)
def test_malformed_or_forbidden_requests_are_refused_with_a_status(method, query_string, content_type, body, status):
    with pytest.raises(Refused) as refused:
        parse(method, query_string, content_type, body)
    assert refused.value.status == status and refused.value.message
