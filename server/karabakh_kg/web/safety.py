"""What a query may do here, decided from its tokens before any engine sees it.

The endpoint is public and read-only: SPARQL Update (LOAD included) is refused, SERVICE is
refused, and FROM / FROM NAMED only select among the local named graphs (the engines are set up
never to fetch them). This check gives clear answers early and cheaply; it is not what keeps
queries off the network — the query processes cannot open a network socket at all (`sandbox`),
and the remote engine parses every query for real before forwarding it (`engines.remote`).

The lexer follows the terminals of the SPARQL 1.1 grammar (§19.8): IRIREF, PNAME_NS/PNAME_LN with
PN_LOCAL_ESC (`ex:a\\#`, `ex:a\\'`) and PERCENT escapes, strings with ECHAR and \\u escapes,
comments, variables, blank nodes, numbers and language tags. Where engines differ, it reads the
query the stricter way:
- a string that does not end on its line (or a long one that never ends) is refused: every
  engine refuses it too, and guessing where it ends is how a keyword could hide;
- §19.2 lets `\\u`/`\\U` escapes stand for any character *before* parsing (Jena does so, Oxigraph
  only inside strings and IRIs): a text holding such escapes is checked in both readings;
- Oxigraph reads keywords without a word boundary (`SERVICESILENT<…>` is SERVICE SILENT, and
  `SERVICE:x` is SERVICE then `:x`), so any bare word or prefix that contains SERVICE is refused.
Linear in the text: it runs in the web worker, outside the query timeout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")


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
SERVICE_REFUSED = (
    "SERVICE is refused: this endpoint never sends a request elsewhere (federated queries are not supported)"
)

# The grammar's character classes (SPARQL 1.1 §19.8, productions 164-173).
_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_U = _BASE + "_"
_CHARS = _U + r"\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_PLX = rf"%{_HEX}{{2}}|\\[_~.\-!$&'()*+,;=/?\#@%]"
_PREFIX = rf"[{_BASE}](?:[{_CHARS}]|\.+(?=[{_CHARS}]))*+"  # no trailing dot
_LOCAL = rf"(?:[{_U}:0-9]|{_PLX})(?:[{_CHARS}:]|{_PLX}|\.+(?=[{_CHARS}:]|{_PLX}))*+"
_ECHAR = r"""\\[tbnrf"'\\]"""

_TOKEN = re.compile(
    rf"""
      (?P<ws>[\x20\t\r\n]+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:'{{0,2}}(?:[^'\\]|{_ECHAR}|{_UCHAR}))*+'''
                |\"\"\"(?:"{{0,2}}(?:[^"\\]|{_ECHAR}|{_UCHAR}))*+\"\"\"
                |'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*+'
                |"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*+")
    | (?P<badstring>['"])
    | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*+>)
    | (?P<var>[?$][{_U}0-9][{_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*+)
    | (?P<pname>(?:{_PREFIX})?:(?:{_LOCAL})?)
    | (?P<blank>_:[{_U}0-9](?:[{_CHARS}]|\.+(?=[{_CHARS}]))*+)
    | (?P<run>[{_BASE}][{_CHARS}.]*+)
    | (?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)
    | (?P<number>\d+\.\d*[eE][+-]?\d+|\.\d+[eE][+-]?\d+|\d+[eE][+-]?\d+|\d*\.\d+|\d+)
    | (?P<word>_[A-Za-z0-9_]*)
    | (?P<punct>\^\^|\|\||&&|!=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL,
)
# A run of name characters not followed by `:` is read once, then split into words, numbers and
# punctuation here (instead of being re-read from each of its letters as a would-be prefix).
_RUN = re.compile(
    r"""
      (?P<number>\d+\.\d*[eE][+-]?\d+|\.\d+[eE][+-]?\d+|\d+[eE][+-]?\d+|\d*\.\d+|\d+)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_CODEPOINT = re.compile(rf"\\u({_HEX}{{4}})|\\U({_HEX}{{8}})")


def tokens(text: str):
    """The tokens of a text (re.Match objects), name runs split into words and punctuation."""
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "run":
            yield from _RUN.finditer(text, match.start(), match.end())
        else:
            yield match


def unescape_codepoints(text: str) -> str:
    """The text with every \\u / \\U escape replaced by its character (SPARQL 1.1 §19.2)."""

    def char(match: re.Match) -> str:
        value = int(match.group(1) or match.group(2), 16)
        return chr(value) if value <= 0x10FFFF else match.group()

    return _CODEPOINT.sub(char, text)


@dataclass(frozen=True)
class QueryInfo:
    """What the lexer learnt about a query: its form and whether it names its own dataset."""

    form: str | None  # SELECT, CONSTRUCT, DESCRIBE, ASK; None when the text is not a query
    has_dataset_clause: bool  # FROM or FROM NAMED
    # (kind, text) of every token but spaces and comments, for a text of at most SHORT of them
    # (the pattern lane reads these instead of lexing the text again); None for a longer one
    short_tokens: tuple[tuple[str, str], ...] | None = None

    @property
    def kind(self) -> str:
        return "results" if self.form in ("SELECT", "ASK") else "graph"


SHORT = 64


def keywords(text: str):
    """Yield the bare words of a SPARQL text, upper-cased, skipping strings, IRIs and comments."""
    for match in tokens(text):
        if match.lastgroup == "word":
            yield match.group().upper()


OPENING = frozenset("{([")
CLOSING = frozenset("})]")


def _line(text: str, match: re.Match) -> int:
    return text.count("\n", 0, match.start()) + 1


def analyse(query: str, max_depth: int = 100, max_tokens: int = 8000) -> QueryInfo:
    """Classify a query and refuse updates, SERVICE and oversized structure (raises Refused).

    Nesting and size are limited because pyoxigraph (and Oxigraph server behind a remote engine)
    crashes instead of raising on a few hundred nested groups or on some ten thousand chained
    operators, patterns or BINDs (measured: `1 + 1 + …` with 8,000 terms, 4,000 MINUS or BIND
    clauses). Tokens inside VALUES data blocks do not count: long VALUES lists are handled fine.
    """
    info = _analyse(query, max_depth, max_tokens)
    if "\\u" in query or "\\U" in query:
        _analyse(unescape_codepoints(query), max_depth, max_tokens, escapes_read=True)
    return info


def _analyse(query: str, max_depth: int, max_tokens: int, escapes_read: bool = False) -> QueryInfo:
    """One reading of the text; `escapes_read`: the \\u escapes were already replaced (§19.2)."""
    form: str | None = None
    dataset = False
    first = True
    depth = 0
    counted = 0
    values_pending = False
    values_depth = 0  # depth of the VALUES data block being read, 0 when outside one
    short: list[tuple[str, str]] | None = []
    for match in tokens(query):
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        if short is not None:
            if len(short) < SHORT:
                short.append((kind, match.group()))
            else:
                short = None
        if kind == "badstring":
            if escapes_read:  # an engine reading escapes first fails here: nothing after it runs
                break
            raise Refused(
                400,
                f"The query has a string that does not end (at line {_line(query, match)}): "
                "a string in quotes must end on its line, and only \\t \\b \\n \\r \\f \\\" \\' \\\\ "
                "and \\u escapes are allowed in it.",
            )
        if not values_depth:
            counted += 1
            if counted > max_tokens:
                raise Refused(
                    400,
                    f"The query has more than {max_tokens} tokens outside VALUES data "
                    f"(at line {_line(query, match)}); simplify it or split it.",
                )
        if kind == "punct":
            char = match.group()
            if char in OPENING:
                depth += 1
                if depth > max_depth:
                    raise Refused(
                        400,
                        f"The query nests groups or brackets more than {max_depth} deep "
                        f"(at line {_line(query, match)}); simplify it.",
                    )
                if values_pending and char == "{":
                    values_pending, values_depth = False, depth
            elif char in CLOSING:
                if values_depth and depth == values_depth:
                    values_depth = 0
                depth -= 1
            continue
        if kind == "pname":
            if "SERVICE" in match.group().partition(":")[0].upper():
                raise Refused(
                    403,
                    f"{SERVICE_REFUSED}; a prefix spelt like the keyword is refused too "
                    f"(at line {_line(query, match)}): rename it.",
                )
            continue
        if kind != "word":
            continue
        word = match.group().upper()
        if "SERVICE" in word:
            raise Refused(403, f"{SERVICE_REFUSED} (at line {_line(query, match)}).")
        if word == "VALUES":
            values_pending = True
        if first and word not in ("BASE", "PREFIX"):
            first = False
            if word.startswith(UPDATE_KEYWORDS):
                raise Refused(403, UPDATE_REFUSED)
            if word in FORMS:
                form = word
        if word == "FROM":
            dataset = True
    return QueryInfo(form, dataset, None if short is None else tuple(short))


def check_length(query: str, limit: int) -> None:
    if len(query) > limit:
        raise Refused(413, f"The query is {len(query)} characters long; the limit here is {limit}.")
