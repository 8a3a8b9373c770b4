"""The one path from a query to an answer, for /sparql, /queries/<name>, the query page and pages.

It looks the answer up in the cache (keys carry the dataset version), else hands the query to the
runner with the deadline and row limit, and turns every engine outcome into an `Entry` or one
error type that carries the HTTP status and a message a user can act on.
"""

from __future__ import annotations

import functools
import logging

from karabakh_kg.web import cache, conneg, safety
from karabakh_kg.web.engines import EngineError, Job, QueryError, QueryTimeout
from karabakh_kg.web.record import Record
from karabakh_kg.web.record import current as record
from karabakh_kg.web.state import State, state

log = logging.getLogger("karabakh_kg.sparql")


class AnswerError(Exception):
    """No answer: `status` for the client, `kind` is `query` (the user's mistake), `timeout` or `engine`."""

    def __init__(self, status: int, message: str, kind: str):
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind

    @property
    def retry(self) -> bool:
        """Worth trying again in a moment (`Retry-After`): the server was busy or lost a process."""
        return self.status == 503


@functools.lru_cache(maxsize=4096)
def _analyse_cached(query: str, max_depth: int, max_tokens: int) -> safety.QueryInfo:
    return safety.analyse(query, max_depth, max_tokens)


def inspect(query: str, settings: dict) -> safety.QueryInfo:
    """The length check and the lexer's verdict (remembered for short, repeated queries); raises Refused."""
    safety.check_length(query, settings["MAX_QUERY_LENGTH"])
    limits = (settings["MAX_QUERY_DEPTH"], settings["MAX_QUERY_TOKENS"])
    return _analyse_cached(query, *limits) if len(query) <= 8192 else safety.analyse(query, *limits)


def run(*args, **kwargs) -> cache.Entry:
    """`evaluate` for the app and the request being handled (the arguments after `rec`)."""
    return evaluate(state(), record(), *args, **kwargs)


def evaluate(
    st: State,
    rec: Record,
    query: str,
    form: str | None,
    fmt: str,
    default_graphs: tuple[str, ...] = (),
    named_graphs: tuple[str, ...] = (),
    has_dataset_clause: bool = False,
    scope: str = "sparql",
    short_tokens: tuple | None = None,
) -> cache.Entry:
    """The answer to `query` in conneg format `fmt` (cached per dataset version and `scope`), for a
    given app state and request record: also usable outside a Flask request (misslane.py).
    `short_tokens`: the lexer's tokens of `query` (`safety.QueryInfo`), so the pattern lane need
    not read the text again."""
    settings = st.settings
    parts = (query, fmt, tuple(default_graphs), tuple(named_graphs))
    key = (scope,) + cache.key(st.version, *parts)
    entry = st.cache.get(key)
    if entry is not None:
        rec.cache = "hit"
        return entry
    rec.cache = "miss"
    job = Job(
        query=query,
        form=form,
        format=fmt,
        default_graphs=tuple(default_graphs),
        named_graphs=tuple(named_graphs),
        has_dataset_clause=has_dataset_clause,
        max_rows=settings["MAX_RESULT_ROWS"],
        timeout=settings["QUERY_TIMEOUT"],
    )
    try:
        rendered = st.lane.answer(job, short_tokens) if st.lane is not None else None
        if rendered is None:
            rendered = st.runner.run(job)
    except QueryError as err:
        raise AnswerError(400, str(err), "query") from None
    except QueryTimeout as err:
        log.warning("query %s stopped: %s", cache.digest(query), err)
        raise AnswerError(503, f"Query timed out: {err}. Simplify the query or add a LIMIT.", "timeout") from None
    except EngineError as err:
        log.error("engine failure on query %s: %s", cache.digest(query), err)
        # An engine error may carry its own status (503: a query process killed from outside).
        status = getattr(err, "status", 500 if st.engine.isolated else 502)
        message = str(err) if status == 503 else f"The query engine failed: {err}"  # 503: busy, or a process lost
        raise AnswerError(status, message, "engine") from None
    if form is None:  # a syntax check that found nothing wrong
        raise AnswerError(400, "Not a SPARQL query: expected SELECT, CONSTRUCT, DESCRIBE or ASK.", "query")
    content_type = conneg.BY_KEY[fmt].content_type
    entry = cache.Entry(rendered.body, content_type, rendered.rows, rendered.truncated, cache.tag(st.version, *parts))
    st.cache.put(key, entry)
    return entry
