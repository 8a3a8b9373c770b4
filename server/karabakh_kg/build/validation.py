"""Validate the asserted facts: SHACL shapes, then the `queries/checks/*-violation.rq` checks.

Both are closed-world checks on what the curators wrote (plus the mentions and day bounds the
build derives), before reasoning: OWL-RL's open world would happily "fix" a missing fact by
inventing a blank node, which is exactly what these checks exist to catch.
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from karabakh_kg import query_files, rdf_bridge
from karabakh_kg.build import hints, shacl_sparql
from karabakh_kg.build.sources import line_of
from karabakh_kg.errors import InputError


def shacl_problems(data: Graph, shapes: Graph, ontology: Graph, data_store=None) -> list[str]:
    """One line per SHACL violation: the focus node, the path and the message.

    pySHACL validates `data` with `ontology` mixed in; the SPARQL-based constraints it would run
    with rdflib's engine run on Oxigraph instead (`shacl_sparql`), on `data_store` (an Oxigraph
    store holding `data` and `ontology`; made here when not given)."""
    prefixes = {prefix: str(ns) for source in (ontology, data) for prefix, ns in source.namespaces()}
    core, constraints = shacl_sparql.split(shapes, prefixes)
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=core, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True
    )
    lines = []
    if not conforms:
        if not isinstance(report, Graph):  # the shapes themselves are broken
            raise InputError(f"ontology/shapes.ttl: invalid SHACL shapes: {report}")
        for result in report.subjects(SH.focusNode, None):
            if report.value(result, SH.resultSeverity) != SH.Violation:
                continue
            node = report.value(result, SH.focusNode)
            path = report.value(result, SH.resultPath)
            message = report.value(result, SH.resultMessage) or "violates a shape"
            lines.append(_line(data, shapes, node, path, message, report.value(result, SH.sourceShape)))
    if constraints:
        if data_store is None:
            data_store = rdf_bridge.to_store(ontology, rdf_bridge.to_store(data))
        for constraint in constraints:
            for node, path in shacl_sparql.violations(data_store, constraint, prefixes):
                lines.append(_line(data, shapes, node, path, constraint.message, constraint.shape))
    return sorted(set(lines))


def _line(data: Graph, shapes: Graph, node, path, message, shape) -> str:
    where = f" {path.n3(data.namespace_manager)}" if isinstance(path, URIRef) else ""
    named = f" ({shape.n3(shapes.namespace_manager)})" if isinstance(shape, URIRef) else ""
    return f"{node.n3(data.namespace_manager)}{where}: {message}{named}{hints.label_language(data, node, path)}"


def check_problems(store, names, ontology: Graph) -> list[str]:
    """Rows of every `checks/*-violation.rq` query on an Oxigraph store; each must return none."""
    lines = []
    for check in query_files.listing("checks"):
        for row in rdf_bridge.select(store, check.text):
            node, problem = row[0], row[1]
            hint = hints.did_you_mean(node, ontology) if check.name == "undeclared-term-violation" else ""
            lines.append(f"{node.n3(names)}: {problem} [{check.name}]{hint}")
    return sorted(lines)


def validate(asserted: Graph, store, shapes: Graph, ontology: Graph, fact_files: list[Path], shacl_store=None) -> None:
    """Raise InputError listing every violation, each located in the facts where possible.

    The shapes see what the curators wrote (and the mentions) with the ontology (`shacl_store`, if
    given, is an Oxigraph store of exactly these); the checks see `store`, which also holds what the
    build derived (day bounds), since they compare dates.
    """
    problems = shacl_problems(asserted, shapes, ontology, shacl_store) + check_problems(
        store, asserted.namespace_manager, ontology
    )
    if problems:
        raise InputError([_locate(p, fact_files) for p in problems])


def _locate(problem: str, fact_files: list[Path]) -> str:
    """Prefix `file:line: ` where the problem's node is defined in the curated facts."""
    node = problem.split(" ", 1)[0].rstrip(":")
    for path in fact_files:
        line = line_of(path, node + " a ") or line_of(path, node + "\n")
        if line:
            return f"{path}:{line}: {problem}"
    return hints.where(fact_files, node) + problem
