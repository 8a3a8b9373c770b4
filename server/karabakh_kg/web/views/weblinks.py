"""Map the public base onto this server's URL space, and show RDF terms as safe links.

Data is minted under the public base (`https://w3id.org/karabakh-kg/` by default, the setting
`PUBLIC_BASE`); the server answers for that base under its own root, so `<base>id/aghdam` is
`/id/aghdam` here and every link in a page stays on this server. Only http(s) IRIs ever become
links: anything else (`javascript:`, `data:`, ...) is shown as text.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import request

from karabakh_kg import prefixes as prefix_table
from karabakh_kg.web.state import state
from karabakh_kg.web.views.pagedata import Term

# The one prefix table, plus schema.org's old http namespace (still met in other people's data).
PREFIXES = tuple(prefix_table.VOCABULARIES) + (("schema", "http://schema.org/"),)


def base() -> str:
    return state().base


def own_prefixes() -> tuple[tuple[str, str], ...]:
    b = base()
    return (("kgo", b + "ontology#"), ("kg", b + "id/")) + PREFIXES


def local_path(iri: str) -> str | None:
    """This server's path for an IRI under the public base (None for other IRIs)."""
    b = base()
    if not iri.startswith(b):
        return None
    rest = iri[len(b) :]
    path, hash_, fragment = rest.partition("#")
    return (
        request.script_root
        + "/"
        + quote(path, safe="/:@!$&'()*+,;=-._~%")
        + ("#" + quote(fragment, safe="/:@!$&'()*+,;=-._~%?") if hash_ else "")
    )


def href(iri: str) -> str | None:
    """Where a link to `iri` should point: local for our IRIs, as-is for http(s), None otherwise."""
    mapped = local_path(iri)
    if mapped is not None:
        return mapped
    try:
        scheme = urlsplit(iri).scheme.lower()
    except ValueError:
        return None
    return iri if scheme in ("http", "https") else None


def is_local(iri: str) -> bool:
    return iri.startswith(base())


def curie(iri: str) -> str:
    """A short name for an IRI (`kg:aghdam`, `rdfs:label`), or the IRI itself."""
    for prefix, ns in own_prefixes():
        if iri.startswith(ns) and len(iri) > len(ns):
            local = iri[len(ns) :]
            if all(c.isalnum() or c in "-_./#" for c in local) and local.count("#") <= 1:
                return f"{prefix}:{local}"
    return iri


def doc_path(iri: str, suffix: str = "") -> str | None:
    """The document describing a resource IRI (`/doc/<path>[.suffix]`), None if not one of ours."""
    b = base()
    if not iri.startswith(b + "id/"):
        return None
    rest = iri[len(b) + 3 :]
    return request.script_root + "/doc/" + quote(rest, safe="/:@!$&'()*+,;=-._~%") + (f".{suffix}" if suffix else "")


def term_text(term: Term) -> str:
    """How a term reads in a table cell when it has no label."""
    if term.is_iri:
        return curie(term.value)
    if term.is_bnode:
        return "_:" + term.value
    return term.value


def datatype_name(term: Term) -> str | None:
    if not term.is_literal or term.lang or not term.datatype:
        return None
    if term.datatype == "http://www.w3.org/2001/XMLSchema#string":
        return None
    return curie(term.datatype)
