"""Provenance on pages: each mention's exact quote highlighted in the article's own text.

Offsets (oa:TextPositionSelector, end exclusive) index the article's full text (schema:text). They
are trusted only when the text at those offsets is the exact quote; otherwise the quote is looked
for with its prefix and suffix (oa:TextQuoteSelector), and shown unhighlighted if not found.
Markup is built here with `markupsafe`, which escapes every piece of text it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, url_for
from markupsafe import Markup, escape

from karabakh_kg.web.views import pagedata, weblinks

CONTEXT = 240  # characters of text shown around a quote on a resource page
DESCRIBING = "http://www.w3.org/ns/oa#describing"  # words that support a statement, not a name
KGO = "https://w3id.org/karabakh-kg/ontology#"
KINDS = {KGO + "NameMention": "name", KGO + "CoreferenceMention": "coreference"}  # else a quote (or evidence)
SAYS = {"name": "names: ", "coreference": "refers to: ", "quote": "quoted for: ", "evidence": "supports: "}


@dataclass
class ArticleText:
    iri: str
    text: str
    label: str | None
    date: str | None

    @property
    def page(self) -> str | None:
        return article_page(self.iri)


@dataclass
class Quote:
    """One mention as shown on a resource page."""

    mention: str
    article: str
    exact: str | None
    start: int | None
    end: int | None
    context: Markup | None  # the surrounding text with the quote in <mark>
    located: bool

    @property
    def anchor(self) -> str | None:
        return anchor(self.start, self.end) if self.located else None

    @property
    def page(self) -> str | None:
        return article_page(self.article)


@dataclass
class Segment:
    """A run of article text covered by the same set of mentions."""

    text: str
    start: int
    marks: list[dict] = field(default_factory=list)
    anchors: list[str] = field(default_factory=list)


def anchor(start: int | None, end: int | None) -> str:
    """The fragment naming a span of the article (RFC 5147 style): `char=534,549`."""
    return f"char={start},{end}"


def article_page(iri: str) -> str | None:
    """The local article page for an article IRI under <base>id/article/, else None."""
    prefix = weblinks.base() + "id/article/"
    if not iri.startswith(prefix):
        return None
    return url_for("pages.article", article_id=iri[len(prefix) :])


def article(iri: str) -> ArticleText | None:
    """The article's text and title (fetched once per request)."""
    cached = g.setdefault("_karabakh_articles", {})
    if iri not in cached:
        rows = pagedata.select("article-text", article=iri) if pagedata.valid_iri(iri) else []
        if rows:
            row = rows[0]
            cached[iri] = ArticleText(iri, row["text"].value, _value(row.get("label")), _value(row.get("date")))
        else:
            cached[iri] = None
    return cached[iri]


def _value(term) -> str | None:
    return term.value if term is not None else None


def _int(term) -> int | None:
    try:
        return int(term.value) if term is not None else None
    except ValueError:
        return None


def locate(
    text: str,
    exact: str | None,
    start: int | None,
    end: int | None,
    prefix: str | None = None,
    suffix: str | None = None,
) -> tuple[int, int] | None:
    """The verified (start, end) of a quote in `text`, or None when it cannot be found."""
    if start is not None and end is not None and 0 <= start <= end <= len(text):
        if exact is None or text[start:end] == exact:
            return start, end
    if not exact:
        return None
    if prefix is not None or suffix is not None:
        found = text.find((prefix or "") + exact + (suffix or ""))
        if found >= 0:
            return found + len(prefix or ""), found + len(prefix or "") + len(exact)
    found = text.find(exact)
    return (found, found + len(exact)) if found >= 0 else None


def highlight(text: str, start: int, end: int, context: int = CONTEXT) -> Markup:
    """The text around [start, end) with that span in <mark>, cut at paragraph breaks."""
    left = max(text.rfind("\n", 0, start) + 1, start - context)
    right_break = text.find("\n", end)
    right = min(right_break if right_break >= 0 else len(text), end + context)
    before = ("…" if left > 0 and text[left - 1] != "\n" else "") + text[left:start]
    after = text[end:right] + ("…" if right < len(text) and text[right] != "\n" else "")
    return Markup("{}<mark>{}</mark>{}").format(before, text[start:end], after)


def quote_of(row: dict) -> Quote:
    """One span of a page-query row (mention, article, exact, prefix, suffix, start, end), highlighted."""
    art = row["article"].value
    exact = _value(row.get("exact"))
    start, end = _int(row.get("start")), _int(row.get("end"))
    doc = article(art)
    span = locate(doc.text, exact, start, end, _value(row.get("prefix")), _value(row.get("suffix"))) if doc else None
    if span:
        return Quote(row["mention"].value, art, exact, span[0], span[1], highlight(doc.text, *span), True)
    return Quote(row["mention"].value, art, exact, start, end, None, False)


def for_resource(iri: str) -> list[Quote]:
    """The mentions of a resource (or the resource itself when it is a mention), highlighted."""
    out = [quote_of(row) for row in pagedata.select("resource-mentions", this=iri)]
    seen, unique = set(), []
    for quote in out:
        if quote.mention not in seen:
            seen.add(quote.mention)
            unique.append(quote)
    return unique


def segments(text: str, rows: list[dict]) -> tuple[list[Segment], list[dict]]:
    """Cut an article into runs covered by the same mentions; also return the mentions as placed.

    Each run links to the resource of its narrowest mention and names every resource it stands
    for in its title, so nested and overlapping mentions all stay visible without nested links.
    """
    mentions = []
    for row in rows:
        exact = _value(row.get("exact"))
        span = locate(text, exact, _int(row.get("start")), _int(row.get("end")))
        if span is None or span[0] == span[1]:
            continue
        resource = row["resource"].value
        mentions.append(
            {
                "mention": row["mention"].value,
                "resource": resource,
                "start": span[0],
                "end": span[1],
                "label": _value(row.get("label")) or weblinks.curie(resource),
                "exact": text[span[0] : span[1]],
                "evidence": _value(row.get("motivation")) == DESCRIBING,
                "kind": "evidence"
                if _value(row.get("motivation")) == DESCRIBING
                else KINDS.get(_value(row.get("kind")) or "", "quote"),
            }
        )
    mentions.sort(key=lambda m: (m["start"], m["end"], m["resource"]))
    bounds = sorted({0, len(text)} | {m["start"] for m in mentions} | {m["end"] for m in mentions})
    out = []
    anchored = set()
    for a, b in zip(bounds, bounds[1:], strict=False):
        covering = [m for m in mentions if m["start"] <= a and m["end"] >= b]
        covering.sort(key=lambda m: (m["evidence"], m["end"] - m["start"], m["kind"] == "quote", m["resource"]))
        seg = Segment(text[a:b], a, covering)
        for m in mentions:
            name = anchor(m["start"], m["end"])
            if m["start"] == a and name not in anchored:
                anchored.add(name)
                seg.anchors.append(name)
        out.append(seg)
    return out, mentions


def render_segments(segs: list[Segment]) -> Markup:
    """The article text as markup: each mentioned run a link to what it names or refers to (else to the
    statement it supports), its title listing what it names, refers to, is quoted for and supports;
    all text escaped."""
    parts = []
    for seg in segs:
        for name in seg.anchors:
            parts.append(Markup('<span class="anchor" id="{}"></span>').format(name))
        if not seg.marks:
            parts.append(escape(seg.text))
            continue
        target = seg.marks[0]
        names = []
        for m in seg.marks:
            name = SAYS[m["kind"]] + m["label"]
            if name not in names:
                names.append(name)
        link = weblinks.href(target["resource"]) or ""
        depth = min(len(seg.marks), 3)
        kind = {"evidence": "evidence", "coreference": "coreference"}.get(target["kind"], "name")
        parts.append(
            Markup('<a class="mention {} depth-{}" href="{}" title="{}">{}</a>').format(
                kind, depth, link, "; ".join(names), seg.text
            )
        )
    return Markup("").join(parts)
