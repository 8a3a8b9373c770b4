"""The human side of the dataset: home, article, timeline, VoID/DCAT, dumps and the query page.

Server-rendered, readable without JavaScript, no outside call of any kind: every style and picture
comes from this server, and the query page is a plain form whose answers are drawn as a table.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict

import pyoxigraph as ox
from flask import Blueprint, Response, request, send_file, url_for

from karabakh_kg import releases
from karabakh_kg.web import conneg, safety
from karabakh_kg.web.app import state, text_response
from karabakh_kg.web.views import htmlpage, pagedata, quotes, timeline_svg, void, weblinks
from karabakh_kg.web.views.linked_data import failed, not_acceptable, not_found, safe_path
from karabakh_kg.web.views.pagedata import PageQueryFailed, Term

bp = Blueprint("pages", __name__)
log = logging.getLogger("karabakh_kg.pages")


def _install(setup) -> None:
    htmlpage.init_app(setup.app)
    setup.app.extensions["karabakh_kg"].query_page = query_page


bp.record_once(_install)
HTML = conneg.formats(conneg.HTML)
DISPLAY_ROWS = 1000  # rows drawn in the query page's table (downloads carry the whole answer)
HOME_PER_TYPE = 100  # resources listed per class on the home page


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


def _groups() -> list[tuple]:
    """(label, class, first resources, how many, a query for all of them when not all are listed)."""
    groups = []
    for label, iri, items in pagedata.memo("resources-by-class", _resources_by_class):
        more = None
        if len(items) > HOME_PER_TYPE:  # a big dataset: list some, link a query for all of them
            more = url_for("sparql.sparql", query=pagedata.query_text("instances", weblinks.base(), {"class": iri}))
        groups.append((label, iri, items[:HOME_PER_TYPE], len(items), more))
    return groups


@bp.route("/")
def home():
    """What this is, with figures and a link to everything."""
    try:
        figs = pagedata.memo("void-figures", void.figures)
        groups = _groups()
        articles = pagedata.select("articles")
        events = pagedata.memo("event-count", lambda: len({r["event"].value for r in pagedata.select("timeline")}))
    except PageQueryFailed as err:
        return failed(err)
    from karabakh_kg.web.views.queries import catalogue

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
    for m in placed:
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
    """Every event in date order, its precision drawn to scale in SVG (server-side, no script)."""
    try:
        layout = timeline_svg.layout(timeline_events())
    except PageQueryFailed as err:
        return failed(err)
    return htmlpage.page("timeline.html", t=layout, short=timeline_svg.short, vary_accept=False)


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
    response = Response(void.serialize(void.graph(figs, base), fmt.key), content_type=fmt.content_type)
    response.vary.add("Accept")
    response.headers["Link"] = htmlpage.link_header(alternates)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(f"{state().version}-void-{fmt.key}", weak=True)
    return response.make_conditional(request)


# --- dumps --------------------------------------------------------------------------------------


@bp.route("/dumps/")
def dumps_index():
    """The compressed dumps of the whole dataset that this release has."""
    return htmlpage.page("dumps.html", dumps=void.dumps(), vary_accept=False)


@bp.route("/dumps/<name>")
def dump(name: str):
    """One dump file, only if it is one of those listed: a name never becomes a path."""
    listed = {file_name: (size, fmt) for file_name, size, fmt in void.dumps()}
    if name not in listed or not safe_path(name):
        return not_found(request.path, "dump")
    if not releases.intact(state().release, f"{releases.DUMPS}/{name}"):  # cut or replaced since it was verified
        log.error("dump %s of release %s does not match its manifest", name, state().version)
        return text_response(503, "503 Service Unavailable: this dump is damaged on the server (logged); try later.")
    response = send_file(
        state().release.dumps / name,
        mimetype="application/gzip",
        as_attachment=True,
        download_name=name,
        conditional=True,
        etag=True,
        max_age=3600,
    )
    return response


# --- the query page (GET /sparql from a browser) --------------------------------------------------


def _table(body: bytes, fmt: str, form: str) -> tuple[list[str], list[list[Term | None]], bool | None]:
    """Columns and rows of an answer for display (ASK: no rows, the boolean)."""
    if form == "ASK":
        return [], [], bool(json.loads(body)["boolean"])
    if fmt == "json":
        data = json.loads(body)
        variables = data["head"]["vars"]
        rows = [[pagedata._term(b[v]) if v in b else None for v in variables] for b in data["results"]["bindings"]]
        return variables, rows, None
    rows = []
    for triple in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
        rows.append([_ox_term(triple.subject), _ox_term(triple.predicate), _ox_term(triple.object)])
    return ["subject", "predicate", "object"], rows, None


def _ox_term(term) -> Term:
    if isinstance(term, ox.NamedNode):
        return Term("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value)
    datatype = term.datatype.value if not term.language else None
    return Term("literal", term.value, datatype, term.language)


def query_page(query: str | None) -> Response:
    """The query editor with the competency queries as examples, the answer as a table, downloads."""
    from karabakh_kg.web.views.queries import catalogue

    examples = list(catalogue().values())
    context = {
        "query": query or "",
        "examples": examples,
        "columns": [],
        "rows": [],
        "boolean": None,
        "error": None,
        "downloads": [],
        "truncated": False,
        "total": 0,
        "ran": False,
    }
    status = 200
    if query is None and request.args.get("example") in catalogue():
        context["query"] = catalogue()[request.args["example"]].text
    elif query:
        status = _run_query(query, context)
    response = htmlpage.page("query.html", status=status, **context)
    response.headers["Cache-Control"] = "no-store" if status != 200 else "no-cache"
    return response


def _run_query(query: str, context: dict) -> int:
    st = state()
    try:
        safety.check_length(query, st.settings["MAX_QUERY_LENGTH"])
        limits = {
            k: st.settings[s]
            for k, s in (("max_depth", "MAX_QUERY_DEPTH"), ("max_tokens", "MAX_QUERY_TOKENS"))
            if s in st.settings
        }
        info = safety.analyse(query, **limits)
    except safety.Refused as err:
        context["error"] = err.message
        return err.status
    if info.form is None:
        context["error"] = "Not a SPARQL query: expected SELECT, CONSTRUCT, DESCRIBE or ASK."
        return 400
    fmt = "json" if info.kind == conneg.RESULTS else "ntriples"
    try:
        body, truncated = pagedata.run_text(query, info.form, fmt, info.has_dataset_clause)
    except PageQueryFailed as err:
        context["error"] = err.message
        return err.status
    except pagedata.UserQueryError as err:
        context["error"] = str(err)
        return 400
    columns, rows, boolean = _table(body, fmt, info.form)
    context.update(
        columns=columns, rows=rows[:DISPLAY_ROWS], boolean=boolean, truncated=truncated, total=len(rows), ran=True
    )
    context["downloads"] = [
        (f.label, f.key, url_for("sparql.sparql", query=query, format=f.key)) for f in conneg.formats(info.kind)
    ]
    return 200
