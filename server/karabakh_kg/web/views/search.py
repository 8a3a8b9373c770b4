"""Search over names, other names and quotes: `/search?q=…` (a page, or JSON for tools).

The texts come from one page query (`queries/pages/search-index.rq`), read once per dataset
version and worker; matching is done here, so a search term never becomes query text. Matching
ignores case, accents and the kind of quote mark (the article mixes ’ and '), and ranks a
resource by its best text: its name over its other names over the article's quotes, an exact
match over a prefix over words found anywhere. This reads every text into memory: right for a
graph of one article; a big graph would want the store's full-text index instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask import Blueprint, jsonify, request, url_for

from karabakh_kg import namespaces
from karabakh_kg.web.state import state
from karabakh_kg.web.views import htmlpage, pagedata, weblinks
from karabakh_kg.web.views.pagedata import PageQueryFailed
from karabakh_kg.web.views.responses import failed

bp = Blueprint("search", __name__)

MAX_QUERY = 200  # characters of a search term
MAX_LIMIT = 100
# (field, how it matched) -> score; the best one ranks the resource
SCORES = {
    ("label", "exact"): 100,
    ("other name", "exact"): 95,
    ("label", "prefix"): 85,
    ("other name", "prefix"): 80,
    ("label", "words"): 70,
    ("other name", "words"): 65,
    ("quote", "exact"): 60,
    ("quote", "prefix"): 50,
    ("quote", "words"): 40,
}
QUOTE_MARKS = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "‐": "-", "–": "-", "—": "-"})


@dataclass
class Resource:
    """A resource as search sees it: its IRI, name, other names, quotes and ontology types."""

    iri: str
    label: str = ""
    texts: list[tuple[str, str]] = field(default_factory=list)  # (field, text)
    types: dict[str, str] = field(default_factory=dict)  # type IRI -> label


@dataclass(frozen=True)
class Hit:
    resource: Resource
    score: int
    field: str
    text: str

    @property
    def exact(self) -> bool:
        return self.score >= SCORES[("other name", "exact")]


def normalise(text: str) -> str:
    """Lower case, no accents, one kind of quote mark, words separated by single spaces."""
    text = unicodedata.normalize("NFKD", text.translate(QUOTE_MARKS))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"\w+", text))


def _build() -> dict[str, Resource]:
    resources: dict[str, Resource] = {}
    for row in pagedata.select("search-index"):
        resource = resources.setdefault(row["s"].value, Resource(row["s"].value))
        kind, text = row["field"].value, row["text"].value
        if (kind, text) not in resource.texts:
            resource.texts.append((kind, text))
        if kind == "label" and not resource.label:
            resource.label = text
        if "type" in row:
            resource.types.setdefault(row["type"].value, row["typeLabel"].value if "typeLabel" in row else "")
    for resource in resources.values():
        resource.label = resource.label or weblinks.curie(resource.iri)
    return resources


def resources() -> dict[str, Resource]:
    """Every searchable resource by IRI (read once per dataset version and worker)."""
    return pagedata.memo("search-index", _build)


def _how(query: str, text: str) -> str | None:
    if text == query:
        return "exact"
    if text.startswith(query):
        return "prefix"
    words = text.split()
    if all(any(w.startswith(t) for w in words) for t in query.split()):
        return "words"
    return None


def find(query: str, types: set[str] | None = None, limit: int = 20) -> list[Hit]:
    """The resources whose texts match `query`, best first; only those of `types` if given."""
    wanted = normalise(query)
    if not wanted:
        return []
    hits = []
    for resource in resources().values():
        if types and not types & resource.types.keys():
            continue
        best = None
        for kind, text in resource.texts:
            how = _how(wanted, normalise(text))
            if how and (best is None or SCORES[(kind, how)] > best.score):
                best = Hit(resource, SCORES[(kind, how)], kind, text)
        if best:
            hits.append(best)
    hits.sort(key=lambda h: (-h.score, h.resource.label.casefold(), h.resource.iri))
    return hits[:limit]


def type_iri(value: str) -> str:
    """A type given as a full IRI, a prefixed name (`kgo:District`) or a bare ontology name (`District`)."""
    prefixes = namespaces.prefixes(state().base)
    name, colon, local = value.partition(":")
    if colon and name in prefixes and not local.startswith("//"):
        return prefixes[name] + local
    if not colon:
        return prefixes["kgo"] + value
    return value


def _limit(value: str | None, default: int = 20) -> int:
    try:
        return max(1, min(MAX_LIMIT, int(value))) if value else default
    except ValueError:
        return default


def _wants_json() -> bool:
    fmt = request.args.get("format")
    if fmt:
        return fmt == "json"
    accept = request.accept_mimetypes
    return accept.quality("application/json") >= accept.quality("text/html")


def describe(hit: Hit) -> dict:
    """A hit in JSON: the resource, its types and the text that matched."""
    r = hit.resource
    return {
        "id": r.iri,
        "label": r.label,
        "types": [{"id": t, "label": label} for t, label in sorted(r.types.items())],
        "score": hit.score,
        "matched": {"field": hit.field, "text": hit.text},
        "page": weblinks.href(r.iri),
    }


@bp.route("/search")
def search():
    """Find resources by name, other name or quote (HTML for browsers, JSON for tools)."""
    query = request.args.get("q", "")[:MAX_QUERY]
    types = {type_iri(t) for t in request.args.getlist("type") if t}
    try:
        hits = find(query, types or None, _limit(request.args.get("limit"))) if query.strip() else []
        known_types = sorted(
            {(t, label) for r in resources().values() for t, label in r.types.items()}, key=lambda x: x[1]
        )
    except PageQueryFailed as err:
        return failed(err)
    if _wants_json():
        response = jsonify({"query": query, "results": [describe(h) for h in hits]})
        response.vary.add("Accept")
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    return htmlpage.page(
        "search.html",
        query=query,
        hits=hits,
        types=known_types,
        chosen=types,
        alternates=[(url_for("search.search", q=query, format="json"), "application/json")],
    )
