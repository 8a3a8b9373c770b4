"""Hostile queries against a real server on the real knowledge graph.

Each query ends within the timeout with a clear answer (a 503 naming the timeout, a 400/413
naming the limit, or a correct 200), and while it runs `/health` and a simple query keep being
answered in under a second. The server runs with a short timeout (2 s) so the suite stays fast.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import quote, urlencode

import pytest

from support.sec import Reply, has_stack_trace, percentile, record, request

pytestmark = pytest.mark.live

TIMEOUT = 2.0
SLACK = 3.0  # the machine is shared and loaded: an answer may come a little after the deadline
KG = "https://w3id.org/karabakh-kg/"
P = f"<{KG}ontology#partOf>"
SIMPLE = f"SELECT ?p WHERE {{ ?p a <{KG}ontology#Town> }} LIMIT 5"


@pytest.fixture(scope="module")
def server(live_server_factory, kg_build):
    return live_server_factory(
        kg_build,
        workers=2,
        threads=4,
        env={"KARABAKH_KG_QUERY_TIMEOUT": str(TIMEOUT), "KARABAKH_KG_QUERY_PROCESSES": "2"},
    )


def nested_subqueries(levels: int) -> str:
    inner = "?a ?b ?c . ?d ?e ?f . ?g ?h ?i"
    for _ in range(levels):
        inner = f"{{ SELECT * WHERE {{ {inner} }} }}"
    return f"SELECT (COUNT(*) AS ?n) WHERE {inner}"


def huge_values(n: int) -> str:
    return (
        "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?x { "
        + " ".join(str(i) for i in range(n))
        + " } ?s ?p ?o . ?s2 ?p2 ?o2 }"
    )


def many_variables(n: int) -> str:
    return "SELECT " + " ".join(f"?v{i}" for i in range(n)) + " WHERE { ?s ?p ?o }"


# (name, method, query or body, extra, accepted statuses, words the answer must contain)
HOSTILE = [
    (
        "cartesian product, COUNT",
        "GET",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
        {},
        {503},
        ["timed out"],
    ),
    (
        "cartesian product, ORDER BY",
        "GET",
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY DESC(?c) ?f ?i",
        {},
        {400, 503},
        ["timed out|more memory"],
    ),
    (
        "cartesian CONSTRUCT",
        "GET",
        "CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?i",
        {},
        {400, 503},
        ["timed out|more memory"],
    ),
    (
        "cyclic property path (p|!p)*",
        "GET",
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ({P}|!{P})* ?o . ?o ({P}|!{P})* ?x }}",
        {},
        {200, 503},
        [],
    ),
    (
        "deep path sequence",
        "GET",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s " + "/".join([f"({P}|!{P})*"] * 8) + " ?o }",
        {},
        {200, 503},
        [],
    ),
    ("huge VALUES joined with the graph", "POST", huge_values(14000), {}, {503}, ["timed out"]),
    ("VALUES over the length limit", "POST", huge_values(30000), {}, {413}, ["limit"]),
    (
        "catastrophic regex",
        "GET",
        'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . FILTER(REGEX(CONCAT(STR(?o), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"), "^(a+)+$")) }',
        {},
        {200, 503},
        [],
    ),
    (
        "enormous regex",
        "GET",
        'SELECT ?o WHERE { ?s ?p ?o . FILTER(REGEX(STR(?o), "(((a{100}){100}){100}){100}")) } LIMIT 1',
        {},
        {200, 400, 503},
        [],
    ),
    ("nested subqueries (40 levels) over a product", "POST", nested_subqueries(40), {}, {503}, ["timed out"]),
    ("nested subqueries over the depth limit", "POST", nested_subqueries(60), {}, {400}, ["nests"]),
    ("deeply nested groups", "POST", "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000, {}, {400}, ["nests"]),
    (
        "deeply nested brackets",
        "POST",
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
        {},
        {400},
        ["nests"],
    ),
    (
        "20,000-term expression",
        "POST",
        "SELECT * WHERE { BIND(" + "+".join(["1"] * 20000) + " AS ?x) }",
        {},
        {400, 413},
        [],
    ),
    ("thousands of variables, CSV", "POST", many_variables(5000), {"format": "csv"}, {200, 400, 503}, []),
    (
        "many OPTIONALs",
        "POST",
        "SELECT * WHERE { ?s ?p ?o " + " ".join(f"OPTIONAL {{ ?s ?q{i} ?o{i} }}" for i in range(40)) + " }",
        {},
        {200, 400, 503},  # 400: more rows than MAX_RESULT_ROWS, refused whole with "add LIMIT"
        [],
    ),
    ("DESCRIBE everything", "GET", "DESCRIBE ?s WHERE { ?s ?p ?o }", {}, {200, 400, 503}, []),
    # texts that made the keyword lexer (in the web worker, outside the timeout) quadratic
    ("lexer: unterminated escaped strings", "POST", 'SELECT * WHERE { ?s ?p "' + '\\"' * 49000, {}, {400}, []),
    ("lexer: dotted names without a colon", "POST", "SELECT * WHERE { " + "a." * 49000, {}, {400}, []),
]

# (name, text of about 99,000 characters): each must be read by the lexer in well under a second.
LEXER_TORTURE = {
    "unterminated escaped strings": '"' + '\\"' * 49500,
    "unterminated long strings": "'''" + "\\'" * 33000,
    "dotted names": "a." * 49500,
    "dashed names": "a-" * 49500 + "!",
    "unicode names": "\u00c0." * 49500,
    "open IRIs": "<a" * 49500,
    "language tags": "@a-" * 33000,
    "quotes": '"' * 99000,
    "backslashes": "\\" * 99000,
}


@pytest.mark.parametrize("name", sorted(LEXER_TORTURE))
def test_the_keyword_lexer_is_linear(name):
    """The lexer runs in the web worker before any deadline applies: it must never be slow."""
    from karabakh_kg.web import safety

    text = "SELECT * WHERE { " + LEXER_TORTURE[name]
    started = time.monotonic()
    try:
        safety.analyse(text, 100)
    except safety.Refused:
        pass
    seconds = time.monotonic() - started
    record("hostile", **{f"lexer {name} ({len(text)} chars)": f"{seconds * 1000:.0f} ms"})
    assert seconds < 1.0, f"{seconds:.2f} s to lex {len(text)} characters"


def send(url: str, method: str, query: str, extra: dict) -> Reply:
    if method == "GET":
        return request(url, "GET", "/sparql?" + urlencode({"query": query, **extra}), timeout=60)
    path = "/sparql" + ("?" + urlencode(extra) if extra else "")
    return request(url, "POST", path, {"Content-Type": "application/sparql-query"}, query.encode("utf-8"), timeout=60)


def probe_while(url: str, running: threading.Thread, tag: str) -> tuple[int, float, float]:
    """Ask /health and a (never cached) simple query until `running` ends:
    (answers, 95th percentile and slowest latency in seconds)."""
    latencies, n = [], 0
    while running.is_alive():
        n += 1
        for path in ("/health", "/sparql?" + urlencode({"query": f"{SIMPLE} # {tag} {n}"})):
            reply = request(url, "GET", path, timeout=10)
            assert reply.status == 200, (path, reply.status, reply.text[:300])
            latencies.append(reply.seconds)
        time.sleep(0.02)  # pacing the probes (a shared machine), not waiting for anything
    return len(latencies), percentile(latencies, 0.95) if latencies else 0.0, max(latencies, default=0.0)


@pytest.mark.parametrize("name,method,query,extra,statuses,words", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_query_ends_in_time_and_others_are_served(server, name, method, query, extra, statuses, words):
    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("reply", send(server.url, method, query, extra)))
    thread.start()
    answered, p95, slowest = probe_while(server.url, thread, name)
    thread.join()
    reply: Reply = outcome["reply"]
    print(
        f"{name}: {reply.status} in {reply.seconds:.2f} s; {answered} probes meanwhile, "
        f"p95 {p95 * 1000:.0f} ms, slowest {slowest * 1000:.0f} ms"
    )
    record(
        "hostile",
        **{
            f"{name}": f"{reply.status} in {reply.seconds:.2f} s, {answered} probes, "
            f"p95 {p95 * 1000:.0f} ms, slowest {slowest * 1000:.0f} ms"
        },
    )
    assert reply.status in statuses, (reply.status, reply.text[:500])
    assert reply.seconds < TIMEOUT + SLACK, f"{name} took {reply.seconds:.1f} s"
    # under a second; the machine is shared by other test runs, so one late probe is tolerated
    assert p95 < 1.0 and slowest < 2.0, f"probes p95 {p95:.2f} s, slowest {slowest:.2f} s while {name} ran"
    assert not has_stack_trace(reply.body)
    if reply.status != 200:
        assert reply.headers["content-type"].startswith("text/plain")
        assert len(reply.text.strip()) > 20  # a sentence, not just a code
        for word in words:  # "a|b": either
            assert any(w in reply.text for w in word.split("|")), reply.text
        if reply.status == 503:
            assert reply.headers.get("retry-after")


@pytest.mark.parametrize("how", ["GET", "POST direct", "POST form"])
def test_one_megabyte_query_is_refused_quickly(server, how):
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * (1 << 20)
    if how == "GET":
        reply = request(server.url, "GET", "/sparql?query=" + quote(query), timeout=30)
        # the front refuses a request head over its buffer itself, before the app: a plain 4xx, no hang
        # (granian: 431 over 408 KB; gunicorn: 414 over 4 KB); shorter ones get the app's 413
        assert reply.status in (400, 413, 414, 431), reply.text[:300]
    elif how == "POST direct":
        reply = request(
            server.url, "POST", "/sparql", {"Content-Type": "application/sparql-query"}, query.encode(), timeout=30
        )
        assert reply.status == 413 and "limit" in reply.text.lower(), reply.text[:300]
    else:
        reply = request(
            server.url,
            "POST",
            "/sparql",
            {"Content-Type": "application/x-www-form-urlencoded"},
            urlencode({"query": query}).encode(),
            timeout=30,
        )
        assert reply.status == 413, reply.text[:300]
    assert reply.seconds < 5 and not has_stack_trace(reply.body)
    assert request(server.url, "GET", "/health").status == 200


def test_the_work_really_stopped(server):
    """After the runaways, no query process is still burning CPU, and the server answers as before."""
    from support.sec import children_of
    from support.sec import cpu_seconds as cpu

    workers = children_of(server.process.pid)
    processes = [p for w in workers for p in children_of(w)]
    before = cpu(processes)
    time.sleep(0.5)  # measuring CPU use over an interval, not waiting for readiness
    used = cpu(processes) - before
    assert used < 0.2, f"query processes used {used:.2f} s of CPU while idle"
    reply = request(server.url, "GET", "/sparql?" + urlencode({"query": SIMPLE + " # after"}))
    assert reply.status == 200 and b"bindings" in reply.body


def test_catastrophic_regex_is_stopped_on_the_rdflib_engine(make_app):
    """rdflib evaluates REGEX with Python's backtracking `re`: `^(a+)+$` on a long miss runs for
    ever. The query process is killed at the deadline; the app answers other requests meanwhile."""
    app = make_app(ENGINE="rdflib", QUERY_TIMEOUT=TIMEOUT, QUERY_PROCESSES=2, ACCESS_LOG=False)
    query = 'SELECT ?m WHERE { BIND(REGEX("' + "a" * 40 + '!", "^(a+)+$") AS ?m) }'
    outcome = {}

    def run():
        started = time.monotonic()
        outcome["response"] = app.test_client().get("/sparql?" + urlencode({"query": query}))
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    client, slowest, n = app.test_client(), 0.0, 0
    while thread.is_alive():
        n += 1
        started = time.monotonic()
        assert client.get("/health").status_code == 200
        assert client.get("/sparql?" + urlencode({"query": f"ASK {{ ?s ?p ?o }} # {n}"})).status_code == 200
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.02)  # pacing, not waiting
    thread.join()
    response = outcome["response"]
    assert response.status_code == 503 and b"timed out" in response.data
    assert outcome["seconds"] < TIMEOUT + SLACK and slowest < 1.0
    record(
        "hostile",
        **{
            "catastrophic regex (rdflib engine)": f"503 in {outcome['seconds']:.2f} s, "
            f"probes slowest {slowest * 1000:.0f} ms"
        },
    )


def test_more_runaways_than_query_processes_never_hang(server):
    """A flood of runaway queries (twice the server's query processes, as many as its threads) and
    simple queries at once: every request gets its answer within the timeout (a 503 when no query
    process came free; never a 500), and once the flood is over simple queries are answered at once
    again. While every thread of a worker waits on a runaway, even /health waits for one (a measured
    limit, docs/security.md), but never past the timeout."""
    runaways = 2 * 2 * 2  # twice WORKERS x QUERY_PROCESSES of the fixture's server
    replies: list[Reply] = []
    lock = threading.Lock()

    def runaway(i: int) -> None:
        reply = send(server.url, "GET", HOSTILE[0][2] + f" # flood {i}", {})
        with lock:
            replies.append(reply)

    threads = [threading.Thread(target=runaway, args=(i,)) for i in range(runaways)]
    for thread in threads:
        thread.start()
    simple, health = [], []
    n = 0
    while any(t.is_alive() for t in threads):
        n += 1
        health.append(request(server.url, "GET", "/health", timeout=10))
        simple.append(
            request(server.url, "GET", "/sparql?" + urlencode({"query": f"{SIMPLE} # flood {n}"}), timeout=10)
        )
        time.sleep(0.05)  # pacing
    for thread in threads:
        thread.join()
    after = request(server.url, "GET", "/sparql?" + urlencode({"query": SIMPLE + " # after the flood"}))
    answered = sum(1 for r in simple if r.status == 200)
    record(
        "hostile",
        **{
            "flood of runaways": (
                f"{runaways} runaways: statuses {sorted(r.status for r in replies)}, slowest {max(r.seconds for r in replies):.2f} s; "
                f"simple queries meanwhile {answered}/{len(simple)} answered 200, the rest 503; "
                f"/health slowest {max(r.seconds for r in health) * 1000:.0f} ms; after: {after.status} in {after.seconds * 1000:.0f} ms"
            )
        },
    )
    assert all(r.status == 503 and r.seconds < TIMEOUT + SLACK for r in replies), [
        (r.status, r.seconds, r.text[:200]) for r in replies
    ]
    assert all(r.status in (200, 503) and r.seconds < TIMEOUT + SLACK for r in simple)
    assert all(r.status == 200 and r.seconds < TIMEOUT + SLACK for r in health)
    assert after.status == 200 and after.seconds < 1.0
