"""Answer a one-triple-pattern query in the web worker, from a query text the worker writes itself.

A query process per query is where the kernel bounds a query's time, memory and network access,
and on trivial queries the hand-off to it costs more than the engine does (docs/benchmarks.md).
So the web worker answers one narrow shape itself: ASK, or SELECT of variables or `*`, over one
triple pattern of variables, absolute IRIs and `a`, with at most a LIMIT. The guarantee does not
rest on reading the client's text the way the engine would: the client's text is never evaluated
here. It is read into a `Pattern` (or declined: then it goes to a query process as before), and
the engine gets a new text written from that `Pattern`, in a tiny language of this module's own:
keywords, variables, `<absolute IRI>` without escapes, and a LIMIT set here. Such a text cannot
name a service, a graph to fetch, a filter, a sort, a join or a path, so by construction it reads
at most `rows + 1` entries of one index of the in-memory store, and needs no deadline, no memory
limit and no network. A reading that differed from the standard's could only give a wrong answer
(the tests compare both lanes on generated queries), never a request elsewhere or a runaway.

Only where the store is in memory in the web worker (engine `oxigraph`, a release of at most
MEMORY_STORE_QUADS quads); an answer of more than `rows` rows, an engine error or a refusal of
the written text goes to a query process with the client's own text, which answers as always.
"""

from __future__ import annotations

import dataclasses
import re

from karabakh_kg.web import safety
from karabakh_kg.web.engines import Engine, EngineError, Job, QueryError
from karabakh_kg.web.fork_gate import GATE
from karabakh_kg.web.query_pool import check_answer
from karabakh_kg.web.results import Rendered
from karabakh_kg.web.sandbox import Limits

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ROWS = 1000  # most rows answered here (at most this many index entries read); more: a query process

# An absolute IRI (a scheme, then IRIREF's characters, no escapes): what may stand in a written text.
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]*\Z")


@dataclasses.dataclass(frozen=True)
class Pattern:
    """A query of the one shape answered here: `form` over the triple `terms`."""

    form: str  # ASK or SELECT
    projection: tuple[str, ...] | None  # variable names; None: SELECT *
    terms: tuple[str, str, str]  # each "?name" or an absolute IRI
    limit: int | None  # the client's LIMIT

    def text(self, rows: int) -> str:
        """The query the engine evaluates: this module's own writing, reading at most `rows` + 1 rows."""
        where = "{ " + " ".join(t if t.startswith("?") else f"<{t}>" for t in self.terms) + " }"
        if self.form == "ASK":
            return f"ASK {where}"
        head = "*" if self.projection is None else " ".join(f"?{v}" for v in self.projection)
        limit = rows + 1 if self.limit is None else min(self.limit, rows + 1)
        return f"SELECT {head} WHERE {where} LIMIT {limit}"


class _Declined(Exception):
    """Not the shape answered here."""


READABLE = frozenset(("word", "var", "iri", "pname", "punct", "number"))


def _significant(query: str, short_tokens) -> list[tuple[str, str]] | tuple[tuple[str, str], ...]:
    """(kind, text) of each token but spaces and comments (as `safety` read them when it kept them);
    declined when there are more than `safety.SHORT` or one of a kind never in the shape."""
    if short_tokens is None:
        short_tokens = []
        for match in safety.tokens(query):
            if match.lastgroup not in ("ws", "comment"):
                if len(short_tokens) == safety.SHORT:
                    raise _Declined
                short_tokens.append((match.lastgroup, match.group()))
    if any(kind not in READABLE for kind, _ in short_tokens):
        raise _Declined
    return short_tokens


def _iri(text: str) -> str:
    """An absolute IRI that resolving against a base leaves as it is (no `.` or `..` segment to remove)."""
    if not _ABSOLUTE.match(text):
        raise _Declined
    path = re.split(r"[?#]", text.partition(":")[2], maxsplit=1)[0]
    if any(segment in (".", "..") for segment in path.split("/")):
        raise _Declined
    return text


class _Reader:
    """Reads a token list against the one shape; every unexpected token declines."""

    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.at = 0
        self.prefixes: dict[str, str] = {}

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self, kind: str, text: str | None = None) -> str:
        """The next token's text if it is of `kind` (and, for words, the keyword `text`)."""
        got_kind, got = self.peek()
        if got_kind != kind or (text is not None and got.upper() != text):
            raise _Declined
        self.at += 1
        return got

    def optional(self, kind: str, text: str) -> bool:
        got_kind, got = self.peek()
        if got_kind == kind and got.upper() == text:
            self.at += 1
            return True
        return False

    def term(self, predicate: bool = False) -> str:
        kind, text = self.peek()
        self.at += 1
        if kind == "var":
            return "?" + text[1:]
        if kind == "iri":
            return _iri(text[1:-1])
        if kind == "pname":
            prefix, _, local = text.partition(":")
            if "\\" in local or prefix + ":" not in self.prefixes:
                raise _Declined
            return _iri(self.prefixes[prefix + ":"] + local)
        if predicate and kind == "word" and text == "a":  # the one case-sensitive keyword
            return RDF_TYPE
        raise _Declined

    def pattern(self) -> Pattern:
        while self.optional("word", "PREFIX"):
            name = self.take("pname")
            if not name.endswith(":") or name.count(":") != 1 or name in self.prefixes:
                raise _Declined
            self.prefixes[name] = _iri(self.take("iri")[1:-1])
        form = self.take("word").upper()
        projection: tuple[str, ...] | None = None
        if form == "SELECT":
            if self.peek() == ("punct", "*"):
                self.at += 1
            else:
                names = []
                while self.peek()[0] == "var":
                    names.append(self.take("var")[1:])
                if not names:
                    raise _Declined
                projection = tuple(names)
        elif form != "ASK":
            raise _Declined
        self.optional("word", "WHERE")
        self.take("punct", "{")
        terms = (self.term(), self.term(predicate=True), self.term())
        if self.peek() == ("punct", "."):
            self.at += 1
        self.take("punct", "}")
        variables = [t for t in terms if t.startswith("?")]
        if len(set(variables)) != len(variables):  # ?x ?p ?x: a scan that filters, not an index read
            raise _Declined
        limit = None
        if form == "SELECT" and self.optional("word", "LIMIT"):
            digits = self.take("number")
            if not digits.isdigit() or len(digits) > 18:  # past what the engine reads as a LIMIT: its error
                raise _Declined
            limit = int(digits)
        if self.at != len(self.tokens):
            raise _Declined
        return Pattern(form, projection, terms, limit)


def read(query: str, short_tokens=None) -> Pattern | None:
    """The query as a `Pattern`, or None when it is not the one shape answered in the web worker;
    `short_tokens`: `safety.QueryInfo.short_tokens` of this very text, when the caller has them."""
    try:
        return _Reader(_significant(query, short_tokens)).pattern()
    except _Declined:
        return None


class PatternLane:
    """Answers `Pattern` queries with the web worker's own in-memory store; None: not here."""

    def __init__(self, engine: Engine, limits: Limits, rows: int = ROWS):
        self.engine = engine
        self.limits = limits
        self.rows = rows

    @classmethod
    def for_engine(cls, engine: Engine, limits: Limits, enabled: bool) -> PatternLane | None:
        """A lane where the engine holds its store in this process's memory (prepared before any fork)."""
        if not enabled or engine.name != "oxigraph" or getattr(engine, "store", None) is None:
            return None
        return cls(engine, limits)

    def answer(self, job: Job, short_tokens=None) -> Rendered | None:
        """The answer, or None: a query process answers (`short_tokens` as for `read`)."""
        if job.form not in ("ASK", "SELECT") or job.has_dataset_clause:
            return None
        pattern = read(job.query, short_tokens)
        if pattern is None or pattern.form != job.form:
            return None
        rows = min(self.rows, job.max_rows)
        try:
            with GATE.inside():  # a query process is never forked while a thread is in the engine
                written = dataclasses.replace(job, query=pattern.text(rows), max_rows=rows)
                rendered = self.engine.execute(written, bounded=True)
            if rendered.rows > rows:  # more than the lane answers: a query process does, as always
                return None
            return check_answer(rendered, job, self.limits)  # too large: the query process says so
        except (QueryError, EngineError):
            return None
