"""Content negotiation as a pure function: the one media-type table and how Accept picks from it."""

from __future__ import annotations

import pytest

from karabakh_kg.web import conneg
from karabakh_kg.web.conneg import GRAPH, HTML, RESULTS, NotAcceptable, negotiate, parse_accept


def test_table_has_one_default_per_kind_and_unique_keys():
    keys = [f.key for f in conneg.FORMATS]
    assert len(keys) == len(set(keys))
    assert conneg.formats(RESULTS)[0].media_type == "application/sparql-results+json"
    assert conneg.formats(GRAPH)[0].media_type == "text/turtle"
    assert {f.media_type for f in conneg.formats(RESULTS)} == {
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    }
    assert {f.media_type for f in conneg.formats(GRAPH)} == {
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
        "application/rdf+xml",
        "application/trig",
        "application/n-quads",
    }


@pytest.mark.parametrize(
    "header,expected",
    [
        ("text/turtle", [("text", "turtle", 1.0)]),
        ("text/turtle;q=0.5, */*;q=0", [("text", "turtle", 0.5), ("*", "*", 0.0)]),
        ("Text/Turtle; charset=utf-8; q=0.3", [("text", "turtle", 0.3)]),
        ("text/turtle;q=abc", [("text", "turtle", 0.0)]),
        ("text/turtle;q=7", [("text", "turtle", 1.0)]),
        ("garbage, , text/csv", [("text", "csv", 1.0)]),
        ("", []),
        (None, []),
    ],
)
def test_parse_accept(header, expected):
    assert parse_accept(header) == expected


@pytest.mark.parametrize(
    "kind,accept,expected",
    [
        (RESULTS, None, "json"),
        (RESULTS, "", "json"),
        (RESULTS, "*/*", "json"),
        (RESULTS, "text/*", "csv"),
        (RESULTS, "text/*;q=0.5, application/sparql-results+xml;q=0.4", "csv"),
        (RESULTS, "application/sparql-results+xml;q=0.9, application/sparql-results+json;q=0.8", "xml"),
        (RESULTS, "*/*;q=0.1, text/tab-separated-values", "tsv"),
        (RESULTS, "application/rdf+xml, application/sparql-results+xml", "xml"),
        (RESULTS, "application/json", "json"),
        (RESULTS, "text/xml", "xml"),
        (RESULTS, "*/*, application/sparql-results+json;q=0", "xml"),
        (RESULTS, "text/*, text/csv;q=0", "tsv"),
        (GRAPH, "application/rdf+xml", "rdfxml"),
        (GRAPH, 'application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"', "jsonld"),
        (GRAPH, "application/*;q=0.2, text/turtle;q=0.1", "ntriples"),
        (GRAPH, "application/rdf+xml, application/xml; q=0.5, text/xml; q=0.3, */*; q=0.2", "rdfxml"),
        (GRAPH, "text/turtle;q=0, */*", "ntriples"),
    ],
)
def test_negotiate(kind, accept, expected):
    assert negotiate(accept, kind).key == expected


@pytest.mark.parametrize(
    "kind,accept",
    [
        (RESULTS, "text/turtle"),
        (RESULTS, "image/*"),
        (RESULTS, "*/*;q=0"),
        (GRAPH, "application/sparql-results+json"),
        (GRAPH, "text/csv, text/tab-separated-values"),
    ],
)
def test_not_acceptable_names_supported_types(kind, accept):
    with pytest.raises(NotAcceptable) as info:
        negotiate(accept, kind)
    for fmt in conneg.formats(kind):
        assert fmt.media_type in str(info.value)


@pytest.mark.parametrize(
    "kind,name,expected",
    [
        (RESULTS, "json", "json"),
        (RESULTS, "SRJ", "json"),
        (RESULTS, "text/csv", "csv"),
        (GRAPH, "ttl", "turtle"),
        (GRAPH, "json", "jsonld"),
        (GRAPH, "xml", "rdfxml"),
        (GRAPH, "nq", "nquads"),
        (GRAPH, "application/trig", "trig"),
    ],
)
def test_format_parameter(kind, name, expected):
    assert negotiate("image/png", kind, format_param=name).key == expected


def test_unknown_format_parameter():
    with pytest.raises(NotAcceptable):
        negotiate(None, RESULTS, format_param="turtle")


def test_html_only_when_offered_and_preferred():
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert negotiate(browser, RESULTS, extra=conneg.formats(HTML)).key == "html"
    assert negotiate(browser, RESULTS).key == "xml"
    assert negotiate("*/*", GRAPH, extra=conneg.formats(HTML)).key == "turtle"


def test_content_type_has_charset():
    assert conneg.BY_KEY["turtle"].content_type == "text/turtle; charset=utf-8"


def test_a_remembered_choice_is_the_same_and_a_refusal_is_refused_every_time():
    first = negotiate("text/csv;q=0.5, application/sparql-results+json", RESULTS)
    assert negotiate("text/csv;q=0.5, application/sparql-results+json", RESULTS) is first
    assert first.key == "json"
    for _ in range(2):
        with pytest.raises(NotAcceptable):
            negotiate("image/png", RESULTS)
