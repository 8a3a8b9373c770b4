"""OWL-RL closure with owlrl, on a copy, keeping only what a reader can use.

owlrl adds many triples that are noise to a reader; we drop them deliberately and count each
kind (the counts go into the manifest and docs/architecture.md explains them). Inconsistencies
(disjointness clashes, members of owl:Nothing, ill-typed literals) fail the build and name the
resources.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

import owlrl
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from karabakh_kg.build import forked
from karabakh_kg.errors import InputError

ERR = URIRef("http://www.daml.org/2002/03/agents/agent-ont#")
BUILT_IN = (str(RDF), str(RDFS), str(OWL), str(XSD), "http://www.w3.org/ns/shacl#")
# Trivial truths OWL-RL states about every class or property: true, but they tell nobody anything.
STATEMENT_CONTENT = {RDF.subject, RDF.predicate, RDF.object}
# Predicates only the schema uses: their inferred triples are the ontology's closure, not data. They
# are dropped (counted) rather than mixed into the inferred graph beside the instance data: the
# ontology graph keeps the axioms as written, and any OWL tool derives the closure on load.
SCHEMA_PREDICATES = {
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    RDFS.domain,
    RDFS.range,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    OWL.inverseOf,
    OWL.disjointWith,
    OWL.propertyDisjointWith,
}
TRIVIAL_OBJECTS = {(RDFS.subClassOf, OWL.Thing), (RDF.type, OWL.Thing), (RDF.type, RDFS.Resource)}


def closure(ontology: Graph, asserted: Graph) -> tuple[Graph, Counter]:
    """Reason over ontology + asserted; return (new useful triples, dropped noise counted by kind)."""
    work = reasoner_input(ontology, asserted)
    before = set(work)
    with _vocabulary_looked_up_once():
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(work)
    _raise_on_inconsistency(work)
    return without_noise(set(work) - before)


class _Looked:
    """A namespace whose terms are computed once: `OWL.sameAs` on rdflib's own namespace objects
    builds a new URIRef at every access, and owlrl makes 1.8 million of them on the article
    graph (a third of its time). The same terms, so the same closure."""

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name: str):
        value = getattr(self._namespace, name)
        setattr(self, name, value)
        return value

    def __getitem__(self, name: str):
        return self._namespace[name]


@contextmanager
def _vocabulary_looked_up_once():
    """owlrl's rule modules see `_Looked` namespaces while it runs; put back afterwards."""
    from owlrl import OWLRL, Closure

    saved = [
        (module, name, getattr(module, name, None)) for module in (OWLRL, Closure) for name in ("OWL", "RDF", "RDFS")
    ]
    saved = [(module, name, value) for module, name, value in saved if value is not None]
    try:
        for module, name, value in saved:
            setattr(module, name, _Looked(value))
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def without_noise(triples) -> tuple[Graph, Counter]:
    """The triples worth keeping, and the noise left out counted by kind (see `noise_kind`)."""
    kept, dropped = Graph(), Counter()
    for triple in triples:
        kind = noise_kind(triple)
        if kind:
            dropped[kind] += 1
        else:
            kept.add(triple)
    return kept, dropped


def reasoner_input(ontology: Graph, asserted: Graph | tuple[Graph, ...]) -> Graph:
    """Ontology + asserted (a graph, or a tuple of graphs: their union), less what has no OWL 2 RL
    semantics or must not be reasoned over.

    Annotation properties (labels, definitions, quotes as annotations) and the Web Annotation
    selector nodes of mentions and evidence spans cannot take part in any OWL 2 RL rule but triple
    owlrl's work (every literal becomes a subject); leaving them out yields the very same
    inferences (tested). The content of statement nodes (rdf:subject, rdf:predicate, rdf:object)
    is left out on purpose: reported claims are never reasoned over, so none of their consequences
    can land unattributed in the inferred graph (ontology/README.md, "Statements").
    """
    annotations = set(ontology.subjects(RDF.type, OWL.AnnotationProperty)) | {RDFS.label, RDFS.comment}
    annotations |= STATEMENT_CONTENT
    # No named graphs here: rdflib's context-free store, which owlrl's many lookups run 1.5x faster on.
    work = Graph(store="SimpleMemory")
    for source in (ontology, *(asserted if isinstance(asserted, tuple) else (asserted,))):
        for s, p, o in source:
            if p in annotations or (
                isinstance(s, URIRef)
                and ("/mention/" in s or "/evidence/" in s)
                and ("#" in s or isinstance(o, Literal))
            ):
                continue
            work.add((s, p, o))
    return work


def noise_kind(triple) -> str | None:
    """Why a triple owlrl added is noise, or None if it is worth keeping."""
    s, p, o = triple
    if isinstance(s, Literal):
        return "literal subject"
    if p == OWL.sameAs and s == o:
        return "reflexive owl:sameAs"
    if s == o and p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty):
        return "reflexive subclass/subproperty/equivalence"
    if (p, o) in TRIVIAL_OBJECTS or s == OWL.Nothing or (p in (RDFS.domain, RDFS.range) and o == OWL.Thing):
        return "trivial owl:Thing / owl:Nothing axiom"
    if p in SCHEMA_PREDICATES:
        return "schema closure (the ontology's own entailments; reason over the ontology graph for them)"
    if isinstance(s, URIRef) and str(s).startswith(BUILT_IN):
        return "axiom about built-in vocabulary"
    if p == RDF.type and isinstance(o, URIRef) and str(o).startswith(BUILT_IN) and o not in _KEPT_BUILT_IN_TYPES:
        return "built-in type (rdfs:Resource, owl:Class...)"
    if isinstance(s, BNode) or isinstance(o, BNode):
        return "blank node (restriction, list or disjointness axiom)"
    if p == ERR or str(p).startswith(str(ERR)):
        return "error message"
    return None


# Built-in types that do say something about an ontology term (kept); every other built-in type is noise.
_KEPT_BUILT_IN_TYPES: set = set()  # the types of ontology terms are schema closure too


def _raise_on_inconsistency(work: Graph) -> None:
    problems = sorted(str(m) for m in work.objects(None, ERR + "error"))
    problems += sorted(f"{s.n3()} is a member of owl:Nothing" for s in work.subjects(RDF.type, OWL.Nothing))
    if problems:
        raise InputError([f"inconsistent under OWL 2 RL: {p}" for p in problems])


def _closure_text(ontology: Graph, asserted, reasoner) -> tuple[bytes, Counter]:
    """In the child: the closure, as N-Triples (`asserted` may be a tuple of graphs: `reasoner_input` reads each)."""
    inferred, dropped = reasoner(ontology, asserted)
    return inferred.serialize(format="nt", encoding="utf-8"), dropped


class Background:
    """The closure in a forked process (`forked.Forked`), so the build validates while it reasons (2 cores).

    `asserted` is a graph, or a tuple of graphs (their union is reasoned over).
    """

    def __init__(self, ontology: Graph, asserted: Graph | tuple[Graph, ...], reasoner=closure):
        self._forked = forked.Forked("the reasoner's process", _closure_text, ontology, asserted, reasoner)

    def result(self) -> tuple[Graph, Counter]:
        data, dropped = self._forked.result()
        inferred = Graph()
        inferred.parse(data=data, format="nt")
        return inferred, dropped

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc) -> None:
        self._forked.close()
