"""Memory and answer size have bounds, and each bound gives a clear answer.

- a query process may add `QUERY_MEMORY_MB` of data to what it shares with its web worker
  (RLIMIT_DATA: the mapped store does not count); a query needing more (a sorted cartesian
  product on the article graph, doubling CONCATs) is stopped and answered 400 *needed more
  memory*, and the process grows by no more than about the limit;
- a query process killed from outside (the OOM killer, an operator) is the server's failure: 503;
- an answer over `MAX_RESULT_ROWS` rows or `MAX_RESULT_BYTES` bytes is refused with 400 naming the
  limit and asking for LIMIT, on `/sparql` and on the HTML query page: never a cut answer a client
  reading only the body could take for a whole one.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from urllib.parse import urlencode

import pytest

from support.sec import record

PRODUCT = "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"  # 33 million rows to sort on the article graph
DOUBLINGS = (
    'SELECT (STRLEN(?s27) AS ?n) WHERE { BIND("0123456789abcdef" AS ?s0) '
    + " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(27))
    + " }"
)
LIMIT_MB = 256


def _children(app) -> list[int]:
    return [w.process.pid for w in list(app.extensions["karabakh_kg"].runner._all)]


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _while_sampling(app, action):
    """Run `action()` while sampling the query processes' resident size: (result, peak growth in MB).

    Growth over each process's size before the query: a forked process's resident size also counts
    the pages it shares with its web worker, which the query did not allocate.
    """
    before = {pid: _rss_mb(pid) for pid in _children(app)}
    peak, done = [0.0], threading.Event()

    def sample():
        while not done.is_set():
            for pid in _children(app):
                peak[0] = max(peak[0], _rss_mb(pid) - before.get(pid, 0.0))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        return action(), peak[0]
    finally:
        done.set()
        sampler.join(2)


@pytest.fixture
def small_memory(make_app, kg_build):
    app = make_app(BUILD_DIR=str(kg_build), QUERY_MEMORY_MB=LIMIT_MB, QUERY_PROCESSES=1, QUERY_TIMEOUT=30.0)
    app.extensions["karabakh_kg"].runner.warm(timeout=60, count=1)  # a loaded machine starts slowly
    return app


@pytest.mark.slow
@pytest.mark.parametrize("name,query", [("sorted cartesian product", PRODUCT), ("27 CONCAT doublings", DOUBLINGS)])
def test_a_query_needing_too_much_memory_is_stopped_with_a_clear_400(small_memory, name, query):
    client = small_memory.test_client()
    started = time.monotonic()
    response, peak = _while_sampling(small_memory, lambda: client.get("/sparql?" + urlencode({"query": query})))
    seconds = time.monotonic() - started
    record(
        "memory",
        **{f"{name}: status, peak RSS growth, seconds": f"{response.status_code}, {peak:.0f} MB, {seconds:.1f}"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400, text
    assert f"needed more memory than a query process may use here ({LIMIT_MB} MB)" in text
    assert "nested" not in text
    assert peak < LIMIT_MB + 64, f"the query process grew by {peak:.0f} MB"
    assert client.get("/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"})).status_code == 200


@pytest.mark.slow
def test_a_query_process_killed_from_outside_is_the_servers_failure(small_memory):
    client = small_memory.test_client()
    victim = _children(small_memory)[0]
    threading.Timer(0.5, os.kill, (victim, signal.SIGKILL)).start()
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    response = client.get("/sparql?" + urlencode({"query": query}))
    text = response.get_data(as_text=True)
    assert response.status_code == 503, text
    assert "stopped from outside (signal 9)" in text and "not the query's" in text
    assert response.headers["Retry-After"]
    assert client.get("/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"})).status_code == 200


def test_an_answer_over_the_row_limit_is_refused_not_cut(make_app):
    client = make_app(MAX_RESULT_ROWS=10).test_client()
    response = client.get("/sparql?" + urlencode({"query": "SELECT * WHERE { ?s ?p ?o }"}))
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "more than 10 rows" in text and "LIMIT 10" in text
    assert "X-Result-Truncated" not in response.headers
    whole = client.get("/sparql?" + urlencode({"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"}))
    assert whole.status_code == 200 and len(whole.get_json()["results"]["bindings"]) == 10


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv", "text/html"])
def test_an_answer_over_the_byte_limit_is_refused_on_every_route(make_app, accept):
    client = make_app(MAX_RESULT_BYTES=3000).test_client()
    query = "SELECT * WHERE { ?s ?p ?o }"
    response = client.get("/sparql?" + urlencode({"query": query}), headers={"Accept": accept})
    text = response.get_data(as_text=True)
    assert response.status_code == 400, text[:300]
    assert "3,000 bytes (MAX_RESULT_BYTES)" in text and "LIMIT" in text
    small = client.get("/sparql?" + urlencode({"query": query + " LIMIT 2"}), headers={"Accept": accept})
    assert small.status_code == 200


def test_a_named_query_over_the_byte_limit_is_refused(make_app, kg_build):
    client = make_app(BUILD_DIR=str(kg_build), MAX_RESULT_BYTES=2000).test_client()
    response = client.get("/queries/names")
    assert response.status_code == 400 and "MAX_RESULT_BYTES" in response.get_data(as_text=True)
