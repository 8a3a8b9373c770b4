"""Cool URIs: 303 per Accept, documents by suffix or Accept, twins, Vary, 404s, the ontology IRIs."""

from __future__ import annotations

import re
from html import unescape as html_unescape
from urllib.parse import parse_qs, quote, urlsplit

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS

from karabakh_kg import query_files
from karabakh_kg.web.views import describe
from support.ld import RESOURCE, page, parse_rdf

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
OWL_API = "application/rdf+xml, application/xml; q=0.5, text/xml; q=0.3, */*; q=0.2"
RDFLIB = (
    "application/rdf+xml, text/n3, text/turtle, application/n-triples, application/ld+json, "
    "application/n-quads, application/trix, application/trig"
)
JENA = "text/turtle,application/n-triples;q=0.9,application/ld+json;q=0.8,application/rdf+xml;q=0.7,*/*;q=0.5"
MEDIA = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "nt": "application/n-triples",
    "html": "text/html",
}
RDFLIB_FORMAT = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml", "nt": "nt"}


# --- /id/ → 303 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept, target",
    [
        (None, ".rdf"),  # owlready2, urllib: no Accept header at all
        ("*/*", ".rdf"),  # curl, wget
        ("text/html", ""),
        (BROWSER, ""),
        ("text/turtle", ".ttl"),
        ("application/x-turtle", ".ttl"),
        ("application/ld+json", ".jsonld"),
        ("application/rdf+xml", ".rdf"),
        ("application/n-triples", ".nt"),
        ("text/turtle;q=0.5, application/rdf+xml", ".rdf"),
        ("text/html;q=0.1, text/turtle", ".ttl"),
        ("text/html;q=0, */*", ".rdf"),
        (OWL_API, ".rdf"),
        (RDFLIB, ".rdf"),
        (JENA, ".ttl"),
        ("text/*", ".ttl"),
        ("application/*", ".rdf"),
    ],
)
def test_resource_iri_answers_303_to_the_document_for_the_accept_header(ld_client, accept, target):
    response = ld_client.get(f"/id/{RESOURCE}", headers={"Accept": accept} if accept else {})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/doc/{RESOURCE}{target}"
    assert "Accept" in response.vary


def test_location_never_comes_from_the_host_header(ld_client):
    """A relative Location: a forged Host cannot end up in a (cacheable) redirect."""
    for path in (f"/id/{RESOURCE}", "/graph/asserted"):
        response = ld_client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 303 and response.headers["Location"].startswith("/"), path
        assert "evil" not in response.headers["Location"]


def test_mention_and_article_iris_dereference(ld_client, published):
    article = ld_client.get("/id/article/2020-11-20-aghdam", headers={"Accept": "text/turtle"})
    assert article.status_code == 303 and article.headers["Location"].endswith("/doc/article/2020-11-20-aghdam.ttl")
    denoted_by = rdflib.URIRef(published.base + "ontology#denotedBy")
    mention = next(iter(published.all.objects(published.iri(RESOURCE), denoted_by)))
    path = "/id/" + str(mention)[len(published.base + "id/") :]
    assert ld_client.get(path).status_code == 303
    doc = ld_client.get(path.replace("/id/", "/doc/", 1) + ".nt")
    assert doc.status_code == 200 and str(mention) in doc.get_data(as_text=True)


def test_no_acceptable_format_is_406_naming_the_formats(ld_client):
    response = ld_client.get(f"/id/{RESOURCE}", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)
    assert "Accept" in response.vary


# --- /doc/ --------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["ttl", "jsonld", "rdf", "nt", "html"])
@pytest.mark.parametrize("accept", [None, "text/html", "text/turtle", "application/rdf+xml"])
def test_suffix_beats_accept(ld_client, suffix, accept):
    response = ld_client.get(f"/doc/{RESOURCE}.{suffix}", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == MEDIA[suffix]
    assert "Accept" in response.vary
    assert "Content-Location" not in response.headers


@pytest.mark.parametrize(
    "accept, media, suffix",
    [
        ("text/turtle", "text/turtle", "ttl"),
        ("application/ld+json", "application/ld+json", "jsonld"),
        ("application/rdf+xml", "application/rdf+xml", "rdf"),
        ("application/n-triples", "application/n-triples", "nt"),
        (BROWSER, "text/html", None),
        (None, "application/rdf+xml", "rdf"),
        ("*/*", "application/rdf+xml", "rdf"),
    ],
)
def test_document_without_suffix_negotiates(ld_client, accept, media, suffix):
    response = ld_client.get(f"/doc/{RESOURCE}", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == media
    assert "Accept" in response.vary
    if suffix:
        assert response.headers["Content-Location"] == f"/doc/{RESOURCE}.{suffix}"


def _links(response) -> dict[str, str]:
    out = {}
    for part in response.headers.get("Link", "").split(","):
        url, _, params = part.strip().partition(";")
        if 'rel="alternate"' in params:
            media = params.split('type="', 1)[1].split('"', 1)[0]
            out[media] = url.strip().strip("<>")
    return out


def test_html_and_rdf_twins_link_to_each_other(ld_client):
    html = ld_client.get(f"/doc/{RESOURCE}", headers={"Accept": "text/html"})
    assert _links(html) == {media: f"/doc/{RESOURCE}.{ext}" for ext, media in MEDIA.items() if ext != "html"}
    ttl = ld_client.get(f"/doc/{RESOURCE}.ttl")
    twins = _links(ttl)
    assert twins["text/html"] == f"/doc/{RESOURCE}.html"
    assert "text/turtle" not in twins
    for url in twins.values():
        assert ld_client.get(url).status_code == 200
    alternates = page(html).elements("link")
    assert {a["type"] for a in alternates if a.get("rel") == "alternate"} >= {"text/turtle", "application/rdf+xml"}


def test_every_rdf_form_says_the_same(ld_client, published):
    graphs = {}
    for ext, fmt in RDFLIB_FORMAT.items():
        body = ld_client.get(f"/doc/{RESOURCE}.{ext}").get_data(as_text=True)
        graphs[ext] = parse_rdf(body, fmt)
    for ext in graphs:
        assert isomorphic(graphs[ext], graphs["nt"]), ext
    iri = published.iri(RESOURCE)
    union = published.union()
    expected_out = {(p, o) for s, p, o in union if s == iri}
    assert {(p, o) for s, p, o in graphs["nt"] if s == iri} == expected_out
    expected_in = {(s, p) for s, p, o in union if o == iri and isinstance(s, rdflib.URIRef)}
    assert {(s, p) for s, p, o in graphs["nt"] if o == iri} == expected_in


def test_conditional_get_on_documents(ld_client):
    first = ld_client.get(f"/doc/{RESOURCE}.ttl")
    assert first.headers.get("ETag")
    again = ld_client.get(f"/doc/{RESOURCE}.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# --- 404 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/no-such-thing",
        "/doc/no-such-thing",
        "/doc/no-such-thing.ttl",
        "/id/aghdam/mention/999",
        "/id/",
        "/doc/",
        "/graph/nope",
        "/ontology/0.0.0-nope",
        "/ontology.exe",
        "/article/no-such-article",
        # not IRIs at all once decoded: still a 404, never a 5xx from the engine's IRI parser
        "/id/%25zz",
        "/id/%25",
        "/id/[x]",
        "/id/%FF%FE",
        "/doc/aghdam.%25",
        "/article/%25zz",
        "/id/" + "a" * 5000,
    ],
)
def test_unknown_iris_are_404_with_a_helpful_answer(ld_client, path):
    text = ld_client.get(path)
    assert text.status_code == 404
    html = ld_client.get(path, headers={"Accept": BROWSER})
    assert html.status_code == 404
    if html.mimetype == "text/html":
        hrefs = page(html).hrefs()
        assert "/" in hrefs and "/sparql" in hrefs


def test_404_page_suggests_near_names(ld_client):
    response = ld_client.get(f"/id/{RESOURCE}x", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert f"/id/{RESOURCE}" in page(response).hrefs()
    plain = ld_client.get(f"/id/{RESOURCE}x", headers={"Accept": "text/plain"})
    assert plain.mimetype == "text/plain" and f"/id/{RESOURCE}" in plain.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/id/../manifest.json",
        "/id/%2e%2e/manifest.json",
        "/doc/aghdam/../../manifest.json",
        "/id/aghdam%2F..%2F..%2Fmanifest.json",
        "/doc/aghdam%2f..",
        "/id/aghdam%5C..",
        "/id/./aghdam",
        "/id/aghdam/",
        "/doc/%00aghdam",
        "/ontology/..%2F..%2Fmanifest.json",
        "/ontology/../manifest.json",
        "/dumps/..%2Fmanifest.json",
        "/dumps/../manifest.json",
        "/dumps/%2e%2e%2fmanifest.json",
        "/article/..%2F..%2Fmanifest.json",
        "/graph/..%2Fmanifest.json",
        "/doc/aghdam%2F..%2F..%2Fmanifest.json.ttl",
    ],
)
def test_traversal_and_encoded_slashes_are_404(ld_client, path):
    response = ld_client.get(path)
    assert response.status_code == 404, path
    body = response.get_data(as_text=True)
    assert '"dataset_sha256"' not in body and "root:" not in body


# --- the ontology -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def version_path(published):
    versions = list(published.graph("ontology").objects(rdflib.URIRef(published.base + "ontology"), OWL.versionIRI))
    assert len(versions) == 1
    return "/" + str(versions[0])[len(published.base) :]


@pytest.mark.parametrize(
    "accept, media",
    [
        (None, "application/rdf+xml"),
        ("*/*", "application/rdf+xml"),
        (OWL_API, "application/rdf+xml"),
        (RDFLIB, "application/rdf+xml"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/xml", "application/rdf+xml"),
        ("application/owl+xml", "application/rdf+xml"),  # OWL/XML is not written: RDF/XML, as Protégé reads
        ("application/owl+xml, application/rdf+xml;q=0.5", "application/rdf+xml"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("text/html", "text/html"),
        (BROWSER, "text/html"),
        (JENA, "text/turtle"),
    ],
)
@pytest.mark.parametrize("which", ["ontology", "version"])
def test_ontology_and_version_iri_negotiate_without_redirect(ld_client, version_path, accept, media, which):
    path = "/ontology" if which == "ontology" else version_path
    response = ld_client.get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == media
    assert "Accept" in response.vary


@pytest.mark.parametrize(
    "suffix, media",
    [
        ("rdf", "application/rdf+xml"),
        ("owl", "application/rdf+xml"),
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("nt", "application/n-triples"),
        ("html", "text/html"),
    ],
)
def test_ontology_suffixes(ld_client, version_path, suffix, media):
    for path in (f"/ontology.{suffix}", f"{version_path}.{suffix}"):
        response = ld_client.get(path, headers={"Accept": "text/html" if suffix != "html" else "text/turtle"})
        assert response.status_code == 200 and response.mimetype == media, path


def test_ontology_document_is_the_ontology_graph(ld_client, published, version_path):
    expected = published.graph("ontology")
    for path, fmt in (("/ontology", "xml"), ("/ontology.ttl", "turtle"), (f"{version_path}.jsonld", "json-ld")):
        got = parse_rdf(ld_client.get(path).get_data(as_text=True), fmt)
        assert isomorphic(got, expected), path
    ontology = rdflib.URIRef(published.base + "ontology")
    assert (ontology, RDF.type, OWL.Ontology) in expected


def test_ontology_html_documents_every_term(ld_client, published):
    response = ld_client.get("/ontology", headers={"Accept": BROWSER})
    doc = page(response)
    onto = published.graph("ontology")
    ns = published.base + "ontology#"
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    terms = {t for kind in kinds for t in onto.subjects(RDF.type, kind) if str(t).startswith(ns)}
    assert len(terms) >= 10
    text = doc.text
    for term in terms:
        assert str(term)[len(ns) :] in doc.ids, term
        for label in onto.objects(term, RDFS.label):
            assert str(label) in text, term
        for definition in onto.objects(term, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#definition")):
            assert str(definition) in text, term
    for heading in ("super-classes", "domain", "range"):
        assert heading in text
    if any(onto.triples((None, OWL.inverseOf, None))):
        assert "inverse of" in text
    external = {
        str(o)
        for t in terms
        for o in onto.objects(t, RDFS.subClassOf)
        if isinstance(o, rdflib.URIRef) and not str(o).startswith(ns)
    }
    hrefs = set(doc.hrefs())
    assert external and external <= hrefs, external - hrefs
    assert "diagram" in doc.ids


def test_ontology_diagram_embedded_when_the_build_drew_one(ld_client, published):
    has = (published.release.path / "diagram.svg").is_file()
    images = [img["src"] for img in page(ld_client.get("/ontology.html")).elements("img")]
    svg = ld_client.get("/ontology/diagram.svg")
    if has:
        assert "/ontology/diagram.svg" in images
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert "default-src 'none'" in svg.headers["Content-Security-Policy"]
    else:
        assert not images and svg.status_code == 404


def test_graph_iris_redirect_browsers_to_the_dataset_description(ld_client, published):
    for name in published.release.manifest["graphs"]:
        for accept in ("text/html", "*/*", None):
            response = ld_client.get(f"/graph/{name}", headers={"Accept": accept} if accept else {})
            assert response.status_code == 303 and response.headers["Location"].endswith("/.well-known/void")


def test_graph_iris_give_rdf_clients_the_graph_itself(ld_client, published):
    for name, info in published.release.manifest["graphs"].items():
        response = ld_client.get(f"/graph/{name}", headers={"Accept": "text/turtle"})
        assert response.status_code == 200 and response.mimetype == "text/turtle"
        assert len(rdflib.Graph().parse(data=response.get_data(), format="turtle")) == info["triples"]


# --- resource pages -----------------------------------------------------------------------------


def test_resource_page_shows_types_by_graph_statements_links_and_quotes(ld_client, published):
    iri = published.iri(RESOURCE)
    doc = page(ld_client.get(f"/doc/{RESOURCE}", headers={"Accept": "text/html"}))
    label = str(next(published.graph("asserted").objects(iri, RDFS.label)))
    assert label in doc.text
    types = doc.text.split("Types", 1)[1].split("Where the article says it", 1)[0]
    asserted_part, inferred_part = types.split("Inferred by OWL-RL reasoning", 1)
    for graph_name, part in (("asserted", asserted_part), ("inferred", inferred_part)):
        for t in published.graph(graph_name).objects(iri, RDF.type):
            if graph_name == "inferred" and (iri, RDF.type, t) in published.graph("asserted"):
                continue
            name = published.all.value(t, RDFS.label) or str(t).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            assert str(name) in part, (graph_name, t)
    hrefs = set(doc.hrefs())
    for _, o in published.graph("links").predicate_objects(iri):
        if isinstance(o, rdflib.URIRef):
            assert str(o) in hrefs
    for o in published.graph("asserted").objects(iri, None):
        if isinstance(o, rdflib.URIRef) and str(o).startswith(published.base + "id/"):
            assert "/id/" + str(o)[len(published.base + "id/") :] in hrefs, o
    oa = rdflib.Namespace("http://www.w3.org/ns/oa#")
    html = ld_client.get(f"/doc/{RESOURCE}", headers={"Accept": "text/html"}).get_data(as_text=True)
    exacts = {
        str(e)
        for m in published.all.objects(iri, rdflib.URIRef(published.base + "ontology#denotedBy"))
        for t in published.all.objects(m, oa.hasTarget)
        for s in published.all.objects(t, oa.hasSelector)
        for e in published.all.objects(s, oa.exact)
    }
    assert exacts
    for exact in exacts:
        assert f"<mark>{exact}</mark>".replace("'", "&#39;").replace('"', "&#34;") in html, exact
    assert f"/article/{'2020-11-20-aghdam'}#char=" in html


def test_a_mention_page_nests_its_target_and_selectors(ld_client, published):
    """A mention's target and selectors (blank nodes or hash IRIs of the mention) show inside it."""
    denoted_by = rdflib.URIRef(published.base + "ontology#denotedBy")
    mention = sorted(published.all.objects(published.iri(RESOURCE), denoted_by))[0]
    path = "/doc/" + str(mention)[len(published.base + "id/") :]
    html = ld_client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    nested = html.split('<div class="nested">', 1)
    assert len(nested) == 2, "the target is not shown inside the mention"
    oa = rdflib.Namespace("http://www.w3.org/ns/oa#")
    exact = next(
        str(e)
        for t in published.all.objects(mention, oa.hasTarget)
        for s in published.all.objects(t, oa.hasSelector)
        for e in published.all.objects(s, oa.exact)
    )
    assert "oa:exact" in nested[1] and exact in nested[1]
    document = parse_rdf(ld_client.get(path + ".ttl").data, "turtle")
    assert (None, oa.exact, rdflib.Literal(exact)) in document


# --- whatever the path and Accept header: never a 5xx -----------------------------------------------

ROUTES = ["/id/", "/doc/", "/ontology/", "/ontology.", "/article/", "/dumps/", "/graph/", "/.well-known/void?format="]
ACCEPTS = st.one_of(
    st.none(),
    st.sampled_from(
        ["*/*", "text/html", "text/turtle;q=0", "garbage", ";;,", "application/rdf+xml;q=abc", "x/y, */*;q=0.0"]
    ),
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(route=st.sampled_from(ROUTES), tail=st.text(max_size=40), encode=st.booleans(), accept=ACCEPTS)
def test_no_path_or_accept_header_makes_a_5xx(ld_apps, route, tail, encode, accept):
    client = ld_apps("oxigraph").test_client()
    path = route + (quote(tail, safe="/%") if encode else quote(tail, safe="/%:@!$&'()*+,;=-._~"))
    headers = {"Accept": accept} if accept is not None else {}
    response = client.get(path, headers=headers)
    assert response.status_code < 500, (path, accept, response.get_data(as_text=True)[:300])


@pytest.mark.parametrize("slug", ["aghdam", "aghdam-handover", "ilham-aliyev", "azerbaijan"])
def test_what_is_said_about_a_resource_is_every_supported_statement(published, slug):
    """The page query behind "what is said" finds every statement whose subject or value is the
    resource (not its types), once per supporting span, counted here from the data itself."""
    iri = published.iri(slug)
    g = published.all
    kgo = rdflib.Namespace(published.base + "ontology#")
    oa = rdflib.Namespace("http://www.w3.org/ns/oa#")
    expected = set()
    for statement in set(g.subjects(RDF.subject, iri)) | set(g.subjects(RDF.object, iri)):
        if (statement, RDF.predicate, RDF.type) in g or g.value(statement, kgo.voice) is None:
            continue
        for span in g.objects(statement, kgo.supportedBy):
            for target in g.objects(span, oa.hasTarget):
                selectors = set(g.objects(target, oa.hasSelector))
                if any(g.value(s, oa.exact) for s in selectors) and any(g.value(s, oa.start) for s in selectors):
                    expected.add((str(statement), str(span)))
    text = query_files.load("resource-statements", "pages").text.replace("$this", f"<{iri}>")
    store = ox.Store.read_only(str(published.release.store))
    got = {(r["statement"].value, r["mention"].value) for r in store.query(text, use_default_graph_as_union=True)}
    assert got == expected
    if slug in ("aghdam", "aghdam-handover"):
        assert expected, "the article says things about these"


def aghdam_section(client, section: str) -> str:
    """One section of Aghdam's HTML page."""
    html = client.get("/doc/aghdam", headers={"Accept": "text/html"}).get_data(as_text=True)
    return html.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]


def more_query(section: str) -> str:
    """The query a section's "every one of them" link runs."""
    link = re.search(r'<p class="more">.*?<a href="([^"]+)"', section, re.S)
    assert link, section[-500:]
    return parse_qs(urlsplit(html_unescape(link.group(1))).query)["query"][0]


def test_a_much_linked_resource_shows_the_first_incoming_and_links_all(ld_client, published, monkeypatch):
    """Past INCOMING_SHOWN statements pointing at a resource, its page shows that many of them and
    links a query answering every one of them."""
    limit = re.search(r"LIMIT (\d+)", query_files.load("resource-incoming", "pages").text)
    assert limit and int(limit.group(1)) == describe.INCOMING_SHOWN + 1  # the query knows there are more
    iri = published.iri("aghdam")
    pointing = sorted(
        {(str(p), str(s)) for s, p in published.all.subject_predicates(iri) if isinstance(s, rdflib.URIRef)}
    )
    assert len(pointing) > 3
    assert 'class="more"' not in aghdam_section(ld_client, "incoming")
    monkeypatch.setattr(describe, "INCOMING_SHOWN", 3)
    part = aghdam_section(ld_client, "incoming")
    assert part.count("<tr><td>") == 3
    shown = {p for p in re.findall(r'href="(/id/[^"#]+)"', part)}
    subjects = {"/id/" + s[len(published.base + "id/") :] for _, s in pointing}
    assert 1 <= len(shown & subjects) <= 3
    query = more_query(part)
    store = ox.Store.read_only(str(published.release.store))
    answered = {(r["p"].value, r["s"].value) for r in store.query(query, use_default_graph_as_union=True)}
    assert answered >= set(pointing)


def test_a_resource_much_talked_about_shows_the_first_statements_and_links_all(ld_client, published, monkeypatch):
    """Past SAID_SHOWN statements about a resource, its page shows that many of them and links a
    query answering every one of them (each supporting span)."""
    limit = re.search(r"LIMIT (\d+)", query_files.load("resource-statements", "pages").text)
    assert limit and int(limit.group(1)) == describe.SAID_SHOWN + 1  # the query knows there are more
    iri = published.iri("aghdam")
    text = query_files.load("resource-statements", "pages").text.replace("$this", f"<{iri}>")
    store = ox.Store.read_only(str(published.release.store))
    every = {(r["statement"].value, r["exact"].value) for r in store.query(text, use_default_graph_as_union=True)}
    assert len({statement for statement, _ in every}) > 2
    assert 'class="more"' not in aghdam_section(ld_client, "said")
    monkeypatch.setattr(describe, "SAID_SHOWN", 2)
    part = aghdam_section(ld_client, "said")
    assert part.count('<li class="said-item') == 2
    query = more_query(part)
    answered = {(r["statement"].value, r["exact"].value) for r in store.query(query, use_default_graph_as_union=True)}
    assert answered == every
