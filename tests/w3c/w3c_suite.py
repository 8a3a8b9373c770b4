"""Read the vendored W3C SPARQL 1.1 manifests into plain test records.

The suite's files live under `tests/w3c/sparql11/`; their IRIs are the W3C's own
(`http://www.w3.org/2009/sparql/docs/tests/data-sparql11/...`), as every other implementation's
harness names them, so a data file served as a named graph has the IRI the suite gives it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, Namespace
from rdflib.collection import Collection

HERE = Path(__file__).parent
ROOT = HERE / "sparql11"
W3C = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
EMPTY_GRAPH = "urn:x-w3c-suite:empty"  # names no graph: the empty default graph of a test without data

# The query-evaluation folders run over HTTP (each has a manifest.ttl).
EVALUATION = (
    "aggregates",
    "bind",
    "bindings",
    "cast",
    "construct",
    "exists",
    "functions",
    "grouping",
    "negation",
    "project-expression",
    "property-path",
    "subquery",
    "json-res",
    "csv-tsv-res",
)
RDF_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
}


def path_of(iri: str) -> Path:
    """The vendored file a W3C IRI names."""
    if not iri.startswith(W3C):
        raise ValueError(f"not a suite IRI: {iri}")
    return ROOT / unquote(iri[len(W3C) :])


def manifest(folder: str, name: str = "manifest.ttl") -> tuple[rdflib.Graph, list]:
    """The manifest graph of one folder and its entries, in order."""
    graph = rdflib.Graph()
    graph.parse(ROOT / folder / name, format="turtle", publicID=f"{W3C}{folder}/{name}")
    entries = []
    for head in graph.objects(None, MF.entries):
        entries += list(Collection(graph, head))
    return graph, entries


@dataclass(frozen=True)
class Evaluation:
    """One query-evaluation test: a query, its dataset (graph IRIs) and the expected result file."""

    id: str  # folder/name, e.g. aggregates/agg01
    iri: str
    query_iri: str
    data: tuple[str, ...]
    graph_data: tuple[str, ...]
    result_iri: str

    @property
    def query(self) -> str:
        return path_of(self.query_iri).read_text(encoding="utf-8")

    @property
    def result_kind(self) -> str:
        return self.result_iri.rsplit(".", 1)[1]

    @property
    def ordered(self) -> bool:
        return re.search(r"\bORDER\s+BY\b", self.query, re.IGNORECASE) is not None

    def dataset(self) -> tuple[list[str], list[str]]:
        """The protocol's dataset for this test (empty lists: let the query's FROM decide)."""
        if re.search(r"\bFROM\b", self.query, re.IGNORECASE):
            return [], []  # the query's own dataset clause decides
        if not self.data and not self.graph_data:
            return [EMPTY_GRAPH], []
        return list(self.data) or [EMPTY_GRAPH], list(self.graph_data)


def short_id(iri: str) -> str:
    return iri[len(W3C) :].replace("/manifest#", "/") if iri.startswith(W3C) else iri


def evaluation_tests(folders=EVALUATION) -> list[Evaluation]:
    tests = []
    for folder in folders:
        graph, entries = manifest(folder)
        for entry in entries:
            kind = graph.value(entry, RDF.type)
            if kind not in (MF.QueryEvaluationTest, MF.CSVResultFormatTest):
                continue
            action = graph.value(entry, MF.action)
            tests.append(
                Evaluation(
                    id=short_id(str(entry)),
                    iri=str(entry),
                    query_iri=str(graph.value(action, QT.query)),
                    data=tuple(sorted(str(d) for d in graph.objects(action, QT.data))),
                    graph_data=tuple(sorted(str(d) for d in graph.objects(action, QT.graphData))),
                    result_iri=str(graph.value(entry, MF.result)),
                )
            )
    return tests


@dataclass(frozen=True)
class Syntax:
    id: str
    query_iri: str
    positive: bool

    @property
    def query(self) -> bytes:
        return path_of(self.query_iri).read_bytes()


def syntax_tests(folders=("syntax-query",) + EVALUATION) -> list[Syntax]:
    tests = []
    kinds = {MF.PositiveSyntaxTest11: True, MF.NegativeSyntaxTest11: False}
    for folder in folders:
        graph, entries = manifest(folder)
        for entry in entries:
            kind = graph.value(entry, RDF.type)
            if kind in kinds:
                tests.append(Syntax(short_id(str(entry)), str(graph.value(entry, MF.action)), kinds[kind]))
    return tests


def data_graphs(tests) -> dict[str, Path]:
    """Every data file the evaluation tests load, by the graph IRI it is served as."""
    graphs: dict[str, Path] = {}
    for test in tests:
        for iri in test.data + test.graph_data:
            graphs[iri] = path_of(iri)
        # a query's own FROM <data.ttl>, resolved against the query file, names a graph to serve too
        for name in re.findall(r"\bFROM\s+(?:NAMED\s+)?<([^>]*)>", test.query, re.IGNORECASE):
            iri = str(rdflib.URIRef(name, base=test.query_iri))
            if iri.startswith(W3C) and path_of(iri).is_file():
                graphs[iri] = path_of(iri)
    return graphs


def quads_of(iri: str, path: Path) -> list[ox.Quad]:
    """The triples of one data file as quads of the named graph `iri` (fresh blank nodes)."""
    fmt = RDF_FORMATS[path.suffix[1:]]
    graph = ox.NamedNode(iri)
    return [
        ox.Quad(q.subject, q.predicate, q.object, graph)
        for q in ox.parse(path=str(path), format=fmt, base_iri=iri, rename_blank_nodes=True)
    ]


@dataclass
class HttpRequest:
    """One request of a protocol or graph-store test, as the manifest spells it."""

    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    statuses: tuple[str, ...]  # hts: local names (StatusCode2xx, OK, NotFound...)
    expected_format: str | None = None
    expected_boolean: bool | None = None
    response_type: str | None = None
    response_body: str | None = None
    extra: dict = field(default_factory=dict)


def http_tests(folder: str, name: str = "manifest.ttl") -> list[tuple[str, list[HttpRequest], list]]:
    """(test id, requests, graphData labels) of each protocol-style test of a manifest."""
    graph, entries = manifest(folder, name)
    found = []
    for entry in entries:
        action = graph.value(entry, MF.action)
        requests = []
        for head in graph.objects(action, HT.requests):
            for node in Collection(graph, head):
                requests.append(_request(graph, node))
        labels = [str(graph.value(d, RDFS.label)) for d in graph.objects(entry, UT.graphData)]
        found.append((short_id(str(entry)), requests, labels))
    return found


def _headers(graph, node) -> dict[str, str]:
    headers = {}
    for head in graph.objects(node, HT.headers):
        for h in Collection(graph, head):
            headers[str(graph.value(h, HT.fieldName)).lower()] = str(graph.value(h, HT.fieldValue))
    return headers


def _request(graph, node) -> HttpRequest:
    body = graph.value(node, HT.body)
    resp = graph.value(node, HT.resp)
    response_headers = _headers(graph, resp)
    response_body = graph.value(resp, HT.body)
    boolean = graph.value(resp, MF.expectedBoolean)
    return HttpRequest(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=_headers(graph, node),
        body=None if body is None else str(graph.value(body, CNT.chars)),
        statuses=tuple(sorted(str(s).rsplit("#", 1)[1] for s in graph.objects(resp, MF.expectedStatus))),
        expected_format=None
        if graph.value(resp, MF.expectedFormat) is None
        else str(graph.value(resp, MF.expectedFormat)),
        expected_boolean=None if boolean is None else bool(boolean.toPython()),
        response_type=response_headers.get("content-type"),
        response_body=None if response_body is None else str(graph.value(response_body, CNT.chars)),
    )


# --- graph store protocol: a read-only replay ---------------------------------------------------
GSP_BASE = "http://www.example/gsp/"
WRITES = ("PUT", "POST", "DELETE", "PATCH")
STATUS_CODES = {
    "OK": 200,
    "Created": 201,
    "NoContent": 204,
    "NotFound": 404,
    "BadRequest": 400,
    "MethodNotAllowed": 405,
    "Forbidden": 403,
}


def gsp_rewrite(text: str, test: str) -> str:
    """Give each test its own graph IRIs (tests reuse person/1.ttl with different contents)."""
    mine = f"{GSP_BASE}{test}/"
    return text.replace(quote(GSP_BASE, safe=""), quote(mine, safe="")).replace(GSP_BASE, mine)


def graph_param(path: str) -> str | None:
    """The graph a request path names with ?graph= (None: ?default or the store itself)."""
    values = parse_qs(urlsplit(path).query, keep_blank_values=True).get("graph")
    return values[0] if values else None


def graph_store_cases() -> list[tuple[str, list[HttpRequest]]]:
    """The indirect-identification tests, their graph IRIs made per-test."""
    cases = []
    for test_id, requests, _ in http_tests("graph-store-protocol", "manifest-indirect.ttl"):
        name = test_id.rsplit("/", 1)[1]
        for request in requests:
            request.path = gsp_rewrite(request.path, name)
        cases.append((test_id, requests))
    return cases


def replay(requests: list[HttpRequest]) -> tuple[dict[str, str], list[tuple[HttpRequest, bool]]]:
    """Read a test as a read-only store lives it: (graphs to preload, [(request, check it?)]).

    A write that creates a graph (the first PUT or POST naming it) is answered 405 here, and the
    graph it would have created is served from the start; the reads that follow are checked until
    a write that would change an existing graph (or has no graph to name), after which the
    test's expectations no longer describe this store.
    """
    graphs: dict[str, str] = {}
    steps: list[tuple[HttpRequest, bool]] = []
    diverged = False
    for request in requests:
        if request.method in WRITES:
            target = graph_param(request.path)
            if not diverged and request.method in ("PUT", "POST") and target and target not in graphs and request.body:
                graphs[target] = request.body
            else:
                diverged = True
            steps.append((request, True))  # every write is checked: 405
        else:
            steps.append((request, not diverged and "$LOCATION$" not in request.path))
    return graphs, steps


def graph_store_graphs() -> dict[str, str]:
    """Every graph the graph-store tests read, to be served as if it had been written."""
    graphs: dict[str, str] = {}
    for _, requests in graph_store_cases():
        graphs.update(replay(requests)[0])
    return graphs
