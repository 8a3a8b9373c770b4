"""No way out: no request makes the server connect anywhere, read a file, or change data.

- a TCP listener on a free loopback port records every connection: SERVICE in every spelling,
  FROM / FROM NAMED / graph parameters naming it, LOAD, DESCRIBE of it — none reaches it;
- a FIFO detects any attempt to open a local file for reading (`FROM <file://…>`), and a marker
  file's content never appears in an answer;
- SPARQL Update in every form, on every route and method, is refused; the store's files and the
  triple counts are the same afterwards;
- no route parses RDF sent by a client (so no JSON-LD `@context` is fetched and no RDF/XML
  entity is expanded): every route but /sparql refuses bodies, and /sparql takes only queries.
"""

from __future__ import annotations

import errno
import hashlib
import os
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest

from support.sec import has_stack_trace, record, request

UPDATES = [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "insert data { graph <urn:g> { <urn:a> <urn:b> <urn:c> } }",
    "DELETE DATA { <https://w3id.org/karabakh-kg/id/aghdam> a <https://w3id.org/karabakh-kg/ontology#Place> }",
    "DELETE WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <https://w3id.org/karabakh-kg/graph/asserted> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <file:///etc/passwd>",
    "LOAD SILENT <http://127.0.0.1:9/x.ttl> INTO GRAPH <urn:g>",
    "CLEAR ALL",
    "CLEAR DEFAULT",
    "DROP ALL",
    "DROP GRAPH <https://w3id.org/karabakh-kg/graph/asserted>",
    "CREATE GRAPH <urn:new>",
    "COPY DEFAULT TO <urn:g>",
    "MOVE <https://w3id.org/karabakh-kg/graph/asserted> TO <urn:g>",
    "ADD <urn:a> TO <urn:b>",
    "PREFIX ex: <urn:ex:> BASE <urn:b> INSERT DATA { ex:a ex:b ex:c }",
    "# a comment first\n  DeLeTe WHERE { ?s ?p ?o }",
    "INSERT DATA { <urn:a> <urn:b> <urn:c> } ; DROP ALL",
]
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def triple_count(client) -> str:
    response = client.get("/sparql?" + urlencode({"query": COUNT + " # " + os.urandom(4).hex()}))
    assert response.status_code == 200
    return response.get_json()["results"]["bindings"][0]["n"]["value"]


def release_fingerprint(release: Path) -> dict[str, str]:
    """A hash of every file of a release (the store included)."""
    found = {}
    for path in sorted(release.rglob("*")):
        if path.is_file() and not path.name.startswith("LOG"):
            found[str(path.relative_to(release))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def update_requests(name: str):
    """(label, method, path, headers, body) of every way to send an update to the routes."""
    for i, update in enumerate(UPDATES):
        q = urlencode({"query": update})
        u = urlencode({"update": update})
        yield f"GET query #{i}", "GET", "/sparql?" + q, {}, None
        yield f"GET update #{i}", "GET", "/sparql?" + u, {}, None
        yield f"GET query page #{i}", "GET", "/sparql?" + q, {"Accept": "text/html"}, None
        yield (
            f"POST form query #{i}",
            "POST",
            "/sparql",
            {"Content-Type": "application/x-www-form-urlencoded"},
            q.encode(),
        )
        yield (
            f"POST form update #{i}",
            "POST",
            "/sparql",
            {"Content-Type": "application/x-www-form-urlencoded"},
            u.encode(),
        )
        yield (
            f"POST direct query #{i}",
            "POST",
            "/sparql",
            {"Content-Type": "application/sparql-query"},
            update.encode(),
        )
        yield (
            f"POST sparql-update #{i}",
            "POST",
            "/sparql",
            {"Content-Type": "application/sparql-update; charset=utf-8"},
            update.encode(),
        )
        yield f"named query + update #{i}", "GET", f"/queries/{name}?" + u, {}, None
        yield f"named query + query #{i}", "GET", f"/queries/{name}?" + q, {}, None
    yield (
        "using-graph-uri",
        "POST",
        "/sparql?using-graph-uri=urn:g",
        {"Content-Type": "application/sparql-update"},
        b"CLEAR ALL",
    )
    yield "using-named-graph-uri", "GET", "/sparql?using-named-graph-uri=urn:g&update=CLEAR+ALL", {}, None
    for method in ("PUT", "DELETE", "PATCH"):
        for path in (
            "/sparql",
            f"/queries/{name}",
            "/doc/aghdam",
            "/id/aghdam",
            "/graph/asserted",
            "/ontology",
            "/.well-known/void",
            "/dumps/",
            "/",
        ):
            yield f"{method} {path}", method, path, {"Content-Type": "text/turtle"}, b"<urn:a> <urn:b> <urn:c> ."
    for path in (f"/queries/{name}", "/doc/aghdam", "/graph/asserted", "/.well-known/void"):
        yield f"POST {path}", "POST", path, {"Content-Type": "text/turtle"}, b"<urn:a> <urn:b> <urn:c> ."


@pytest.mark.parametrize("app", ["oxigraph", "rdflib"], indirect=True)
def test_updates_are_refused_everywhere_and_nothing_changes(app, client, release_dir):
    name = next(iter(__import__("karabakh_kg.web.views.queries", fromlist=["catalogue"]).catalogue()))
    release = (release_dir / "current").resolve()
    before_files = release_fingerprint(release)
    before_count = triple_count(client)
    health = client.get("/health").get_json()
    tried = 0
    for label, method, path, headers, body in update_requests(name):
        response = client.open(path, method=method, headers=headers, data=body)
        tried += 1
        assert 400 <= response.status_code < 500, (label, response.status_code, response.data[:300])
        assert not has_stack_trace(response.data), label
        if response.status_code == 403:
            assert "read-only" in response.get_data(as_text=True) or "refused" in response.get_data(as_text=True)
    assert triple_count(client) == before_count
    assert client.get("/health").get_json()["graphs"] == health["graphs"]
    assert release_fingerprint(release) == before_files, "a file of the release changed"
    record("no_way_out", update_requests_refused=tried)


# --- nothing leaves the server ------------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path):
    """A FIFO whose opening by any reader is detected (a non-blocking writer can then open it)."""
    path = tmp_path / "probe.ttl"
    os.mkfifo(path)
    opened = threading.Event()
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as err:
                if err.errno != errno.ENXIO:  # ENXIO: nobody has it open for reading
                    raise
                stop.wait(0.005)
                continue
            opened.set()
            os.close(fd)
            return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    yield path, opened
    stop.set()
    thread.join(2)


def outbound_queries(port: int, fifo: Path, marker: Path) -> list[tuple[str, dict]]:
    url = f"http://127.0.0.1:{port}"
    spo = "{ ?s ?p ?o }"
    queries = [
        f"SELECT * WHERE {{ SERVICE <{url}/sparql> {spo} }}",
        f"select * where {{ service silent <{url}/sparql> {spo} }}",
        f"SELECT * WHERE {{ ?x ?y ?z . SeRvIcE#comment\n<{url}/> {spo} }}",
        f"PREFIX r: <{url}/> SELECT * WHERE {{ SERVICE r:sparql {spo} }}",
        f"BASE <{url}/> SELECT * WHERE {{ SERVICE <sparql> {spo} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{url}/sparql> }} SERVICE ?e {spo} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}/> {spo} }} }} }}",
        f"ASK {{ SERVICE <{url}/> {spo} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}/> {spo} }}",
        # rdflib expands \\u escapes before parsing: a SERVICE hidden in a string for every other reader
        f'SELECT * WHERE {{ FILTER("\\u0022) SERVICE <{url}/sparql> {spo} #")\n}}',
        # escapes in local names that hid the rest of the line from the old token scan
        f"PREFIX ex: <http://e/>\nSELECT ?x WHERE {{ BIND(ex:a\\# AS ?z) SERVICE <{url}/internal> {spo}\n}}",
        f"PREFIX ex: <http://e/>\nSELECT ?x WHERE {{ BIND(ex:a\\' AS ?z) SERVICE <{url}/internal> {spo}\n}}",
        # keywords Oxigraph reads without a word boundary
        f"SELECT * WHERE {{ SERVICESILENT<{url}/sparql>{spo} }}",
        f"PREFIX : <{url}/> SELECT * WHERE {{ SERVICE:sparql {spo} }}",
        f"SELECT * FROM <{url}/data.ttl> WHERE {spo}",
        f"SELECT * FROM NAMED <{url}/data.ttl> WHERE {{ GRAPH ?g {spo} }}",
        f"SELECT * FROM <file://{fifo}> WHERE {spo}",
        f"SELECT * FROM NAMED <file://{fifo}> WHERE {{ GRAPH ?g {spo} }}",
        f"SELECT * FROM <file://{marker}> FROM <file:///etc/passwd> WHERE {spo}",
        f"SELECT * WHERE {{ GRAPH <file://{marker}> {spo} }}",
        f"DESCRIBE <{url}/thing>",
        f"DESCRIBE <file://{marker}>",
        f"LOAD <{url}/data.ttl>",
        f"LOAD <file://{fifo}>",
        "SELECT * WHERE { ?s ?p ?o } LIMIT 1",  # with the graph parameters below
    ]
    cases = [(q, {}) for q in queries]
    for graph in (f"{url}/g.ttl", f"file://{fifo}", f"file://{marker}", "file:///etc/passwd"):
        cases.append((queries[-1], {"default-graph-uri": graph}))
        cases.append(("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": graph}))
    return cases


@pytest.fixture
def marker(tmp_path) -> tuple[Path, str]:
    token = "marker-" + os.urandom(8).hex()
    path = tmp_path / "marker.ttl"
    path.write_text(f'<urn:x> <urn:y> "{token}" .\n', encoding="utf-8")
    return path, token


@pytest.mark.parametrize("app", ["oxigraph", "rdflib"], indirect=True)
def test_no_query_connects_or_reads_a_file_in_process(app, client, listener, fifo, marker):
    fifo_path, opened = fifo
    marker_path, token = marker
    cases = outbound_queries(listener.port, fifo_path, marker_path)
    for query, params in cases:
        for accept in ("*/*", "text/html"):
            response = client.get("/sparql?" + urlencode({"query": query, **params}), headers={"Accept": accept})
            assert response.status_code in (200, 400, 403), (query, params, response.status_code, response.data[:300])
            body = response.get_data(as_text=True)
            assert token not in body and "root:x:0:0" not in body, query
            assert not has_stack_trace(response.data)
            if " SERVICE " in f" {query.upper()} " and "\\U0022" not in query.upper():
                assert response.status_code == 403, query
    assert listener.connections == [], listener.connections
    assert not opened.is_set(), "a query opened a local file"
    record("no_way_out", outbound_attempts_in_process=len(cases) * 2)


def test_no_query_connects_or_reads_a_file_on_the_live_server(live_server, listener, fifo, marker):
    fifo_path, opened = fifo
    marker_path, token = marker
    cases = outbound_queries(listener.port, fifo_path, marker_path)
    for query, params in cases:
        for how in ("GET", "POST"):
            if how == "GET":
                reply = request(live_server.url, "GET", "/sparql?" + urlencode({"query": query, **params}))
            else:
                reply = request(
                    live_server.url,
                    "POST",
                    "/sparql",
                    {"Content-Type": "application/x-www-form-urlencoded"},
                    urlencode({"query": query, **params}).encode(),
                )
            assert reply.status in (200, 400, 403), (query, reply.status, reply.text[:300])
            assert token not in reply.text and "root:x:0:0" not in reply.text
    assert listener.connections == [], listener.connections
    assert not opened.is_set(), "a query opened a local file"
    record("no_way_out", outbound_attempts_live=len(cases) * 2, listener_connections=len(listener.connections))


# --- no route parses RDF from a client ------------------------------------------------------------


# Routes that take a body: queries (SPARQL protocol), reconciliation queries (OpenRefine posts a form).
BODY_ROUTES = {"/sparql": {"POST"}, "/reconcile": {"POST"}}


def test_only_sparql_accepts_a_body(app, client):
    """The route table itself: every route is read-only (GET/HEAD/OPTIONS) but for the few named above;
    writes to the Graph Store answer 405 (the protocol's read-only case)."""
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert client.open("/store?default", method=method, data=b"x").status_code == 405
    for rule in app.url_map.iter_rules():
        extra = set(rule.methods or ()) - {"GET", "HEAD", "OPTIONS"}
        assert extra == BODY_ROUTES.get(rule.rule, set()), f"{rule.rule} accepts {sorted(extra)}"


HOSTILE_RDF = {
    "application/ld+json": '{{"@context": "http://127.0.0.1:{port}/context.jsonld", "@id": "urn:a", "name": "x"}}',
    "application/rdf+xml": (
        '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY f SYSTEM "file:///etc/passwd">'
        '<!ENTITY h SYSTEM "http://127.0.0.1:{port}/dtd">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="urn:e#">'
        '<rdf:Description rdf:about="urn:a"><e:p>&f;&h;</e:p></rdf:Description></rdf:RDF>'
    ),
    "text/turtle": "@prefix e: <http://127.0.0.1:{port}/> . e:a e:b e:c .",
    "application/xml": '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY h SYSTEM "http://127.0.0.1:{port}/x">]><r>&h;</r>',
}


def test_rdf_sent_by_a_client_is_never_parsed(app, client, listener):
    paths = sorted(
        {
            rule.rule.replace("<path:path>", "aghdam")
            .replace("<name>", "actors")
            .replace("<ext>", "ttl")
            .replace("<path:version>", "0.1.0")
            .replace("<article_id>", "a")
            .replace("<path:filename>", "style.css")
            for rule in app.url_map.iter_rules()
        }
    )
    for path in paths:
        for media, template in HOSTILE_RDF.items():
            body = template.format(port=listener.port).encode()
            for method in ("POST", "PUT"):
                response = client.open(path, method=method, data=body, headers={"Content-Type": media})
                allowed = (400, 405, 200) if (path, method) == ("/reconcile", "POST") else (400, 405)
                assert response.status_code in allowed, (path, method, media, response.status_code)
                assert b"root:x:0:0" not in response.data
    assert listener.connections == []
