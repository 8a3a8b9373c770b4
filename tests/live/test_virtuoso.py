"""The path to a store that outgrows one machine, on the store such users run: Virtuoso.

A throwaway Virtuoso (support/virtuoso.py) gets the real build through `karabakh-kg publish` (Graph
Store protocol, HTTP Digest, credentials from the environment); the endpoint then answers with
`--engine sparql:<Virtuoso>/sparql`, and must give the same answers as the embedded engine on
every competency query — or a difference listed below with its reason (a listed difference that
disappears fails too) — and never a silently partial answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from karabakh_kg import publishing, query_files, releases
from karabakh_kg.web.app import create_app
from support.virtuoso import CREDENTIALS, MAX_ROWS
from w3c import w3c_compare as compare

pytestmark = [pytest.mark.live, pytest.mark.slow]

QUERIES = query_files.listing()
SRJ = "application/sparql-results+json"
# Competency queries whose answer differs on Virtuoso 7.2.5, and why. Kept as data: a new
# difference fails the build, and so does a listed one that disappears.
KNOWN_DIFFERENCES: dict[str, str] = {
    "aliyev-statements": "BIND(EXISTS {...} AS ?x) gives 0 / 1 as xsd:integer, not xsd:boolean",
    "article-voice": "BIND(EXISTS {...} AS ?x) gives 0 / 1 as xsd:integer, not xsd:boolean",
    "time-resolution": "IF(BOUND(?month), ...) after several OPTIONALs: ?month is taken as bound where it is "
    "not (precision 'month' instead of 'bounds')",
}
# Competency queries whose answers have the same values but other terms on Virtuoso (detected,
# not hidden): Virtuoso writes xsd:boolean as 1/0, and keeps derived integer types
# (xsd:nonNegativeInteger) where Oxigraph answers xsd:integer.
BOOLEANS = "Virtuoso writes xsd:boolean values as 1 / 0 (Oxigraph: true / false)"
DERIVED = "Virtuoso keeps xsd:nonNegativeInteger as written; Oxigraph answers xsd:integer"
TERM_DIFFERENCES: dict[str, str] = {
    "about-entity": DERIVED,
    "claims": BOOLEANS,
    "claims-by-voice": DERIVED,
    "statement-support": DERIVED,
    "statements": DERIVED,
    "figures": BOOLEANS,
    "name-mentions": DERIVED,
    "quotes": DERIVED,
}


@pytest.fixture(scope="session")
def published_to_virtuoso(virtuoso, kg_build):
    release = releases.open_current(kg_build)
    sent = publishing.publish(release, publishing.store_url(virtuoso.graph_store), 120, auth=CREDENTIALS)
    return release, sent


@pytest.fixture(scope="session")
def fronts(published_to_virtuoso, kg_build, virtuoso):
    embedded = create_app({"BUILD_DIR": str(kg_build), "QUERY_PROCESSES": 2})
    remote = create_app({"BUILD_DIR": str(kg_build), "ENGINE": f"sparql:{virtuoso.sparql}"})
    yield embedded.test_client(), remote.test_client()
    for app in (embedded, remote):
        app.extensions["karabakh_kg"].runner.close()


def answer(client, path: str, **params):
    response = client.get(path + ("?" + urllib.parse.urlencode(params) if params else ""), headers={"Accept": SRJ})
    return response


def publish_command(virtuoso, kg_build, user: str, password: str) -> subprocess.CompletedProcess:
    """`karabakh-kg publish` to the Virtuoso, the credentials given in the environment only."""
    environ = {**os.environ, publishing.USER_ENV: user, publishing.PASSWORD_ENV: password}
    command = [sys.executable, "-m", "karabakh_kg.cli", "publish", "--to", virtuoso.graph_store]
    return subprocess.run(
        [*command, "--build-dir", str(kg_build)], capture_output=True, text=True, timeout=300, env=environ
    )


def test_publish_sends_every_graph_with_credentials_from_the_environment(virtuoso, kg_build):
    done = publish_command(virtuoso, kg_build, *CREDENTIALS)
    assert done.returncode == 0, done.stderr
    assert CREDENTIALS[1] not in done.stderr + done.stdout
    release = releases.open_current(kg_build)
    for info in release.manifest["graphs"].values():
        query = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{info['iri']}> {{ ?s ?p ?o }} }}"
        url = virtuoso.sparql + "?" + urllib.parse.urlencode({"query": query})
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": SRJ}), timeout=30) as response:
            count = int(json.loads(response.read())["results"]["bindings"][0]["n"]["value"])
        assert count == info["triples"], info["iri"]


def test_wrong_credentials_are_a_clear_exit_2(virtuoso, kg_build):
    done = publish_command(virtuoso, kg_build, "dba", "not-the-password")
    assert done.returncode == 2 and "401" in done.stderr and "KARABAKH_KG_STORE_USER" in done.stderr
    assert "not-the-password" not in done.stderr


def difference(there: compare.Answer, here: compare.Answer) -> str:
    """The rows only one side has (blank nodes aside), for the failure message."""
    only_there = [r for r in there.rows if r not in here.rows]
    only_here = [r for r in here.rows if r not in there.rows]
    return (
        f"rows {len(there.rows)} vs {len(here.rows)}\nonly Virtuoso: {only_there[:4]}\nonly embedded: {only_here[:4]}"
    )


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_every_competency_query_answers_as_the_embedded_engine(fronts, query):
    """Equal values on every query; where the terms are spelled differently, the reason is listed."""
    embedded, remote = fronts
    here = answer(embedded, f"/queries/{query.name}")
    there = answer(remote, f"/queries/{query.name}")
    assert here.status_code == 200 and there.status_code == 200, there.data[:500]
    ordered = False  # rows tied on the ORDER BY keys may come in any order: compared as multisets
    mine, theirs = compare.parse(here.data, "srj"), compare.parse(there.data, "srj")
    same_values = compare.same(theirs, mine, ordered, values=True)
    same_terms = compare.same(theirs, mine, ordered)
    if query.name in KNOWN_DIFFERENCES:
        assert not same_values, f"{query.name} now answers as the embedded engine: remove it from KNOWN_DIFFERENCES"
        return
    assert same_values, f"{query.name}: Virtuoso answers differently\n{difference(theirs, mine)}"
    if query.name in TERM_DIFFERENCES:
        assert not same_terms, (
            f"{query.name} now spells every term as the embedded engine: remove it from TERM_DIFFERENCES"
        )
    else:
        assert same_terms, f"{query.name}: the same values, spelled differently\n{difference(theirs, mine)}"


def test_event_roles_goes_wrong_once_the_store_holds_other_graphs(virtuoso_factory, kg_build, fronts, tmp_path):
    """A wrong answer that depends on what else the store holds (rdfs:subClassOf* inside GRAPH): with
    the W3C fixture graphs beside the build, Virtuoso answers event-roles with no row at all. Detected
    and documented (docs/conformance.md); the comparison above runs on a store holding the build only."""
    import pyoxigraph as ox

    from karabakh_kg.build import dataset_release
    from w3c.conftest import fixture_quads

    crowded = virtuoso_factory("crowded")
    fixtures = tmp_path / "fixtures.nq"
    fixtures.write_bytes(ox.serialize(fixture_quads(), format=ox.RdfFormat.N_QUADS))
    for release in (
        dataset_release.write([fixtures], tmp_path / "w3c", "http://127.0.0.1/"),
        releases.open_current(kg_build),
    ):
        publishing.publish(release, publishing.store_url(crowded.graph_store), 120, auth=CREDENTIALS)
    app = create_app({"BUILD_DIR": str(kg_build), "ENGINE": f"sparql:{crowded.sparql}"})
    try:
        there = answer(app.test_client(), "/queries/event-roles")
    finally:
        app.extensions["karabakh_kg"].runner.close()
    here = answer(fronts[0], "/queries/event-roles")
    assert len(compare.parse(here.data, "srj").rows) > 50
    assert there.status_code == 200 and compare.parse(there.data, "srj").rows == []


def test_ask_answers_are_booleans(fronts):
    _, remote = fronts
    for query, expected in (("ASK { ?s ?p ?o }", True), ("ASK { <urn:x:no> ?p ?o }", False)):
        response = answer(remote, "/sparql", query=query)
        assert response.status_code == 200 and json.loads(response.data)["boolean"] is expected


def test_a_partial_answer_is_never_served_silently(fronts, caplog):
    """Virtuoso cuts at ResultSetMaxRows with a 200 (LIMIT n+1 shows it): the front refuses to pass it on."""
    _, remote = fronts
    query = f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS + 1}"
    response = answer(remote, "/sparql", query=query)
    assert response.status_code == 502, response.data[:300]  # the reason is logged, never sent to the client
    assert "only part of the answer" in caplog.text and "ResultSetMaxRows" in caplog.text
    small = answer(remote, "/sparql", query=f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS // 2}")
    assert small.status_code == 200 and len(json.loads(small.data)["results"]["bindings"]) == MAX_ROWS // 2


def test_an_anytime_answer_is_never_served_silently(published_to_virtuoso, kg_build, virtuoso, caplog):
    """With Virtuoso's `timeout=` (anytime queries), a query past it is answered 200 with whatever was
    found and only `X-SQL-State: S1TAT` to say so: the front refuses to pass that on."""
    app = create_app({"BUILD_DIR": str(kg_build), "ENGINE": f"sparql:{virtuoso.sparql}?timeout=200"})
    try:
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        response = answer(app.test_client(), "/sparql", query=query)
    finally:
        app.extensions["karabakh_kg"].runner.close()
    assert response.status_code == 502, response.data[:300]  # the reason is logged, never sent to the client
    assert "only part of the answer" in caplog.text and "S1TAT" in caplog.text
