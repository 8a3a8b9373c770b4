"""One server per engine holds every fixture of the W3C suites as named graphs.

The fixtures (the query-evaluation data files, the protocol suite's data1..3 under their
kasei.us IRIs, the graphs the graph-store tests read) are written once as one N-Quads file and
served with `karabakh-kg serve --dataset`; each test picks its dataset with `default-graph-uri` /
`named-graph-uri`. The `sparql:URL` engine runs in front of an Oxigraph server loaded with the
same file, and (for the protocol suite, when installed) in front of Virtuoso filled by `publish`. An in-process pyoxigraph store over the same file is the reference.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from support.live import LiveServer, start_live_server
from w3c import w3c_suite as suite

ENGINES = ("oxigraph", "rdflib", "remote")


def fixture_quads() -> list[ox.Quad]:
    quads: list[ox.Quad] = []
    for iri, path in suite.data_graphs(suite.evaluation_tests()).items():
        quads += suite.quads_of(iri, path)
    for number in (1, 2, 3):
        quads += suite.quads_of(
            f"http://kasei.us/2009/09/sparql/data/data{number}.rdf", suite.ROOT / "protocol" / f"data{number}.nt"
        )
    for iri, turtle in suite.graph_store_graphs().items():
        graph = ox.NamedNode(iri)
        quads += [
            ox.Quad(q.subject, q.predicate, q.object, graph)
            for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE, base_iri=iri, rename_blank_nodes=True)
        ]
    return quads


@pytest.fixture(scope="session")
def w3c_dataset(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("w3c") / "fixtures.nq"
    path.write_bytes(ox.serialize(fixture_quads(), format=ox.RdfFormat.N_QUADS))
    return path


@pytest.fixture(scope="session")
def reference(w3c_dataset) -> ox.Store:
    """The same fixtures in an in-memory pyoxigraph store: what the default engine must equal."""
    store = ox.Store()
    store.bulk_load(path=str(w3c_dataset), format=ox.RdfFormat.N_QUADS)
    return store


@pytest.fixture(scope="session")
def w3c_oxigraph_store(w3c_dataset, tmp_path_factory):
    """An Oxigraph server (read-only) loaded with the fixtures, for the `sparql:URL` engine."""
    from support.oxigraph_server import OXIGRAPH, start_oxigraph

    if not Path(OXIGRAPH).exists():
        pytest.skip("the oxigraph server binary (PyPI `oxigraph`) is not installed")
    location = tmp_path_factory.mktemp("w3c-oxigraph") / "store"
    subprocess.run(
        [OXIGRAPH, "load", "--location", str(location), "--file", str(w3c_dataset)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = start_oxigraph(location, read_only=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def w3c_virtuoso(virtuoso_factory, w3c_dataset, tmp_path_factory):
    """The throwaway Virtuoso, given the fixtures by `karabakh-kg publish` (Graph Store protocol)."""
    from karabakh_kg import publishing
    from karabakh_kg.build import dataset_release
    from support.virtuoso import CREDENTIALS

    virtuoso = virtuoso_factory("w3c")
    release = dataset_release.write([w3c_dataset], tmp_path_factory.mktemp("w3c-virtuoso"), "http://127.0.0.1/")
    publishing.publish(release, publishing.store_url(virtuoso.graph_store), 120, auth=CREDENTIALS)
    return virtuoso


@pytest.fixture(scope="session")
def w3c_servers(w3c_dataset, tmp_path_factory, request):
    """Started on first use, one per engine, stopped at the end of the session."""
    started: dict[str, LiveServer] = {}

    def get(engine: str) -> LiveServer:
        if engine not in started:
            spec = engine
            if engine == "remote":
                store = request.getfixturevalue("w3c_oxigraph_store")
                spec = f"sparql:{store.url}/query"
            elif engine == "virtuoso":
                spec = f"sparql:{request.getfixturevalue('w3c_virtuoso').sparql}"
            log = tmp_path_factory.mktemp(f"w3c-{engine}") / "server.log"
            started[engine] = start_live_server(
                None, log, workers=1, engine=spec, env={"KARABAKH_KG_QUERY_TIMEOUT": "10"}, dataset=(w3c_dataset,)
            )
        return started[engine]

    yield get
    for served in started.values():
        served.stop()
