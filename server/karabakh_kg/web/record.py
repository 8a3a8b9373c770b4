"""One record per request of what the access log and the fast path need to know about it.

Views fill it in (query hash, format, rows, cache outcome, whether the answer may be replayed);
the app's hooks and the WSGI fast path read it from the request environ after the view returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

ENVIRON_KEY = "karabakh_kg.record"


@dataclass
class Record:
    query_hash: str | None = None
    format: str | None = None
    rows: int | None = None
    truncated: bool = False
    cache: str | None = None  # hit, miss, 304, fast
    encoded: bool = False  # the body is final (compressed where asked): the app's hooks leave it alone
    replayable: bool = False  # the fast path may replay this exact raw GET
    log: dict | None = None  # the access-log line written for it
    started: float | None = None  # perf_counter() when the app began handling it


def current() -> Record:
    """The record of the request being handled (made on first use)."""
    return request.environ.setdefault(ENVIRON_KEY, Record())
