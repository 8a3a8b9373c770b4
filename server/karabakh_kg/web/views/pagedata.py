"""Run the HTML views' SPARQL queries (`queries/pages/*.rq`) through the served engine.

Pages never touch a store directly: they send their queries through the same runner, deadline,
row limit and cache as `/sparql`, so they work on every engine, a remote SPARQL store included.
A page query names its parameters `$name`; they are replaced by IRIs that were checked first, and
the default public base written in the files is replaced by the base being served.

The whole-dataset figures (VoID's counts, the home page's) are the exception: the build counted them
with these same queries and wrote them with the release (karabakh_kg/figures.py); `select` reads
them from there when the release has them and the engine serves the release's own data under its
own base, and runs the query otherwise.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox

from karabakh_kg import figures as dataset_figures
from karabakh_kg import query_files, releases
from karabakh_kg.namespaces import DEFAULT_BASE
from karabakh_kg.web import answering
from karabakh_kg.web.state import state

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


class PageQueryFailed(Exception):
    """A page query could not be answered (timeout or engine failure): not the visitor's fault."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Term:
    """One RDF term from a result row: kind is `uri`, `bnode` or `literal`."""

    kind: str
    value: str
    datatype: str | None = None
    lang: str | None = None

    @property
    def is_iri(self) -> bool:
        return self.kind == "uri"

    @property
    def is_bnode(self) -> bool:
        return self.kind == "bnode"

    @property
    def is_literal(self) -> bool:
        return self.kind == "literal"

    def __str__(self) -> str:
        return self.value


def valid_iri(iri: str) -> bool:
    """True when `iri` is an absolute IRI (RFC 3987) that can be written as `<iri>` in SPARQL."""
    if not iri or ":" not in iri or _IRI_FORBIDDEN.search(iri):
        return False
    try:
        ox.NamedNode(iri)  # parses the IRI only (no query text is parsed here)
    except ValueError:
        return False
    return True


@cache
def _source(name: str) -> str:
    return query_files.load(name, "pages").text


def query_text(name: str, base: str, params: dict[str, str]) -> str:
    """The text of page query `name` for `base`, with each `$param` replaced by its IRI."""
    text = _source(name)
    if base != DEFAULT_BASE:
        text = text.replace(DEFAULT_BASE, base)
    for iri in params.values():
        if not valid_iri(iri):
            raise ValueError(f"not an IRI usable in a query: {iri!r}")

    def substitute(match: re.Match) -> str:
        key = match.group(1)
        if key not in params:
            raise KeyError(f"page query {name}.rq needs ${key}")
        return f"<{params[key]}>"

    return _PARAM.sub(substitute, text)


class UserQueryError(Exception):
    """The engine refused a visitor's query (syntax, unsupported construct): their mistake, a 400."""


def run_text(text: str, form: str, fmt: str, has_dataset_clause: bool = False) -> tuple[bytes, bool]:
    """Evaluate a query text through the one answering path (cached apart from /sparql): bytes, truncated."""
    try:
        entry = answering.run(text, form, fmt, has_dataset_clause=has_dataset_clause, scope="page")
    except answering.AnswerError as err:
        if err.kind == "query":
            raise UserQueryError(err.message) from None
        raise PageQueryFailed(503 if err.retry else 502, err.message) from None
    return entry.body, entry.truncated


def _run(name: str, form: str, fmt: str, params: dict[str, str]) -> tuple[bytes, bool]:
    text = query_text(name, state().base, params)
    try:
        return run_text(text, form, fmt)
    except UserQueryError as err:
        raise PageQueryFailed(502, f"The query engine could not answer page query {name}.rq: {err}") from None


def _term(binding: dict) -> Term:
    kind = binding["type"]
    if kind == "typed-literal":  # SPARQL JSON of older servers
        kind = "literal"
    return Term(kind, binding["value"], binding.get("datatype"), binding.get("xml:lang"))


def release_figures() -> dict | None:
    """The figures the build wrote with the served release, or None: a release without them, an
    engine that does not serve the release's store (`sparql:URL`), or another public base."""

    def read() -> dict | None:
        st = state()
        if str(st.settings.get("ENGINE", "oxigraph")).startswith("sparql:"):
            return None
        found = releases.figures(st.release)
        if found is None or found.get("format") != dataset_figures.FORMAT or found.get("base") != st.base:
            return None
        return found

    return memo("release-figures", read)


def select(name: str, **params: str) -> list[dict[str, Term]]:
    """Rows of a SELECT page query, each a dict of variable name to Term (unbound ones left out)."""
    counted = release_figures() if not params else None
    if counted is not None and name in counted["queries"]:
        bindings = counted["queries"][name]
    else:
        body, _ = _run(name, "SELECT", "json", params)
        bindings = json.loads(body)["results"]["bindings"]
    return [{var: _term(value) for var, value in row.items()} for row in bindings]


def ask(name: str, **params: str) -> bool:
    """The answer of an ASK page query."""
    body, _ = _run(name, "ASK", "json", params)
    return bool(json.loads(body)["boolean"])


def construct(name: str, fmt: str, **params: str) -> tuple[bytes, bool]:
    """A CONSTRUCT page query written in conneg format `fmt`: the bytes and whether it was cut."""
    return _run(name, "CONSTRUCT", fmt, params)


def memo(name: str, compute):
    """`compute()` once per app (an app serves one release): for page data too big for the answer cache."""
    store = state().memo
    if name not in store:
        store[name] = compute()
    return store[name]
