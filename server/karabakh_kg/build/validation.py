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
from karabakh_kg.build import hints
from karabakh_kg.build.sources import line_of
from karabakh_kg.errors import InputError


def shacl_problems(data: Graph, shapes: Graph, ontology: Graph) -> list[str]:
    """One line per SHACL violation: the focus node, the path and the message."""
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True
    )
    if conforms:
        return []
    if not isinstance(report, Graph):  # the shapes themselves are broken
        raise InputError(f"ontology/shapes.ttl: invalid SHACL shapes: {report}")
    lines = []
    for result in report.subjects(SH.focusNode, None):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        node = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage) or "violates a shape"
        shape = report.value(result, SH.sourceShape)
        where = f" {path.n3(data.namespace_manager)}" if isinstance(path, URIRef) else ""
        named = f" ({shape.n3(shapes.namespace_manager)})" if isinstance(shape, URIRef) else ""
        lines.append(
            f"{node.n3(data.namespace_manager)}{where}: {message}{named}{hints.label_language(data, node, path)}"
        )
    return sorted(set(lines))


def check_problems(store, names, ontology: Graph) -> list[str]:
    """Rows of every `checks/*-violation.rq` query on an Oxigraph store; each must return none."""
    lines = []
    for check in query_files.listing("checks"):
        for row in rdf_bridge.select(store, check.text):
            node, problem = row[0], row[1]
            hint = hints.did_you_mean(node, ontology) if check.name == "undeclared-term-violation" else ""
            lines.append(f"{node.n3(names)}: {problem} [{check.name}]{hint}")
    return sorted(lines)


def validate(asserted: Graph, store, shapes: Graph, ontology: Graph, fact_files: list[Path]) -> None:
    """Raise InputError listing every violation, each located in the facts where possible.

    The shapes see what the curators wrote (and the mentions); the checks see `store`, which also
    holds the ontology and what the build derived (day bounds), since they compare dates.
    """
    problems = shacl_problems(asserted, shapes, ontology) + check_problems(store, asserted.namespace_manager, ontology)
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
