"""Write triples or quads readably: the one place that picks prefixes and the JSON-LD context.

Oxigraph's serialisers write prefixed names with escapes (`kg:aghdam\\/mention\\/2`) when a local
name holds a `/` or `#`. So a Turtle or TriG document whose IRIs all have clean local names is
written by Oxigraph with the prefixes it uses; any other is written here, the same way, except
that such IRIs appear in full, relative to `@base` (`<id/aghdam/mention/2#target>`). RDF/XML gets
the prefixes it uses, JSON-LD the project's context and compact IRIs; N-Triples and N-Quads have
no prefixes. Answers and dumps both come through here.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

import pyoxigraph as ox

from karabakh_kg import jsonld, prefixes

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def iris(items: Iterable) -> set[str]:
    """Every IRI of some triples or quads that a prefix could shorten (terms, datatypes, graph names)."""
    found = set()
    for t in items:
        for term in (t.subject, t.predicate, t.object, getattr(t, "graph_name", None)):
            if isinstance(term, ox.NamedNode):
                found.add(term.value)
            elif isinstance(term, ox.Literal) and not term.language:
                found.add(term.datatype.value)
    return found


def serialize(items: list, rdf_format: ox.RdfFormat, namespaces: dict[str, str] | None) -> bytes:
    """`items` (a list of pyoxigraph Triples or Quads) as a document in `rdf_format`."""
    if not namespaces or rdf_format in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
        return ox.serialize(items, format=rdf_format)
    if rdf_format == ox.RdfFormat.JSON_LD:
        return jsonld.compact(ox.serialize(items, format=rdf_format), namespaces)
    used, all_clean = prefixes.for_iris(iris(items), namespaces)
    if all_clean or rdf_format == ox.RdfFormat.RDF_XML:
        return ox.serialize(items, format=rdf_format, prefixes=used)
    return turtle(items, used, namespaces.get("kg", "").removesuffix("id/"))


def turtle(items: list, used: dict[str, str], base: str) -> bytes:
    """Turtle (Triples) or TriG (Quads), subjects grouped, sorted, with `@base` for unclean IRIs."""
    lines = [f"@base <{base}> ."] if base else []
    lines += [f"@prefix {p}: <{ns}> ." for p, ns in used.items()]

    shortened: dict[str, str] = {}  # each IRI is looked up once per document

    def name(term) -> str:
        if isinstance(term, ox.NamedNode):
            found = shortened.get(term.value)
            if found is None:
                found = shortened[term.value] = prefixes.short(term.value, used, base)
            return found
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        if term.language or term.datatype.value == XSD_STRING:
            return str(term)
        return f"{str(ox.Literal(term.value))}^^{prefixes.short(term.datatype.value, used, base)}"

    def block(triples: list, indent: str) -> list[str]:
        out = []
        triples.sort(key=lambda t: (str(t.subject), t.predicate.value != RDF_TYPE, str(t.predicate), str(t.object)))
        for subject, group in groupby(triples, key=lambda t: t.subject):
            parts = []
            for predicate, same in groupby(group, key=lambda t: t.predicate):
                verb = "a" if predicate.value == RDF_TYPE else name(predicate)
                parts.append(f"{verb} " + " , ".join(name(t.object) for t in same))
            out.append(f"{indent}{name(subject)} " + f" ;\n{indent}\t".join(parts) + " .")
        return out

    if items and isinstance(items[0], ox.Quad):
        graphs = sorted({q.graph_name for q in items}, key=lambda g: (not isinstance(g, ox.DefaultGraph), str(g)))
        for graph in graphs:
            triples = [q.triple for q in items if q.graph_name == graph]
            if isinstance(graph, ox.DefaultGraph):
                lines += block(triples, "")
            else:
                lines += [f"{name(graph)} {{"] + block(triples, "\t") + ["}"]
    else:
        lines += block(list(items), "")
    return ("\n".join(lines) + "\n").encode("utf-8")
