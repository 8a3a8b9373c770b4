"""Draw the ontology's classes and properties with Graphviz (`dot`), generated, never by hand.

`karabakh-kg diagram FILE.svg` writes the picture the README shows; the build also puts one in
each release for the ontology's HTML documentation.
"""

from __future__ import annotations

import shutil
import subprocess

from rdflib import Graph

from karabakh_kg import query_files, rdf_bridge

NS = "https://w3id.org/karabakh-kg/ontology#"


def available() -> bool:
    return shutil.which("dot") is not None


def dot_source(ontology: Graph) -> str:
    """The DOT text: own classes as boxes, sub-class edges, and domain→range property edges."""
    lines = [
        "digraph ontology {",
        # Right to left: super-classes on the left, sub-classes to their right. Half as wide as
        # bottom-to-top (which put every leaf class on one row), so it reads at its natural size.
        '  graph [rankdir=RL, fontname="Helvetica", fontsize=10, nodesep=0.25, ranksep=0.5];',
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=8];',
    ]
    external: set[str] = set()
    store = rdf_bridge.to_store(ontology)  # Oxigraph: 0.3 s with rdflib's engine, 15 ms here
    for row in _rows(store, "diagram-classes"):
        cls, label, sup = str(row["class"]), str(row["label"]), row["super"]
        lines.append(f'  "{_short(cls)}" [label="{_esc(label)}"];')
        if sup is not None:
            lines.append(f'  "{_short(cls)}" -> "{_short(str(sup))}" [arrowhead=empty];')
            if not str(sup).startswith(NS):
                external.add(str(sup))
    for iri in sorted(external):
        lines.append(f'  "{_short(iri)}" [fillcolor="#f4f4f4", fontcolor="#555555", style="rounded,filled,dashed"];')
    for row in _rows(store, "diagram-properties"):
        lines.append(
            f'  "{_short(str(row["domain"]))}" -> "{_short(str(row["range"]))}" '
            f'[label="{_esc(str(row["label"]))}", color="#1f5fa8", fontcolor="#1f5fa8", style=dashed];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _rows(store, name: str) -> list[dict]:
    """The rows of a `queries/build/` SELECT query, each a dict of rdflib terms (None where unbound)."""
    rows = store.query(query_files.load(name, "build").text)
    names = [v.value for v in rows.variables]
    return [{n: rdf_bridge.to_rdflib(term) for n, term in zip(names, row, strict=True)} for row in rows]


def svg(ontology: Graph) -> bytes:
    """Render the diagram as SVG with `dot`."""
    return render(dot_source(ontology))


def render(source: str) -> bytes:
    """DOT text as SVG (`dot` runs outside Python: the build renders in a thread meanwhile)."""
    done = subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=60, check=True)
    return done.stdout


def _short(iri: str) -> str:
    for prefix, ns in (
        ("", NS),
        ("sem:", "http://semanticweb.cs.vu.nl/2009/11/sem/"),
        ("schema:", "https://schema.org/"),
        ("prov:", "http://www.w3.org/ns/prov#"),
        ("org:", "http://www.w3.org/ns/org#"),
        ("geo:", "http://www.opengis.net/ont/geosparql#"),
        ("oa:", "http://www.w3.org/ns/oa#"),
    ):
        if iri.startswith(ns):
            return prefix + iri[len(ns) :]
    return iri


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
