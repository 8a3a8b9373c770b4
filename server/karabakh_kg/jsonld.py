"""JSON-LD that reads like the Turtle: one published context, compact IRIs, `@type`.

Every JSON-LD answer and dump carries the context inline (the same object served at
`/context.jsonld`), so a reader needs no network to expand it: an offline tool, or one behind a
firewall, cannot fetch a remote context. Compaction only rewrites IRIs as `prefix:local` (a JSON-LD
compact IRI may contain `/` and `#`), `rdf:type` as `@type` and plain strings as strings, so the
document expands back to exactly the same triples.
"""

from __future__ import annotations

import json
from typing import Any

from karabakh_kg import prefixes

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def context(base: str) -> dict[str, Any]:
    """The context document: every prefix of the project's table."""
    return {"@context": prefixes.table(base)}


def compact(expanded: bytes | str, namespaces: dict[str, str]) -> bytes:
    """Rewrite expanded JSON-LD (node objects, as Oxigraph and rdflib write it) with `namespaces`,
    the prefix table, as its context."""
    nodes = json.loads(expanded)
    if isinstance(nodes, dict):
        nodes = nodes.get("@graph", [nodes])
    cache = _Curies(namespaces)
    graph = [_node(node, cache) for node in nodes]
    document = {"@context": dict(namespaces), "@graph": graph}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Curies(dict):
    """IRI -> compact IRI, each computed once per document."""

    def __init__(self, namespaces: dict[str, str]):
        super().__init__()
        self.namespaces = namespaces

    def __missing__(self, iri: str) -> str:
        value = iri if iri.startswith("_:") else prefixes.curie(iri, self.namespaces)
        self[iri] = value
        return value


def _iri(value: str, curies: _Curies) -> str:
    return curies[value]


def _node(node: dict, namespaces: _Curies) -> dict:
    out: dict[str, Any] = {}
    for key, values in node.items():
        if key == "@id":
            out["@id"] = _iri(values, namespaces)
        elif key == "@type":
            out["@type"] = [_iri(v, namespaces) for v in values]
        elif key == RDF_TYPE and all("@id" in v and not v["@id"].startswith("_:") for v in values):
            out.setdefault("@type", []).extend(_iri(v["@id"], namespaces) for v in values)
        elif key.startswith("@"):
            out[key] = values
        else:
            out[namespaces[key]] = [_value(v, namespaces) for v in values]
    return out


def _value(value: dict, namespaces: _Curies) -> Any:
    if "@id" in value and len(value) == 1:
        return {"@id": _iri(value["@id"], namespaces)}
    if "@value" in value:
        if set(value) == {"@value"} and isinstance(value["@value"], str):
            return value["@value"]
        if "@type" in value:
            return {**value, "@type": _iri(value["@type"], namespaces)}
        return value
    if "@list" in value:
        return {"@list": [_value(v, namespaces) for v in value["@list"]]}
    return _node(value, namespaces)
