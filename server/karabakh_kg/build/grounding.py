"""Ground every curated quote in the article: find it verbatim, mint a mention with offsets.

Offsets count characters (Python string indices) on the raw file, header line included; quotes
are matched byte for byte, never normalised (the article mixes curly and straight quotes). A
quote that occurs more than once is grounded at every occurrence; each span's prefix, suffix and
occurrence index (W3C Web Annotation TextQuoteSelector) make it unambiguous.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from karabakh_kg.build import hints
from karabakh_kg.build.sources import line_of
from karabakh_kg.errors import InputError
from karabakh_kg.namespaces import OA, SCHEMA, IRIs

HEADER = re.compile(r"^\s*date (\d{4}-\d{2}-\d{2})\b")
CONTEXT = 32  # characters of prefix and suffix kept with each quote


@dataclass(frozen=True)
class Article:
    """The source text and what the build knows about it."""

    path: Path
    iri: URIRef
    text: str
    sha256: str
    date: str


def load_article(path: Path, iris: IRIs) -> Article:
    """Read an article file; its first line must be `date YYYY-MM-DD`."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read the article ({err.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: the article is not UTF-8 (byte {err.start})") from None
    match = HEADER.match(text)
    if not match:
        raise InputError(f"{path}:1: the article must start with a line `date YYYY-MM-DD`")
    return Article(path, iris.kg[f"article/{path.stem}"], text, hashlib.sha256(raw).hexdigest(), match.group(1))


RIGHTS = (
    "The article's text and every quote of it belong to its publisher (not named in the source): all rights"
    " reserved by the publisher. They are included only so that each statement can be checked against its"
    " words, and are not covered by the licence of the project's own statements (CC BY 4.0)."
)


def describe_article(article: Article, iris: IRIs, with_text: bool = True) -> Graph:
    """The article as a schema:NewsArticle / prov:Entity with its date, checksum, rights and (unless
    left out) its full text."""
    kgo = iris.kgo
    g = Graph()
    a = article.iri
    g.add((a, RDF.type, kgo.Article))
    g.add((a, RDFS.label, Literal(f"News article of {article.date}", lang="en")))
    g.add((a, SCHEMA.datePublished, Literal(article.date, datatype=XSD.date)))
    g.add((a, SCHEMA.inLanguage, Literal("en")))
    if with_text:
        g.add((a, SCHEMA.text, Literal(article.text)))
    g.add((a, DCTERMS.rights, Literal(RIGHTS, lang="en")))
    g.add((a, kgo.sha256, Literal(article.sha256)))
    g.add((a, kgo.characters, Literal(len(article.text), datatype=XSD.integer)))
    g.add((a, DCTERMS.identifier, Literal(article.path.name)))
    g.add((a, kgo.quote, Literal(article.text[: article.text.index(article.date) + len(article.date)].strip())))
    return g


def ground(facts: Graph, article: Article, iris: IRIs, fact_files: list[Path]) -> Graph:
    """Mint one mention per occurrence of each (resource, quote); raise InputError for every quote not in the article.

    Mentions of first occurrences are numbered first, in text order, so their IRIs do not move
    when a later occurrence of the same words is grounded too.
    """
    kgo, text = iris.kgo, article.text
    mentions, problems = Graph(), []
    by_resource: dict[URIRef, list[tuple[int, str]]] = {}
    for resource, quote in sorted(facts.subject_objects(kgo.quote)):
        exact = str(quote)
        if not occurrences(text, exact):
            problems.append(
                f"{where(fact_files, exact)}{resource.n3(facts.namespace_manager)}: quote not found verbatim in {article.path.name}: {exact!r}"
                + hints.nearest_passage(exact, text)
            )
            continue
        by_resource.setdefault(resource, []).append(exact)
    if problems:
        raise InputError(problems)
    for resource, quotes in by_resource.items():
        found = {exact: occurrences(text, exact) for exact in quotes}
        first = sorted((starts[0], exact, 1) for exact, starts in found.items())
        later = sorted((start, exact, n) for exact, starts in found.items() for n, start in enumerate(starts[1:], 2))
        for number, (start, exact, n) in enumerate(first + later, 1):
            add_span(mentions, URIRef(f"{resource}/mention/{number}"), resource, article, start, exact, n, kgo)
            mentions.add((resource, kgo.denotedBy, URIRef(f"{resource}/mention/{number}")))
    return mentions


def occurrences(text: str, exact: str) -> list[int]:
    """Every start of `exact` in `text` (overlapping occurrences included), in text order."""
    starts, at = [], text.find(exact) if exact else -1
    while at >= 0:
        starts.append(at)
        at = text.find(exact, at + 1)
    return starts


def add_span(
    g: Graph,
    m: URIRef,
    body,
    article: Article,
    start: int,
    exact: str,
    occurrence: int,
    kgo,
    kind=None,
    motivation=None,
) -> None:
    """A W3C Web Annotation on the article: a mention (oa:identifying) or an evidence span (oa:describing)."""
    end = start + len(exact)
    target, quote_sel, position_sel = URIRef(f"{m}#target"), URIRef(f"{m}#quote"), URIRef(f"{m}#position")
    evidence = motivation is None and kind is not None and kind != kgo.Mention
    g.add((m, RDF.type, kind or kgo.Mention))
    g.add((m, RDFS.label, Literal(f"“{exact}” ({start}–{end})", lang="en")))
    g.add((m, OA.hasBody, body))
    g.add((m, kgo.inArticle, article.iri))
    g.add((m, OA.motivatedBy, motivation or (OA.describing if evidence else OA.identifying)))
    g.add((m, OA.hasTarget, target))
    g.add((target, RDF.type, OA.SpecificResource))
    g.add((target, OA.hasSource, article.iri))
    g.add((target, OA.hasSelector, quote_sel))
    g.add((target, OA.hasSelector, position_sel))
    g.add((quote_sel, RDF.type, OA.TextQuoteSelector))
    g.add((quote_sel, OA.exact, Literal(exact)))
    g.add((quote_sel, OA.prefix, Literal(article.text[max(0, start - CONTEXT) : start])))
    g.add((quote_sel, OA.suffix, Literal(article.text[end : end + CONTEXT])))
    g.add((quote_sel, kgo.occurrence, Literal(occurrence, datatype=XSD.positiveInteger)))
    g.add((position_sel, RDF.type, OA.TextPositionSelector))
    g.add((position_sel, OA.start, Literal(start, datatype=XSD.nonNegativeInteger)))
    g.add((position_sel, OA.end, Literal(end, datatype=XSD.nonNegativeInteger)))


def where(files: list[Path], exact: str) -> str:
    """`file:line: ` of the quote's literal in the curated files, when it can be found."""
    for path in files:
        line = line_of(path, exact[:60])
        if line:
            return f"{path}:{line}: "
    return ""
