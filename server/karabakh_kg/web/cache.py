"""A small LRU cache of finished answers, correct by construction.

Keys carry the dataset version, so answers from an older dataset can never be returned after a
reload; the key also holds the query text, the answer format and the protocol's graph
parameters. Each web worker has its own cache (nothing shared, nothing to invalidate remotely).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field


def key(version: str, query: str, fmt: str, default_graphs=(), named_graphs=()) -> tuple:
    return (version, query, fmt, tuple(default_graphs), tuple(named_graphs))


def digest(query: str) -> str:
    """A short stable hash of a query text, for logs and ETags."""
    return hashlib.blake2b(query.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def tag(version: str, *parts) -> str:
    """The weak ETag of an answer: the dataset version and a hash of what else selects it."""
    return f'W/"{version}-{digest(repr(parts))}"'


@dataclass
class Entry:
    """An answer as sent: bytes, metadata, and its gzip form once someone asked for it."""

    body: bytes
    content_type: str
    rows: int
    truncated: bool
    etag: str
    _gzipped: bytes | None = field(default=None, repr=False)

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


class LRUCache:
    def __init__(self, entries: int, max_bytes: int):
        self.capacity = entries
        self.max_bytes = max_bytes
        self._data: OrderedDict = OrderedDict()
        self._raw: OrderedDict = OrderedDict()  # raw request -> response, for fastpath.FastPath
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, k):
        if self.capacity <= 0:
            return None
        with self._lock:
            entry = self._data.get(k)
            if entry is None:
                self.misses += 1
                return None
            self._data.move_to_end(k)
            self.hits += 1
            return entry

    def put(self, k, entry: Entry) -> None:
        if self.capacity <= 0 or len(entry.body) > self.max_bytes:
            return
        with self._lock:
            self._data[k] = entry
            self._data.move_to_end(k)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def get_raw(self, k):
        """A finished response remembered by the fast path (see fastpath.py), or None."""
        return self._raw.get(k)

    def put_raw(self, k, response: tuple) -> None:
        if self.capacity <= 0 or len(response[2]) > self.max_bytes:
            return
        with self._lock:
            self._raw[k] = response
            while len(self._raw) > self.capacity:
                self._raw.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._raw.clear()

    def __len__(self) -> int:
        return len(self._data)
