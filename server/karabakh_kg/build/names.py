"""Name mentions: every occurrence of a named entity's name, and the words that refer back to it.

`data/mentions/names.tsv` lists, per resource, the words that name it (`name`) or refer to it
without naming it (`coreference`: "it", "his forces", "the president"), and words deliberately not
a mention of anything (`not a mention`: the adjectives "Azerbaijani", "Russian", …, with why). An
empty `context` means every occurrence of the words (whole words only); otherwise the words are
taken inside each occurrence of the context, which must occur verbatim. The build grounds each
occurrence (a `kgo:NameMention` or `kgo:CoreferenceMention`, oa:identifying, with prefix, suffix,
occurrence index and offsets) and fails, naming `file:line`, when

- a row's words or context are not in the article, or the words are not inside the context;
- an occurrence of a watched string is neither inside a mention nor listed as not a mention. The
  watched strings are the labels (`rdfs:label`, `skos:altLabel`) of every agent, region, position
  and agreement of the facts, and the words of every row of the list.

A mention inside another mention of the same resource ("Aghdam" in "Aghdam region") is left out.
These mentions name; they support no statement (the evidence spans do, `build/statements.py`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from karabakh_kg.build.grounding import Article, add_span, occurrences
from karabakh_kg.errors import InputError
from karabakh_kg.namespaces import OA, IRIs

KINDS = ("name", "coreference", "not a mention")
COLUMNS = ("words", "context", "resource", "kind", "note")


@dataclass(frozen=True)
class Row:
    line: int
    words: str
    context: str
    resource: str
    kind: str
    note: str


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    row: Row


def read(path: Path) -> list[Row]:
    """The rows of a names file, or InputError naming each bad line."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise InputError(f"{path}:1: the columns must be {' | '.join(COLUMNS)}")
            rows = [Row(n, *(row.get(c) or "" for c in COLUMNS)) for n, row in enumerate(reader, 2)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"{path}: cannot read ({err})") from None
    problems = []
    for row in rows:
        if row.kind not in KINDS:
            problems.append(f"{path}:{row.line}: kind {row.kind!r} is not one of {', '.join(KINDS)}")
        elif (row.kind == "not a mention") == bool(row.resource):
            problems.append(f"{path}:{row.line}: a {row.kind!r} row {'has no' if row.resource else 'names a'} resource")
        elif row.kind != "name" and not row.note:
            problems.append(
                f"{path}:{row.line}: a {row.kind!r} row needs a note saying what the words refer to and why"
            )
        if not row.words:
            problems.append(f"{path}:{row.line}: no words")
    if problems:
        raise InputError(problems)
    return rows


def whole_words(text: str, words: str) -> list[int]:
    """Every start of `words` in `text` as whole words (no letter or digit right before or after)."""
    return [m.start() for m in re.finditer(r"(?<!\w)" + re.escape(words) + r"(?!\w)", text)]


def spans(rows: list[Row], article: Article, path: Path) -> list[Span]:
    """Where each row's words are in the article; InputError for words or contexts not found."""
    text, out, problems = article.text, [], []
    for row in rows:
        if not row.context:
            starts = whole_words(text, row.words)
            if not starts:
                problems.append(
                    f"{path}:{row.line}: {row.words!r} does not occur (as whole words) in {article.path.name}"
                )
            out += [Span(s, s + len(row.words), row) for s in starts]
            continue
        inside = whole_words(row.context, row.words)
        contexts = occurrences(text, row.context)
        if not inside:
            problems.append(f"{path}:{row.line}: {row.words!r} is not inside its context {row.context!r}")
        elif not contexts:
            problems.append(
                f"{path}:{row.line}: the context {row.context!r} does not occur verbatim in {article.path.name}"
            )
        else:
            out += [Span(c + inside[0], c + inside[0] + len(row.words), row) for c in contexts]
    if problems:
        raise InputError(problems)
    return out


def watched(facts: Graph, ontology: Graph, iris: IRIs, rows: list[Row]) -> set[str]:
    """The strings whose every occurrence must be decided: labels of named things and listed words."""
    kgo = iris.kgo
    kinds = {kgo.Agent, kgo.Region, kgo.Position, kgo.Agreement}
    classes = set()
    for top in kinds:
        classes |= set(ontology.transitive_subjects(RDFS.subClassOf, top))
    out = {row.words for row in rows}
    for resource, cls in facts.subject_objects(RDF.type):
        if cls in classes:
            out |= {str(label) for p in (RDFS.label, SKOS.altLabel) for label in facts.objects(resource, p)}
    return out


def article_line(text: str, at: int) -> str:
    """`line:column` (1-based) of a character offset."""
    line = text.count("\n", 0, at) + 1
    return f"{line}:{at - (text.rfind(chr(10), 0, at) + 1) + 1}"


def ground(facts: Graph, ontology: Graph, article: Article, iris: IRIs, path: Path) -> Graph:
    """Name and coreference mentions of every listed occurrence; InputError for an undecided one."""
    kgo, text = iris.kgo, article.text
    rows = read(path)
    found = spans(rows, article, path)
    problems = []
    for row in rows:
        if row.resource and iris.kg[row.resource] not in set(facts.subjects()):
            problems.append(f"{path}:{row.line}: <{iris.kg[row.resource]}> is not a resource of the facts")
    for words in sorted(watched(facts, ontology, iris, rows)):
        for start in whole_words(text, words):
            end = start + len(words)
            if not any(s.start <= start and end <= s.end for s in found):
                problems.append(
                    f"{article.path}:{article_line(text, start)}: {words!r} (characters {start}–{end}) is not a mention"
                    f" of anything: add a row to {path} (name or coreference), or one saying it is not a mention and why"
                )
    if problems:
        raise InputError(problems)
    mentions = [s for s in found if s.row.resource]
    kept = [
        s
        for s in mentions
        if not any(
            o is not s
            and o.row.resource == s.row.resource
            and o.start <= s.start
            and s.end <= o.end
            and (o.end - o.start) > (s.end - s.start)
            for o in mentions
        )
    ]
    graph, numbers = Graph(), {}
    for s in sorted({(s.start, s.end, s.row.resource, s.row.kind): s for s in kept}.values(), key=_order):
        resource = iris.kg[s.row.resource]
        coreference = s.row.kind == "coreference"
        number = numbers[(resource, coreference)] = numbers.get((resource, coreference), 0) + 1
        mention = URIRef(f"{resource}/{'reference' if coreference else 'name'}/{number}")
        exact = text[s.start : s.end]
        n = occurrences(text, exact).index(s.start) + 1
        kind = kgo.CoreferenceMention if coreference else kgo.NameMention
        add_span(graph, mention, resource, article, s.start, exact, n, kgo, kind=kind, motivation=OA.identifying)
        graph.add((resource, kgo.denotedBy, mention))
        if s.row.note:
            graph.add((mention, RDFS.comment, Literal(s.row.note, lang="en")))
    return graph


def _order(span: Span) -> tuple:
    return (span.start, span.end, span.row.resource)
