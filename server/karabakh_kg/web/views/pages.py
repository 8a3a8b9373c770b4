"""The human side of the dataset: home, article, timeline, VoID/DCAT, dumps and the query page.

Server-rendered, readable without JavaScript, no outside call of any kind: every style and picture
comes from this server. The query page lives in `query_page`.
"""

from __future__ import annotations

import gzip
import logging
from collections import defaultdict

from flask import Blueprint, Response, request, send_file, url_for

from karabakh_kg import figures as dataset_figures
from karabakh_kg import releases
from karabakh_kg.web import conneg
from karabakh_kg.web.state import state
from karabakh_kg.web.views import htmlpage, pagedata, quotes, timeline_svg, void, weblinks
from karabakh_kg.web.views.pagedata import PageQueryFailed, Term
from karabakh_kg.web.views.responses import (
    conditional,
    etag,
    failed,
    not_acceptable,
    not_found,
    safe_path,
    text_response,
)

bp = Blueprint("pages", __name__)
log = logging.getLogger("karabakh_kg.pages")
HTML = conneg.formats(conneg.HTML)
HOME_PER_TYPE = dataset_figures.FIRST_PER_CLASS  # resources listed per class on the home page


def _v(term: Term | None) -> str | None:
    return term.value if term is not None else None


# --- home ---------------------------------------------------------------------------------------


def _resources_by_class() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Every named resource by asserted class: (class label, class, [(resource, label)] sorted)."""
    by_type: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for row in pagedata.select("resources"):
        key = (_v(row.get("typeLabel")) or weblinks.curie(row["type"].value), row["type"].value)
        by_type[key].append((row["s"].value, _v(row.get("label")) or weblinks.curie(row["s"].value)))
    return [
        (label, iri, sorted(items, key=lambda i: i[1].lower()))
        for (label, iri), items in sorted(by_type.items(), key=lambda kv: kv[0][0].lower())
    ]


def _counted_by_class(counted: dict) -> list[tuple[str, str, list[tuple[str, str]], int]]:
    """The same groups from the figures the build counted: (class label, class, first resources, how many)."""
    groups = []
    for entry in counted["home_classes"]:
        label = entry["typeLabel"] or weblinks.curie(entry["type"])
        items = [(s, name or weblinks.curie(s)) for s, name in entry["first"]]
        groups.append((label, entry["type"], items, entry["count"]))
    return sorted(groups, key=lambda g: g[0].lower())


def _groups() -> list[tuple]:
    """(label, class, first resources, how many, a query for all of them when not all are listed)."""
    counted = pagedata.release_figures()
    if counted is not None:
        listed = _counted_by_class(counted)
    else:
        listed = [
            (label, iri, items[:HOME_PER_TYPE], len(items))
            for label, iri, items in pagedata.memo("resources-by-class", _resources_by_class)
        ]
    groups = []
    for label, iri, items, count in listed:
        more = None
        if count > HOME_PER_TYPE:  # a big dataset: list some, link a query for all of them
            more = url_for("sparql.sparql", query=pagedata.query_text("instances", weblinks.base(), {"class": iri}))
        groups.append((label, iri, items[:HOME_PER_TYPE], count, more))
    return groups


GRAPHS = {  # the named graphs, by the last segment of their IRI: what each holds
    "ontology": "the classes, properties and axioms",
    "asserted": "what the article states: the curated facts and their mentions",
    "links": "links to Wikidata and GeoNames",
    "inferred": "what OWL-RL reasoning adds",
}


def graph_names(iri: str) -> tuple[str, str | None]:
    """(short name, what it holds) of a named graph: `asserted` rather than its whole IRI."""
    prefix = weblinks.base() + "graph/"
    if iri.startswith(prefix):
        name = iri[len(prefix) :]
        return name, GRAPHS.get(name)
    return weblinks.curie(iri), None


@bp.route("/")
def home():
    """What this is, with figures and a link to everything."""
    try:
        figs = pagedata.memo("void-figures", void.figures)
        groups = _groups()
        articles = pagedata.select("articles")
        events = int(pagedata.select("event-count")[0]["events"].value)
    except PageQueryFailed as err:
        return failed(err)
    from karabakh_kg.web.views.queries import catalogue  # queries -> sparql -> pages: a real cycle

    return htmlpage.page(
        "home.html",
        alternates=[(url_for("pages.void"), "text/turtle")],
        figs=figs,
        groups=groups,
        manifest=state().release.manifest,
        version=state().version,
        articles=[(r["article"].value, _v(r.get("label")), _v(r.get("date"))) for r in articles],
        events=events,
        queries=list(catalogue().values()),
        dumps=void.dumps(),
        base=weblinks.base(),
        graph_names=graph_names,
    )


# --- article ------------------------------------------------------------------------------------


@bp.route("/article/<article_id>")
def article(article_id: str):
    """The whole article, each mention highlighted and linked to the resource it stands for."""
    if not safe_path(article_id):
        return not_found(request.path, "article")
    iri = weblinks.base() + "id/article/" + article_id
    try:
        doc = quotes.article(iri) if pagedata.valid_iri(iri) else None
        if doc is None:
            return not_found(iri, "article")
        rows = pagedata.select("article-mentions", article=iri)
    except PageQueryFailed as err:
        return failed(err)
    segs, placed = quotes.segments(doc.text, rows)
    resources = {}
    for m in (m for m in placed if not m["evidence"]):
        resources.setdefault(m["resource"], [m["label"], 0])[1] += 1
    return htmlpage.page(
        "article.html",
        doc=doc,
        text=quotes.render_segments(segs),
        mentions=placed,
        resources=sorted(resources.items(), key=lambda kv: kv[1][0].lower()),
        anchor=quotes.anchor,
        alternates=[(weblinks.doc_path(iri, "ttl") or "", "text/turtle")],
    )


# --- timeline -----------------------------------------------------------------------------------


def timeline_events() -> list[timeline_svg.Event]:
    events: dict[str, timeline_svg.Event] = {}
    for row in pagedata.select("timeline"):
        earliest, latest, precision, shown = timeline_svg.bounds(
            _v(row.get("date")),
            _v(row.get("yearMonth")),
            _v(row.get("year")),
            _v(row.get("earliest")),
            _v(row.get("latest")),
        )
        iri = row["event"].value
        event = timeline_svg.Event(
            iri,
            _v(row.get("label")) or weblinks.curie(iri),
            _v(row.get("typeLabel")),
            earliest,
            latest,
            precision,
            shown,
            _v(row.get("wording")),
            _v(row.get("timeLabel")),
        )
        known = events.get(iri)
        if known is None or (known.earliest is None and event.earliest is not None):
            events[iri] = event
    return list(events.values())


@bp.route("/timeline")
def timeline():
    """Every event in date order, its precision drawn to scale in SVG (server-side, no script);
    a large dataset's a page of `timeline_svg.PAGE` events at a time (`?page=2`, ...)."""
    try:
        ordered = pagedata.memo("timeline-events", lambda: timeline_svg.in_order(timeline_events()))
    except PageQueryFailed as err:
        return failed(err)
    size = timeline_svg.PAGE
    pages = max(1, -(-len(ordered) // size))
    number = request.args.get("page", "1")
    if not number.isdigit() or not 1 <= int(number) <= pages:
        return not_found(request.full_path, "timeline page")
    number = int(number)
    shown = ordered[(number - 1) * size : number * size]
    pager = None
    if pages > 1:
        pager = {
            "first": (number - 1) * size + 1,
            "last": (number - 1) * size + len(shown),
            "total": len(ordered),
            "previous": url_for("pages.timeline", page=number - 1) if number > 1 else None,
            "next": url_for("pages.timeline", page=number + 1) if number < pages else None,
        }
    return htmlpage.page("timeline.html", t=timeline_svg.layout(shown), pager=pager, vary_accept=False)


# --- VoID and DCAT ------------------------------------------------------------------------------


@bp.route("/.well-known/void", endpoint="void")
def void_description():
    """VoID + DCAT: Turtle, N-Triples, JSON-LD, RDF/XML by Accept (Turtle by default), HTML for browsers."""
    try:
        fmt = conneg.negotiate(request.headers.get("Accept"), conneg.GRAPH, request.args.get("format"), extra=HTML)
        figs = pagedata.memo("void-figures", void.figures)
    except conneg.NotAcceptable as err:
        return not_acceptable(err)
    except PageQueryFailed as err:
        return failed(err)
    base = weblinks.base()
    alternates = [
        (url_for("pages.void", format=f.key), f.media_type)
        for f in conneg.formats(conneg.GRAPH) + HTML
        if f.key != fmt.key
    ]
    if fmt.kind == conneg.HTML:
        return htmlpage.page(
            "void.html",
            alternates=alternates,
            figs=figs,
            dumps=void.dumps(),
            iris=void.iris(base),
            version=state().version,
        )
    # The same bytes for every request to this app (one release, one public base): written once,
    # since rdflib's Turtle writer took 100 ms of the 127 ms a VoID request cost.
    body = pagedata.memo(f"void {fmt.key} {base}", lambda: void.serialize(void.graph(figs, base), fmt.key, base))
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    response.headers["Link"] = htmlpage.link_header(alternates)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return conditional(response, etag("void", fmt.key))


# --- dumps --------------------------------------------------------------------------------------


@bp.route("/dumps/")
def dumps_index():
    """The compressed dumps of the whole dataset that this release has."""
    return htmlpage.page("dumps.html", dumps=void.dumps(), vary_accept=False)


@bp.route("/dumps/<name>")
def dump(name: str):
    """One dump: `NAME.gz` as the gzip file, or `NAME` as RDF (gzip on the wire only if asked for).

    Only a listed file is served: a name never becomes a path.
    """
    listed = {file_name: fmt for file_name, _, fmt in void.dumps()}
    if not safe_path(name) or (name not in listed and name + ".gz" not in listed):
        return not_found(request.path, "dump")
    stored = name if name in listed else name + ".gz"
    if not releases.intact(state().release, f"{releases.DUMPS}/{stored}"):  # cut or replaced since it was verified
        log.error("dump %s of release %s does not match its manifest", stored, state().version)
        return text_response(503, "503 Service Unavailable: this dump is damaged on the server (logged); try later.")
    if name in listed:
        return send_file(
            state().release.dumps / name,
            mimetype="application/gzip",
            as_attachment=True,
            download_name=name,
            conditional=True,
            etag=True,
            max_age=3600,
        )
    return _plain_dump(state().release.dumps / (name + ".gz"), listed[name + ".gz"])


def _plain_dump(path, fmt: conneg.Format | None) -> Response:
    """The dump's RDF itself: the stored gzip bytes as `Content-Encoding: gzip` to a client that
    accepts gzip, else decompressed while it is sent (rdflib's `Graph().parse(url)`, owlready2)."""
    content_type = fmt.content_type if fmt else "application/octet-stream"
    gz = request.accept_encodings["gzip"] > 0
    if gz:
        response = send_file(path, mimetype=content_type, conditional=True, etag=False, max_age=3600)
        response.headers["Content-Encoding"] = "gzip"
    else:

        def chunks():
            with gzip.open(path, "rb") as stream:
                while block := stream.read(1 << 16):
                    yield block

        response = Response(chunks(), content_type=content_type, direct_passthrough=True)
        response.cache_control.max_age = 3600
    response.vary.add("Accept-Encoding")
    return conditional(response, etag("dump", path.name, gz))
