"""The W3C SPARQL 1.1 Protocol suite (protocol/manifest.ttl), over HTTP, on every engine.

Every query-side test must pass. The suite's update tests expect a store that accepts updates;
this endpoint is read-only by design, so each of them must be refused with 403 Forbidden.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from w3c import w3c_suite as suite
from w3c.w3c_http import encoded_body, send, status_ok

RESULTS_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": None,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDF_TYPES = {
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
UPDATES = (
    "update_dataset_default_graph",
    "update_dataset_default_graphs",
    "update_dataset_named_graphs",
    "update_dataset_full",
    "update_post_form",
    "update_post_direct",
    "update_base_uri",
)
CASES = suite.http_tests("protocol")
QUERY_CASES = [c for c in CASES if c[0].rsplit("/", 1)[1] not in UPDATES]
UPDATE_CASES = [c for c in CASES if c[0].rsplit("/", 1)[1] in UPDATES]

pytestmark = pytest.mark.live  # servers on 127.0.0.1, one per engine


def local_path(path: str) -> str:
    """The manifest's `/sparql/` paths name this endpoint's `/sparql`."""
    return "/sparql" + path[len("/sparql/") :] if path.startswith("/sparql/") else path


def test_the_suite_is_read_whole():
    assert len(CASES) == 34 and len(QUERY_CASES) == 27 and len(UPDATE_CASES) == 7


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib", "remote", "virtuoso"])
@pytest.mark.parametrize("case", QUERY_CASES, ids=[c[0] for c in QUERY_CASES])
def test_protocol_query_side(case, engine, w3c_servers):
    test_id, requests, _ = case
    server = w3c_servers(engine)
    for request in requests:
        reply = send(server.url, request.method, local_path(request.path), request.headers, encoded_body(request))
        assert status_ok(reply.status, request.statuses), (test_id, reply.status, reply.body[:300])
        if request.expected_format in ("boolean", "tabular"):
            assert reply.media_type in RESULTS_TYPES, (test_id, reply.media_type)
        if request.expected_boolean is not None:
            parsed = ox.parse_query_results(reply.body, RESULTS_TYPES[reply.media_type])
            assert isinstance(parsed, ox.QueryBoolean) and bool(parsed) is request.expected_boolean, test_id
        if request.expected_format == "RDF":
            assert reply.media_type in RDF_TYPES, (test_id, reply.media_type)
            list(ox.parse(reply.body, format=RDF_TYPES[reply.media_type]))  # it parses


def is_update(request: suite.HttpRequest) -> bool:
    return (
        request.headers.get("content-type", "").startswith("application/sparql-update")
        or (request.body or "").startswith("update=")
        or "update=" in request.path
        or "using-graph-uri" in request.path
        or "using-named-graph-uri" in request.path
    )


@pytest.mark.parametrize("case", UPDATE_CASES, ids=[c[0] for c in UPDATE_CASES])
def test_protocol_updates_are_refused_by_design(case, w3c_servers):
    test_id, requests, _ = case
    server = w3c_servers("oxigraph")
    refused = 0
    for request in requests:
        if not is_update(request):
            continue  # the query that checks the update's effect: nothing to check on a read-only store
        reply = send(server.url, request.method, local_path(request.path), request.headers, encoded_body(request))
        assert reply.status == 403, (test_id, reply.status, reply.body[:200])
        assert b"read-only" in reply.body.lower() or b"update" in reply.body.lower()
        refused += 1
    assert refused, f"{test_id}: no update request found"
