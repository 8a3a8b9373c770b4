"""Real linked-data consumers follow our IRIs on a live server: rdflib, owlready2, HermiT, Jena."""

from __future__ import annotations

import json
import sys

import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF

from support.ld import RESOURCE, http_get, parse_rdf, run

pytestmark = pytest.mark.live


def _version_url(server, published) -> str:
    version = published.graph("ontology").value(rdflib.URIRef(published.base + "ontology"), OWL.versionIRI)
    return server.url + "/" + str(version)[len(published.base) :]


# --- rdflib -------------------------------------------------------------------------------------


def test_rdflib_parses_a_resource_iri_through_the_303(ld_live, published):
    url = f"{ld_live.url}/id/{RESOURCE}"
    status, headers, _ = http_get(url, accept="text/turtle", follow=False)
    assert status == 303 and headers["Location"] == f"/doc/{RESOURCE}.ttl"
    graph = parse_rdf(url)
    iri = published.iri(RESOURCE)
    assert {(p, o) for p, o in graph.predicate_objects(iri)} == {(p, o) for s, p, o in published.union() if s == iri}


@pytest.mark.parametrize("which", ["ontology", "version"])
def test_rdflib_parses_the_ontology_and_its_version_iri(ld_live, published, which):
    url = f"{ld_live.url}/ontology" if which == "ontology" else _version_url(ld_live, published)
    assert http_get(url, accept=None)[1]["Content-Type"].startswith("application/rdf+xml")
    assert isomorphic(parse_rdf(url), published.graph("ontology"))


# --- owlready2 (no Accept header at all) ------------------------------------------------------------


def owlready2_loads(url: str, printed: str) -> list[int]:
    """Load `url` with owlready2 (which sends no Accept header) in a fresh process; the numbers it prints."""
    pytest.importorskip("owlready2")
    script = f"import sys, owlready2\nonto = owlready2.get_ontology(sys.argv[1]).load()\nprint({printed})\n"
    done = run(sys.executable, "-c", script, url, timeout=120)
    assert done.returncode == 0, done.stderr
    return [int(n) for n in done.stdout.split()]


def test_owlready2_loads_the_ontology_by_url(ld_live, published):
    classes, properties = owlready2_loads(
        f"{ld_live.url}/ontology", "len(list(onto.classes())), len(list(onto.object_properties()))"
    )
    own = published.base + "ontology#"
    onto = published.graph("ontology")
    assert classes >= len({c for c in onto.subjects(RDF.type, OWL.Class) if str(c).startswith(own)})
    assert properties >= len({p for p in onto.subjects(RDF.type, OWL.ObjectProperty) if str(p).startswith(own)})


# --- HermiT (the OWL API, as in Protégé) ----------------------------------------------------------------


@pytest.mark.java
@pytest.mark.parametrize("which", ["ontology", "version"])
def test_hermit_loads_the_ontology_by_url_and_finds_it_consistent(ld_live, published, hermit_jar, which):
    url = f"{ld_live.url}/ontology" if which == "ontology" else _version_url(ld_live, published)
    # No switch: the ontology keeps to the OWL 2 datatype map (no xsd:date in its axioms), as Protégé needs.
    done = run("java", "-jar", str(hermit_jar), "-k", url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "owl#Thing is satisfiable" in done.stdout, done.stdout + done.stderr[-2000:]
    assert "Exception" not in done.stderr
    if which == "version":
        return
    unsatisfiable = run("java", "-jar", str(hermit_jar), "-U", url)
    assert unsatisfiable.returncode == 0, unsatisfiable.stderr[-2000:]
    named = [line.strip() for line in unsatisfiable.stdout.splitlines()[1:] if line.strip()]
    assert named == ["owl:Nothing"], unsatisfiable.stdout


# --- Apache Jena --------------------------------------------------------------------------------------


@pytest.mark.java
def test_jena_reads_a_resource_iri_through_the_303_and_the_ontology(ld_live, published, jena_cp, tmp_path):
    """One JVM, two documents: `--data` the resource IRI (303 → Turtle) and the ontology IRI."""
    iri = published.iri(RESOURCE)
    query = tmp_path / "q.rq"
    query.write_text(
        "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
        f"SELECT ?p ?o ?ontology WHERE {{ {{ <{iri}> ?p ?o }} UNION {{ ?ontology a owl:Ontology }} }}",
        encoding="utf-8",
    )
    done = run(
        "java",
        "-cp",
        jena_cp,
        "arq.sparql",
        "--data",
        f"{ld_live.url}/id/{RESOURCE}",
        "--data",
        f"{ld_live.url}/ontology",
        "--query",
        str(query),
        "--results",
        "json",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(done.stdout)["results"]["bindings"]
    expected = {(str(p), str(o)) for s, p, o in published.union() if s == iri}
    assert {(r["p"]["value"], r["o"]["value"]) for r in rows if "p" in r} == expected
    assert [r["ontology"]["value"] for r in rows if "ontology" in r] == [published.base + "ontology"]


# --- the VoID, as a crawler reads it ------------------------------------------------------------------


def test_void_is_found_at_the_well_known_address(ld_live, published):
    graph = parse_rdf(f"{ld_live.url}/.well-known/void")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = rdflib.URIRef(published.base + ".well-known/void#dataset")
    assert int(graph.value(dataset, void.triples)) == len(published.union())
    assert str(graph.value(dataset, void.sparqlEndpoint)) == published.base + "sparql"


# --- paths as a real WSGI server receives them ------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/../manifest.json",
        "/id/%2e%2e/manifest.json",
        "/doc/aghdam%2F..%2F..%2Fmanifest.json",
        "/id/aghdam%5C..%5C..",
        "/dumps/..%2Fmanifest.json",
        "/dumps/%2e%2e/manifest.json",
        "/ontology/..%2F..%2Fmanifest.json",
        "/article/..%2F..%2Fmanifest.json",
        "/doc/%2e%2e/%2e%2e/manifest.json",
    ],
)
def test_traversal_is_404_on_the_live_server(ld_live, path):
    """Sent byte for byte (no client normalises the path): gunicorn passes it on, we answer 404."""
    import http.client
    from urllib.parse import urlsplit

    address = urlsplit(ld_live.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 404, (path, response.status)
    assert b"dataset_sha256" not in body


# --- clients that send no Accept header, the dumps by URL, HermiT on ontology + data ----------------------


def test_a_client_without_accept_gets_rdf_for_a_resource(ld_live, published):
    """urllib, owlready2, wget: no Accept header, so RDF/XML (the 303 is followed)."""
    status, headers, body = http_get(f"{ld_live.url}/id/{RESOURCE}", accept=None)
    assert status == 200 and headers["Content-Type"].startswith("application/rdf+xml")
    graph = parse_rdf(body, "xml")
    assert (published.iri(RESOURCE), None, None) in graph


def test_owlready2_loads_a_resource_by_url(ld_live, published):
    (triples,) = owlready2_loads(
        f"{ld_live.url}/id/{RESOURCE}", "len(list(owlready2.default_world.sparql('SELECT ?p ?o { ?s ?p ?o }')))"
    )
    assert triples > 5


@pytest.mark.parametrize("name", ["karabakh-kg.ttl", "karabakh-kg.jsonld", "karabakh-kg.rdf", "karabakh-kg.nt"])
def test_rdflib_parses_each_dump_from_its_plain_url(ld_live, published, name):
    graph = parse_rdf(f"{ld_live.url}/dumps/{name}")
    assert len(graph) == len(published.union())


@pytest.mark.java
def test_hermit_reasons_over_ontology_and_data_from_the_owl_dump(ld_live, published, hermit_jar):
    """The plain dumps stop HermiT at the first xsd:date; the OWL tools' copy is consistent."""
    done = run("java", "-jar", str(hermit_jar), "-k", f"{ld_live.url}/dumps/karabakh-kg.owl")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "owl#Thing is satisfiable" in done.stdout and "Exception" not in done.stderr
    plain = run("java", "-jar", str(hermit_jar), "-k", f"{ld_live.url}/dumps/karabakh-kg.rdf")
    assert "UnsupportedDatatypeException" in plain.stderr
