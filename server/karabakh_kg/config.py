"""Every setting of the server in one table: name, default, type and what it is for.

A setting `NAME` is read from the environment as `KARABAKH_KG_NAME`, then overridden by the
`test_config` mapping given to `create_app`. docs/endpoint.md documents each one (a test checks it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "KARABAKH_KG_"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any]
    description: str


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {text!r}")


SETTINGS: tuple[Setting, ...] = (
    Setting("BUILD_DIR", "build", str, "folder holding the builds; the server serves `<BUILD_DIR>/current`"),
    Setting(
        "ENGINE",
        "oxigraph",
        str,
        "query engine: `oxigraph` (default), `rdflib`, or `sparql:URL` for a remote SPARQL 1.1 store",
    ),
    Setting(
        "PUBLIC_BASE", "", str, "public base IRI of the dataset; empty means the base recorded in the build manifest"
    ),
    Setting("HOST", "127.0.0.1", str, "address `karabakh-kg serve` listens on"),
    Setting(
        "TRUSTED_PROXIES",
        "",
        str,
        "comma-separated addresses of reverse proxies whose `X-Forwarded-*` / `Forwarded` headers are read; from any other peer they are dropped (empty: none)",
    ),
    Setting("PORT", 8080, int, "port `karabakh-kg serve` listens on"),
    Setting(
        "SERVER",
        "granian",
        str,
        "HTTP front of `karabakh-kg serve`: `granian` (default, measured fastest, slow clients hold no thread) or `gunicorn` (gthread; sync with THREADS=1)",
    ),
    Setting("WORKERS", 2, int, "web worker processes started by `karabakh-kg serve`"),
    Setting(
        "THREADS",
        8,
        int,
        "Python threads per web worker that run requests (granian blocking threads, gunicorn gthread); each request holds one: keep it above QUERY_PROCESSES + QUERY_QUEUE so /health and pages always find one free",
    ),
    Setting(
        "CLIENT_TIMEOUT",
        10.0,
        float,
        "seconds a client has to send a request's headers, and the longest a kept-alive connection may stay idle; then it is closed (granian: at most 60)",
    ),
    Setting(
        "RECONNECT_EVERY",
        100,
        int,
        "granian: every this-many-th answer of a web worker carries `Connection: close`, so kept-alive clients reconnect now and then and spread again over the web workers (a burst of new connections all goes to whichever worker wakes first); 0: never",
    ),
    Setting(
        "PIN_WORKERS",
        True,
        _bool,
        "granian: each web worker, with its threads and query processes, runs on its own share of the CPUs the server may use (split evenly among WORKERS, in order), so a query's hand-offs between worker and query process stay on one CPU (measured in docs/benchmarks.md); off: the kernel places every process on any CPU",
    ),
    Setting(
        "PID_FILE",
        "",
        str,
        "file where `karabakh-kg serve` writes the server's process id, read by `karabakh-kg reload`; empty means `<BUILD_DIR>/serve-<PORT>.pid` (none for port 0)",
    ),
    Setting(
        "MEMORY_STORE_QUADS",
        250_000,
        int,
        "a release of at most this many quads is loaded into memory by each web worker (about 350 bytes a quad, shared with its query processes) and queried there, several times faster than the on-disk store (measured in docs/benchmarks.md); a larger one is read from disk; 0: always from disk (engine `oxigraph`)",
    ),
    Setting(
        "PATTERN_LANE",
        True,
        _bool,
        "answer ASK and SELECT over one triple pattern (variables, IRIs, `a`, at most a LIMIT) in the web worker, from a query text it writes itself, when the store is in memory: no hand-off to a query process (`web/pattern_lane.py`, docs/security.md); off: every query goes to a query process",
    ),
    Setting(
        "QUERY_PROCESSES",
        2,
        int,
        "query processes per web worker, started as needed; each holds the store open read-only and is killed and replaced on timeout; WORKERS x QUERY_PROCESSES about the number of cores (more only adds switching between them: measured in docs/benchmarks.md)",
    ),
    Setting(
        "QUERY_QUEUE",
        2,
        int,
        "queries per web worker that may wait for a busy query process; when that many wait already, a query is answered 503 with Retry-After at once (admission control)",
    ),
    Setting(
        "QUERY_TIMEOUT",
        10.0,
        float,
        "seconds a query may run (including waiting for a free query process) before it is stopped and answered 503",
    ),
    Setting(
        "QUERY_MEMORY_MB",
        384,
        int,
        "data memory (heap, not the mapped store) one query process may add to what it shares with its web worker at the fork, enforced by the OS (RLIMIT_DATA); a query that needs more is stopped and answered 400; 0: no limit",
    ),
    Setting(
        "QUERY_MEMORY_TOTAL_MB",
        3072,
        int,
        "what all query processes together may use: `serve` refuses to start when WORKERS x QUERY_PROCESSES x QUERY_MEMORY_MB is more",
    ),
    Setting(
        "ALLOW_NETWORK",
        False,
        _bool,
        "let query processes open network sockets (`serve --allow-network`); off by default, and only for a host where the seccomp sandbox cannot be set up: logged as a warning",
    ),
    Setting("MAX_QUERY_LENGTH", 100_000, int, "longest accepted query text, in characters (longer: 413)"),
    Setting("MAX_QUERY_DEPTH", 100, int, "deepest nesting of groups and brackets accepted in a query (deeper: 400)"),
    Setting(
        "MAX_QUERY_TOKENS",
        8000,
        int,
        "most tokens (words, names, literals, punctuation) accepted in a query outside VALUES data blocks (more: 400)",
    ),
    Setting("MAX_BODY_BYTES", 1_000_000, int, "largest accepted request body, in bytes (larger: 413)"),
    Setting(
        "MAX_RESULT_ROWS",
        10_000,
        int,
        "most result rows (SELECT) or triples (CONSTRUCT/DESCRIBE) in one answer; a query with more is answered 400 saying so and to add LIMIT (never a silently cut answer)",
    ),
    Setting(
        "MAX_RESULT_BYTES",
        20_000_000,
        int,
        "largest answer sent, in bytes before compression, on every route (the HTML query page too); a larger one is answered 400 saying so and to add LIMIT; 0: no limit",
    ),
    Setting(
        "CACHE_BYTES",
        64_000_000,
        int,
        "bytes each of a web worker's two answer stores (the result cache and the fast path's replay store) may hold in all; least recently used answers are dropped to stay under it (0 disables both)",
    ),
    Setting("CACHE_ENTRIES", 1024, int, "most answers kept in each of those two stores (0 disables both)"),
    Setting("CACHE_MAX_BYTES", 1_000_000, int, "largest single answer kept in them, in bytes"),
    Setting(
        "GZIP_MIN_BYTES", 2048, int, "answers at least this large are gzip-compressed when the client accepts gzip"
    ),
    Setting(
        "ACCESS_LOG",
        True,
        _bool,
        "write one structured (JSON) access-log line per request to the `karabakh_kg.access` logger",
    ),
)


def defaults() -> dict[str, Any]:
    return {s.name: s.default for s in SETTINGS}


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every `KARABAKH_KG_*` setting present, converted to its type; raise ValueError if malformed."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(PREFIX + setting.name)
        if raw is None:
            continue
        try:
            found[setting.name] = setting.parse(raw)
        except ValueError as err:
            raise ValueError(f"{PREFIX}{setting.name}={raw!r}: {err}") from None
    return found


def load(test_config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then the environment, then the test mapping (which wins)."""
    settings = defaults()
    settings.update(from_environment(environ))
    if test_config:
        settings.update(test_config)
    return settings
