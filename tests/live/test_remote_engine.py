"""`--engine sparql:URL` through a real Oxigraph server filled by `karabakh-kg publish`.

The protocol table (integration/test_protocol.py) runs on this engine too (its `remote` case);
here are the remote engine's own rules: nothing unsafe is ever forwarded, the
dataset is pinned to the release's graphs, deadlines hold, a broken store is a clear error.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from karabakh_kg.web.engines import EngineError, Job, QueryError, QueryTimeout
from karabakh_kg.web.engines.remote import RemoteEngine, dataset_clauses
from support.sparql import EVENTS, G, bindings, get

pytestmark = pytest.mark.parametrize("app", ["remote"], indirect=True)


class Listener:
    """A loopback socket that records connections and never answers (a hung or spying store)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.open.append(conn)
            conn.settimeout(0.2)
            try:
                self.connections.append(conn.recv(65536))
            except OSError:
                self.connections.append(b"")

    def close(self):
        for conn in self.open:
            conn.close()
        self.sock.close()


@pytest.fixture
def listener():
    spy = Listener()
    yield spy
    spy.close()


def engine_for(app, url: str) -> RemoteEngine:
    st = app.extensions["karabakh_kg"]
    engine = RemoteEngine(st.release, f"sparql:{url}", st.settings)
    engine.open()
    return engine


def job(query: str, **kw) -> Job:
    form = next(w for w in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") if w in query.upper())
    kw.setdefault("format", "json" if form in ("SELECT", "ASK") else "ntriples")
    return Job(query=query, form=form, **kw)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "LOAD <http://127.0.0.1:1/x.ttl>",
        "DROP ALL",
        "PREFIX x: <urn:x> DELETE WHERE { ?s ?p ?o }",
    ],
)
def test_unsafe_queries_never_reach_the_store(app, listener, query):
    engine = engine_for(app, f"http://127.0.0.1:{listener.port}/query")
    with pytest.raises(QueryError):
        engine.execute(job(query if "SELECT" in query else query + " SELECT"))
    engine.close()
    assert listener.connections == []


def test_a_hung_store_is_a_timeout_not_a_hang(app, listener):
    engine = engine_for(app, f"http://127.0.0.1:{listener.port}/query")
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        engine.execute(job("SELECT * WHERE { ?s ?p ?o }", timeout=0.5))
    assert time.monotonic() - started < 2.0
    engine.close()


def test_a_hung_store_gets_a_clear_error_over_http(app, listener, make_app):
    hung = make_app(ENGINE=f"sparql:http://127.0.0.1:{listener.port}/query", QUERY_TIMEOUT=0.5)
    started = time.monotonic()
    response = get(hung.test_client(), "SELECT * WHERE { ?s ?p ?o }")
    assert time.monotonic() - started < 2.0
    assert response.status_code in (503, 504) and response.mimetype == "text/plain"
    assert b"Traceback" not in response.data


def test_a_store_that_is_down_is_a_502_with_a_message(app, make_app):
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    number = port.getsockname()[1]
    port.close()  # nothing listens there now
    down = make_app(ENGINE=f"sparql:http://127.0.0.1:{number}/query")
    response = get(down.test_client(), "SELECT * WHERE { ?s ?p ?o }")
    assert response.status_code == 502 and b"the remote store could not be reached" in response.data
    assert str(number).encode() not in response.data  # the store's address stays in the log
    engine = engine_for(app, f"http://127.0.0.1:{number}/query")
    with pytest.raises(EngineError):
        engine.execute(job("ASK { ?s ?p ?o }"))


def test_the_dataset_is_pinned_to_the_release_graphs(app, listener):
    engine = engine_for(app, f"http://127.0.0.1:{listener.port}/query")
    assert engine.dataset(job("SELECT * { ?s ?p ?o }")) == (list(G.values()), list(G.values())) or set(
        engine.dataset(job("SELECT * { ?s ?p ?o }"))[0]
    ) == set(G.values())
    defaults, named = engine.dataset(job("SELECT * { ?s ?p ?o }", default_graphs=(G["asserted"], "urn:other")))
    assert defaults == [G["asserted"]] and named == ["urn:x-karabakh-kg:no-such-graph"]
    defaults, _ = engine.dataset(job("SELECT * FROM <http://127.0.0.1:9/x> { ?s ?p ?o }", has_dataset_clause=True))
    assert defaults == ["urn:x-karabakh-kg:no-such-graph"]


def test_from_clauses_are_read_with_prefixes_and_base(app):
    query = f"""BASE <https://w3id.org/karabakh-kg/> PREFIX g: <https://w3id.org/karabakh-kg/graph/>
        # FROM <urn:in-a-comment>
        SELECT ?s FROM g:asserted FROM <graph/inferred> FROM NAMED <{G["links"]}>
        WHERE {{ ?s ?p "FROM <urn:in-a-string>" }}"""
    assert dataset_clauses(query) == ([G["asserted"], G["inferred"]], [G["links"]])


def test_rows_are_cut_at_the_limit_and_flagged(app):
    engine = app.extensions["karabakh_kg"].engine
    answer = engine.execute(job("SELECT * WHERE { ?s ?p ?o }", max_rows=3))
    assert answer.rows == 3 and answer.truncated
    again = engine.execute(job("SELECT * WHERE { ?s ?p ?o } LIMIT 2", max_rows=3))  # connection reusable
    assert again.rows == 2 and not again.truncated


def test_same_bytes_as_the_embedded_engine(app, make_app):
    local = make_app(ENGINE="oxigraph", QUERY_PROCESSES=1).test_client()
    remote = app.test_client()
    for query, accept in [
        (EVENTS, "application/sparql-results+json"),
        (EVENTS, "text/csv"),
        (f"ASK {{ GRAPH <{G['asserted']}> {{ ?s ?p ?o }} }}", "application/sparql-results+xml"),
        ("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } ORDER BY ?s ?c", "application/n-triples"),
    ]:
        a, b = get(local, query, {"Accept": accept}), get(remote, query, {"Accept": accept})
        assert (a.status_code, a.mimetype) == (b.status_code, b.mimetype) == (200, a.mimetype)
        if "n-triples" in accept:
            assert sorted(a.data.splitlines()) == sorted(b.data.splitlines())
        else:
            assert a.data == b.data


def test_concurrent_clients_share_nothing(app):
    client_errors = []
    expected = bindings(get(app.test_client(), EVENTS), "e")
    assert expected

    def worker():
        client = app.test_client()
        for i in range(10):
            response = get(client, EVENTS + f" # {threading.get_ident()} {i}")  # no cache hits
            if response.status_code != 200 or bindings(response, "e") != expected:
                client_errors.append(response.status_code)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert client_errors == []


@pytest.mark.live
def test_karabakh_kg_serve_with_a_remote_engine(app, remote_app, oxigraph_server, release_dir, tmp_path):  # noqa: F811
    """`karabakh-kg serve --engine sparql:URL` on gunicorn, answering through the store."""
    import json as _json
    import urllib.request

    from support.live import start_live_server

    server = start_live_server(release_dir, tmp_path / "serve.log", engine=f"sparql:{oxigraph_server.url}/query")
    try:
        url = server.url + "/sparql?" + urllib.parse.urlencode({"query": EVENTS})
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            rows = _json.load(response)["results"]["bindings"]
        assert [r["e"]["value"] for r in rows] == bindings(get(app.test_client(), EVENTS), "e")
    finally:
        server.stop()
