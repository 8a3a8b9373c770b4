"""The W3C Graph Store Protocol suite (indirect identification), as a read-only store lives it.

This store answers every write 405 Method Not Allowed with `Allow: GET, HEAD, OPTIONS`; the graph
a test's first PUT/POST would create is served from the start (w3c_suite.replay), and each read
up to the first write that would change a graph is checked as the suite says: status, media type
and a body isomorphic to the expected graph. Not applicable here (and so not checked): a PUT to
the default graph (the default graph is the union of the named graphs), a POST to the store that
mints a graph, direct identification (`/gsp/person/1.ttl`).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from w3c import w3c_suite as suite
from w3c.w3c_http import encoded_body, send, status_ok

CASES = suite.graph_store_cases()
TYPES = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")

pytestmark = pytest.mark.live  # servers on 127.0.0.1, one per engine


def local_path(path: str) -> str:
    return "/store" + path[len("/gsp") :]


def graph_of(body: bytes | str, media_type: str) -> rdflib.Graph:
    """Parsed by Oxigraph (rdflib 7 warns inside its JSON-LD parser), compared by rdflib."""
    triples = [q.triple for q in ox.parse(body, format=ox.RdfFormat.from_media_type(media_type), base_iri="http://x/")]
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib", "remote"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_graph_store_read_side(case, engine, w3c_servers):
    test_id, requests = case
    url = w3c_servers(engine).url
    checked = 0
    for request, check in suite.replay(requests)[1]:
        if not check:
            continue
        reply = send(url, request.method, local_path(request.path), request.headers, encoded_body(request))
        checked += 1
        if request.method in suite.WRITES:
            assert reply.status == 405, (test_id, request.method, reply.status)
            assert set(reply.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
            continue
        assert status_ok(reply.status, request.statuses), (test_id, request.method, reply.status, reply.body[:300])
        if request.response_type:
            wanted = request.response_type.split(";")[0].strip()
            assert reply.media_type == wanted, (test_id, reply.media_type)
            if request.method == "GET":
                assert isomorphic(graph_of(reply.body, reply.media_type), graph_of(request.response_body, wanted))
    assert checked, f"{test_id}: nothing was checked"


def test_every_rdf_format_gives_the_same_graph(w3c_servers):
    url = w3c_servers("oxigraph").url
    path = "/store?graph=" + "http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
    graphs = []
    for media_type in TYPES:
        reply = send(url, "GET", path, {"Accept": media_type})
        assert reply.status == 200 and reply.media_type == media_type
        graphs.append(graph_of(reply.body, media_type))
    assert len(graphs[0]) > 0 and all(isomorphic(graphs[0], g) for g in graphs[1:])
