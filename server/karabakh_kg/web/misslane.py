"""Answer a `GET /sparql` that no cache holds without building a Flask request around it.

On a cache miss of a cheap query, Flask's request and response objects, routing and hooks cost
several times what the engine does. This lane calls the same functions the SPARQL view calls, in
the same order (`protocol.parse`, `answering.inspect`, `conneg.negotiate`, `answering.evaluate`)
and writes the same headers (`sparql.answer_headers`), so it cannot answer differently; anything
it does not handle itself (no query, a refusal, HTML, 406, If-None-Match, HEAD, POST) goes to Flask,
which redoes the cheap checks and answers as it always did. Only an evaluated query's own error
(syntax, timeout, busy) is answered here, since sending it on would run the query twice.
"""

from __future__ import annotations

import functools
import time

from werkzeug.http import HTTP_STATUS_CODES, parse_accept_header

from karabakh_kg.web import answering, conneg, protocol
from karabakh_kg.web.cache import digest
from karabakh_kg.web.record import ENVIRON_KEY, Record
from karabakh_kg.web.safety import Refused
from karabakh_kg.web.state import State
from karabakh_kg.web.views import htmlpage
from karabakh_kg.web.views.sparql import CORS_HEADERS, HTML_FORMATS, answer_headers

PATH = "/sparql"


def _status(code: int) -> str:
    return f"{code} {HTTP_STATUS_CODES[code].upper()}"  # as werkzeug writes it


@functools.lru_cache(maxsize=256)  # clients repeat their Accept-Encoding on every request
def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header accepts gzip, as werkzeug reads it for the SPARQL view."""
    return parse_accept_header(header)["gzip"] > 0


def _error(err: answering.AnswerError) -> tuple[str, list[tuple[str, str]], bytes]:
    """The plain-text error the view would send (`responses.error`, its Retry-After, the hooks' headers)."""
    body = (err.message.rstrip("\n") + "\n").encode("utf-8")
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        ("Vary", "Accept"),
    ]
    if err.retry:
        headers.append(("Retry-After", "1"))
    headers += CORS_HEADERS.items()
    headers += htmlpage.SECURITY_HEADERS.items()
    return _status(err.status), headers, body


class MissLane:
    """The SPARQL view's GET path, for one app's state, callable on a raw WSGI environ."""

    def __init__(self, st: State):
        self.state = st
        self.gzip_min = st.settings["GZIP_MIN_BYTES"]

    def answer(self, environ) -> tuple[str, list[tuple[str, str]], bytes, Record] | None:
        """(status, headers, body, record), or None: let Flask answer this request."""
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("PATH_INFO") != PATH
            or "HTTP_IF_NONE_MATCH" in environ
        ):
            return None
        st = self.state
        try:
            parsed = protocol.parse("GET", environ.get("QUERY_STRING", "").encode("latin-1"), None, b"")
            if parsed.query is None:
                return None
            info = answering.inspect(parsed.query, st.settings)
            if info.form is None:
                return None
            fmt = conneg.negotiate(
                environ.get("HTTP_ACCEPT"),
                info.kind,
                parsed.format,
                extra=() if parsed.format else HTML_FORMATS,
            )
        except (Refused, conneg.NotAcceptable, UnicodeEncodeError):
            return None
        if fmt.kind == conneg.HTML:
            return None
        rec = environ.setdefault(ENVIRON_KEY, Record())
        rec.started = time.perf_counter()
        rec.query_hash = digest(parsed.query)
        rec.format = fmt.key
        try:
            entry = answering.evaluate(
                st,
                rec,
                parsed.query,
                info.form,
                fmt.key,
                parsed.default_graphs,
                parsed.named_graphs,
                info.has_dataset_clause,
                short_tokens=info.short_tokens,
            )
        except answering.AnswerError as err:
            return (*_error(err), rec)
        gzip = len(entry.body) >= self.gzip_min and accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))
        body, headers = answer_headers(entry, gzip)
        rec.rows, rec.truncated, rec.replayable = entry.rows, entry.truncated, True
        return "200 OK", headers, body, rec


def log_line(environ, status: str, rec: Record) -> dict:
    """The access-log line the app's hook writes (`app._log`), for an answer made here."""
    return {
        "method": "GET",
        "route": PATH,
        "path": PATH,
        "status": int(status[:3]),
        "query_hash": rec.query_hash,
        "format": rec.format,
        "rows": rec.rows,
        "truncated": rec.truncated,
        "cache": rec.cache,
        "ms": round((time.perf_counter() - rec.started) * 1000, 2),
    }
