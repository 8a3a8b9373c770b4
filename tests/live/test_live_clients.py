"""Real clients against a real server (gunicorn in a subprocess on a free 127.0.0.1 port).

SPARQLWrapper, rdflib's SPARQLStore, curl and Apache Jena's `arq.rsparql`; the timeout that
really stops a runaway query while others are served; SERVICE and FROM that never reach out.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from urllib.parse import urlencode

import pytest
import rdflib
from SPARQLWrapper import CSV, JSON, POST, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from karabakh_kg.web import access_log
from support.live import LIVE_QUERY_TIMEOUT
from support.sec import cpu_seconds, descendants

pytestmark = pytest.mark.live

BASE = "https://w3id.org/karabakh-kg/"
PLACES = f"SELECT ?p WHERE {{ ?p a <{BASE}ontology#Place> }} ORDER BY ?p"
PLACE_IRIS = [f"{BASE}id/aghdam", f"{BASE}id/kalbajar", f"{BASE}id/lachin"]
CONSTRUCT = f"CONSTRUCT {{ ?p a <{BASE}ontology#Place> }} WHERE {{ ?p a <{BASE}ontology#Place> }}"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?q ?r ?s }"


def fetch(url: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 30):
    """(status, headers, body) for a request, whatever the status."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def access_lines(server) -> list[dict]:
    """The access-log lines written so far, once the server's batch of lines is surely out."""
    time.sleep(access_log.FLUSH_SECONDS * 3)
    lines = []
    for line in server.log().splitlines():
        if "karabakh_kg.access" in line:
            lines.append(json.loads(line.split("karabakh_kg.access ", 1)[1]))
    return lines


# --- SPARQLWrapper ----------------------------------------------------------------------------


def wrapper(server, query, fmt=None, method=None) -> SPARQLWrapper:
    sw = SPARQLWrapper(server.url + "/sparql")
    sw.setQuery(query)
    if fmt:
        sw.setReturnFormat(fmt)
    if method:
        sw.setMethod(method)
    return sw


@pytest.mark.parametrize("method", [None, POST])
def test_sparqlwrapper_json(live_server, method):
    result = wrapper(live_server, PLACES, JSON, method).query().convert()
    assert [b["p"]["value"] for b in result["results"]["bindings"]] == PLACE_IRIS


def test_sparqlwrapper_xml(live_server):
    document = wrapper(live_server, PLACES, XML).query().convert()
    assert [n.firstChild.data for n in document.getElementsByTagName("uri")] == PLACE_IRIS


def test_sparqlwrapper_csv(live_server):
    data = wrapper(live_server, PLACES, CSV).query().convert()
    assert list(csv.reader(io.StringIO(data.decode("utf-8")))) == [["p"], *[[i] for i in PLACE_IRIS]]


def test_sparqlwrapper_ask(live_server):
    assert wrapper(live_server, "ASK { ?s ?p ?o }", JSON).query().convert()["boolean"] is True


def test_sparqlwrapper_construct_default_is_rdfxml(live_server):
    response = wrapper(live_server, CONSTRUCT).query()
    assert response.info()["content-type"].startswith("application/rdf+xml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = response.convert()
    place = rdflib.URIRef(f"{BASE}ontology#Place")
    assert set(graph) == {(rdflib.URIRef(i), rdflib.RDF.type, place) for i in PLACE_IRIS}


def test_sparqlwrapper_bad_query(live_server):
    with pytest.raises(QueryBadFormed) as info:
        wrapper(live_server, "SELECT * WHERE { ?s ?p }", JSON).query()
    assert "1:" in str(info.value)


# --- rdflib SPARQLStore -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rdflib_sparqlstore(live_server, method):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    before = len(access_lines(live_server))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = rdflib.Graph(store=SPARQLStore(live_server.url + "/sparql", method=method))
        rows = [str(row.p) for row in graph.query(PLACES)]
        ask = graph.query("ASK { ?s ?p ?o }").askAnswer
    assert rows == PLACE_IRIS and ask is True
    new = access_lines(live_server)[before:]
    assert {line["format"] for line in new if line["route"] == "/sparql"} == {"xml"}


# --- curl -------------------------------------------------------------------------------------


def curl(*args: str) -> tuple[str, str, bytes]:
    out = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code} %{content_type}", *args], capture_output=True, timeout=30, check=True
    ).stdout
    body, _, tail = out.rpartition(b"\n")
    status, _, ctype = tail.decode().partition(" ")
    return status, ctype, body


needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@needs_curl
def test_curl_get_tsv(live_server):
    status, ctype, body = curl(
        "-G",
        "--data-urlencode",
        f"query={PLACES}",
        "-H",
        "Accept: text/tab-separated-values",
        live_server.url + "/sparql",
    )
    assert status == "200" and ctype.startswith("text/tab-separated-values")
    assert body.decode().splitlines() == ["?p", *[f"<{i}>" for i in PLACE_IRIS]]


@needs_curl
def test_curl_post_direct_and_gzip(live_server):
    status, ctype, body = curl(
        "--compressed",
        "-X",
        "POST",
        "--data-binary",
        "SELECT * WHERE { ?s ?p ?o }",
        "-H",
        "Content-Type: application/sparql-query",
        live_server.url + "/sparql",
    )
    assert status == "200" and ctype.startswith("application/sparql-results+json")
    assert len(json.loads(body)["results"]["bindings"]) == 77


@needs_curl
def test_curl_errors(live_server):
    status, ctype, body = curl("-G", "--data-urlencode", "query=SELECT * WHERE { ?s ?p }", live_server.url + "/sparql")
    assert status == "400" and ctype.startswith("text/plain") and b"1:" in body
    status, _, body = curl(
        "-X",
        "POST",
        "--data-binary",
        "CLEAR ALL",
        "-H",
        "Content-Type: application/sparql-update",
        live_server.url + "/sparql",
    )
    assert status == "403" and b"read-only" in body
    status, _, body = curl(
        "-G", "--data-urlencode", f"query={PLACES}", "-H", "Accept: image/png", live_server.url + "/sparql"
    )
    assert status == "406" and b"application/sparql-results+json" in body


@needs_curl
def test_curl_service_description(live_server):
    status, ctype, body = curl("-H", "Accept: text/turtle", live_server.url + "/sparql")
    assert status == "200" and ctype.startswith("text/turtle") and b"sd:Service" in body


# --- Apache Jena ------------------------------------------------------------------------------


def rsparql(classpath: str, server, query: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["java", "-cp", classpath, "arq.rsparql", "--service", server.url + "/sparql", *extra, query],
        capture_output=True,
        timeout=120,
        text=True,
    )


@pytest.mark.java
def test_jena_rsparql_select_json_with_typed_literals(jena_cp, live_server):
    query = f"SELECT ?s ?n ?d WHERE {{ ?s <{BASE}ontology#count> ?n OPTIONAL {{ ?s <{BASE}ontology#date> ?d }} }} ORDER BY ?s"
    done = rsparql(jena_cp, live_server, query, "--results", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["results"]["bindings"]
    assert [r["n"]["value"] for r in rows] == ["1960", "1960"]
    assert rows[0]["n"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    text = rsparql(jena_cp, live_server, query)  # Jena's own table: parses the XSD values
    assert text.returncode == 0 and "1960" in text.stdout and "RuntimeException" not in text.stderr


@pytest.mark.java
def test_jena_rsparql_construct_and_ask(jena_cp, live_server):
    done = rsparql(jena_cp, live_server, CONSTRUCT)
    assert done.returncode == 0, done.stderr
    graph = rdflib.Graph().parse(data=done.stdout, format="turtle")
    assert {str(s) for s in graph.subjects()} == set(PLACE_IRIS)
    ask = rsparql(jena_cp, live_server, "ASK { ?s ?p ?o }")
    assert ask.returncode == 0 and "Yes" in ask.stdout


# --- timeouts that really stop the work ---------------------------------------------------------


def test_runaway_query_is_stopped_while_others_are_served(live_server):
    outcome = {}

    def runaway():
        started = time.monotonic()
        outcome["status"], _, outcome["body"] = fetch(
            live_server.url + "/sparql?" + urlencode({"query": RUNAWAY}), timeout=60
        )
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    slowest = 0.0
    answered = 0
    while thread.is_alive():
        for path in ("/health", "/sparql?" + urlencode({"query": f"{PLACES} # {answered}"})):
            started = time.monotonic()
            status, _, _ = fetch(live_server.url + path, timeout=5)
            slowest = max(slowest, time.monotonic() - started)
            assert status == 200
            answered += 1
    thread.join()
    print(
        f"runaway answered {outcome['status']} after {outcome['seconds']:.2f} s; "
        f"{answered} other requests meanwhile, slowest {slowest * 1000:.0f} ms"
    )
    assert outcome["status"] == 503 and b"timed out" in outcome["body"]
    assert LIVE_QUERY_TIMEOUT - 0.1 <= outcome["seconds"] < LIVE_QUERY_TIMEOUT + 2
    assert answered >= 5 and slowest < 1.0
    # the work really stopped: no process of the server burns CPU any more
    pids = descendants(live_server.process.pid)
    before = cpu_seconds(pids)
    time.sleep(0.5)  # measuring CPU use over an interval, not waiting for readiness
    assert cpu_seconds(pids) - before < 0.2
    assert fetch(live_server.url + "/sparql?" + urlencode({"query": PLACES + " # after"}))[0] == 200
    assert "stopped" in live_server.log()


# --- no way out: SERVICE and FROM never reach a listener on loopback ------------------------------


@pytest.fixture
def listener():
    """A TCP listener on a free loopback port that records every connection it accepts."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.1)
    accepted: list = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            accepted.append(conn)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1], accepted
    stop.set()
    thread.join(2)
    sock.close()


@pytest.mark.parametrize(
    "template,status",
    [
        ("SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}", 403),
        ("SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}", 403),
        ("SELECT * FROM <http://127.0.0.1:{port}/data.ttl> WHERE {{ ?s ?p ?o }}", 200),
        ("SELECT * FROM NAMED <http://127.0.0.1:{port}/data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", 200),
        ("LOAD <http://127.0.0.1:{port}/data.ttl>", 403),
    ],
)
def test_no_connection_leaves_the_server(live_server, listener, template, status):
    port, accepted = listener
    code, _, body = fetch(live_server.url + "/sparql?" + urlencode({"query": template.format(port=port)}))
    assert code == status
    if code == 200:
        assert json.loads(body)["results"]["bindings"] == []
    assert fetch(live_server.url + "/health")[0] == 200
    assert accepted == []


@pytest.mark.parametrize("app", ["oxigraph", "rdflib"], indirect=True)
def test_no_connection_in_process_either_engine(client, listener):
    port, accepted = listener
    for query in (
        f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <http://127.0.0.1:{port}/a.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <http://127.0.0.1:{port}/a.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    ):
        assert client.get("/sparql?" + urlencode({"query": query})).status_code in (200, 403)
    assert accepted == []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_killed_web_worker_leaves_no_query_process_behind(live_server_factory, release_dir):
    server = live_server_factory(release_dir, workers=1, threads=2, env={"KARABAKH_KG_QUERY_TIMEOUT": "30"})

    def runaway():
        try:
            fetch(server.url + "/sparql?" + urlencode({"query": RUNAWAY}), timeout=60)
        except (urllib.error.URLError, ConnectionError):
            pass  # expected: its worker is killed under it

    thread = threading.Thread(target=runaway, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    workers, children = [], []
    while time.monotonic() < deadline and not children:  # wait until the runaway runs in a query process
        workers = descendants(server.process.pid)
        children = [pid for w in workers for pid in descendants(w)]
        time.sleep(0.05)
    assert children, "the runaway query never reached a query process"
    worker = next(w for w in workers if children[0] in descendants(w))
    os.kill(worker, 9)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in children), "a query process outlived its web worker"
    # gunicorn starts a new worker, which serves again
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if fetch(server.url + "/sparql?" + urlencode({"query": PLACES}), timeout=5)[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    else:
        pytest.fail("the server did not recover after its worker was killed")


def test_reload_swaps_the_dataset_whole(live_server_factory, make_release, tmp_path):
    """`kill -HUP` on the master after a new build: new workers serve the new release, caches start empty."""
    from support.builds import ENDPOINT_TRIG, build_release

    build_dir = make_release(ENDPOINT_TRIG)
    server = live_server_factory(build_dir, workers=1, threads=2)
    query = "/sparql?" + urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    old_version = json.loads(fetch(server.url + "/health")[2])["version"]
    assert json.loads(fetch(server.url + query)[2])["results"]["bindings"][0]["n"]["value"] == "77"
    bigger = tmp_path / "bigger.trig"
    bigger.write_text(
        ENDPOINT_TRIG.read_text(encoding="utf-8")
        + "\n<https://w3id.org/karabakh-kg/graph/asserted> { <https://w3id.org/karabakh-kg/id/x> a <https://w3id.org/karabakh-kg/ontology#Place> . }\n",
        encoding="utf-8",
    )
    build_release(bigger, build_dir)
    os.kill(server.process.pid, 1)  # SIGHUP: gunicorn replaces its workers gracefully
    deadline = time.monotonic() + 20
    version = old_version
    while time.monotonic() < deadline and version == old_version:
        try:
            version = json.loads(fetch(server.url + "/health", timeout=5)[2])["version"]
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.05)
    assert version != old_version
    assert json.loads(fetch(server.url + query)[2])["results"]["bindings"][0]["n"]["value"] == "78"


def test_access_lines_waiting_in_a_batch_are_written_when_the_server_stops(release_dir, tmp_path):
    from support.live import start_live_server

    server = start_live_server(release_dir, tmp_path / "serve.log", workers=1)
    try:
        marks = [f"stop-{i}" for i in range(5)]
        for mark in marks:
            query = urlencode({"query": f"ASK {{ ?s ?p ?o }} # {mark}"})
            assert fetch(f"{server.url}/sparql?{query}")[0] == 200
    finally:
        server.stop()  # at once: the lines are still waiting for their batch
    assert server.process.returncode == 0
    hashes = [line["query_hash"] for line in access_lines(server) if line["route"] == "/sparql"]
    assert len(hashes) >= 5 and len(set(hashes[-5:])) == 5
