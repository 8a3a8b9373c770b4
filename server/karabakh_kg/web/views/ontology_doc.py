"""The ontology's HTML documentation: every term with label, definition and axioms, and a diagram.

Read from the ontology graph through the page queries (never from the source file), so the page
documents exactly what is served. The class diagram is the build's Graphviz drawing
(`diagram.svg` in the release) when there is one; the class tree below it is always there.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import RDF

from karabakh_kg.web.state import state
from karabakh_kg.web.views import pagedata, weblinks
from karabakh_kg.web.views.pagedata import Term

OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = str(RDF.type)
KINDS = (
    (OWL + "Class", "classes", "Classes"),
    (OWL + "ObjectProperty", "object-properties", "Object properties"),
    (OWL + "DatatypeProperty", "datatype-properties", "Datatype properties"),
    (OWL + "AnnotationProperty", "annotation-properties", "Annotation properties"),
    (OWL + "NamedIndividual", "individuals", "Named individuals"),
)
AXIOMS = (  # property -> heading on the page, in display order
    (RDFS + "subClassOf", "super-classes"),
    (OWL + "equivalentClass", "equivalent classes"),
    (OWL + "disjointWith", "disjoint with"),
    (RDFS + "subPropertyOf", "super-properties"),
    (RDFS + "domain", "domain"),
    (RDFS + "range", "range"),
    (OWL + "inverseOf", "inverse of"),
    (OWL + "equivalentProperty", "equivalent properties"),
    (OWL + "propertyDisjointWith", "disjoint with"),
    (SKOS + "exactMatch", "exact match"),
    (SKOS + "closeMatch", "close match"),
    (SKOS + "broadMatch", "broader match"),
    (SKOS + "narrowMatch", "narrower match"),
    (SKOS + "relatedMatch", "related match"),
    (RDF_TYPE, "types"),
)
CHARACTERISTICS = {
    OWL + "TransitiveProperty": "transitive",
    OWL + "SymmetricProperty": "symmetric",
    OWL + "AsymmetricProperty": "asymmetric",
    OWL + "FunctionalProperty": "functional",
    OWL + "InverseFunctionalProperty": "inverse functional",
    OWL + "ReflexiveProperty": "reflexive",
    OWL + "IrreflexiveProperty": "irreflexive",
}
DECLARATIONS = {k for k, _, _ in KINDS}


@dataclass
class TermEntry:
    """One documented term."""

    iri: str
    kind: str
    label: str | None
    definition: str | None
    comment: str | None
    axioms: list[tuple[str, list[tuple[str, str | None, bool]]]] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    chain: list[tuple[str, str | None]] = field(default_factory=list)
    inverse_of_this: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def fragment(self) -> str:
        return self.iri.rpartition("#")[2]


@dataclass
class Document:
    iri: str | None
    header: list[tuple[Term, Term]]
    version_iri: str | None
    sections: list[tuple[str, str, list[TermEntry]]]
    tree: list[tuple[int, TermEntry]]
    has_diagram: bool
    title: str | None
    diagram_size: tuple[int, int] | None = None  # in CSS pixels, so the page shows it unscaled


def _header_rows() -> list[dict[str, Term]]:
    return pagedata.select("ontology-header")


def version_path() -> str | None:
    """The part of the version IRI after `<base>ontology/` (None when there is none)."""
    prefix = weblinks.base() + "ontology/"
    for row in _header_rows():
        if row["p"].value == OWL + "versionIRI" and row["o"].value.startswith(prefix):
            return row["o"].value[len(prefix) :]
    return None


def document() -> Document:
    """Everything the ontology page shows."""
    header_rows = _header_rows()
    ontology_iri = header_rows[0]["ontology"].value if header_rows else None
    header = sorted(
        ((r["p"], reflowed(r["o"])) for r in header_rows if r["p"].value != RDF_TYPE),
        key=lambda po: (weblinks.curie(po[0].value), po[1].value),
    )
    version_iri = next((o.value for p, o in header if p.value == OWL + "versionIRI"), None)
    title = next((o.value for p, o in header if p.value == "http://purl.org/dc/terms/title"), None)

    entries: dict[str, TermEntry] = {}
    for row in pagedata.select("ontology-terms"):
        iri, kind = row["term"].value, row["kind"].value
        if iri in entries and KINDS_ORDER[entries[iri].kind] <= KINDS_ORDER[kind]:
            continue
        definition, comment = (reflow(_v(row.get(k))) for k in ("definition", "comment"))
        entries[iri] = TermEntry(iri, kind, _v(row.get("label")), definition, comment)
    labels = {iri: e.label for iri, e in entries.items()}

    grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in pagedata.select("ontology-axioms"):
        term, p, o = row["term"].value, row["p"].value, row["o"].value
        if term not in entries:
            continue
        if p == RDF_TYPE:
            if o in CHARACTERISTICS:
                entries[term].characteristics.append(CHARACTERISTICS[o])
                continue
            if o in DECLARATIONS:
                continue
        label = _v(row.get("oLabel")) or labels.get(o)
        grouped[term][p].append((o, label, weblinks.is_local(o)))
        if p == OWL + "inverseOf" and o in entries:
            entries[o].inverse_of_this.append((term, labels.get(term)))
    for iri, entry in entries.items():
        for prop, heading in AXIOMS:
            values = sorted(set(grouped[iri].get(prop, [])), key=lambda v: (not v[2], v[1] or v[0]))
            if values:
                entry.axioms.append((heading, values))
        entry.characteristics.sort()
    _chains(entries, labels)

    sections = []
    for kind, anchor, heading in KINDS:
        members = sorted((e for e in entries.values() if e.kind == kind), key=lambda e: (e.label or e.fragment).lower())
        if members:
            sections.append((anchor, heading, members))
    diagram = state().release.path / "diagram.svg"
    return Document(
        ontology_iri,
        header,
        version_iri,
        sections,
        _tree(entries, grouped),
        diagram.is_file(),
        title,
        _svg_size(diagram) if diagram.is_file() else None,
    )


def reflow(text: str | None) -> str | None:
    """Join the lines of each paragraph: a source file's line breaks are not the author's."""
    if text is None:
        return None
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()))


def reflowed(term: Term) -> Term:
    return dataclasses.replace(term, value=reflow(term.value)) if term.kind == "literal" else term


def _svg_size(path) -> tuple[int, int] | None:
    """Graphviz's `width="1376pt" height="1765pt"` in CSS pixels (4/3 px a point)."""
    head = path.read_bytes()[:2000].decode("utf-8", "replace")
    found = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', head)
    return (round(float(found[1]) * 4 / 3), round(float(found[2]) * 4 / 3)) if found else None


KINDS_ORDER = {k: i for i, (k, _, _) in enumerate(KINDS)}


def _v(term: Term | None) -> str | None:
    return term.value if term is not None else None


def _chains(entries: dict[str, TermEntry], labels: dict[str, str | None]) -> None:
    """Read each property chain's RDF list in order."""
    cells: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    heads: dict[str, str] = {}
    for row in pagedata.select("ontology-chains"):
        term = row["term"].value
        heads[term] = row["list"].value
        cells[term][row["cell"].value] = (row["step"].value, row["next"].value)
    for term, head in heads.items():
        if term not in entries:
            continue
        cell, steps = head, []
        while cell in cells[term] and len(steps) < 50:
            step, cell = cells[term][cell]
            steps.append((step, labels.get(step)))
        entries[term].chain = steps


def _tree(entries: dict[str, TermEntry], grouped) -> list[tuple[int, TermEntry]]:
    """The own classes as an indented tree by rdfs:subClassOf (a class under each own parent)."""
    classes = {iri: e for iri, e in entries.items() if e.kind == OWL + "Class"}
    children: dict[str | None, list[str]] = defaultdict(list)
    for iri in classes:
        parents = [o for o, _, _ in grouped[iri].get(RDFS + "subClassOf", []) if o in classes]
        for parent in parents or [None]:
            children[parent].append(iri)
    out: list[tuple[int, TermEntry]] = []

    def walk(node: str | None, depth: int, seen: frozenset) -> None:
        for child in sorted(children.get(node, []), key=lambda i: (classes[i].label or i).lower()):
            if child in seen:
                continue
            out.append((depth, classes[child]))
            walk(child, depth + 1, seen | {child})

    walk(None, 0, frozenset())
    return out
