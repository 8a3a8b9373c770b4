"""Memory that holds answers: LRUs bounded by the bytes they hold, read and written under a lock.

Two live in each web worker, apart: this module's answer cache, and the fast path's store of
raw responses (`fastpath.ReplayStore`); neither reads or clears the other.

Keys carry the dataset version, so answers from an older dataset can never be returned after a
reload; the key also holds the query text, the answer format and the protocol's graph
parameters. Each web worker has its own caches (nothing shared, nothing to invalidate remotely).
Each counts every byte it keeps (answer, its gzip form once made, headers, the key's text)
against `CACHE_BYTES`, and drops the least recently used entries to stay under it.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

ENTRY_OVERHEAD = 256  # bytes charged per entry for the objects around the data (dict slot, tuple, Entry)


def key(version: str, query: str, fmt: str, default_graphs=(), named_graphs=()) -> tuple:
    return (version, query, fmt, tuple(default_graphs), tuple(named_graphs))


def digest(query: str) -> str:
    """A short stable hash of a query text, for logs and ETags."""
    return hashlib.blake2b(query.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def tag(version: str, *parts) -> str:
    """The weak ETag of an answer: the dataset version and a hash of what else selects it."""
    return f'W/"{version}-{digest(repr(parts))}"'


def key_size(k) -> int:
    """The bytes a key's text holds (strings and bytes inside nested tuples)."""
    if isinstance(k, (str, bytes)):
        return len(k)
    if isinstance(k, tuple):  # a loop, not sum() over a generator: this runs twice per answer
        total = 0
        for part in k:
            total += len(part) if isinstance(part, (str, bytes)) else key_size(part)
        return total
    return 8


@dataclass
class Entry:
    """An answer as sent: bytes, metadata, and its gzip form once someone asked for it."""

    body: bytes
    content_type: str
    rows: int
    truncated: bool
    etag: str
    _gzipped: bytes | None = field(default=None, repr=False)
    _grown: Callable[[int], None] | None = field(default=None, repr=False)  # tells the cache holding it

    @property
    def size(self) -> int:
        return len(self.body) + len(self._gzipped or b"") + ENTRY_OVERHEAD

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
            if self._grown is not None:
                self._grown(len(self._gzipped))
        return self._gzipped


class ByteLRU:
    """A least-recently-used map bounded by total bytes, by bytes per item and by entries.

    `size(value)` gives a value's bytes (its key's text is added); every read and write holds the
    lock, so a reader never sees the map while another thread reorders or evicts. A bound of 0
    (bytes or entries) disables the map.
    """

    def __init__(self, max_bytes: int, max_item: int, max_entries: int, size: Callable[[object], int]):
        self.max_bytes = max_bytes
        self.max_item = max_item
        self.max_entries = max_entries
        self._size = size
        self._data: OrderedDict = OrderedDict()
        self._sizes: dict = {}
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, k):
        with self._lock:
            value = self._data.get(k)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(k)
            self.hits += 1
            return value

    def put(self, k, value) -> bool:
        """Keep `value` under `k`; False when it is larger than one item may be (not kept)."""
        size = self._size(value) + key_size(k)
        if self.max_bytes <= 0 or self.max_entries <= 0 or size > min(self.max_item, self.max_bytes):
            return False
        with self._lock:
            self._drop(k)
            self._data[k] = value
            self._sizes[k] = size
            self.bytes += size
            self._evict()
        return True

    def grow(self, k, value, extra: int) -> None:
        """`value`, kept under `k`, now holds `extra` more bytes (if it is still there)."""
        with self._lock:
            if self._data.get(k) is value:
                self._sizes[k] += extra
                self.bytes += extra
                self._evict()

    def _drop(self, k) -> None:
        if k in self._data:
            del self._data[k]
            self.bytes -= self._sizes.pop(k)

    def _evict(self) -> None:
        while (self.bytes > self.max_bytes or len(self._data) > self.max_entries) and self._data:
            old, _ = self._data.popitem(last=False)
            self.bytes -= self._sizes.pop(old)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._sizes.clear()
            self.bytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


class LRUCache(ByteLRU):
    """The answer cache: finished answers (`Entry`) by query key."""

    def __init__(self, max_bytes: int, max_item: int, max_entries: int):
        super().__init__(max_bytes, max_item, max_entries, lambda entry: entry.size)

    def put(self, k, entry: Entry) -> bool:
        ref = weakref.ref(entry)  # not the entry itself: a cycle would keep evicted answers until a full gc
        entry._grown = lambda extra: self.grow(k, ref(), extra)
        return super().put(k, entry)
