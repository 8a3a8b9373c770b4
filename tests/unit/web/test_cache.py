"""The answer cache: least recently used entries go first, keys carry the dataset version."""

from karabakh_kg.web.cache import Entry, LRUCache, key


def entry(body: bytes = b"x") -> Entry:
    return Entry(body, "text/plain", 1, False, '"e"')


def test_least_recently_used_entry_is_evicted_first():
    cache = LRUCache(max_bytes=100_000, max_item=10_000, max_entries=2)
    cache.put("a", entry())
    cache.put("b", entry())
    assert cache.get("a") is not None  # "a" is now the most recently used
    cache.put("c", entry())
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None


def test_answers_larger_than_the_limit_are_not_kept():
    cache = LRUCache(max_bytes=10_000, max_item=3, max_entries=10)
    cache.put("big", entry(b"four"))
    assert cache.get("big") is None and len(cache) == 0


def test_a_zero_capacity_cache_keeps_nothing():
    cache = LRUCache(max_bytes=100_000, max_item=10_000, max_entries=0)
    cache.put("a", entry())
    assert cache.get("a") is None


def test_keys_differ_by_dataset_version_and_format():
    assert key("v1", "ASK {}", "json") != key("v2", "ASK {}", "json")
    assert key("v1", "ASK {}", "json") != key("v1", "ASK {}", "xml")


def test_gzip_form_is_made_once_and_decompresses_to_the_body():
    import gzip

    e = entry(b"hello " * 100)
    first = e.gzipped()
    assert e.gzipped() is first and gzip.decompress(first) == e.body
