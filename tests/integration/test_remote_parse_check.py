"""The remote engine (`sparql:URL`) parses every query for real before forwarding it.

The store on the far side has no sandbox, so the check there must not rest on the token scan
alone: with the token check switched off (standing for any disagreement between a hand-written
check and a store's parser), SERVICE in every hiding place is still refused and nothing reaches
the store; what is forwarded is the parsed text, with its `\\u` escapes already replaced.
"""

from __future__ import annotations

import http.client
from urllib.parse import parse_qs

import pytest

from karabakh_kg.web import safety
from karabakh_kg.web.engines import EngineError, Job, QueryError
from karabakh_kg.web.engines.remote import RemoteEngine

HIDDEN_SERVICE = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:{port}/x> { ?s ?p ?o } }",
    "PREFIX ex: <http://e/>\nSELECT ?x WHERE { BIND(ex:a\\# AS ?z) SERVICE <http://127.0.0.1:{port}/x> { ?x ?y ?w }\n}",
    'SELECT * WHERE { ?s ?p "\\u0022 . SERVICE <http://127.0.0.1:{port}/x> { ?a ?b ?c } #" }',
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:{port}/x> { ?s ?p ?o } }",
    "SELECT * WHERE { OPTIONAL { { SELECT * { SERVICE SILENT <http://127.0.0.1:{port}/x> {} } } } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://127.0.0.1:{port}/x> {} } }",
]


@pytest.fixture
def engine(app, listener):
    st = app.extensions["karabakh_kg"]
    remote = RemoteEngine(st.release, f"sparql:http://127.0.0.1:{listener.port}/query", st.settings)
    remote.open()
    yield remote
    remote.close()


@pytest.mark.parametrize("template", HIDDEN_SERVICE)
def test_service_is_refused_by_the_parse_even_when_the_token_check_misses_it(engine, listener, template, monkeypatch):
    monkeypatch.setattr(safety, "analyse", lambda text, *a, **k: safety.QueryInfo("SELECT", False))
    with pytest.raises(QueryError, match="SERVICE|parse error"):
        engine.execute(Job(query=template.replace("{port}", str(listener.port)), form="SELECT", format="json"))
    assert listener.connections == []


def test_what_is_forwarded_is_the_parsed_text_with_its_escapes_replaced(engine, monkeypatch):
    bodies = []

    def request(self, method, url, body=None, headers=None):
        bodies.append(parse_qs(body.decode())["query"][0])
        raise ConnectionRefusedError("recorded, not sent")

    monkeypatch.setattr(http.client.HTTPConnection, "request", request)
    with pytest.raises(EngineError):
        engine.execute(Job(query='SELECT * WHERE { ?s ?p "caf\\u00e9" }', form="SELECT", format="json"))
    # the parsed text, with the endpoint's base put in front for relative IRIs
    assert bodies == [f'BASE <{engine.query_base}> SELECT * WHERE {{ ?s ?p "café" }}']
