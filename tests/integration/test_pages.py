"""The human pages: home, article, timeline, dumps, the query page, the public-base mapping."""

from __future__ import annotations

import gzip
import re
from html import unescape as html_unescape
from urllib.parse import urlsplit

import pytest
import rdflib
from rdflib.namespace import RDF, RDFS

from karabakh_kg.web import conneg
from support.ld import ARTICLE_ID, FIXTURE_TRIG, RESOURCE, page, parse_rdf

OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
PAGES = [
    "/",
    f"/doc/{RESOURCE}",
    f"/article/{ARTICLE_ID}",
    "/timeline",
    "/ontology.html",
    "/.well-known/void?format=html",
    "/dumps/",
    "/sparql?format=html",
]


def kgo(published, name: str) -> rdflib.URIRef:
    return rdflib.URIRef(published.base + "ontology#" + name)


@pytest.fixture(scope="module")
def fixture_rdflib_client(fixture_build, make_ld_app):
    """rdflib's engine (slow) on the small fixture: the pages must not depend on Oxigraph."""
    return make_ld_app(fixture_build, "rdflib").test_client()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_on_every_engine(ld_client, fixture_rdflib_client, path):
    for client in (ld_client, fixture_rdflib_client):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert response.mimetype == "text/html"


def test_every_local_link_of_the_home_page_resolves(ld_client, published):
    doc = page(ld_client.get("/"))
    local = sorted({h for h in doc.hrefs() if h.startswith("/")})
    assert len(local) > 20
    resources = [h for h in local if h.startswith("/id/")]
    sample = [h for h in local if not h.startswith("/id/")] + resources[:: max(1, len(resources) // 15)]
    for href in sample:  # every route, and fifteen resources spread over the list
        response = ld_client.get(href.split("#", 1)[0], headers={"Accept": "text/html"}, follow_redirects=True)
        assert response.status_code == 200, href
    for href in doc.hrefs():
        assert href.startswith(("/", "http://", "https://", "#")), href
        assert not href.startswith(published.base), f"{href}: links must stay on this server"


def test_home_explains_counts_and_links_everything(ld_client, published):
    doc = page(ld_client.get("/"))
    hrefs = set(doc.hrefs())
    for target in (
        "/sparql",
        "/queries/",
        "/ontology",
        "/timeline",
        f"/article/{ARTICLE_ID}",
        "/.well-known/void",
        "/dumps/",
        "/health",
    ):
        assert target in hrefs, target
    assert f"{len(published.union()):,}" in doc.text
    for name, info in published.release.manifest["graphs"].items():
        assert f"{info['triples']:,}" in doc.text, name
    from karabakh_kg.web.views.pages import HOME_PER_TYPE

    asserted = published.graph("asserted")
    members: dict = {}
    for s, t in asserted.subject_objects(RDF.type):
        if (
            isinstance(s, rdflib.URIRef)
            and str(s).startswith(published.base + "id/")
            and "#" not in str(s)
            and (s, RDF.type, kgo(published, "Mention")) not in asserted
        ):
            members.setdefault(t, set()).add(str(s))
    links = {published.base + h[1:] for h in hrefs if h.startswith("/id/")}
    listed = set().union(*(m for m in members.values() if len(m) <= HOME_PER_TYPE))
    assert listed and listed <= links


def test_article_page_highlights_every_mention(ld_client, published):
    article = published.iri(f"article/{ARTICLE_ID}")
    text = str(published.all.value(article, rdflib.URIRef("https://schema.org/text")))
    spans = set()
    for target in published.all.subjects(OA.hasSource, article):
        for selector in published.all.objects(target, OA.hasSelector):
            start, end = published.all.value(selector, OA.start), published.all.value(selector, OA.end)
            if start is not None:
                spans.add((int(start), int(end)))
    assert len(spans) >= 5
    html = ld_client.get(f"/article/{ARTICLE_ID}").get_data(as_text=True)
    doc = page(ld_client.get(f"/article/{ARTICLE_ID}"))
    for start, end in spans:
        assert f"char={start},{end}" in doc.ids, (start, end, text[start:end])
    mentions = [link for link in doc.links if "mention" in link.get("class", "")]
    assert mentions and all(link["href"].startswith("/id/") for link in mentions)
    covered = "".join(link["text"] for link in mentions)
    assert "Aghdam" in covered
    assert "date 2020-11-20" in doc.text  # the whole article, its header line included
    assert html.count('class="mention') == len(mentions)


def _events(published):
    event = kgo(published, "Event")
    return {e for e in published.all.subjects(RDF.type, event) if isinstance(e, rdflib.URIRef)}


def test_timeline_draws_every_event_in_date_order(ld_client, published):
    html = ld_client.get("/timeline").get_data(as_text=True)
    doc = page(ld_client.get("/timeline"))
    assert len(doc.elements("svg")) == 1
    drawn = [link["href"] for link in doc.links if link.get("href", "").startswith("/id/")]
    events = _events(published)
    listed = {published.base + h[1:] for h in drawn}
    assert {str(e) for e in events} <= listed
    groups = re.findall(r'<g class="event p-(\w+)">', html)
    assert groups and set(groups) <= {"day", "month", "year", "range", "open", "unknown"}
    earliest = re.findall(r"</td><td>[a-z]+</td><td>(\d{4}-\d{2}-\d{2})", html.replace("\n", ""))
    assert earliest == sorted(earliest) and len(earliest) >= 3


def test_a_large_timeline_is_drawn_a_page_at_a_time(ld_client, published, monkeypatch):
    """Pages of PAGE events: together every event once, in the one-page order; links between them."""
    from karabakh_kg.web.views import timeline_svg

    def rows(html: str) -> list[str]:
        table = html.split('<section id="events">', 1)[1]
        return re.findall(r'<a href="(/id/[^"]+)"', table)

    whole = rows(ld_client.get("/timeline").get_data(as_text=True))
    assert "pager" not in ld_client.get("/timeline").get_data(as_text=True)  # one page: no pager
    monkeypatch.setattr(timeline_svg, "PAGE", 4)
    paged, number = [], 1
    while True:
        response = ld_client.get(f"/timeline?page={number}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert f"of {len(whole)}." in html
        paged += rows(html)
        if 'rel="next"' not in html:
            break
        assert f'href="/timeline?page={number + 1}"' in html
        number += 1
    assert paged == whole and number == -(-len(whole) // 4) > 1
    for bad in ("0", str(number + 1), "x", "-1"):
        assert ld_client.get(f"/timeline?page={bad}").status_code == 404


def test_timeline_labels_are_whole_and_undated_events_are_drawn(ld_client, published):
    html = ld_client.get("/timeline").get_data(as_text=True)
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "…" not in svg
    labels = {str(o) for e in _events(published) for o in published.all.objects(e, RDFS.label)}
    drawn = html_unescape(" ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)))
    for label in labels:
        assert " ".join(label.split()) in drawn, label
    undated = svg.split("Undated: the article gives no time for these", 1)
    if len(undated) == 2:  # the real build has an undated event (the peacekeepers' deployment)
        assert '<g class="event p-unknown">' in undated[1] and "no date in the article" in undated[1]


def test_timeline_wraps_long_labels_and_draws_undated_rows():
    from karabakh_kg.web.views import timeline_svg as ts

    long = "A very long event label that goes on and on well past the width of the label column"
    events = [
        ts.Event("x:a", long, None, *ts.bounds("2020-11-20", None, None, None, None)[:2], "day", "2020-11-20"),
        ts.Event("x:b", "Deployment", None, None, None, "unknown", ""),
    ]
    layout = ts.layout(events)
    (row,) = layout.rows
    assert len(row.lines) == 2 and " ".join(row.lines) == long
    (undated,) = layout.undated_rows
    assert undated.y > row.y and not undated.marks and layout.height > undated.y


def test_dumps_are_listed_and_served(ld_client, published):
    folder = published.release.dumps
    names = sorted(p.name for p in folder.iterdir())
    assert names, "the build wrote no dumps"
    doc = page(ld_client.get("/dumps/"))
    assert {f"/dumps/{n}" for n in names} <= set(doc.hrefs())
    for name in names:
        with ld_client.get(f"/dumps/{name}") as response:
            assert response.status_code == 200 and response.mimetype == "application/gzip"
            assert response.data == (folder / name).read_bytes()
            if name.endswith(".ttl.gz"):
                graph = parse_rdf(gzip.decompress(response.data), "turtle")
                assert len(graph) == len(published.union())
        plain = name.removesuffix(".gz")
        assert f"/dumps/{plain}" in doc.hrefs()
        with ld_client.get(f"/dumps/{plain}", headers={"Accept-Encoding": "identity"}) as response:
            assert response.status_code == 200 and "Content-Encoding" not in response.headers
            assert response.data == gzip.decompress((folder / name).read_bytes())
            assert response.mimetype in {f.media_type for f in conneg.formats(conneg.GRAPH)}
            assert "Accept-Encoding" in response.vary
        with ld_client.get(f"/dumps/{plain}", headers={"Accept-Encoding": "gzip"}) as response:
            assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
            assert response.data == (folder / name).read_bytes()
    assert ld_client.get("/dumps/dataset.nq").status_code == 404
    assert ld_client.get("/dumps/manifest.json").status_code == 404


# --- the query page -----------------------------------------------------------------------------


def test_query_page_offers_the_competency_queries(ld_client):
    from karabakh_kg.web.views.queries import catalogue

    doc = page(ld_client.get("/sparql", headers={"Accept": "text/html"}))
    assert doc.elements("textarea") and doc.elements("form")[0]["method"] == "get"
    for query in catalogue().values():
        assert query.title in doc.text
    example = next(iter(catalogue()))
    filled = ld_client.get(f"/sparql?example={example}", headers={"Accept": "text/html"})
    assert catalogue()[example].text.strip() in filled.get_data(as_text=True).replace("&lt;", "<").replace(
        "&gt;", ">"
    ).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")


def test_query_page_runs_a_select_and_links_every_download(ld_client, published):
    query = f"SELECT ?p ?o WHERE {{ <{published.iri(RESOURCE)}> ?p ?o }}"
    response = ld_client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/html"})
    assert response.status_code == 200
    doc = page(response)
    rows = doc.text.split("Results", 1)[1]
    expected = len({(p, o) for s, p, o in published.union() if s == published.iri(RESOURCE)})
    assert f"{expected} rows" in rows
    downloads = [h for h in doc.hrefs() if "format=" in h]
    formats = {re.search(r"format=(\w+)", h).group(1) for h in downloads}
    assert formats == {"json", "xml", "csv", "tsv"}
    for href in downloads:
        answer = ld_client.get(href)
        assert answer.status_code == 200 and answer.mimetype != "text/html"


def test_query_page_shows_construct_and_ask(ld_client, published):
    construct = f"CONSTRUCT {{ <{published.iri(RESOURCE)}> ?p ?o }} WHERE {{ <{published.iri(RESOURCE)}> ?p ?o }}"
    doc = page(ld_client.get("/sparql", query_string={"query": construct}, headers={"Accept": "text/html"}))
    formats = {re.search(r"format=(\w+)", h).group(1) for h in doc.hrefs() if "format=" in h}
    assert formats == {"turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads"}
    assert "subject" in doc.text and "predicate" in doc.text
    ask = page(ld_client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "text/html"}))
    assert "ASK: true" in ask.text


@pytest.mark.parametrize(
    "query, status, words",
    [
        ("SELECT * WHERE { ?s ?p }", 400, "parse error"),
        ("INSERT DATA { <a:b> <a:c> <a:d> }", 403, "read-only"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", 403, "SERVICE"),
    ],
)
def test_query_page_explains_refusals(ld_client, query, status, words):
    response = ld_client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/html"})
    assert response.status_code == status
    assert response.mimetype in ("text/html", "text/plain")
    assert words.lower() in response.get_data(as_text=True).lower()


# --- the public base ----------------------------------------------------------------------------


def test_any_public_base_maps_onto_this_server(tmp_path, make_ld_app):
    from support.builds import build_from_trig

    other = "http://data.example.org/kk/"
    text = FIXTURE_TRIG.read_text(encoding="utf-8").replace("https://w3id.org/karabakh-kg/", other)
    app = make_ld_app(build_from_trig(text, tmp_path, base=other))
    client = app.test_client()
    assert client.get(f"/id/{RESOURCE}").status_code == 303
    doc = page(client.get(f"/doc/{RESOURCE}", headers={"Accept": "text/html"}))
    assert f"{other}id/{RESOURCE}" in doc.text
    assert all(not h.startswith(other) for h in doc.hrefs())
    assert "/id/azerbaijan" in doc.hrefs()
    ttl = parse_rdf(client.get(f"/doc/{RESOURCE}.ttl").data, "turtle")
    assert (rdflib.URIRef(f"{other}id/{RESOURCE}"), None, None) in ttl
    assert client.get("/ontology/0.1.0").status_code == 200
    for href in page(client.get("/")).hrefs():
        if href.startswith("/"):
            assert client.get(href.split("#")[0], follow_redirects=True).status_code == 200, href
    assert (
        urlsplit(client.get(f"/id/{RESOURCE}", headers={"Accept": "text/html"}).headers["Location"]).path
        == f"/doc/{RESOURCE}"
    )


# --- documentation that cannot drift ------------------------------------------------------------


def _linked_data_section() -> str:
    from support.ld import ROOT

    assert "(docs/linked-data.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    return (ROOT / "docs" / "linked-data.md").read_text(encoding="utf-8")


def test_every_linked_data_route_is_documented(ld_apps):
    section = _linked_data_section()
    rules = [
        r for r in ld_apps("oxigraph").url_map.iter_rules() if r.endpoint.split(".")[0] in ("linked_data", "pages")
    ]
    assert len(rules) >= 12
    for rule in rules:
        documented = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
        assert f"`{documented}" in section, rule.rule


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads", "html"])
def test_void_in_every_documented_format(ld_client, fmt):
    response = ld_client.get(f"/.well-known/void?format={fmt}")
    assert response.status_code == 200


def test_home_lists_a_few_of_a_big_class_and_links_a_query_for_all(ld_client, monkeypatch):
    from karabakh_kg.web.views import pages

    monkeypatch.setattr(pages, "HOME_PER_TYPE", 2)
    doc = page(ld_client.get("/"))
    more = [link for link in doc.links if link["text"].startswith("all ")]
    assert more
    total = int(more[0]["text"].split()[1].rstrip("…"))
    answer = page(ld_client.get(more[0]["href"], headers={"Accept": "text/html"}))
    assert f"{total} rows" in answer.text


def test_ontology_page_descriptions_have_no_hard_line_breaks(ld_client, published):
    html = ld_client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    literals = re.findall(r'<span class="literal">([^<]*)</span>', html) + re.findall(
        r'<p class="(?:definition|comment)">([^<]*)</p>', html
    )
    assert literals
    for text in literals:
        for paragraph in text.split("\n\n"):
            assert "\n" not in paragraph, paragraph


def test_ontology_diagram_is_shown_at_its_own_size(ld_client, published):
    if not (published.release.path / "diagram.svg").is_file():
        pytest.skip("this build has no diagram (Graphviz absent)")
    doc = page(ld_client.get("/ontology", headers={"Accept": "text/html"}))
    (img,) = [i for i in doc.elements("img") if "diagram" in i.get("src", "")]
    svg = ld_client.get(img["src"]).get_data(as_text=True)
    width_pt = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    assert int(img["width"]) == round(width_pt * 4 / 3)  # unscaled: the page scrolls instead
    # right-to-left layout: 0.1.0's ontology drew 1,835 px wide, 0.2.0's (statements, evidence spans) 2,251
    assert int(img["width"]) < 2400, "the diagram should be laid out narrow enough to read"


def test_home_page_names_each_graph_instead_of_its_iri(ld_client, published):
    doc = page(ld_client.get("/", headers={"Accept": "text/html"}))
    figures = [li for li in doc.text.split("\n") if " triples in the graph " in li]
    assert figures
    for name in ("ontology", "asserted", "inferred"):
        assert any(f"in the graph {name}" in line for line in figures), figures
    assert not any(published.base + "graph/" in line for line in figures)


def test_void_is_written_once_per_format_for_an_app(make_ld_app, ld_build, monkeypatch):
    """The description depends only on the release and the public base: each format is written
    once per app, and every later request gets the same bytes (with the answer cache off)."""
    from karabakh_kg.web.views import void

    written = []
    real = void.serialize
    monkeypatch.setattr(void, "serialize", lambda g, key, base: written.append(key) or real(g, key, base))
    client = make_ld_app(ld_build, CACHE_ENTRIES=0, CACHE_BYTES=0).test_client()
    turtle = [client.get("/.well-known/void", headers={"Accept": "text/turtle"}) for _ in range(3)]
    ntriples = [client.get("/.well-known/void?format=nt") for _ in range(2)]
    assert all(r.status_code == 200 for r in turtle + ntriples)
    assert len({r.get_data() for r in turtle}) == 1 and len({r.get_data() for r in ntriples}) == 1
    assert sorted(written) == ["ntriples", "turtle"]
