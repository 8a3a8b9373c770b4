"""`karabakh-kg publish` loads every named graph of a build into a real Oxigraph server."""

from __future__ import annotations

import hashlib
import http.server
import subprocess
import threading
import urllib.request
from argparse import Namespace
from pathlib import Path

import pyoxigraph as ox
import pytest

from karabakh_kg import releases
from karabakh_kg.commands import publish
from support.oxigraph_server import free_port, start_oxigraph


def args(to: str, build_dir, timeout: float = 30.0) -> Namespace:
    return Namespace(to=to, build_dir=str(build_dir), timeout=timeout)


def release_graphs(release_dir: Path) -> dict[str, set]:
    release = releases.open_current(release_dir)
    graphs: dict[str, set] = {}
    for quad in ox.parse(path=str(release.dataset), format=ox.RdfFormat.N_QUADS):
        graphs.setdefault(quad.graph_name.value, set()).add(quad.triple)
    return graphs


def test_every_named_graph_arrives_whole(oxigraph_server, release_dir, capsys):
    assert publish.run(args(oxigraph_server.url + "/store", release_dir)) == 0
    expected = release_graphs(release_dir)
    assert len(expected) >= 3
    for iri, triples in expected.items():
        assert oxigraph_server.graph(iri) == triples, iri  # no blank nodes in the fixture
    assert "graphs" in capsys.readouterr().err


def test_publishing_twice_replaces_instead_of_adding(oxigraph_server, release_dir):
    assert publish.run(args(oxigraph_server.url + "/store", release_dir)) == 0
    assert publish.run(args(oxigraph_server.url + "/store", release_dir)) == 0
    count = int(oxigraph_server.query("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }")[0]["n"]["value"])
    assert count == sum(len(t) for t in release_graphs(release_dir).values())


def test_blank_nodes_survive(oxigraph_server, tmp_path, make_release):
    trig = tmp_path / "b.trig"
    trig.write_text(
        """<https://w3id.org/karabakh-kg/graph/ontology> {
        <urn:c> <http://www.w3.org/2000/01/rdf-schema#subClassOf> [ <urn:p> <urn:o> ; <urn:q> "x" ] . }
        <https://w3id.org/karabakh-kg/graph/asserted> { <urn:a> <urn:b> "c" . }""",
        encoding="utf-8",
    )
    build = make_release(trig)
    assert publish.run(args(oxigraph_server.url + "/store", build)) == 0
    rows = oxigraph_server.query("""SELECT ?v WHERE { GRAPH <https://w3id.org/karabakh-kg/graph/ontology> {
        <urn:c> ?sub ?b . ?b <urn:p> <urn:o> ; <urn:q> ?v } }""")
    assert [r["v"]["value"] for r in rows] == ["x"]


@pytest.mark.parametrize("to", ["ftp://127.0.0.1/store", "not a url", "http://127.0.0.1:notaport/store"])
def test_bad_urls_are_usage_errors(to, release_dir, capsys):
    assert publish.run(args(to, release_dir)) == 2
    assert "--to" in capsys.readouterr().err


def test_no_build_is_a_usage_error(tmp_path, capsys):
    assert publish.run(args("http://127.0.0.1:9/store", tmp_path)) == 2
    assert "no build found" in capsys.readouterr().err


def test_unreachable_store(release_dir, capsys):
    port = free_port()  # nothing listens there
    assert publish.run(args(f"http://127.0.0.1:{port}/store", release_dir)) == 2
    err = capsys.readouterr().err
    assert "cannot reach the store" in err and "Traceback" not in err


def test_read_only_store_says_so(tmp_path, release_dir, capsys):
    server = start_oxigraph(tmp_path / "ro-store", read_only=False)
    server.stop()  # create the store, then serve it read-only
    server = start_oxigraph(tmp_path / "ro-store", read_only=True)
    try:
        assert publish.run(args(server.url + "/store", release_dir)) == 2
        err = capsys.readouterr().err
        assert "403" in err and "read-only" in err and "accepts writes" in err
    finally:
        server.stop()


class _Refuser(http.server.BaseHTTPRequestHandler):
    """A store that reads each PUT and refuses it as bad data."""

    seen: list = []

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append((self.path, self.headers.get("Authorization"), len(body)))
        text = b"line 3: unexpected token"
        self.send_response(400)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


def test_refused_data_is_exit_1_with_the_store_message_and_credentials_stay_secret(release_dir, capsys, monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refuser)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("KARABAKH_KG_STORE_USER", "alice")
    monkeypatch.setenv("KARABAKH_KG_STORE_PASSWORD", "s@cret")
    try:
        url = f"http://127.0.0.1:{server.server_port}/gsp"
        assert publish.run(args(url, release_dir)) == 1
    finally:
        server.shutdown()
        server.server_close()
    err = capsys.readouterr().err
    assert "400" in err and "line 3: unexpected token" in err
    assert "s@cret" not in err and "s%40cret" not in err
    path, auth, size = _Refuser.seen[0]
    assert path.startswith("/gsp?graph=https%3A%2F%2Fw3id.org%2Fkarabakh-kg%2Fgraph%2F") and size > 0
    assert auth == "Basic " + __import__("base64").b64encode(b"alice:s@cret").decode()


def test_credentials_in_the_url_are_refused_without_echoing_them(release_dir, capsys):
    assert publish.run(args("http://alice:s3cret@127.0.0.1:9/gsp", release_dir)) == 2
    err = capsys.readouterr().err
    assert "KARABAKH_KG_STORE_USER" in err and "s3cret" not in err and "alice" not in err


class _DigestStore(http.server.BaseHTTPRequestHandler):
    """A store that asks for HTTP Digest (as Virtuoso's /sparql-graph-crud-auth does) and checks the answer."""

    accepted: list = []

    def do_HEAD(self):
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Digest realm="SPARQL", nonce="n0nce", opaque="op", qop="auth"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Digest "):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Digest realm="SPARQL", nonce="n0nce", opaque="op", qop="auth"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(auth[7:]))
        md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
        ha1, ha2 = md5("bob:SPARQL:pa55"), md5(f"PUT:{self.path}")
        expected = md5(f"{ha1}:n0nce:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
        ok = fields.get("response") == expected and fields.get("uri") == self.path and fields.get("opaque") == "op"
        type(self).accepted.append(ok)
        self.send_response(201 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_digest_authentication_when_the_store_asks_for_it(release_dir, monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _DigestStore)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("KARABAKH_KG_STORE_USER", "bob")
    monkeypatch.setenv("KARABAKH_KG_STORE_PASSWORD", "pa55")
    try:
        assert publish.run(args(f"http://127.0.0.1:{server.server_port}/sparql-graph-crud-auth", release_dir)) == 0
    finally:
        server.shutdown()
        server.server_close()
    assert _DigestStore.accepted and all(_DigestStore.accepted)


def test_the_command_line(oxigraph_server, release_dir):
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "karabakh_kg.cli",
            "publish",
            "--to",
            oxigraph_server.url + "/store",
            "--build-dir",
            str(release_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "triples of build" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "karabakh_kg.cli", "publish"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "--to" in done.stderr
