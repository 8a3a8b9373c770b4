"""RDF that reads cleanly: one prefix table, no escaped local names, compact JSON-LD with a context."""

from __future__ import annotations

import gzip
import json
import re
import warnings

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic

from karabakh_kg import jsonld, prefixes, rdf_writer
from karabakh_kg.namespaces import DEFAULT_BASE
from support.ld import RESOURCE

TABLE = prefixes.table(DEFAULT_BASE)
ESCAPED_LOCAL = re.compile(r"(?<![\"\\])\b[a-z][\w-]*:[^\s\"<>]*\\[/#]")  # kg:aghdam\/mention\/2
VOCABULARIES = ("sem", "geo", "schema", "gaf", "prov", "time", "oa", "org", "dcterms", "skos", "owl", "xsd")


def _ox_graph(data: bytes, fmt: ox.RdfFormat) -> set:
    return {q.triple for q in ox.parse(data, format=fmt)}


def _rdflib(data: bytes | str, fmt: str) -> rdflib.Graph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return rdflib.Graph().parse(data=data, format=fmt)


def _dump(ld_build, name: str) -> bytes:
    return gzip.decompress((ld_build / "current" / "dumps" / name).read_bytes())


def test_the_table_holds_every_namespace_the_sources_declare():
    from support.ld import ROOT

    declared = set()
    for path in [*ROOT.glob("ontology/*.ttl"), *ROOT.glob("data/facts/*.ttl")]:
        declared |= set(re.findall(r"@prefix\s+[\w-]*:\s*<([^>]+)>", path.read_text(encoding="utf-8")))
    shapes_only = {DEFAULT_BASE + "shapes#"}
    assert declared - shapes_only <= set(TABLE.values())


def test_turtle_dump_uses_every_vocabulary_prefix_and_no_escapes(ld_build):
    text = _dump(ld_build, "karabakh-kg.ttl.gz").decode("utf-8")
    declared = set(re.findall(r"^@prefix ([\w-]+):", text, re.M))
    used_vocabularies = {p for p in VOCABULARIES if f"<{TABLE[p]}" in _dump(ld_build, "karabakh-kg.nt.gz").decode()}
    assert used_vocabularies <= declared
    assert not ESCAPED_LOCAL.search(text), ESCAPED_LOCAL.search(text).group(0)
    assert f"kg:{RESOURCE} " in text


def test_every_dump_holds_the_same_triples(ld_build):
    reference = _ox_graph(_dump(ld_build, "karabakh-kg.nq.gz"), ox.RdfFormat.N_QUADS)
    for name, fmt in (("ttl", "turtle"), ("nt", "nt"), ("rdf", "xml"), ("jsonld", "json-ld")):
        graph = _rdflib(_dump(ld_build, f"karabakh-kg.{name}.gz"), fmt)
        expected = _rdflib(_dump(ld_build, "karabakh-kg.nt.gz"), "nt")
        assert len(graph) == len(reference) and isomorphic(graph, expected), name
    trig = {
        (q.triple, q.graph_name) for q in ox.parse(_dump(ld_build, "karabakh-kg.trig.gz"), format=ox.RdfFormat.TRIG)
    }
    nquads = {
        (q.triple, q.graph_name) for q in ox.parse(_dump(ld_build, "karabakh-kg.nq.gz"), format=ox.RdfFormat.N_QUADS)
    }
    assert trig == nquads


def test_jsonld_dump_is_compact_with_the_published_context(ld_build, ld_client):
    document = json.loads(_dump(ld_build, "karabakh-kg.jsonld.gz"))
    published = ld_client.get("/context.jsonld")
    assert published.status_code == 200 and published.mimetype == "application/ld+json"
    assert document["@context"] == published.get_json()["@context"]
    ids = {node["@id"] for node in document["@graph"]}
    assert f"kg:{RESOURCE}" in ids
    assert not any(i.startswith(DEFAULT_BASE + "id/") for i in ids)


@pytest.mark.parametrize("suffix, fmt", [("ttl", "turtle"), ("jsonld", "json-ld"), ("rdf", "xml")])
def test_resource_documents_read_cleanly_and_say_the_same(ld_client, suffix, fmt):
    body = ld_client.get(f"/doc/{RESOURCE}.{suffix}").get_data(as_text=True)
    expected = _rdflib(ld_client.get(f"/doc/{RESOURCE}.nt").get_data(as_text=True), "nt")
    assert isomorphic(_rdflib(body, fmt), expected)
    if suffix == "ttl":
        assert not ESCAPED_LOCAL.search(body)
        assert "@prefix kg:" in body and "@prefix rdfs:" in body
    if suffix == "jsonld":
        assert json.loads(body)["@context"]["kg"] == DEFAULT_BASE + "id/"


# --- the writer itself, on generated data -------------------------------------------------------

SEGMENT = st.text(alphabet="abcxyz019-_.~", min_size=1, max_size=6)
PATHS = st.lists(SEGMENT, min_size=1, max_size=3).map("/".join)
IRI = st.one_of(
    PATHS.map(lambda p: DEFAULT_BASE + "id/" + p),
    st.tuples(PATHS, SEGMENT).map(lambda t: f"{DEFAULT_BASE}id/{t[0]}#{t[1]}"),
    SEGMENT.map(lambda s: DEFAULT_BASE + "graph/" + s),
    st.sampled_from(["http://www.w3.org/2000/01/rdf-schema#label", "https://schema.org/name", "http://ex.org/a:b"]),
)
LITERAL = st.one_of(
    st.text(max_size=20).map(ox.Literal),
    st.tuples(st.text(max_size=10), st.sampled_from(["en", "hy"])).map(lambda t: ox.Literal(t[0], language=t[1])),
    st.integers().map(ox.Literal),
    st.sampled_from(["2020-11-20"]).map(
        lambda v: ox.Literal(v, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
    ),
)
TRIPLES = st.lists(
    st.tuples(IRI, IRI, st.one_of(IRI.map(ox.NamedNode), LITERAL)).map(
        lambda t: ox.Triple(ox.NamedNode(t[0]), ox.NamedNode(t[1]), t[2])
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(TRIPLES, st.booleans())
def test_turtle_and_trig_round_trip_whatever_the_iris(triples, as_quads):
    graph = ox.NamedNode(DEFAULT_BASE + "graph/asserted")
    items = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples] if as_quads else triples
    fmt = ox.RdfFormat.TRIG if as_quads else ox.RdfFormat.TURTLE
    body = rdf_writer.serialize(items, fmt, TABLE)
    parsed = {(q.triple, q.graph_name) for q in ox.parse(body, format=fmt)}
    expected = {(t.triple, t.graph_name) for t in items} if as_quads else {(t, ox.DefaultGraph()) for t in items}
    assert parsed == expected, body.decode()
    assert not ESCAPED_LOCAL.search(body.decode())


@settings(max_examples=100, deadline=None)
@given(TRIPLES)
def test_compact_jsonld_round_trips(triples):
    body = rdf_writer.serialize(triples, ox.RdfFormat.JSON_LD, TABLE)
    assert json.loads(body)["@context"] == jsonld.context(DEFAULT_BASE)["@context"]
    assert _ox_graph(body, ox.RdfFormat.JSON_LD) == set(triples)


def test_void_jsonld_carries_the_context_and_says_what_turtle_says(ld_client):
    context = ld_client.get("/context.jsonld").get_json()["@context"]
    body = ld_client.get("/.well-known/void?format=jsonld").get_data(as_text=True)
    assert json.loads(body)["@context"] == context
    turtle = ld_client.get("/.well-known/void?format=turtle").get_data(as_text=True)
    assert isomorphic(_rdflib(body, "json-ld"), _rdflib(turtle, "turtle"))


def test_service_description_jsonld_carries_the_published_context(ld_client):
    context = ld_client.get("/context.jsonld").get_json()["@context"]
    answer = ld_client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert answer.status_code == 200 and answer.mimetype == "application/ld+json"
    assert json.loads(answer.get_data(as_text=True))["@context"] == context


def test_owl_export_retypes_dates_and_the_axioms_that_name_them():
    from karabakh_kg.build import owl_export

    xsd = "http://www.w3.org/2001/XMLSchema#"
    date = ox.Literal("2020-11-20", datatype=ox.NamedNode(xsd + "date"))
    assert owl_export.owl_compatible(date) == ox.Literal("2020-11-20")
    assert owl_export.owl_compatible(ox.NamedNode(xsd + "gYear")) == ox.NamedNode(xsd + "string")
    for kept in (ox.Literal("3", datatype=ox.NamedNode(xsd + "integer")), ox.Literal("x", language="en")):
        assert owl_export.owl_compatible(kept) == kept
    assert owl_export.owl_compatible(ox.NamedNode(xsd + "dateTime")) == ox.NamedNode(xsd + "dateTime")
