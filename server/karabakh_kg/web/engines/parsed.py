"""A real SPARQL parse (rdflib's), for the paths where the cheap token check is not enough.

The local engines run in sandboxed query processes, so a query the token check misreads still
cannot reach the network. A remote store has no such sandbox on its side: there every query is
parsed for real before it is forwarded, SERVICE anywhere in the parse tree is refused, and what
is forwarded is the text that was parsed — its `\\u` escapes already replaced (SPARQL 1.1 §19.2),
so the store cannot read the escapes differently from the check. rdflib's parser is not
thread-safe and costs milliseconds: it runs under one lock, and only on these paths.
"""

from __future__ import annotations

import threading

from pyparsing import ParseException, ParseResults
from rdflib.plugins.sparql import parser
from rdflib.plugins.sparql.parserutils import CompValue

from karabakh_kg.web.engines import QueryError

LOCK = threading.Lock()  # rdflib's (pyparsing's) parser is shared state
SERVICE_REFUSED = "SERVICE is refused: this endpoint never sends a request elsewhere."


def uses_service(node) -> bool:
    """True when a parse tree or algebra of rdflib holds a SERVICE pattern."""
    if isinstance(node, CompValue):
        return node.name == "ServiceGraphPattern" or any(uses_service(v) for v in dict.values(node))
    if isinstance(node, (list, tuple, ParseResults)):
        return any(uses_service(v) for v in node)
    return False


def forwardable(query: str) -> str:
    """The query text to send to a remote store, after a full parse; raise QueryError if refused."""
    text = parser.expandUnicodeEscapes(query)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # an escape of half a surrogate pair names no character
        raise QueryError(f"Query parse error: \\u escape at character {err.start} is not a Unicode character") from None
    try:
        with LOCK:
            tree = parser.parseQuery(text)
    except ParseException as err:
        raise QueryError(f"Query parse error at {err.lineno}:{err.column}: {err.msg}") from None
    except Exception as err:  # noqa: BLE001 - rdflib raises plain exceptions for some malformed queries
        raise QueryError(f"Query parse error: {err}") from None
    if uses_service(tree):
        raise QueryError(SERVICE_REFUSED)
    return text
