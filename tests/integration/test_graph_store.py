"""The Graph Store Protocol read side, `/store?graph=<iri>` and `/store?default`, on both embedded engines.

What is checked: every RDF format by Accept or `format=` gives the graph held in the release
(isomorphic), the default graph is the union without duplicates, the answer is never cut at the
SELECT row limit, HEAD/ETag/304, the errors (404, 400, 406) and the read-only answers (405 with
Allow). The W3C suite's graph-store cases run over a live server in tests/w3c/.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from support.builds import ENGINES

pytestmark = pytest.mark.parametrize("app", ENGINES, indirect=True)

BASE = "https://w3id.org/karabakh-kg/"
ASSERTED = BASE + "graph/asserted"
FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


def release_graphs(app) -> dict[str, rdflib.Graph]:
    graphs: dict[str, rdflib.Graph] = {}
    release = app.extensions["karabakh_kg"].release
    for quad in ox.parse(path=str(release.dataset), format=ox.RdfFormat.N_QUADS):
        nt = ox.serialize([quad.triple], format=ox.RdfFormat.N_TRIPLES)
        graphs.setdefault(quad.graph_name.value, rdflib.Graph()).parse(data=nt, format="nt")
    return graphs


def parsed(data: bytes, media_type: str) -> rdflib.Graph:
    """Parse with Oxigraph (rdflib 7 warns on its own quad parsers), compare with rdflib."""
    triples = [q.triple for q in ox.parse(data, format=ox.RdfFormat.from_media_type(media_type))]
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")


def store(client, method="GET", headers=None, **params):
    return client.open("/store?" + urlencode(params, doseq=True), method=method, headers=headers or {})


@pytest.mark.parametrize("media_type", FORMATS)
def test_a_named_graph_in_every_rdf_format(app, client, media_type):
    response = store(client, headers={"Accept": media_type}, graph=ASSERTED)
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.vary and response.headers["ETag"]
    assert isomorphic(parsed(response.get_data(), media_type), release_graphs(app)[ASSERTED])


def test_format_parameter_beats_accept(client):
    response = store(client, headers={"Accept": "text/turtle"}, graph=ASSERTED, format="nt")
    assert response.status_code == 200 and response.mimetype == "application/n-triples"


def test_default_graph_is_the_union_without_duplicates(app, client):
    response = store(client, headers={"Accept": "application/n-triples"}, default="")
    lines = [line for line in response.get_data().decode().splitlines() if line.strip()]
    union = rdflib.Graph()
    for graph in release_graphs(app).values():
        union += graph
    assert response.status_code == 200 and len(lines) == len(set(lines)) == len(union)
    assert isomorphic(parsed(response.get_data(), "application/n-triples"), union)


def test_a_graph_is_never_cut_at_the_row_limit(app, make_app):
    engine = app.extensions["karabakh_kg"].engine.name
    small = make_app(MAX_RESULT_ROWS=2, ENGINE=engine, QUERY_PROCESSES=1)
    response = store(small.test_client(), headers={"Accept": "application/n-triples"}, graph=ASSERTED)
    assert response.status_code == 200 and "X-Result-Truncated" not in response.headers
    assert len(response.get_data().splitlines()) == len(release_graphs(app)[ASSERTED]) > 2


def test_head_has_the_headers_and_no_body(client):
    response = store(client, method="HEAD", headers={"Accept": "text/turtle"}, graph=ASSERTED)
    assert response.status_code == 200 and response.mimetype == "text/turtle" and response.get_data() == b""
    assert response.headers["ETag"] == store(client, headers={"Accept": "text/turtle"}, graph=ASSERTED).headers["ETag"]


def test_a_known_etag_is_answered_304(client):
    etag = store(client, headers={"Accept": "text/turtle"}, graph=ASSERTED).headers["ETag"]
    response = store(client, headers={"Accept": "text/turtle", "If-None-Match": etag}, graph=ASSERTED)
    assert response.status_code == 304 and response.get_data() == b""
    other = store(client, headers={"Accept": "application/n-triples", "If-None-Match": etag}, graph=ASSERTED)
    assert other.status_code == 200


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "PATCH"])
def test_writes_are_405_with_allow(client, method):
    response = client.open(
        "/store?" + urlencode({"graph": ASSERTED}), method=method, data=b"<a> <b> <c> .", content_type="text/turtle"
    )
    assert response.status_code == 405 and response.mimetype == "text/plain"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_options_lists_the_methods(client):
    response = store(client, method="OPTIONS", graph=ASSERTED)
    assert response.status_code == 204 and response.headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    "params,status,needle",
    [
        ({"graph": BASE + "graph/nope"}, 404, b"no graph"),
        ({}, 400, b"exactly one graph"),
        ({"graph": ASSERTED, "default": ""}, 400, b"exactly one graph"),
        ({"graph": [ASSERTED, ASSERTED]}, 400, b"exactly one graph"),
        ({"graph": "relative/iri"}, 400, b"not an absolute IRI"),
    ],
)
def test_bad_targets(client, params, status, needle):
    response = store(client, **params)
    assert response.status_code == status and response.mimetype == "text/plain" and needle in response.data


def test_nothing_acceptable_is_406_listing_the_formats(client):
    response = store(client, headers={"Accept": "image/png"}, graph=ASSERTED)
    assert response.status_code == 406 and b"text/turtle" in response.data
