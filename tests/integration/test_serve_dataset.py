"""`karabakh-kg serve --dataset FILE …`: the user's own RDF files served read-only, as they are.

The files become a plain release (build/dataset_release.py): named graphs from the files, no
reasoning, no literal normalisation, blank nodes kept apart file by file; the app then offers the
SPARQL routes, the Graph Store read side and /health only. Bad files are refused before serving,
each named with file:line:column. (The W3C suites under tests/w3c/ serve their fixtures this way,
over a real server, on every engine.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from karabakh_kg import releases
from karabakh_kg.build import dataset_release
from karabakh_kg.errors import InputError
from karabakh_kg.web.app import create_app

TURTLE = '@prefix ex: <http://example.org/> .\nex:a ex:p "x", 1.0 ; ex:q [ ex:r "b" ] .\n<rel> ex:p ex:a .\n'
TRIG = "<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n<http://e/g> { <http://e/s> <http://e/p> [] . }\n"
NTRIPLES = '<http://example.org/s> <http://example.org/q> _:b .\n_:b <http://example.org/r> "b" .\n'
RDFXML = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/x"><ex:p>from xml</ex:p></rdf:Description>
</rdf:RDF>
"""
JSONLD = '{"@id": "http://example.org/y", "http://example.org/p": "from json-ld"}'
SRJ = "application/sparql-results+json"


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    written = {}
    for name, text in (
        ("a.ttl", TURTLE),
        ("b.trig", TRIG),
        ("c.nt", NTRIPLES),
        ("d.rdf", RDFXML),
        ("e.jsonld", JSONLD),
    ):
        written[name] = tmp_path / name
        written[name].write_text(text, encoding="utf-8")
    return written


@pytest.fixture
def served(files, tmp_path):
    made = []

    def serve(names, graphs=(), **settings):
        build_dir = tmp_path / f"build-{len(made)}"
        release = dataset_release.write([files[n] for n in names], build_dir, "http://127.0.0.1:9/", list(graphs))
        app = create_app({"BUILD_DIR": str(build_dir), "QUERY_PROCESSES": 1, **settings})
        made.append(app)
        return release, app.test_client()

    yield serve
    for app in made:
        app.extensions["karabakh_kg"].runner.close()


def select(client, query: str) -> list[dict]:
    response = client.post("/sparql", data={"query": query}, headers={"Accept": SRJ})
    assert response.status_code == 200, response.data
    return [{k: v["value"] for k, v in b.items()} for b in response.get_json()["results"]["bindings"]]


def graphs_of(client) -> dict[str, int]:
    rows = select(client, "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {row["g"]: int(row["n"]) for row in rows}


def test_every_format_is_served_with_its_graphs(served, files):
    release, client = served(["a.ttl", "b.trig", "c.nt", "d.rdf", "e.jsonld"])
    assert release.plain and releases.open_current(release.path.parent.parent).plain
    assert graphs_of(client) == {
        files["a.ttl"].resolve().as_uri(): 5,
        files["b.trig"].resolve().as_uri(): 1,  # a quad file's default graph: named by the file
        "http://e/g": 1,
        files["c.nt"].resolve().as_uri(): 2,
        files["d.rdf"].resolve().as_uri(): 1,
        files["e.jsonld"].resolve().as_uri(): 1,
    }
    assert release.manifest["triples"] == 11


def test_graph_names_a_triples_file_in_order(served, files):
    _, client = served(["b.trig", "a.ttl", "c.nt"], graphs=["http://example.org/first"])
    assert set(graphs_of(client)) == {
        "http://e/g",
        files["b.trig"].resolve().as_uri(),
        "http://example.org/first",
        files["c.nt"].resolve().as_uri(),
    }


def test_terms_are_kept_as_written_and_relative_iris_resolve_against_the_file(served, files):
    release, _ = served(["a.ttl"])
    text = release.dataset.read_text(encoding="utf-8")
    assert '"1.0"^^<http://www.w3.org/2001/XMLSchema#decimal>' in text  # no literal normalisation
    assert f"<{files['a.ttl'].parent.resolve().as_uri()}/rel>" in text


def test_blank_nodes_of_two_files_stay_apart(served, files):
    _, client = served(["a.ttl", "c.nt"])
    rows = select(client, "SELECT DISTINCT ?b { ?x <http://example.org/q> ?b . ?b <http://example.org/r> ?v }")
    assert len(rows) == 2


def test_the_default_graph_is_the_union_and_relative_query_iris_use_the_base(served):
    _, client = served(["a.ttl", "d.rdf"])
    assert len(select(client, "SELECT * { ?s <http://example.org/p> ?o }")) == 4
    response = client.post(
        "/sparql",
        data=b"CONSTRUCT { <s> <p> 1 } WHERE {}",
        content_type="application/sparql-query",
        headers={"Accept": "application/n-triples"},
    )
    assert response.status_code == 200 and b"<http://127.0.0.1:9/s>" in response.data


def test_only_the_sparql_routes_the_graph_store_and_health(served):
    release, client = served(["a.ttl"])
    assert client.get("/health").get_json()["triples"] == 5
    for path in (
        "/",
        "/id/a",
        "/doc/a",
        "/ontology",
        "/.well-known/void",
        "/queries/",
        "/timeline",
        "/dumps/",
        "/graph/g1",
    ):
        assert client.get(path).status_code == 404, path
    description = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert description.status_code == 200 and release.manifest["graphs"]["g1"]["iri"].encode() in description.data
    graph_iri = release.manifest["graphs"]["g1"]["iri"]
    assert client.get("/store", query_string={"graph": graph_iri}, headers={"Accept": "text/turtle"}).status_code == 200
    form = client.get("/sparql", headers={"Accept": "text/html"})  # the plain query form, no site pages
    assert form.status_code == 200 and b"<form" in form.data


def test_updates_are_refused_as_for_the_build(served):
    _, client = served(["a.ttl"])
    response = client.post("/sparql", data={"update": "CLEAR ALL"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "name,text,where",
    [
        ("bad.ttl", "@prefix ex: <http://example.org/> .\nex:a ex:p .\n", "bad.ttl:2:"),
        ("bad.nt", '<http://e/s> <http://e/p> <http://e/o> .\n<http://e/s> <http://e/p> "x .\n', "bad.nt:2:"),
        ("bad.trig", "<http://e/g> { <http://e/s> <http://e/p> }\n", "bad.trig:1:"),
        ("bad.nq", "<http://e/s> <http://e/p> <http://e/o> <http://e/g> <x> .\n", "bad.nq:1:"),
        ("bad.rdf", "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n<oops>\n", "bad.rdf"),
        ("bad.jsonld", '{"@id": "http://e/x",\n "http://e/p": }', "bad.jsonld"),
        ("data.csv", "a,b\n", "unknown RDF format '.csv'"),
    ],
)
def test_a_bad_file_is_refused_with_where(tmp_path, name, text, where):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        dataset_release.load([path])
    assert len(raised.value.problems) == 1 and where in raised.value.problems[0]


def test_too_many_graph_iris_or_a_bad_one_are_refused(files):
    with pytest.raises(InputError, match="2 --graph IRIs for 1 triples file"):
        dataset_release.load([files["a.ttl"]], ["http://e/1", "http://e/2"])
    with pytest.raises(InputError, match="not an absolute IRI"):
        dataset_release.load([files["a.ttl"]], ["relative"])


def test_serve_refuses_bad_files_before_serving(tmp_path, files):
    bad = tmp_path / "bad.ttl"
    bad.write_text("<http://e/s> <http://e/p> .\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "karabakh_kg.cli", "serve", "--port", "0", "--dataset", str(files["a.ttl"]), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"{bad}:1:" in result.stderr and "Traceback" not in result.stderr
    assert "Listening" not in result.stderr


def test_graph_without_dataset_is_a_usage_error():
    result = subprocess.run(
        [sys.executable, "-m", "karabakh_kg.cli", "serve", "--graph", "http://e/g"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--dataset" in result.stderr


def test_the_served_store_holds_exactly_the_files(served, files):
    release, _ = served(["b.trig"])
    stored = ox.Store.read_only(str(release.store))
    assert len(stored) == 2
