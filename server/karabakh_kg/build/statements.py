"""Statement nodes: which words support each curated triple, and in whose voice.

Curators write a `kgo:Statement` (rdf:subject / rdf:predicate / rdf:object, `kgo:voice`,
`kgo:evidence`) for what the article reports, predicts or denies, and for the article's own
triples whose exact words matter. The build grounds each `kgo:evidence` like a quote (every
occurrence, with offsets) and supplies, for every other plain triple, a statement in the article's
own voice supported by the mentions of its subject, so that every curated triple can be traced to
words and a voice. Reported triples are never plain triples; see ontology/README.md.
"""

from __future__ import annotations

import hashlib

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from karabakh_kg.build.grounding import Article, add_span, occurrences, where
from karabakh_kg.build.sources import line_of
from karabakh_kg.errors import InputError
from karabakh_kg.namespaces import IRIs


def metadata(kgo) -> set[URIRef]:
    """What curators write about the data rather than what the article says: never a statement."""
    return {
        RDFS.label,
        RDFS.comment,
        SKOS.note,
        SKOS.editorialNote,
        OWL.deprecated,
        DCTERMS.isReplacedBy,
        kgo.quote,
        kgo.wording,
        kgo.resolution,
    }


def statements(facts: Graph, mentions: Graph, article: Article, iris: IRIs, fact_files, labels: Graph) -> Graph:
    """Evidence spans of the curated statements, and a statement for every other plain triple."""
    kgo, out, problems = iris.kgo, Graph(), []
    named = facts + labels  # for the labels of minted statements
    curated = set(facts.subjects(RDF.type, kgo.Statement))
    explained: set[tuple] = set()
    for node in sorted(curated):
        triple = tuple(facts.value(node, p) for p in (RDF.subject, RDF.predicate, RDF.object))
        if facts.value(node, kgo.voice) == article.iri:
            explained.add(triple)
        spans = []
        for words in sorted(str(w) for w in facts.objects(node, kgo.evidence)):
            found = occurrences(article.text, words)
            if not found:
                name = node.n3(facts.namespace_manager)
                at = _defined_at(fact_files, name) or where(fact_files, words)
                problems.append(f"{at}{name}: evidence not found verbatim in {article.path.name}: {words!r}")
            spans += [(start, words, n) for n, start in enumerate(found, 1)]
        for number, (start, words, n) in enumerate(sorted(spans), 1):
            span = URIRef(f"{node}/evidence/{number}")
            add_span(out, span, node, article, start, words, n, kgo, kind=kgo.EvidenceSpan)
            out.add((node, kgo.supportedBy, span))
        _describe(out, node, article, named, triple)
    if problems:
        raise InputError(problems)
    names = {}
    for resource, mention in mentions.subject_objects(kgo.denotedBy):
        names.setdefault(resource, []).append(mention)
    skip = metadata(kgo)
    for s, p, o in sorted(facts):
        if p in skip or s in curated or (s, p, o) in explained or not isinstance(s, URIRef):
            continue
        if not names.get(s):
            problems.append(
                f"{s.n3(facts.namespace_manager)} {p.n3(facts.namespace_manager)} {o.n3(facts.namespace_manager)}: "
                "no words support this statement (give its subject a kgo:quote, or write a kgo:Statement with kgo:evidence)"
            )
            continue
        node = URIRef(f"{s}/statement/{_local(p)}-{hashlib.sha1(o.n3().encode()).hexdigest()[:8]}")
        out.add((node, RDF.type, kgo.Statement))
        for term, prop in ((s, RDF.subject), (p, RDF.predicate), (o, RDF.object)):
            out.add((node, prop, term))
        out.add((node, kgo.voice, article.iri))
        for mention in names[s]:
            out.add((node, kgo.supportedBy, mention))
        _describe(out, node, article, named, (s, p, o))
    if problems:
        raise InputError(problems)
    return out


def _describe(out: Graph, node: URIRef, article: Article, facts: Graph, triple: tuple) -> None:
    """The PROV route to the article, and a label where the curators gave none."""
    out.add((node, PROV.wasDerivedFrom, article.iri))
    if facts.value(node, RDFS.label) is None:
        out.add((node, RDFS.label, Literal(" ".join(_name(facts, t) for t in triple), lang="en")))


def _defined_at(files, name: str) -> str:
    """`file:line: ` where the curated node is defined, when it can be found."""
    for path in files:
        line = line_of(path, name + " a ")
        if line:
            return f"{path}:{line}: "
    return ""


def _name(facts: Graph, term) -> str:
    if isinstance(term, Literal):
        return f"“{term}”"
    label = facts.value(term, RDFS.label)
    return str(label) if label is not None else _local(term)


def _local(term) -> str:
    text = str(term)
    return text[max(text.rfind("#"), text.rfind("/")) + 1 :] or "term"
