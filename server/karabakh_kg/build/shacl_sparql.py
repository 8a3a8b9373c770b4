"""SHACL-SPARQL constraints (`sh:sparql` / `sh:select`) of node shapes, evaluated on Oxigraph.

pySHACL runs a shape's SPARQL constraint once per focus node with rdflib's engine, which plans
`$this ?p ?o . ?p rdfs:subPropertyOf* ?top` path-first and walks every node of the graph each
time: 1.4 s of the build's 1.9 s of SHACL. The same constraint on Oxigraph takes milliseconds.
So `split` takes such constraints out of the shapes that pySHACL gets, and `problems` evaluates
them here as SHACL 1.1 (section 5.3) defines it: the focus nodes of the shape's targets, `$this`
pre-bound to each (SEP-0007 substitution, what pre-binding in SHACL is), one violation per
solution, reported with the constraint's `sh:message` and the shape as its source.

Only what is implemented exactly is taken out; any other SPARQL constraint stays with pySHACL
(slower, same checks): a shape that another shape refers to (`sh:node`, `sh:or`, ...), a property
shape (`$PATH`), a shape with `sh:severity`, `sh:deactivated`, SPARQL targets or an implicit class
target, a constraint with `sh:prefixes`, no `sh:message`, several, or a message template (`{?x}`),
and a query that projects anything but `$this` and `?path`/`?value`, or uses `$shapesGraph` /
`$currentShape`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, SH

from karabakh_kg import rdf_bridge

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# What a node shape may say besides its constraints for its sh:sparql to be evaluated here.
UNSUPPORTED_ON_SHAPE = (SH.path, SH.severity, SH.deactivated, SH.target)
CONSTRAINT_KEYS = {RDF.type, SH.select, SH.message}
PROJECTED = {"this", "path", "value"}
_FORBIDDEN = re.compile(r"[?$](shapesGraph|currentShape|PATH|failure)\b")
THIS = ox.Variable("this")


@dataclass(frozen=True)
class Constraint:
    """One SPARQL-based constraint of a node shape, with what its results are reported with."""

    shape: URIRef | BNode
    targets: tuple  # (target predicate, object) pairs of the shape
    select: str
    message: Literal


def split(shapes: Graph, prefixes: dict[str, str]) -> tuple[Graph, list[Constraint]]:
    """(the shapes graph without the constraints evaluated here, those constraints).

    `prefixes` are the data graph's, which the queries may use undeclared (as with pySHACL, whose
    rdflib engine takes the data graph's). The shapes graph is returned as it is when nothing is
    taken out."""
    taken: list[tuple] = []
    constraints = []
    for shape, node in sorted(shapes.subject_objects(SH.sparql)):
        constraint = _supported(shapes, shape, node, prefixes)
        if constraint is not None:
            taken.append((shape, node))
            constraints.append(constraint)
    if not taken:
        return shapes, []
    rest = Graph(bind_namespaces="none")
    for prefix, namespace in shapes.namespaces():
        rest.bind(prefix, namespace, override=True, replace=True)
    removed = {node for _, node in taken}
    for s, p, o in shapes:
        if s in removed or (p == SH.sparql and o in removed):
            continue
        rest.add((s, p, o))
    return rest, constraints


def _supported(shapes: Graph, shape, node, prefixes: dict[str, str]) -> Constraint | None:
    if any(True for _ in shapes.subjects(None, shape)):  # nested in another shape: pySHACL's
        return None
    if any(shapes.value(shape, p) is not None for p in UNSUPPORTED_ON_SHAPE):
        return None
    if {RDFS.Class, OWL.Class} & set(shapes.objects(shape, RDF.type)):  # implicit class target
        return None
    if not isinstance(node, (BNode, URIRef)) or any(shapes.value(node, p) is not None for p in (SH.prefixes,)):
        return None
    if {p for p, _ in shapes.predicate_objects(node)} - CONSTRAINT_KEYS:
        return None
    if set(shapes.objects(node, RDF.type)) - {SH.SPARQLConstraint}:
        return None
    selects, messages = list(shapes.objects(node, SH.select)), list(shapes.objects(node, SH.message))
    if len(selects) != 1 or len(messages) != 1:
        return None
    select, message = selects[0], messages[0]
    if not (isinstance(select, Literal) and isinstance(select.value, str)):
        return None
    if not (isinstance(message, Literal) and isinstance(message.value, str)) or "{" in message:
        return None
    if _FORBIDDEN.search(select):
        return None
    try:  # the projection, from the query run on an empty store
        variables = {v.value for v in ox.Store().query(str(select), prefixes=prefixes).variables}
    except (SyntaxError, AttributeError):  # not a SELECT query, or not one Oxigraph reads: pySHACL's
        return None
    if "this" not in variables or variables - PROJECTED:
        return None
    targets = tuple(sorted((p, o) for p in TARGETS for o in shapes.objects(shape, p)))
    if any(isinstance(o, BNode) or (p != SH.targetNode and not isinstance(o, URIRef)) for p, o in targets):
        return None
    return Constraint(shape, targets, str(select), message)


def focus_nodes(store: ox.Store, constraint: Constraint) -> list:
    """The focus nodes of the constraint's shape in the data graph (SHACL 1.1, section 2.1.3)."""
    found: set = set()
    for predicate, value in constraint.targets:
        term = rdf_bridge.to_oxigraph(value)
        if predicate == SH.targetNode:
            found.add(term)
            continue
        if predicate == SH.targetClass:
            query = f"SELECT DISTINCT ?f WHERE {{ ?f a/<{RDFS.subClassOf}>* {term} }}"
        elif predicate == SH.targetSubjectsOf:
            query = f"SELECT DISTINCT ?f WHERE {{ ?f {term} ?o }}"
        else:
            query = f"SELECT DISTINCT ?f WHERE {{ ?s {term} ?f }}"
        found.update(row[0] for row in store.query(query))
    return sorted(found, key=str)


def violations(store: ox.Store, constraint: Constraint, prefixes: dict[str, str]) -> list[tuple]:
    """(focus node, result path or None) of every solution of the constraint, as rdflib terms."""
    out = []
    for focus in focus_nodes(store, constraint):
        rows = store.query(constraint.select, prefixes=prefixes, substitutions={THIS: focus})
        names = [v.value for v in rows.variables]
        for row in rows:
            bound = dict(zip(names, row, strict=True))
            node = bound.get("this") or focus
            out.append((rdf_bridge.to_rdflib(node), rdf_bridge.to_rdflib(bound.get("path"))))
    return out
