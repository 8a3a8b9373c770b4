"""The competency queries by name: `/queries/`, `/queries/<name>`, `/queries/<name>.rq`."""

from __future__ import annotations

import json

import pytest

from karabakh_kg import query_files
from karabakh_kg.web.views import queries as named

SAMPLE = """# title: Places handed over
# description: Every place handed over in November 2020,
#   with its handover event.
PREFIX kgo: <https://w3id.org/karabakh-kg/ontology#>
SELECT ?p WHERE { ?p a kgo:Place } ORDER BY ?p
"""


def test_parse_header():
    q = query_files.parse("places", SAMPLE)
    assert q.title == "Places handed over"
    assert q.description == "Every place handed over in November 2020, with its handover event."
    bare = query_files.parse("no-header", "SELECT * WHERE { ?s ?p ?o }")
    assert bare.title == "no header" and bare.description == ""


@pytest.fixture
def catalogue(monkeypatch):
    fake = {"places": query_files.parse("places", SAMPLE)}
    monkeypatch.setattr(named, "catalogue", lambda: fake)
    return fake


def test_index_json_and_html(client, catalogue):
    r = client.get("/queries/", headers={"Accept": "application/json"})
    assert r.status_code == 200
    assert [q["name"] for q in r.get_json()] == ["places"] and r.get_json()[0]["title"] == "Places handed over"
    html = client.get("/queries/", headers={"Accept": "text/html"})
    assert html.mimetype == "text/html" and b"Places handed over" in html.data


@pytest.mark.parametrize("app", ["oxigraph", "rdflib"], indirect=True)
def test_run_by_name(client, catalogue):
    r = client.get("/queries/places", headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.get_data(as_text=True).split() == [
        "p",
        "https://w3id.org/karabakh-kg/id/aghdam",
        "https://w3id.org/karabakh-kg/id/kalbajar",
        "https://w3id.org/karabakh-kg/id/lachin",
    ]
    r = client.get("/queries/places?format=json&default-graph-uri=https://w3id.org/karabakh-kg/graph/inferred")
    assert json.loads(r.data)["results"]["bindings"] == []
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_source_and_errors(client, catalogue):
    r = client.get("/queries/places.rq")
    assert r.status_code == 200 and r.mimetype == "application/sparql-query" and "SELECT" in r.get_data(as_text=True)
    for path in ("/queries/nope", "/queries/..%2Fetc%2Fpasswd", "/queries/nope.rq", "/queries/%2e%2e"):
        r = client.get(path)
        assert r.status_code == 404 and r.mimetype == "text/plain", path
    assert client.get("/queries/places?query=ASK%7B%7D").status_code == 400
    assert client.get("/queries/places?update=CLEAR%20ALL").status_code == 403


REAL = sorted(named.catalogue())


def test_the_competency_queries_are_packaged():
    assert len(REAL) >= 20, REAL


@pytest.mark.parametrize("name", REAL)
def test_every_competency_query_runs(client, name):
    q = named.catalogue()[name]
    assert q.title and q.description, f"queries/{name}.rq needs '# title:' and '# description:' lines"
    r = client.get(f"/queries/{name}")
    assert r.status_code == 200, r.get_data(as_text=True)
