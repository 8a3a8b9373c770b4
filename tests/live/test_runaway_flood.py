"""A flood of runaway queries: every query is answered within twice the timeout, /health at once.

24 queries that would each run for ever arrive together at a live server (2 web workers). Each web
worker lets `QUERY_PROCESSES` of them run and `QUERY_QUEUE` wait; the rest are refused at once
with 503 and `Retry-After` (admission control), so no request waits behind a queue it cannot
leave in time, and threads stay free for /health, probed throughout the flood.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import pytest

from support.live import LIVE_QUERY_TIMEOUT
from support.sec import percentile, record, request

pytestmark = pytest.mark.live

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o } # {}"
FLOOD = 24


@pytest.fixture(scope="module")
def server(live_server_factory, release_dir):
    return live_server_factory(release_dir, workers=2, threads=8)


def test_a_flood_of_runaways_is_answered_in_time_and_health_stays_fast(server):
    replies: list = [None] * FLOOD

    def runaway(i: int) -> None:
        path = "/sparql?" + urlencode({"query": RUNAWAY.replace("{}", f"flood {i} {time.time()}")})
        replies[i] = request(server.url, "GET", path, timeout=60)

    threads = [threading.Thread(target=runaway, args=(i,)) for i in range(FLOOD)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    probes = []
    while any(t.is_alive() for t in threads) and time.monotonic() - started < 60:
        reply = request(server.url, "GET", "/health", timeout=10)
        assert reply.status == 200
        probes.append(reply.seconds)
        time.sleep(0.02)  # pacing the probes on a shared machine
    for thread in threads:
        thread.join(60)
    slowest = max(r.seconds for r in replies)
    p95 = percentile(probes, 0.95)
    statuses = sorted(r.status for r in replies)
    refused_at_once = sum(1 for r in replies if r.status == 503 and "overloaded" in r.text)
    record(
        "runaway flood",
        **{
            "queries": FLOOD,
            "timeout s": LIVE_QUERY_TIMEOUT,
            "slowest answer s": round(slowest, 2),
            "refused at once": refused_at_once,
            "health probes": len(probes),
            "health p95 ms": round(p95 * 1000),
            "health slowest ms": round(max(probes) * 1000),
        },
    )
    assert statuses == [503] * FLOOD, statuses
    assert all(r.headers.get("retry-after") for r in replies)
    assert slowest < 2 * LIVE_QUERY_TIMEOUT, f"the last query was answered after {slowest:.1f} s"
    assert refused_at_once > 0
    assert len(probes) >= 5 and p95 < 1.0, f"/health p95 {p95:.2f} s over {len(probes)} probes"
