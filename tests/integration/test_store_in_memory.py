"""The oxigraph engine answers a small release from memory and a large one from disk, alike.

The in-memory copy is loaded from the release's `dataset.nq` (the file the on-disk store was
bulk-loaded from) once per web worker, before its query processes fork.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from karabakh_kg import config, releases
from karabakh_kg.web.engines import EngineError, Job
from karabakh_kg.web.engines.oxigraph import OxigraphEngine


def engine_on(build_dir, **settings) -> OxigraphEngine:
    release = releases.open_current(build_dir)
    return OxigraphEngine(release, "oxigraph", config.load({"BUILD_DIR": str(build_dir), **settings}))


def nquads(store: ox.Store) -> list[bytes]:
    return sorted(ox.serialize(store, format=ox.RdfFormat.N_QUADS).splitlines())


def test_memory_store_holds_exactly_the_disk_store_quads(kg_build, kg_store):
    engine = engine_on(kg_build)
    engine.prepare()
    assert engine.storage == "memory"
    memory = nquads(engine.store)
    assert len(memory) == engine.release.manifest["triples"]
    assert memory == nquads(kg_store)  # blank nodes keep their labels too


def test_the_limit_chooses_disk_above_it_and_memory_at_it(release_dir):
    quads = releases.open_current(release_dir).manifest["triples"]
    for limit, storage in ((quads - 1, "disk"), (0, "disk"), (quads, "memory")):
        engine = engine_on(release_dir, MEMORY_STORE_QUADS=limit)
        engine.prepare()
        assert engine.storage == storage
        assert (engine.store is not None) == (storage == "memory")
        engine.open()  # in a query process: opens the on-disk store only when nothing was prepared
        answer = engine.execute(Job(query="SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", form="SELECT", format="csv"))
        assert answer.body.decode().split() == ["n", str(quads)]
        if storage == "disk":
            with pytest.raises(RuntimeError, match="read-write"):  # the read-only on-disk store
                engine.store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode("urn:o")))


def test_a_dataset_that_does_not_parse_is_an_engine_error_naming_the_file(release_dir, tmp_path):
    engine = engine_on(release_dir)
    broken = tmp_path / "dataset.nq"
    broken.write_text("<urn:s> <urn:p> .\n", encoding="utf-8")
    engine.release = type("Release", (), {"manifest": engine.release.manifest, "dataset": broken})()
    with pytest.raises(EngineError, match=r"cannot load .*dataset\.nq into memory: .*line 1"):
        engine.prepare()


def test_health_says_where_the_data_is_read_from(make_app, release_dir):
    assert make_app().test_client().get("/health").get_json()["storage"] == "memory"
    assert make_app(MEMORY_STORE_QUADS=0).test_client().get("/health").get_json()["storage"] == "disk"


ANSWERED_ALIKE = {  # on the real graph, which has blank nodes (OWL lists, restrictions)
    "select": ("SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 2000", "text/tab-separated-values", 2001),
    "ask": ("ASK { ?s a ?type }", "text/csv", 2),
    "construct": ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER isBlank(?s) }", "application/n-triples", 50),
    "blank nodes": (
        "SELECT ?b ?p ?o WHERE { ?b ?p ?o FILTER isBlank(?b) } ORDER BY ?b ?p ?o",
        "text/tab-separated-values",
        50,
    ),
}


@pytest.mark.parametrize("name", ANSWERED_ALIKE)
def test_the_app_answers_alike_from_memory_and_from_disk(make_app, kg_build, name):
    query, accept, least = ANSWERED_ALIKE[name]
    bodies = []
    for settings in ({}, {"MEMORY_STORE_QUADS": 0}):
        client = make_app(BUILD_DIR=str(kg_build), **settings).test_client()
        response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
        assert response.status_code == 200, response.data
        bodies.append(sorted(response.data.splitlines()))
    assert bodies[0] == bodies[1]  # blank node labels included: both stores keep the dataset file's
    assert len(bodies[0]) >= least
