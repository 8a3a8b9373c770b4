"""Turn a build error into what to do: where it is, what was probably meant, what differs.

Each function takes what the check already found and returns text to add to its message; none
decides whether the build fails. Lines are located by searching the curated files for the term as
written (`kgo:Grup`), so a hint may lack a file:line but is never wrong about one it gives.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import deque
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection

from karabakh_kg import prefixes
from karabakh_kg.namespaces import DEFAULT_BASE

DECLARATIONS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
CONTEXT = 24  # characters of the article shown on each side of a differing quote


def short(term, base: str = DEFAULT_BASE) -> str:
    """`kgo:Group` for an IRI the prefix table knows; `<IRI>` otherwise; literals as Turtle."""
    if isinstance(term, URIRef):
        return prefixes.short(str(term), prefixes.table(base))
    return term.n3() if hasattr(term, "n3") else str(term)


def _term(token: str) -> re.Pattern:
    """A prefixed name as a whole term (not part of a longer name)."""
    return re.compile(r"(?<![\w:#/.-])" + re.escape(token) + r"(?![\w-])")


def _lines(files: list[Path]):
    """(path, 1-based line number, line) of every readable file."""
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        yield from ((path, number, line) for number, line in enumerate(lines, 1))


def where(files: list[Path], *tokens: str) -> str:
    """`file:line: ` of the first line using every token (prefixed names) as a whole term, or ``."""
    patterns = [_term(t) for t in tokens]
    for path, number, line in _lines(files):
        code = line if line.lstrip().startswith("<") else line.split(" #", 1)[0]
        if all(p.search(code) for p in patterns):
            return f"{path}:{number}: "
    return ""


def where_said(files: list[Path], subject: str, *tokens: str) -> str:
    """`file:line: ` of the line in `subject`'s Turtle block that holds the tokens (predicate, object)."""
    head, patterns = re.compile(r"^" + re.escape(subject) + r"(?![\w-])"), [_term(t) for t in tokens]
    block: Path | None = None
    for path, number, line in _lines(files):
        if head.match(line):
            block = path
        elif block != path:
            continue
        if all(p.search(line) for p in patterns):
            return f"{path}:{number}: "
        if line.rstrip().endswith(" .") or not line.strip():
            block = None
    return where(files, subject, *tokens) or where(files, *tokens)


# --- undeclared terms -----------------------------------------------------------------------------


def did_you_mean(term: URIRef, graph: Graph, base: str = DEFAULT_BASE) -> str:
    """` — did you mean `kgo:Group`?` when a declared term of the same namespace is spelled alike."""
    namespace = str(term).rsplit("#", 1)[0] + "#" if "#" in str(term) else str(term).rsplit("/", 1)[0] + "/"
    declared = {
        str(s)[len(namespace) :]: s
        for kind in DECLARATIONS
        for s in graph.subjects(RDF.type, kind)
        if isinstance(s, URIRef) and str(s).startswith(namespace)
    }
    close = difflib.get_close_matches(str(term)[len(namespace) :], list(declared), n=1, cutoff=0.6)
    return f" — did you mean `{short(declared[close[0]], base)}`?" if close else ""


# --- labels ---------------------------------------------------------------------------------------


def label_language(graph: Graph, node, path) -> str:
    """What is wrong with a resource's labels when an English one is required."""
    if path != RDFS.label:
        return ""
    labels = [o for o in graph.objects(node, RDFS.label) if isinstance(o, Literal)]
    if not labels:
        return ' — add a label: rdfs:label "…"@en'
    untagged = [o for o in labels if not o.language]
    if untagged:
        text = str(untagged[0])
        return f' — the label "{text}" has no language tag: write "{text}"@en'
    other = labels[0]
    return f' — the label "{other}" is tagged @{other.language}: add "…"@en'


# --- quotes ---------------------------------------------------------------------------------------


def _char(c: str) -> str:
    return f"{c!r} (U+{ord(c):04X} {unicodedata.name(c, 'unnamed')})"


def nearest_passage(quote: str, text: str) -> str:
    """The article's passage most like `quote`, with the characters that differ marked `[...]`."""
    if not quote or not text:
        return ""
    matcher = difflib.SequenceMatcher(None, text, quote, autojunk=False)
    starts = set()
    for block in sorted(matcher.get_matching_blocks(), key=lambda b: -b.size)[:5]:
        if block.size:
            starts.add(max(0, block.a - block.b))
    best, best_ratio = None, 0.0
    for start in starts:
        for width in {len(quote) - 2, len(quote), len(quote) + 2}:
            window = text[start : start + max(width, 1)]
            ratio = difflib.SequenceMatcher(None, window, quote, autojunk=False).ratio()
            if ratio > best_ratio:
                best, best_ratio = (start, window), ratio
    if best is None or best_ratio < 0.6:
        return "\n    no passage of the article is close to it: check that it comes from this article"
    start, passage = best
    marked_article, marked_quote, notes = [], [], []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, passage, quote, autojunk=False).get_opcodes():
        if op == "equal":
            marked_article.append(passage[a1:a2])
            marked_quote.append(quote[b1:b2])
            continue
        marked_article.append(f"[{passage[a1:a2]}]")
        marked_quote.append(f"[{quote[b1:b2]}]")
        if a2 - a1 == 1 and b2 - b1 == 1:
            notes.append(f"the quote has {_char(quote[b1])} where the article has {_char(passage[a1])}")
        else:
            notes.append(f"the quote has {quote[b1:b2]!r} where the article has {passage[a1:a2]!r}")
    lines = [
        f"\n    nearest passage (article characters {start}–{start + len(passage)}), differences in [brackets]:",
        f"    article: {''.join(marked_article)}",
        f"    quote:   {''.join(marked_quote)}",
    ]
    lines += [f"    {note}" for note in notes[:5]]
    return "\n".join(lines)


# --- OWL clashes ----------------------------------------------------------------------------------

_DISJOINT = re.compile(r"Disjoint classes (\S+) and (\S+) have a common individual (\S+)")


def _superclasses(ontology: Graph) -> dict:
    """Each class -> every class it is a subclass of (itself included)."""
    direct: dict = {}
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        direct.setdefault(sub, set()).add(sup)
    closure = {}
    for start in set(direct) | {o for v in direct.values() for o in v}:
        seen, queue = {start}, deque([start])
        while queue:
            for sup in direct.get(queue.popleft(), ()):
                if sup not in seen:
                    seen.add(sup)
                    queue.append(sup)
        closure[start] = seen
    return closure


def _subproperties(ontology: Graph, prop) -> set:
    """`prop` and every property it is a subproperty of."""
    seen, queue = {prop}, deque([prop])
    while queue:
        for sup in ontology.objects(queue.popleft(), RDFS.subPropertyOf):
            if sup not in seen:
                seen.add(sup)
                queue.append(sup)
    return seen


def why_member(node, cls, ontology: Graph, asserted: Graph, files: list[Path], base: str) -> list[str]:
    """The asserted triples and the axioms that make `node` a member of `cls` (one step deep)."""
    supers = _superclasses(ontology)
    reasons = []

    def within(c) -> bool:
        return cls in supers.get(c, {c})

    def chain(c) -> str:
        return "" if c == cls else f" (and {short(c, base)} rdfs:subClassOf {short(cls, base)})"

    for c in asserted.objects(node, RDF.type):
        if within(c):
            located = where_said(files, short(node, base), short(c, base))
            reasons.append(f"{located}{short(node, base)} a {short(c, base)}{chain(c)}")
    for axiom, position in ((RDFS.domain, "subject"), (RDFS.range, "object")):
        pairs = (
            asserted.predicate_objects(node)
            if position == "subject"
            else ((p, s) for s, p in asserted.subject_predicates(node))
        )
        for p, other in pairs:
            for q in _subproperties(ontology, p):
                for c in ontology.objects(q, axiom):
                    if not within(c):
                        continue
                    triple = [short(t, base) for t in ((node, p, other) if position == "subject" else (other, p, node))]
                    rule = [short(t, base) for t in (q, axiom, c)]
                    reasons.append(
                        f"{where_said(files, *triple)}{' '.join(triple)} — with the axiom "
                        f"{where_said(files, *rule)}{' '.join(rule)}{chain(c)}"
                    )
    return reasons or [f"(no single asserted triple: {short(node, base)} is a {short(cls, base)} by a longer chain)"]


def explain_clash(message: str, ontology: Graph, asserted: Graph, files: list[Path], base: str = DEFAULT_BASE) -> str:
    """An owlrl disjointness message rewritten: the resource, the two classes, and why it is in each."""
    found = _DISJOINT.search(message)
    if not found:
        return message
    first, second, node = (URIRef(found.group(i)) for i in (1, 2, 3))
    lines = [
        f"{message[: found.start()]}{short(node, base)} is both {short(first, base)} and {short(second, base)}, "
        f"which the ontology declares disjoint{_disjointness(first, second, ontology, files, base)}:"
    ]
    for cls in (first, second):
        for reason in why_member(node, cls, ontology, asserted, files, base):
            lines.append(f"    {short(cls, base)} because {reason}")
    return "\n".join(lines)


def _disjointness(a, b, ontology: Graph, files: list[Path], base: str) -> str:
    """` (owl:AllDisjointClasses at ontology/karabakh.ttl:395)`: the axiom that makes them disjoint."""
    if (a, OWL.disjointWith, b) in ontology or (b, OWL.disjointWith, a) in ontology:
        kind = "owl:disjointWith"
    elif any(
        {a, b} <= set(Collection(ontology, ontology.value(axiom, OWL.members)))
        for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses)
    ):
        kind = "owl:AllDisjointClasses"
    else:
        return ""
    location = where(files, short(a, base), short(b, base)).rstrip(": ")
    return f" ({kind} at {location})" if location else f" ({kind})"
