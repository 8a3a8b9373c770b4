"""Gather what a resource page shows: label, types by graph, statements both ways, links, quotes,
and what is said about the resource: each statement with its voice and the words that support it.

All data comes from the page queries; this module only groups rows for the templates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import RDF

from karabakh_kg.web.views import pagedata, quotes
from karabakh_kg.web.views.pagedata import Term

RDF_TYPE = str(RDF.type)
LABELS = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "https://schema.org/name",
)
DESCRIPTIONS = (
    "http://www.w3.org/2004/02/skos/core#definition",
    "http://www.w3.org/2000/01/rdf-schema#comment",
    "https://schema.org/description",
)
LINK_PROPERTIES = {
    "http://www.w3.org/2004/02/skos/core#exactMatch": "exact match",
    "http://www.w3.org/2004/02/skos/core#closeMatch": "close match",
    "http://www.w3.org/2002/07/owl#sameAs": "same as",
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": "see also",
}
LONG_TEXT = 400  # literals longer than this are folded (the article's full text)
INCOMING_SHOWN = 200  # statements pointing at a resource shown on its page (resource-incoming.rq asks for one more)
SAID_SHOWN = 200  # statements about a resource shown on its page (resource-statements.rq asks for one more)


@dataclass
class Value:
    """One value of a property, with the graphs that state it and the nested blank node, if any."""

    term: Term
    label: str | None
    graphs: list[str] = field(default_factory=list)
    nested: list[Statement] | None = None

    @property
    def long(self) -> bool:
        return self.term.is_literal and len(self.term.value) > LONG_TEXT


@dataclass
class Statement:
    """A property with all its values (outgoing) or all its subjects (incoming)."""

    predicate: Term
    label: str | None
    values: list[Value]
    via: Term | None = None
    via_label: str | None = None


@dataclass
class Said:
    """One statement about a resource as a page shows it: the triple, whose voice, which words."""

    iri: str
    label: str | None
    subject: Term
    subject_label: str | None
    predicate: Term
    predicate_label: str | None
    value: Term
    value_label: str | None
    voice: Term
    voice_label: str | None
    own_voice: bool
    attribution: list[str]
    note: str | None
    spans: list[quotes.Quote] = field(default_factory=list)


@dataclass
class Description:
    iri: str
    label: str | None
    descriptions: list[Term]
    asserted_types: list[tuple[Term, str | None]]
    inferred_types: list[tuple[Term, str | None]]
    other_types: list[tuple[Term, str | None, str]]
    outgoing: list[Statement]
    incoming: list[Statement]
    links: list[tuple[str, Term, str]]
    mentions: list[quotes.Quote]
    said: list[Said] = field(default_factory=list)
    truncated: bool = False
    incoming_more: bool = False  # more than INCOMING_SHOWN statements point here (the page links a query)
    said_more: bool = False  # more than SAID_SHOWN statements are about it (the page links a query)


def graph_name(g: Term | None, base: str) -> str:
    """`asserted`, `inferred`, `ontology`, `links` for the project's graphs; the IRI otherwise."""
    if g is None:
        return "default"
    prefix = base + "graph/"
    return g.value[len(prefix) :] if g.value.startswith(prefix) else g.value


def _str(term: Term | None) -> str | None:
    return term.value if term is not None else None


def _outgoing(rows: list[dict[str, Term]], base: str, iri: str) -> list[Statement]:
    by_subject: dict[Term | None, dict[Term, dict[Term, Value]]] = defaultdict(lambda: defaultdict(dict))
    labels: dict[Term, str | None] = {}
    for row in rows:
        subject, p, o = row.get("via"), row["p"], row["o"]
        labels.setdefault(p, _str(row.get("pLabel")))
        value = by_subject[subject][p].get(o)
        if value is None:
            value = by_subject[subject][p][o] = Value(o, _str(row.get("oLabel")))
        name = graph_name(row.get("g"), base)
        if name not in value.graphs:
            value.graphs.append(name)

    def statements(subject: Term | None, seen: frozenset) -> list[Statement]:
        out = []
        for p, values in by_subject.get(subject, {}).items():
            for value in values.values():
                value.graphs.sort()
                own = value.term.is_bnode or value.term.value.startswith(iri + "#")  # parts of this resource
                if own and value.term in by_subject and value.term not in seen:
                    value.nested = statements(value.term, seen | {value.term})
            out.append(Statement(p, labels.get(p), sorted(values.values(), key=_value_key)))
        out.sort(key=lambda s: (s.predicate.value != RDF_TYPE, (s.label or s.predicate.value).lower()))
        return out

    return statements(None, frozenset())


def _value_key(value: Value) -> tuple:
    return (value.term.kind, (value.label or value.term.value).lower(), value.term.value)


def _incoming(rows: list[dict[str, Term]], base: str) -> list[Statement]:
    grouped: dict[tuple, dict[Term, Value]] = defaultdict(dict)
    labels: dict[Term, str | None] = {}
    for row in rows:
        p, via = row["p"], row.get("via")
        labels.setdefault(p, _str(row.get("pLabel")))
        key = (p, via)
        value = grouped[key].get(row["s"])
        if value is None:
            value = grouped[key][row["s"]] = Value(row["s"], _str(row.get("sLabel")))
        name = graph_name(row.get("g"), base)
        if name not in value.graphs:
            value.graphs.append(name)
    out = [
        Statement(p, labels.get(p), sorted(values.values(), key=_value_key), via)
        for (p, via), values in grouped.items()
    ]
    out.sort(key=lambda s: ((s.label or s.predicate.value).lower(), s.via.value if s.via else ""))
    return out


def _pick_label(rows: list[dict[str, Term]]) -> str | None:
    for prop in LABELS:
        for lang in ("en", None, ...):
            for row in rows:
                if "via" in row or row["p"].value != prop or not row["o"].is_literal:
                    continue
                if lang is ... or row["o"].lang == lang or (lang is None and not row["o"].lang):
                    return row["o"].value
    return None


def describe(iri: str, base: str) -> Description:
    """Everything the resource page of `iri` shows."""
    types = pagedata.select("resource-types", this=iri)
    out_rows = pagedata.select("resource-outgoing", this=iri)
    in_rows, incoming_more = _first_incoming(pagedata.select("resource-incoming", this=iri))
    said = said_about(iri)
    asserted, inferred, other = [], [], []
    for row in types:
        name = graph_name(row.get("g"), base)
        entry = (row["type"], _str(row.get("label")))
        if name == "asserted":
            asserted.append(entry)
        elif name == "inferred":
            inferred.append(entry)
        else:
            other.append(entry + (name,))
    asserted_set = {t for t, _ in asserted}
    inferred = [t for t in inferred if t[0] not in asserted_set]
    descriptions = []
    for prop in DESCRIPTIONS:
        for row in out_rows:
            if "via" not in row and row["p"].value == prop and row["o"] not in descriptions:
                descriptions.append(row["o"])
    links = []
    for row in out_rows:
        kind = LINK_PROPERTIES.get(row["p"].value)
        if "via" not in row and kind and row["o"].is_iri:
            entry = (kind, row["o"], graph_name(row.get("g"), base))
            if entry not in links:
                links.append(entry)
    links.sort(key=lambda link: (link[0], link[1].value))
    return Description(
        iri=iri,
        label=_pick_label(out_rows),
        descriptions=descriptions,
        asserted_types=sorted(asserted, key=lambda t: t[0].value),
        inferred_types=sorted(inferred, key=lambda t: t[0].value),
        other_types=sorted(other, key=lambda t: (t[2], t[0].value)),
        outgoing=_outgoing(out_rows, base, iri),
        incoming=_incoming(in_rows, base),
        links=links,
        mentions=quotes.for_resource(iri),
        said=said[:SAID_SHOWN],
        incoming_more=incoming_more,
        said_more=len(said) > SAID_SHOWN,
    )


def _first_incoming(rows: list[dict[str, Term]]) -> tuple[list[dict[str, Term]], bool]:
    """INCOMING_SHOWN of the (subject, link, property, graph) the query found (the first by property,
    link and subject of those), and whether there were more (the query returns one more than is shown)."""

    def key(row):
        return tuple(row[n].value if n in row else "" for n in ("p", "via", "s", "g"))

    keys = sorted({key(row) for row in rows})
    if len(keys) <= INCOMING_SHOWN:
        return rows, False
    kept = set(keys[:INCOMING_SHOWN])
    return [row for row in rows if key(row) in kept], True


def said_about(iri: str) -> list[Said]:
    """The statements whose subject or value is `iri` (the first SAID_SHOWN + 1 the engine finds), the
    article's own voice first, each with its spans."""
    out: dict[str, Said] = {}
    for row in pagedata.select("resource-statements", this=iri):
        key = row["statement"].value
        said = out.get(key)
        if said is None:
            values = [_str(row.get(name)) for name in ("certainty", "polarity", "temporalStatus")]
            said = out[key] = Said(
                key,
                _str(row.get("label")),
                row["s"],
                _str(row.get("sLabel")),
                row["p"],
                _str(row.get("pLabel")),
                row["o"],
                _str(row.get("oLabel")),
                row["voice"],
                _str(row.get("voiceLabel")),
                _str(row.get("own")) == "true",
                [v for v in values if v],
                _str(row.get("note")),
            )
        if "mention" in row and not any(q.mention == row["mention"].value for q in said.spans):
            said.spans.append(quotes.quote_of(row))
    return list(out.values())
