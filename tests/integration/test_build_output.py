"""The build's output: four named graphs, deterministic bytes, noise dropped and counted."""

from __future__ import annotations

import gzip
import json

import pyoxigraph
import pytest

from karabakh_kg import releases
from karabakh_kg.build import pipeline
from karabakh_kg.namespaces import DEFAULT


def test_same_input_gives_byte_identical_output(kg_build, tmp_path):
    again, fresh = pipeline.build(None, tmp_path / "again", force=True)
    first = releases.open_current(kg_build)
    assert fresh
    assert again.dataset.read_bytes() == first.dataset.read_bytes()
    # the store's files carry RocksDB's own ids: the one part of a release that differs between builds
    assert {**again.manifest, "store_files": None} == {**first.manifest, "store_files": None}
    for dump in sorted(first.dumps.iterdir()):
        assert (again.dumps / dump.name).read_bytes() == dump.read_bytes(), dump.name


def test_unchanged_inputs_are_not_rebuilt(kg_build):
    release, fresh = pipeline.build(None, kg_build)
    assert not fresh and release.version == releases.open_current(kg_build).version


def test_named_graphs_and_manifest_counts(kg_build, kg_store):
    manifest = releases.open_current(kg_build).manifest
    assert set(manifest["graphs"]) == {"ontology", "asserted", "links", "inferred"}
    for name, info in manifest["graphs"].items():
        assert info["iri"] == str(DEFAULT.graph(name))
        count = len(list(kg_store.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(info["iri"]))))
        assert count == info["triples"] > 0
    assert len(list(kg_store.quads_for_pattern(None, None, None, pyoxigraph.DefaultGraph()))) == 0


def test_noise_is_dropped_and_counted(kg_build, kg_store):
    dropped = releases.open_current(kg_build).manifest["dropped"]
    assert dropped["reflexive owl:sameAs"] > 0 and dropped["literal subject"] > 0
    inferred = pyoxigraph.NamedNode(str(DEFAULT.graph("inferred")))
    same_as = pyoxigraph.NamedNode("http://www.w3.org/2002/07/owl#sameAs")
    assert not list(kg_store.quads_for_pattern(None, same_as, None, inferred))
    assert not [
        q for q in kg_store.quads_for_pattern(None, None, None, inferred) if isinstance(q.subject, pyoxigraph.BlankNode)
    ]


def test_inferred_graph_holds_only_new_triples(kg_store):
    asserted = pyoxigraph.NamedNode(str(DEFAULT.graph("asserted")))
    inferred = pyoxigraph.NamedNode(str(DEFAULT.graph("inferred")))
    both = kg_store.query(f"ASK {{ GRAPH {asserted} {{ ?s ?p ?o }} GRAPH {inferred} {{ ?s ?p ?o }} }}")
    assert not both


@pytest.mark.parametrize("suffix", ["ttl", "nt", "jsonld", "rdf", "trig", "nq", "owl"])
def test_dumps_parse(kg_build, suffix):
    fmt = {
        "ttl": "turtle",
        "nt": "nt",
        "jsonld": "json-ld",
        "rdf": "xml",
        "trig": "trig",
        "nq": "nquads",
        "owl": "xml",
    }[suffix]
    data = gzip.decompress((releases.open_current(kg_build).dumps / f"karabakh-kg.{suffix}.gz").read_bytes())
    parsed = list(
        pyoxigraph.parse(
            data,
            format={
                "ttl": pyoxigraph.RdfFormat.TURTLE,
                "nt": pyoxigraph.RdfFormat.N_TRIPLES,
                "jsonld": pyoxigraph.RdfFormat.JSON_LD,
                "rdf": pyoxigraph.RdfFormat.RDF_XML,
                "owl": pyoxigraph.RdfFormat.RDF_XML,
                "trig": pyoxigraph.RdfFormat.TRIG,
                "nq": pyoxigraph.RdfFormat.N_QUADS,
            }[suffix],
        )
    )
    assert len(parsed) > (3000 if suffix == "owl" else 4000), fmt  # the OWL tools' copy has no inferred graph


def test_links_are_kept_out_of_reasoning(kg_store):
    inferred = pyoxigraph.NamedNode(str(DEFAULT.graph("inferred")))
    wikidata = kg_store.query(
        f'ASK {{ GRAPH {inferred} {{ ?s ?p ?o FILTER(STRSTARTS(STR(?o), "http://www.wikidata.org/")) }} }}'
    )
    assert not wikidata


def test_manifest_is_json_with_article_checksum(kg_build):
    manifest = json.loads((releases.open_current(kg_build).path / "manifest.json").read_text())
    assert len(manifest["article"]["sha256"]) == 64 and manifest["article"]["characters"] == 2925


def test_rules_reasoner_builds_the_same_dataset(kg_build, tmp_path):
    rules_release, _ = pipeline.build(None, tmp_path / "rules", reasoner="rules")
    assert rules_release.dataset.read_bytes() == releases.open_current(kg_build).dataset.read_bytes()
    assert rules_release.manifest["reasoner"] == "rules"


def test_blank_node_labels_do_not_depend_on_random_ids(tmp_path):
    """A blank node that heads no triple (only pointed at) still gets the same label every time."""
    from rdflib import BNode, Dataset, URIRef

    from karabakh_kg.build import release_writer

    written = []
    for run in range(2):
        dataset = Dataset()
        graph = dataset.graph(DEFAULT.graph("asserted"))
        graph.add((URIRef("http://example.org/a"), URIRef("http://example.org/p"), BNode()))
        release = release_writer.write(dataset, tmp_path / str(run), version="v", base=DEFAULT.base)
        written.append(release.dataset.read_bytes())
    assert written[0] == written[1]


def test_the_build_writes_graphs_without_a_dataset_copy_to_the_same_bytes(tmp_path):
    """The build hands the writer its graphs as they are (no rdflib Dataset copy): same files, same manifest."""
    from rdflib import BNode, Dataset, Graph, Literal, URIRef
    from rdflib.namespace import OWL, RDF, RDFS, XSD

    from karabakh_kg.build import release_writer

    ex = "http://example.org/"
    restriction, head, rest, pointed = BNode(), BNode(), BNode(), BNode()
    ontology = Graph()
    ontology.add((URIRef(ex + "C"), RDFS.subClassOf, restriction))
    ontology.add((restriction, RDF.type, OWL.Restriction))
    ontology.add((restriction, OWL.onProperty, URIRef(ex + "p")))
    ontology.add((URIRef(ex + "D"), OWL.unionOf, head))
    ontology.add((head, RDF.first, URIRef(ex + "C")))
    ontology.add((head, RDF.rest, rest))
    ontology.add((rest, RDF.first, URIRef(ex + "E")))
    ontology.add((rest, RDF.rest, RDF.nil))
    asserted = Graph()
    asserted.add((URIRef(ex + "a"), URIRef(ex + "p"), pointed))  # a blank node that heads nothing
    asserted.add((URIRef(ex + "a"), RDFS.label, Literal("ä “quoted”\n", lang="en")))
    asserted.add((URIRef(ex + "a"), URIRef(ex + "n"), Literal("01", datatype=XSD.integer)))
    inferred = Graph()
    inferred.add((URIRef(ex + "a"), RDF.type, URIRef(ex + "C")))
    graphs = {DEFAULT.graph("ontology"): ontology, DEFAULT.graph("asserted"): asserted}
    graphs.update({DEFAULT.graph("links"): Graph(), DEFAULT.graph("inferred"): inferred})
    dataset = Dataset()
    for iri, graph in graphs.items():
        target = dataset.graph(iri)
        for triple in graph:
            target.add(triple)
    fast = release_writer.write(graphs, tmp_path / "fast", version="v", base=DEFAULT.base)
    slow = release_writer.write(dataset, tmp_path / "slow", version="v", base=DEFAULT.base)
    assert fast.dataset.read_bytes() == slow.dataset.read_bytes()
    for dump in sorted(slow.dumps.iterdir()):
        assert (fast.dumps / dump.name).read_bytes() == dump.read_bytes(), dump.name
    assert fast.manifest["graphs"] == slow.manifest["graphs"] and "links" not in fast.manifest["graphs"]
    assert {k: v for k, v in fast.manifest.items() if k != "store_files"} == {
        k: v for k, v in slow.manifest.items() if k != "store_files"
    }
