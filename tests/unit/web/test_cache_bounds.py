"""The answer cache and the fast path's replay store are LRUs bounded by the bytes they hold.

A flood of distinct large answers once grew each web worker by gigabytes (the caches were bounded
by entries only). Now each store counts what it holds (answers, their gzip forms once made,
headers, keys) against `CACHE_BYTES`, drops the least recently used first, and is read and
written under its lock; the two stores are separate (clearing or filling one leaves the other).
`CACHE_FLOOD_ANSWERS` sets the size of the flood (default 300 answers of about 0.9 MB).
"""

from __future__ import annotations

import gc
import os
import threading
import weakref
from urllib.parse import urlencode

import pytest

from karabakh_kg.web.cache import Entry, LRUCache
from karabakh_kg.web.fastpath import ReplayStore
from support.sec import record

MB = 1_000_000


def entry(size: int, tag: str = "") -> Entry:
    return Entry(os.urandom(size // 2).hex().encode()[:size], "text/plain", 1, False, tag)


def test_the_cache_holds_no_more_bytes_than_its_budget_and_drops_the_least_recent():
    cache = LRUCache(10 * MB, MB, 10_000)
    for i in range(40):
        cache.put(("q", i), entry(900_000))
        assert cache.get(("q", 0)) is not None  # read after every write: always the most recent but one
        assert cache.bytes <= 10 * MB
    assert 8 <= len(cache) <= 11
    assert cache.get(("q", 1)) is None and cache.get(("q", 0)) is not None and cache.get(("q", 39)) is not None


def test_a_gzip_form_made_later_is_counted_too():
    cache = LRUCache(10 * MB, MB, 10_000)
    for i in range(10):
        cache.put(("q", i), entry(900_000))
    before = cache.bytes
    cache.get(("q", 9)).gzipped()
    assert cache.bytes <= 10 * MB and (cache.bytes > before or len(cache) < 10)


def test_an_evicted_answer_is_freed_at_once_not_at_the_next_full_garbage_collection():
    gc.disable()
    try:
        cache = LRUCache(2 * MB, MB, 10_000)
        first = entry(900_000)
        cache.put("first", first)
        first.gzipped()  # the cache is told of the gzip form: no reference cycle through the entry
        alive = weakref.ref(first)
        del first
        for i in range(3):
            cache.put(("q", i), entry(900_000))
        assert alive() is None
    finally:
        gc.enable()


def test_an_answer_over_the_item_limit_is_not_kept():
    cache = LRUCache(10 * MB, MB, 10_000)
    assert not cache.put("big", entry(2 * MB)) and cache.bytes == 0


def test_the_stores_stay_consistent_under_concurrent_use():
    store = ReplayStore(2 * MB, MB, 10_000)
    errors = []

    def hammer(seed: int) -> None:
        try:
            for i in range(400):
                key = ("/sparql", str((seed * 7 + i) % 50), "", "")
                if store.get(key) is None:
                    store.put(key, ("200 OK", [("Content-Type", "text/plain")], b"x" * 100_000, {}))
        except Exception as err:  # noqa: BLE001 - any failure is the test's finding
            errors.append(err)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.bytes == sum(store._sizes.values()) <= 2 * MB and len(store._sizes) == len(store)


def _rss_mb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS:"))


def _large_answer_query(n: int) -> str:
    """A query whose JSON answer is about 0.9 MB, distinct for each n."""
    doublings = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(15))
    return f'SELECT ?s15 WHERE {{ BIND("{n:015d}|" AS ?s0) {doublings} }}'


@pytest.mark.slow
def test_a_flood_of_distinct_large_answers_stays_within_the_budget(make_app):
    answers = int(os.environ.get("CACHE_FLOOD_ANSWERS", "300"))
    app = make_app(CACHE_BYTES=20 * MB, QUERY_PROCESSES=2)
    client = app.extensions["karabakh_kg"]
    replay = app.extensions["karabakh_kg"].replay
    http = app.test_client()
    rss_before = _rss_mb()
    for n in range(answers):
        response = http.get("/sparql?" + urlencode({"query": _large_answer_query(n)}))
        assert response.status_code == 200 and len(response.data) > 500_000
        assert client.cache.bytes <= 20 * MB and replay.bytes <= 20 * MB
    again = http.get("/sparql?" + urlencode({"query": _large_answer_query(answers - 1)}))
    assert again.status_code == 200 and replay.hits >= 1  # the latest is still replayed
    health = http.get("/health").get_json()
    growth = _rss_mb() - rss_before
    record(
        "cache flood",
        **{
            "answers": answers,
            "answer cache bytes": health["cache"]["bytes"],
            "replay store bytes": health["replay"]["bytes"],
            "RSS growth of the process after the flood (MB)": growth,
        },
    )
    assert 0 < health["cache"]["bytes"] <= 20 * MB and 0 < health["replay"]["bytes"] <= 20 * MB
