"""What a query may do here, decided from its tokens before any engine sees it.

The endpoint is public and read-only: SPARQL Update (LOAD included) is refused, SERVICE is
refused (pyoxigraph and rdflib would both call out to the IRI), and FROM / FROM NAMED only
select among the local named graphs (the engines are set up never to fetch them). A small
SPARQL lexer finds the keywords outside strings, IRIs and comments, so `"SERVICE"` in a
literal or `ex:service` is harmless while `service <...>` in any case is caught.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = frozenset(("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"))


class Refused(Exception):
    """The request asks for something this endpoint does not do; carries the HTTP status."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


UPDATE_REFUSED = (
    "SPARQL Update is not accepted: this endpoint is read-only "
    "(INSERT, DELETE, LOAD, CLEAR, CREATE, DROP, COPY, MOVE and ADD are refused)."
)

# Order matters: comments, strings and IRIs first, so their contents are never read as keywords.
# Linear in the text (it runs in the web worker, outside the query timeout): an unterminated string
# runs to the end of its line (the parser refuses it anyway) instead of being re-scanned from every
# later quote, and a run of name characters not followed by `:` is read once, then split into words
# and punctuation (`_RUN`) exactly as the main loop would, instead of being re-read from each letter.
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*(?:''')?|\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\")?
                 |'(?:[^'\\\n\r]|\\.)*'?|"(?:[^"\\\n\r]|\\.)*"?)
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00B7-\uFFFF]+)
    | (?P<run>[A-Za-z\u00C0-\uFFFF][\w\-.\u00B7-\uFFFF]*+(?!:))
    | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w\-.\u00B7-\uFFFF]*)?:[\w\-.:%\\\u00B7-\uFFFF]*|_:[\w\-.\u00B7-\uFFFF]+)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>\^\^|\|\||&&|!=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL,
)
_RUN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def _tokens(text: str):
    """The tokens of a text (re.Match objects), name runs split into words and punctuation."""
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "run":
            yield from _RUN.finditer(text, match.start(), match.end())
        else:
            yield match


@dataclass(frozen=True)
class QueryInfo:
    """What the lexer learnt about a query: its form and whether it names its own dataset."""

    form: str | None  # SELECT, CONSTRUCT, DESCRIBE, ASK; None when the text is not a query
    has_dataset_clause: bool  # FROM or FROM NAMED

    @property
    def kind(self) -> str:
        return "results" if self.form in ("SELECT", "ASK") else "graph"


def keywords(text: str):
    """Yield the bare words of a SPARQL text, upper-cased, skipping strings, IRIs and comments."""
    for match in _tokens(text):
        if match.lastgroup == "word":
            yield match.group().upper()


OPENING = frozenset("{([")
CLOSING = frozenset("})]")


def analyse(query: str, max_depth: int = 100, max_tokens: int = 8000) -> QueryInfo:
    """Classify a query and refuse updates, SERVICE and oversized structure (raises Refused).

    Nesting and size are limited because pyoxigraph (and Oxigraph server behind a remote engine)
    crashes instead of raising on a few hundred nested groups or on some ten thousand chained
    operators, patterns or BINDs (measured: `1 + 1 + …` with 8,000 terms, 4,000 MINUS or BIND
    clauses). Tokens inside VALUES data blocks do not count: long VALUES lists are handled fine.
    """
    form: str | None = None
    dataset = False
    first = True
    depth = 0
    tokens = 0
    values_pending = False
    values_depth = 0  # depth of the VALUES data block being read, 0 when outside one
    for match in _tokens(query):
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        if not values_depth:
            tokens += 1
            if tokens > max_tokens:
                line = query.count("\n", 0, match.start()) + 1
                raise Refused(
                    400,
                    f"The query has more than {max_tokens} tokens outside VALUES data (at line {line}); "
                    "simplify it or split it.",
                )
        if kind == "punct":
            char = match.group()
            if char in OPENING:
                depth += 1
                if depth > max_depth:
                    line = query.count("\n", 0, match.start()) + 1
                    raise Refused(
                        400,
                        f"The query nests groups or brackets more than {max_depth} deep (at line {line}); simplify it.",
                    )
                if values_pending and char == "{":
                    values_pending, values_depth = False, depth
            elif char in CLOSING:
                if values_depth and depth == values_depth:
                    values_depth = 0
                depth -= 1
            continue
        if kind != "word":
            continue
        word = match.group().upper()
        if word == "VALUES":
            values_pending = True
        if word == "SERVICE":
            raise Refused(
                403,
                "SERVICE is refused: this endpoint never sends a request elsewhere "
                "(federated queries are not supported).",
            )
        if first and word not in ("BASE", "PREFIX"):
            first = False
            if word in UPDATE_KEYWORDS:
                raise Refused(403, UPDATE_REFUSED)
            if word in FORMS:
                form = word
        if word == "FROM":
            dataset = True
    return QueryInfo(form, dataset)


def check_length(query: str, limit: int) -> None:
    if len(query) > limit:
        raise Refused(413, f"The query is {len(query)} characters long; the limit here is {limit}.")
