"""An OpenRefine reconciliation service: the W3C Entity Reconciliation Community Group API, v0.2.

`/reconcile` answers its manifest (GET with no `queries`), and batches of queries by name and
type (`queries=` as a form field of a POST or in the URL of a GET: a JSON object of queries, each
`{"query": …, "type": …, "limit": …}`). Identifiers are local names under `<base>id/` (the
identifier space) and types local names under `<base>ontology#` (the schema space), so
`identifierSpace + id` is the resource's IRI. `/reconcile/preview?id=…` is a small page for
OpenRefine's pop-up, `/reconcile/suggest/entity` and `/reconcile/suggest/type` the suggest
services. Matching is `search.find`: names, other names and quotes. JSONP is not offered
(CORS is): the site runs no script from elsewhere.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request, url_for

from karabakh_kg import namespaces
from karabakh_kg.web import host_header
from karabakh_kg.web.state import state
from karabakh_kg.web.views import htmlpage, weblinks
from karabakh_kg.web.views.pagedata import PageQueryFailed
from karabakh_kg.web.views.responses import failed
from karabakh_kg.web.views.search import Hit, find, resources, type_iri

bp = Blueprint("reconcile", __name__)

QUERY_KEYS = {"query", "type", "limit", "properties", "type_strict"}
MAX_QUERIES = 100  # queries in one batch (OpenRefine sends 10 at a time)
DEFAULT_TYPES = ("Agent", "Region", "Event", "Agreement", "Position", "Quantity")
PREVIEW_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *"
)


class BadBatch(ValueError):
    """A query batch that does not follow the API (named with the query and what is wrong)."""


def _spaces() -> tuple[str, str]:
    prefixes = namespaces.prefixes(state().base)
    return prefixes["kg"], prefixes["kgo"]


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


bp.after_request(_cors)


def manifest() -> dict:
    """What the service offers, as the API's manifest."""
    ids, schema = _spaces()
    root = host_header.public_url(state().base, url_for("reconcile.service")).rstrip("/")
    known = {t: label for r in resources().values() for t, label in r.types.items()}
    return {
        "versions": ["0.2"],
        "name": "Karabakh KG",
        "identifierSpace": ids,
        "schemaSpace": schema,
        "documentation": host_header.public_url(state().base, url_for("pages.home")),
        "view": {"url": host_header.public_url(state().base, url_for("pages.home")) + "id/{{id}}"},
        "defaultTypes": [
            {"id": name, "name": known[schema + name]} for name in DEFAULT_TYPES if schema + name in known
        ],
        "preview": {"url": root + "/preview?id={{id}}", "width": 420, "height": 160},
        "suggest": {
            "entity": {"service_url": root, "service_path": "/suggest/entity"},
            "type": {"service_url": root, "service_path": "/suggest/type"},
        },
    }


def parse_batch(text: str) -> dict[str, dict]:
    """The queries of a batch; BadBatch naming the query and the fault when it is not one."""
    try:
        batch = json.loads(text)
    except json.JSONDecodeError as err:
        raise BadBatch(f"'queries' is not JSON: {err}") from None
    if not isinstance(batch, dict) or not batch:
        raise BadBatch('\'queries\' must be a JSON object of queries, e.g. {"q0": {"query": "Aghdam"}}')
    if len(batch) > MAX_QUERIES:
        raise BadBatch(f"at most {MAX_QUERIES} queries in one batch; this one has {len(batch)}")
    for key, query in batch.items():
        if not isinstance(query, dict):
            raise BadBatch(f"query {key!r} must be an object")
        unknown = set(query) - QUERY_KEYS
        if unknown:
            raise BadBatch(f"query {key!r} has unknown field(s) {sorted(unknown)}; fields: {sorted(QUERY_KEYS)}")
        if not isinstance(query.get("query"), str) or not query["query"].strip():
            raise BadBatch(f"query {key!r} needs a 'query' string: this service matches by name")
        kinds = query.get("type", [])
        if not (isinstance(kinds, str) or (isinstance(kinds, list) and all(isinstance(t, str) for t in kinds))):
            raise BadBatch(f"query {key!r}: 'type' is a type id or a list of them")
        limit = query.get("limit", 10)
        if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 1:
            raise BadBatch(f"query {key!r}: 'limit' is a positive number")
    return batch


def candidate(hit: Hit, schema: str, ids: str) -> dict:
    """One candidate of a result: id, name, types, score and whether it is a certain match."""
    r = hit.resource
    local_types = [(t[len(schema) :], label) for t, label in sorted(r.types.items()) if t.startswith(schema)]
    return {
        "id": r.iri[len(ids) :] if r.iri.startswith(ids) else r.iri,
        "name": r.label,
        "description": f"{hit.field}: {hit.text}" if hit.field != "label" else ", ".join(lb for _, lb in local_types),
        "type": [{"id": t, "name": label or t} for t, label in local_types],
        "score": hit.score,
        "match": False,
    }


def answer(batch: dict[str, dict]) -> dict:
    """The result batch: candidates for each query; `match` only for one exact name."""
    ids, schema = _spaces()
    results = {}
    for key, query in batch.items():
        kinds = query.get("type") or []
        kinds = {type_iri(t) for t in ([kinds] if isinstance(kinds, str) else kinds)}
        hits = find(query["query"], kinds or None, int(query.get("limit", 10)))
        found = [candidate(h, schema, ids) for h in hits]
        exact = [c for c, h in zip(found, hits, strict=True) if h.exact]
        if len(exact) == 1:
            exact[0]["match"] = True
        results[key] = {"result": found}
    return results


@bp.route("/reconcile", methods=["GET", "POST"])
def service():
    """The manifest, or the candidates of a batch of queries."""
    text = request.values.get("queries")
    try:
        if text is None and request.method == "POST":
            return _error("POST the batch as the form field 'queries' (a JSON object of queries)")
        if text is None:
            return jsonify(manifest())
        return jsonify(answer(parse_batch(text)))
    except BadBatch as err:
        return _error(str(err))
    except PageQueryFailed as err:
        return failed(err)


def _error(message: str) -> Response:
    response = jsonify(
        {
            "status": "error",
            "message": message,
            "see": host_header.public_url(state().base, url_for("reconcile.service")),
        }
    )
    response.status_code = 400
    return response


@bp.route("/reconcile/suggest/entity")
def suggest_entity():
    """Entities whose names start with (or contain words starting with) `prefix`."""
    ids, schema = _spaces()
    start = max(0, _int(request.args.get("cursor"), 0))
    try:
        hits = find(request.args.get("prefix", ""), None, start + 10)[start:]
    except PageQueryFailed as err:
        return failed(err)
    return jsonify(
        {
            "result": [
                {
                    "id": c["id"],
                    "name": c["name"],
                    "description": c["description"],
                    "notable": c["type"],
                }
                for c in (candidate(h, schema, ids) for h in hits)
            ]
        }
    )


@bp.route("/reconcile/suggest/type")
def suggest_type():
    """The ontology's types that the data uses, whose names start with `prefix`."""
    _, schema = _spaces()
    prefix = request.args.get("prefix", "").casefold()
    try:
        known = {t: label for r in resources().values() for t, label in r.types.items() if t.startswith(schema)}
    except PageQueryFailed as err:
        return failed(err)
    result = [
        {"id": t[len(schema) :], "name": label or t[len(schema) :]}
        for t, label in sorted(known.items(), key=lambda kv: kv[1])
        if t[len(schema) :].casefold().startswith(prefix) or label.casefold().startswith(prefix)
    ]
    return jsonify({"result": result})


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


@bp.route("/reconcile/preview")
def preview():
    """A small page about one entity, for OpenRefine's preview pop-up (which frames it)."""
    ids, _ = _spaces()
    entity = request.args.get("id", "")
    try:
        found = resources().get(entity if entity.startswith(ids) else ids + entity)
    except PageQueryFailed as err:
        return failed(err)
    if found is None:
        response = htmlpage.page("reconcile_preview.html", status=404, resource=None, entity=entity)
    else:
        quotes = [text for kind, text in found.texts if kind == "quote"][:3]
        names = [text for kind, text in found.texts if kind == "other name"]
        response = htmlpage.page(
            "reconcile_preview.html", resource=found, quotes=quotes, names=names, link=weblinks.href(found.iri)
        )
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response
