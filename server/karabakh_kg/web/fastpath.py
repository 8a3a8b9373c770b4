"""Answer a repeated GET straight from memory, before Flask builds a request.

A finished answer is remembered under the exact raw request that produced it (path, query
string, Accept, whether gzip is accepted). The same raw request on the same app (one dataset
version) must get the same bytes, so replaying them is correct by construction, and it skips
routing, parameter parsing and negotiation, which dominate the cost of a cached answer.
Conditional requests (If-None-Match), HEAD, POST and anything not remembered go through Flask.
The remembered responses live in this module's own store (a `cache.ByteLRU` bounded by
`CACHE_BYTES`), apart from the answer cache. A view opts in for a deterministic 200 answer by setting
`replayable` on the request's record (`record.py`; the SPARQL answers do).
"""

from __future__ import annotations

import time

from karabakh_kg.web import access_log
from karabakh_kg.web.cache import ENTRY_OVERHEAD, ByteLRU
from karabakh_kg.web.misslane import MissLane, log_line
from karabakh_kg.web.record import ENVIRON_KEY


def _response_size(response: tuple) -> int:
    status, headers, body, record = response
    return len(status) + sum(len(k) + len(v) for k, v in headers) + len(body) + len(record) * 32 + ENTRY_OVERHEAD


class ReplayStore(ByteLRU):
    """Finished responses by raw request: (status, headers, body, access-log record)."""

    def __init__(self, max_bytes: int, max_item: int, max_entries: int):
        super().__init__(max_bytes, max_item, max_entries, _response_size)


def raw_key(environ) -> tuple | None:
    """The raw-request key of a WSGI environ, or None when the request may not be replayed."""
    if environ.get("REQUEST_METHOD") != "GET" or "HTTP_IF_NONE_MATCH" in environ:
        return None
    encoding = environ.get("HTTP_ACCEPT_ENCODING", "")
    return (
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("HTTP_ACCEPT", ""),
        encoding,
    )


class FastPath:
    """WSGI middleware replaying the responses remembered in `store`; `lane` answers /sparql misses."""

    def __init__(self, wsgi_app, store: ReplayStore, log_enabled: bool, lane: MissLane | None = None):
        self.wsgi_app = wsgi_app
        self.store = store
        self.log_enabled = log_enabled
        self.lane = lane

    def __call__(self, environ, start_response):
        key = raw_key(environ)
        hit = self.store.get(key) if key is not None else None
        if hit is None:
            if key is None:
                return self.wsgi_app(environ, start_response)
            return self._through(key, environ, start_response)
        started = time.perf_counter()
        status, headers, body, record = hit
        start_response(status, headers)
        if self.log_enabled:
            line = {**record, "cache": "fast", "ms": round((time.perf_counter() - started) * 1000, 3)}
            access_log.write(line)
        return [body]

    def _through(self, key, environ, start_response):
        """Answer in the miss lane or let Flask answer; remember the final response if it may be replayed."""
        answered = self.lane.answer(environ) if self.lane is not None else None
        if answered is None:
            return self._flask(key, environ, start_response)
        status, headers, body, rec = answered
        line = log_line(environ, status, rec)
        if self.log_enabled:
            access_log.write(line)
        if rec.replayable:
            self.store.put(key, (status, headers, body, line))
        start_response(status, headers)
        return [body]

    def _flask(self, key, environ, start_response):
        """Let Flask answer, and remember the final response if the view marked it replayable."""
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = self.wsgi_app(environ, capture)
        rec = environ.get(ENVIRON_KEY)
        if rec is None or not rec.replayable or not seen.get("status", "").startswith("200"):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self.store.put(key, (seen["status"], seen["headers"], data, rec.log or {}))
        return [data]
