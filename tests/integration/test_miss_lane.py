"""The miss lane (`web/misslane.py`) answers `GET /sparql` exactly as the Flask view does.

Each request is sent to two fresh apps on the same release, one with the lane and one without,
and the status, every header and the body must be equal; the lane must really answer the cases
it is for (the Flask view is made to fail in the lane's app), and hand every other case to Flask.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest

SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 40"
ASK = "ASK { ?s ?p ?o }"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5"
DESCRIBE = "DESCRIBE ?s WHERE { ?s ?p ?o } LIMIT 1"
GRAPHS = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

# (query string parameters, headers): each answered by the lane itself
LANE_CASES = [
    ({"query": SELECT}, {}),
    ({"query": SELECT}, {"Accept": "application/sparql-results+json"}),
    ({"query": SELECT}, {"Accept": "text/csv", "Accept-Encoding": "gzip"}),
    ({"query": SELECT}, {"Accept": "text/tab-separated-values;q=0.9, application/sparql-results+xml"}),
    ({"query": SELECT}, {"Accept-Encoding": "gzip;q=0"}),
    ({"query": SELECT}, {"Accept-Encoding": "*"}),
    ({"query": SELECT, "format": "csv"}, {"Accept": "text/html"}),
    ({"query": ASK}, {"Accept": "*/*"}),
    ({"query": ASK}, {"Accept": "application/sparql-results+xml"}),
    ({"query": CONSTRUCT}, {"Accept": "text/turtle"}),
    ({"query": CONSTRUCT}, {"Accept": "application/n-triples", "Accept-Encoding": "gzip"}),
    ({"query": DESCRIBE}, {}),
    ({"query": GRAPHS, "default-graph-uri": "https://example.org/none"}, {}),
    ({"query": GRAPHS, "named-graph-uri": "https://example.org/none"}, {}),
    ({"query": "SELECT * WHERE { ?s ?p }"}, {}),  # the engine's parser finds the mistake: 400
    ({"query": "SELECT (1/0 AS ?x) WHERE {}"}, {"Accept": "text/csv"}),
]

# answered by Flask (the lane declines): no query, refusals, HTML, 406, conditional requests
FLASK_CASES = [
    ({}, {}),
    ({"query": SELECT}, {"Accept": "text/html"}),
    ({"query": SELECT}, {"Accept": "image/png"}),
    ({"query": SELECT}, {"If-None-Match": 'W/"x"'}),
    ({"query": "SERVICE <http://127.0.0.1:9/> { }"}, {}),
    ({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}, {}),
    ({"query": "INSERT DATA { <a:b> <a:b> <a:b> }"}, {}),
    ({"update": "CLEAR ALL"}, {}),
    ({"query": "hello"}, {}),
    ({"query": SELECT, "default-graph-uri": "not an iri"}, {}),
]


@pytest.fixture
def apps(make_app):
    with_lane = make_app(QUERY_PROCESSES=1, ACCESS_LOG=True)
    without = make_app(QUERY_PROCESSES=1, ACCESS_LOG=True)
    without.wsgi_app.lane = None
    return with_lane, without


def _get(app, params, headers):
    return app.test_client().get("/sparql?" + urlencode(params), headers=headers)


def _same(a, b):
    assert a.status == b.status
    assert sorted(a.headers.items()) == sorted(b.headers.items())
    assert a.data == b.data


@pytest.mark.parametrize(("params", "headers"), LANE_CASES + FLASK_CASES)
def test_the_lane_answers_byte_for_byte_as_the_view(apps, params, headers):
    with_lane, without = apps
    _same(_get(with_lane, params, headers), _get(without, params, headers))


@pytest.mark.parametrize(("params", "headers"), LANE_CASES)
def test_the_lane_answers_its_cases_itself(apps, params, headers):
    with_lane, _ = apps

    def view_must_not_run():
        raise AssertionError("the Flask view was called")

    with_lane.view_functions["sparql.sparql"] = view_must_not_run
    response = _get(with_lane, params, headers)
    assert response.status_code in (200, 400), response.data


@pytest.mark.parametrize(("params", "headers"), FLASK_CASES)
def test_the_lane_leaves_every_other_case_to_flask(apps, params, headers):
    with_lane, _ = apps
    calls = []
    view = with_lane.view_functions["sparql.sparql"]

    def counting_view():
        calls.append(1)
        return view()

    with_lane.view_functions["sparql.sparql"] = counting_view
    _get(with_lane, params, headers)
    assert calls == [1]


def test_a_lane_answer_is_replayed_and_logged_like_the_views(apps, caplog):
    with_lane, without = apps
    params = {"query": SELECT + " # lane log"}
    with caplog.at_level(logging.INFO, logger="karabakh_kg.access"):
        first = _get(with_lane, params, {})
        second = _get(with_lane, params, {})
        _get(without, params, {})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "karabakh_kg.access"]
    lane_line, fast_line, view_line = lines
    assert first.data == second.data
    assert (lane_line["cache"], fast_line["cache"], view_line["cache"]) == ("miss", "fast", "miss")
    assert set(lane_line) == set(view_line)
    same = ("method", "route", "path", "status", "query_hash", "format", "rows", "truncated")
    assert {k: lane_line[k] for k in same} == {k: view_line[k] for k in same}


def test_a_query_stopped_by_the_timeout_gets_the_views_503(make_app):
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with_lane = make_app(QUERY_PROCESSES=1, QUERY_TIMEOUT=0.5)
    without = make_app(QUERY_PROCESSES=1, QUERY_TIMEOUT=0.5)
    without.wsgi_app.lane = None
    a, b = _get(with_lane, {"query": slow}, {}), _get(without, {"query": slow}, {})
    assert a.status_code == 503 and a.headers["Retry-After"] == "1"
    _same(a, b)
