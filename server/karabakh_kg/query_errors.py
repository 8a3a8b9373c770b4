"""Turn the engine's SPARQL parse errors into words a user acts on: where, what, and what to add.

Oxigraph reports the furthest point its parser reached ("error at 2:17: expected one of Prefix
not found, ['%'], …"): exact, but unreadable, and for an undeclared prefix it often points at the
end of the query. The diagnosis stays with the engine: a prefix is reported as undeclared only
when declaring it moves the engine's own error further on (or removes it); the text is scanned
merely for names worth trying. It runs pyoxigraph's parser (never its evaluation), so call it
where a crash is contained (a query process or the CLI), never in a web worker.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph

POSITION = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.DOTALL)
IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")
PREFIXED = re.compile(r"(?<![\w.:?$-])([A-Za-z][\w.-]*)?:")
DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE)
PLACEHOLDER = "urn:x-undeclared:"
END = "\n\x00"  # a line no query can have
UNKNOWN = object()
PLANNED = 40  # separators (. ; , {) in a query that may be parsed whole, planning included
MAX_TRIES = 24  # names tried as undeclared prefixes
BUDGET = 0.5  # seconds spent trying them, at most
EXCERPT = 60  # characters shown each side of the column


@dataclass(frozen=True, order=True)
class Position:
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass(frozen=True)
class Undeclared:
    prefix: str
    at: Position  # its first use
    iri: str | None  # the namespace, when the prefix is a known one


def parse_message(message: str) -> tuple[Position, str] | None:
    """The position and complaint in an Oxigraph message `error at L:C: …`."""
    match = POSITION.search(message)
    if not match:
        return None
    return Position(int(match.group(1)), int(match.group(2))), match.group(3).strip()


def engine_error(query: str) -> tuple[Position, str] | None:
    """Where and why pyoxigraph stops on `query`; None if it parses (it is then also planned)."""
    try:
        pyoxigraph.Store().query(query)
    except SyntaxError as err:
        return parse_message(str(err))
    except (OSError, ValueError, TypeError, RuntimeError):  # parsed, then refused to evaluate
        return None
    return None


def read_error(query: str) -> tuple[Position, str] | None:
    """Where pyoxigraph's parser stops before the end of `query`; None if it reads to the end.

    A line no query can have is appended, so the parser always stops and nothing is planned
    (planning a big query can take seconds). Reaching that line says "no error before the end",
    not "valid": an error at the very end looks the same.
    """
    try:
        pyoxigraph.Store().query(query + END)
    except SyntaxError as err:
        located = parse_message(str(err))
        if located is not None and located[0].line <= query.count("\n") + 1:
            return located
    except (OSError, ValueError, TypeError, RuntimeError):
        pass
    return None


def _position(text: str, offset: int) -> Position:
    return Position(text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def _masked(query: str) -> str:
    """The query with IRIs, strings and comments blanked out, in one pass (no backtracking)."""
    out = list(query)
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c == "<" and (m := IRI.match(query, i)):
            end = m.end()
        elif c == "#":
            end = query.find("\n", i)
        elif c in "\"'" and query.startswith(c * 3, i):
            end = query.find(c * 3, i + 3)
            end = n if end < 0 else end + 3
        elif c in "\"'":
            end = i + 1
            while end < n and query[end] not in (c, "\n"):
                end += 2 if query[end] == "\\" else 1
            end = min(n, end + 1)
        else:
            i += 1
            continue
        end = n if end < 0 else end
        for k in range(i, end):
            if out[k] != "\n":
                out[k] = " "
        i = end
    return "".join(out)


def _candidates(query: str) -> dict[str, Position]:
    """Each `name:` used outside IRIs, strings and comments and not declared, at its first use."""
    masked = _masked(query)
    declared = {m.group(1) or "" for m in DECLARED.finditer(masked)}
    found: dict[str, Position] = {}
    for match in PREFIXED.finditer(masked):
        name = match.group(1) or ""
        if name not in declared and name not in found:
            found[name] = _position(query, match.start())
            if len(found) >= MAX_TRIES:
                break
    return found


def _shifted(located: tuple[Position, str] | None) -> tuple[Position, str] | None:
    """A position in the query from one in the query behind one added line."""
    return None if located is None else (Position(located[0].line - 1, located[0].column), located[1])


def _declaring(names: list[str], query: str) -> str:
    return " ".join(f"PREFIX {p}: <{PLACEHOLDER}>" for p in names) + "\n" + query


def undeclared(query: str, first: Position) -> tuple[list[tuple[str, Position]], tuple[Position, str] | None]:
    """The prefixes the engine needs declared, and its error once they are (None: it parses).

    A name counts when declaring it lets the parser read further. Where the parser reaches the
    end either way (an error at the very end, e.g. in the last FILTER), the query is parsed whole
    to tell a valid query from one still wrong at its end; only a small one, since the engine
    plans what it parses and planning a query of many patterns takes seconds.
    """
    needed: list[tuple[str, Position]] = []
    masked = _masked(query)
    small = sum(masked.count(c) for c in ".;,{") <= PLANNED  # few enough patterns to plan quickly
    before = read_error(query)  # where reading stops; None: not before the end
    whole: tuple[Position, str] | None | object = (first, "")  # the verdict on the whole text, or UNKNOWN
    deadline = time.monotonic() + BUDGET
    for name, at in _candidates(query).items():
        if (before is None and whole is None) or time.monotonic() > deadline:
            break
        names = [n for n, _ in needed] + [name]
        after = _shifted(read_error(_declaring(names, query)))
        if after is not None:
            better = before is not None and before[0] < after[0]
        elif before is not None:
            better, whole = True, UNKNOWN
        elif not small:  # reading cannot tell, and planning a big query may take seconds
            better = False
        else:
            if whole is UNKNOWN:
                whole = _shifted(engine_error(_declaring(names[:-1], query)))
            trial = _shifted(engine_error(_declaring(names, query)))
            better = trial is None or (whole is not None and whole[0] < trial[0])
            whole = trial if better else whole
        if better:
            needed.append((name, at))
            before = after
    if before is not None:
        return needed, before
    if whole is UNKNOWN:
        whole = _shifted(engine_error(_declaring([n for n, _ in needed], query))) if small else None
    return needed, whole


def excerpt(query: str, at: Position) -> str:
    """The line of the query at `at`, with a caret under the column."""
    lines = query.splitlines()
    if not 1 <= at.line <= len(lines):
        return ""
    line, column = lines[at.line - 1].expandtabs(1), max(0, at.column - 1)
    start = max(0, column - EXCERPT)
    shown = ("…" if start else "") + line[start : column + EXCERPT] + ("…" if len(line) > column + EXCERPT else "")
    return f"  {shown}\n  {' ' * (column - start + (1 if start else 0))}^\n"


def readable(detail: str) -> str:
    """The engine's expectation, unless it is a list of character classes nobody can read."""
    if not detail or "['" in detail or "\\u{" in detail or len(detail) > 160:
        return "unexpected text here"
    return detail.rstrip(".")


def explain(query: str, message: str, prefixes: Mapping[str, str]) -> str:
    """The 400 message for a query the engine could not parse: line, column, cause and fix."""
    located = parse_message(message) or engine_error(query)
    if located is None:
        return message
    at, detail = located
    needed, remaining = undeclared(query, at)
    if not needed:
        return f"Query parse error at {at} (line:column): {readable(detail)}.\n{excerpt(query, at)}"
    first_name, first_at = needed[0]
    text = f"Query parse error at {first_at} (line:column): the prefix {first_name}: is not declared.\n"
    text += "".join(f"Also at {pos}: the prefix {name}: is not declared.\n" for name, pos in needed[1:])
    text += excerpt(query, first_at)
    known = [(name, prefixes[name]) for name, _ in needed if name in prefixes]
    if known:
        text += "Add " + ("this line" if len(known) == 1 else "these lines") + " at the top of the query:\n"
        text += "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in known)
    for name, _ in needed:
        if name not in prefixes:
            text += f"{name}: is not a prefix this dataset knows: declare it as PREFIX {name}: <namespace IRI>\n"
    if remaining is not None:
        text += f"Even with them declared, the parser stops at {remaining[0]}: {readable(remaining[1])}.\n"
    return text
