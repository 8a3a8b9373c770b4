"""The W3C SPARQL 1.1 query-evaluation, results-format, syntax and service-description suites, over HTTP.

Each evaluation test's query is sent to the fixtures server with the test's dataset as
`default-graph-uri` / `named-graph-uri`, asking for the format its expected result is written in,
and the answer is compared with W3C semantics (w3c_compare). Two checks:
- on the default engine, the answer equals in-process pyoxigraph on the same data exactly
  (our protocol, dataset handling and writers add nothing): no exceptions allowed;
- on every engine, the answer equals the suite's expected result, except the engine failures
  listed in known-failures.tsv (a new failure fails the build, and so does a listed failure that
  now passes: remove it from the list).
The query's BASE is the query file's IRI, as the suite defines it (sent as a BASE line).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from w3c import w3c_compare as compare
from w3c import w3c_suite as suite
from w3c.w3c_http import query, send

ENGINES = ("oxigraph", "rdflib", "remote", "virtuoso")
EVALUATION = suite.evaluation_tests()
SYNTAX = suite.syntax_tests()
KNOWN_FILE = Path(__file__).parent / "known-failures.tsv"

pytestmark = pytest.mark.live  # servers on 127.0.0.1, one per engine


def known_failures() -> dict[tuple[str, str], str]:
    """(engine, test id) -> reason, from known-failures.tsv (engine, suite, test id, reason)."""
    known = {}
    with KNOWN_FILE.open(encoding="utf-8") as handle:
        for row in csv.reader((line for line in handle if line.strip() and not line.startswith("#")), delimiter="\t"):
            engine, _suite, test_id, reason = row
            known[(engine, test_id)] = reason
    return known


KNOWN = known_failures()


def with_base(test: suite.Evaluation) -> str:
    return f"BASE <{test.query_iri}>\n{test.query}"


def in_process(store: ox.Store, test: suite.Evaluation):
    defaults, named = test.dataset()
    args = {}
    if defaults or named:
        args = {"default_graph": [ox.NamedNode(g) for g in defaults], "named_graphs": [ox.NamedNode(g) for g in named]}
    return store.query(test.query, base_iri=test.query_iri, **args)


def answer_kind(result, test: suite.Evaluation) -> str:
    """The format to ask for: the expected file's, or SPARQL XML for a table written as RDF."""
    if isinstance(result, ox.QueryTriples):
        return "nt" if test.result_kind == "nt" else "ttl"
    return test.result_kind if test.result_kind in ("srx", "srj", "csv", "tsv") else "srx"


def over_http(server, test: suite.Evaluation, kind: str) -> compare.Answer:
    defaults, named = test.dataset()
    reply = query(server.url, with_base(test), compare.ACCEPT[kind], defaults, named)
    assert reply.status == 200, (test.id, reply.status, reply.body[:500])
    return compare.parse(reply.body, kind)


def outcome(engine: str, test_id: str, passed: bool, detail: str = "") -> None:
    """Fail on a new failure and on a listed failure that now passes."""
    reason = KNOWN.get((engine, test_id))
    if reason is None:
        assert passed, f"{test_id} on {engine}: fails the W3C test\n{detail}"
    else:
        assert not passed, f"{test_id} now passes on {engine}: remove it from {KNOWN_FILE.name} ({reason})"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("test", EVALUATION, ids=[t.id for t in EVALUATION])
def test_query_evaluation(test, engine, w3c_servers, reference):
    result = in_process(reference, test)
    kind = answer_kind(result, test)
    reference_answer = (
        compare.from_triples(result) if isinstance(result, ox.QueryTriples) else compare.from_results(result)
    )
    try:
        answer = over_http(w3c_servers(engine), test, kind)
    except AssertionError:
        if (engine, test.id) in KNOWN:
            return outcome(engine, test.id, False)
        raise
    if engine == "oxigraph":  # nothing between the client and pyoxigraph changes the answer
        expected_here = compare.as_csv(reference_answer) if kind == "csv" else reference_answer
        assert compare.same(answer, expected_here, test.ordered), (
            f"{test.id}: the endpoint differs from in-process pyoxigraph\nendpoint: {answer}\npyoxigraph: {expected_here}"
        )
    expected = compare.parse(suite.path_of(test.result_iri).read_bytes(), test.result_kind, test.result_iri)
    if kind == "csv" or test.result_kind == "csv":
        answer = compare.as_csv(answer)
    outcome(
        engine,
        test.id,
        compare.same(answer, expected, test.ordered, values=True),
        f"endpoint: {answer}\nexpected: {expected}",
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("test", SYNTAX, ids=[t.id for t in SYNTAX])
def test_query_syntax(test, engine, w3c_servers):
    """A negative syntax test is a 400; a positive one is anything but a 400."""
    reply = send(
        w3c_servers(engine).url,
        "POST",
        "/sparql",
        {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json, text/turtle"},
        test.query,
    )
    passed = (reply.status == 400) != test.positive
    outcome(engine, test.id, passed, f"status {reply.status}: {reply.body[:300]!r}")


def test_known_failures_name_real_tests():
    ids = {t.id for t in EVALUATION} | {t.id for t in SYNTAX}
    assert {test_id for _, test_id in KNOWN} <= ids
    assert {engine for engine, _ in KNOWN} <= set(ENGINES)


def test_the_conformance_page_gives_the_counts_the_known_failures_imply():
    """docs/conformance.md cannot drift from known-failures.tsv: its table rows are recomputed here."""
    page = (Path(__file__).parents[2] / "docs" / "conformance.md").read_text(encoding="utf-8")
    for name, tests in (("query evaluation", EVALUATION), ("query syntax", SYNTAX)):
        ids = {t.id for t in tests}
        passing = [len(ids - {i for e, i in KNOWN if e == engine}) for engine in ENGINES]
        row = f"| {name} | {len(ids)} | " + " | ".join(str(n) for n in passing) + " |"
        assert row in page, f"docs/conformance.md should have the row: {row}"


# --- service description --------------------------------------------------------------------------
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
LANGUAGES = {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}


@pytest.fixture(scope="module")
def service_description(w3c_dataset, tmp_path_factory):
    """A server that knows its public URL (as a deployment does: KARABAKH_KG_PUBLIC_BASE), on a known port."""
    from support.live import start_live_server
    from support.oxigraph_server import free_port

    port = free_port()
    log = tmp_path_factory.mktemp("w3c-sd") / "server.log"
    env = {"KARABAKH_KG_PUBLIC_BASE": f"http://127.0.0.1:{port}/"}
    server = start_live_server(None, log, workers=1, env=env, dataset=(w3c_dataset,), port=port)
    try:
        yield server, send(server.url, "GET", "/sparql", {"Accept": "text/turtle"})
    finally:
        server.stop()


def test_service_description_returns_rdf(service_description):
    _, reply = service_description
    assert reply.status == 200 and reply.media_type == "text/turtle"
    assert len(rdflib.Graph().parse(data=reply.body, format="turtle")) > 0


def test_service_description_has_a_matching_endpoint_triple(service_description):
    server, reply = service_description
    graph = rdflib.Graph().parse(data=reply.body, format="turtle")
    assert (None, SD.endpoint, rdflib.URIRef(server.url + "/sparql")) in graph


def test_service_description_conforms_to_the_schema(service_description):
    """The sd: vocabulary's domains and ranges: one sd:Service with an endpoint and languages."""
    _, reply = service_description
    graph = rdflib.Graph().parse(data=reply.body, format="turtle")
    services = set(graph.subjects(rdflib.RDF.type, SD.Service))
    assert len(services) == 1
    service = services.pop()
    assert all(isinstance(e, rdflib.URIRef) for e in graph.objects(service, SD.endpoint))
    languages = set(graph.objects(service, SD.supportedLanguage))
    assert languages and languages <= LANGUAGES and SD.SPARQL11Update not in languages  # read-only
    for dataset in graph.objects(service, SD.defaultDataset):
        assert (dataset, rdflib.RDF.type, SD.Dataset) in graph
        for named in graph.objects(dataset, SD.namedGraph):
            assert isinstance(graph.value(named, SD.name), rdflib.URIRef)
    assert set(graph.objects(service, SD.resultFormat))
