"""HTML security on every page and every response.

A release built from the linked-data fixture plus hostile data — labels, definitions, article text,
event wording and datatypes carrying markup, `javascript:` / `data:` / `vbscript:` links, an IRI
with quotes — is rendered on every page. Nothing becomes markup or a live link: no script element,
no event-handler attribute, no script URL in any link, and the hostile text is shown as text.
Every response of every route carries the security headers; HTML and SVG carry a
Content-Security-Policy that allows no script at all.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest

from support.ld import FIXTURE_TRIG, Page
from support.sec import record, request

KG = "https://w3id.org/karabakh-kg/"
QUOTE_IRI = f"{KG}id/x'onmouseover='alert(13)'"
HOSTILE_TRIG = f"""
@prefix kg:     <{KG}id/> .
@prefix kgo:    <{KG}ontology#> .
@prefix owl:    <http://www.w3.org/2002/07/owl#> .
@prefix rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:    <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:   <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix time:   <http://www.w3.org/2006/time#> .

<{KG}graph/ontology> {{
kgo:Evil a owl:Class ; rdfs:label "<script>alert('class')</script>"@en ;
    skos:definition "\\"><img src=x onerror=alert('definition')>"@en ;
    rdfs:subClassOf kgo:Region ; skos:exactMatch <javascript:alert('class-link')> .
kgo:evilProperty a owl:DatatypeProperty ; rdfs:label "</a><a href=\\"javascript:alert('prop')\\">x"@en ;
    rdfs:domain kgo:Evil .
}}
<{KG}graph/links> {{
kg:evil skos:exactMatch <javascript:alert('link')>, <data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==> .
}}
<{KG}graph/asserted> {{
kg:evil a kgo:Evil, kgo:Town ;
    rdfs:label "<script>alert('label')</script>"@en ;
    skos:altLabel "</title><svg onload=alert('alt')>" , "{{{{ 7*7 }}}} {{% raw %}}" ;
    rdfs:comment "<iframe src=javascript:alert('comment')></iframe>"^^<javascript:alert('datatype')> ;
    rdfs:seeAlso <javascript:alert('seeAlso')>, <JaVaScRiPt:alert('case')>, <vbscript:msgbox('vb')>,
                 <data:text/html,%3Cb%3Ex%3C/b%3E> ;
    kgo:evilProperty "x\\" onmouseover=\\"alert('attr')" ;
    kgo:partOf kg:aghdam, <{QUOTE_IRI}> .
<{QUOTE_IRI}> a kgo:Town ; rdfs:label "quote IRI <b>town</b>"@en .
kg:evil-event a kgo:Event ; rdfs:label "<img src=x onerror=alert('event')>"@en ;
    kgo:hasPlace kg:evil ; kgo:hasTime kg:t-evil .
kg:t-evil a time:Instant ; rdfs:label "<b onclick=alert('time')>time</b>"@en ;
    time:inXSDDate "2020-11-21"^^xsd:date ; kgo:wording "</text><script>alert('wording')</script>" ;
    kgo:earliest "2020-11-21"^^xsd:date ; kgo:latest "2020-11-21"^^xsd:date .
kg:article\\/evil a kgo:Article ; rdfs:label "<script>alert('article-title')</script>"@en ;
    schema:datePublished "2020-11-21"^^xsd:date ;
    schema:text "<script>alert('article-text')</script> <a href=javascript:alert(1)>click</a>" .
}}
"""
HOSTILE_TEXT = [
    "<script>alert('label')</script>",
    "<img src=x onerror=alert('event')>",
    "<script>alert('class')</script>",
    "<script>alert('article-text')</script>",
]
SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|data)\s*:", re.IGNORECASE)
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "srcdoc",
    "cite",
    "longdesc",
    "ping",
    "manifest",
    "codebase",
    "archive",
}


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory, make_ld_app):
    from support.builds import build_from_trig

    build = build_from_trig(FIXTURE_TRIG.read_text(encoding="utf-8") + HOSTILE_TRIG, tmp_path_factory.mktemp("hostile"))
    return make_ld_app(build)


def pages() -> list[tuple[str, str, list[str]]]:
    """(name, path, hostile texts the page must show as text) for every HTML page."""
    labels = "SELECT ?s ?l ?d WHERE { ?s ?p ?l FILTER(isLiteral(?l)) BIND(DATATYPE(?l) AS ?d) } LIMIT 500"
    echoed = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 # </textarea><script>alert('query')</script>"
    return [
        ("home", "/", ["<script>alert('label')</script>"]),
        (
            "resource",
            "/doc/evil",
            [
                "<script>alert('label')</script>",
                "</title><svg onload=alert('alt')>",
                "<iframe src=javascript:alert('comment')></iframe>",
                "javascript:alert('seeAlso')",
            ],
        ),
        ("resource by Accept", "/id/evil", []),
        ("event", "/doc/evil-event", ["<img src=x onerror=alert('event')>"]),
        ("time", "/doc/t-evil", ["</text><script>alert('wording')</script>"]),
        ("quote IRI", "/doc/" + quote("x'onmouseover='alert(13)'", safe="'()"), ["quote IRI <b>town</b>"]),
        ("article", "/article/evil", ["<script>alert('article-text')</script>"]),
        ("timeline", "/timeline", ["<img src=x onerror=alert('event')>"]),
        ("ontology", "/ontology.html", ["<script>alert('class')</script>"]),
        ("ontology by Accept", "/ontology", ["<script>alert('class')</script>"]),
        ("void", "/.well-known/void?format=html", []),
        ("dumps", "/dumps/", []),
        ("query page, hostile results", "/sparql?" + urlencode({"query": labels}), ["<script>alert('label')</script>"]),
        (
            "query page, hostile query",
            "/sparql?" + urlencode({"query": echoed}),
            ["</textarea><script>alert('query')</script>"],
        ),
        ("query page, refused query", "/sparql?" + urlencode({"query": "DROP ALL <script>alert(1)</script>"}), []),
        ("query page, example", "/sparql?example=<script>", []),
        ("queries", "/queries/", []),
        ("404 with markup in the path", "/id/" + quote("<script>alert('404')</script>"), []),
        ("404 with quotes in the path", "/doc/%22onmouseover=%22alert(1)", []),
        ("404 article", "/article/" + quote("<svg onload=alert(1)>"), []),
    ]


def inert(html: str, where: str) -> Page:
    """Assert that a page has no script, no event handler and no script URL anywhere."""
    doc = Page(html)
    for tag, attributes in doc.tags:
        if (
            tag == "script"
            and set(attributes) == {"src", "defer"}
            and re.fullmatch(r"/static/[\w.-]+\.js", attributes["src"])
        ):
            continue  # a file of this server (the query editor), allowed by `script-src 'self'`
        assert tag not in ("script", "iframe", "object", "embed", "base", "meta") or (
            tag == "meta" and "http-equiv" not in attributes
        ), f"{where}: <{tag}> element {attributes}"
        for name, value in attributes.items():
            assert not name.startswith("on"), f"{where}: event handler {name}={value!r} on <{tag}>"
            if name in URL_ATTRIBUTES:
                assert not SCRIPT_URL.match(value), f"{where}: script URL {name}={value!r} on <{tag}>"
            assert name != "style" or "expression(" not in value and "url(" not in value, f"{where}: style {value!r}"
    return doc


@pytest.mark.parametrize("name,path,shown", pages(), ids=[p[0] for p in pages()])
def test_hostile_data_renders_inert_on_every_page(hostile_app, name, path, shown):
    client = hostile_app.test_client()
    response = client.get(path, headers={"Accept": "text/html"}, follow_redirects=True)
    assert response.status_code in (200, 400, 403, 404), (path, response.status_code)
    html = response.get_data(as_text=True)
    if response.mimetype == "text/plain" and response.status_code >= 400:  # refusals are plain text, never markup
        check_headers(response.headers, response.mimetype, path)
        return
    assert response.mimetype == "text/html", (path, response.status_code, response.mimetype)
    doc = inert(html, name)
    assert "<script>alert" not in html
    for text in shown:
        assert text in doc.text, f"{name}: {text!r} is not shown as text"
    check_headers(response.headers, response.mimetype, path)
    record("html", **{"pages checked": len(pages())})


def test_hostile_links_are_never_links(hostile_app):
    """On the resource page every http(s) link is kept, and not one script/data URL is."""
    doc = inert(
        hostile_app.test_client().get("/doc/evil", headers={"Accept": "text/html"}).get_data(as_text=True), "resource"
    )
    hrefs = doc.hrefs()
    assert any(h.startswith("/doc/") or h.startswith("/id/") for h in hrefs)
    assert not [h for h in hrefs if SCRIPT_URL.match(h)]
    # the IRI with quotes stays one attribute value (the parser sees no onmouseover attribute)
    assert any("onmouseover" in h for h in hrefs)


# --- security headers on every response ---------------------------------------------------------


def check_headers(headers, mimetype: str, where: str) -> None:
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in ("no-referrer", "same-origin", "strict-origin-when-cross-origin"), where
    if mimetype in ("text/html", "image/svg+xml", "application/xhtml+xml"):
        csp = headers.get("Content-Security-Policy", "")
        directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
        assert "default-src 'none'" in csp or "default-src 'self'" in csp, (where, csp)
        assert "'unsafe-inline'" not in directives.get("script-src", "") and "'unsafe-eval'" not in csp, (where, csp)
        assert directives.get("script-src", "script-src 'none'") in ("script-src 'none'", "script-src 'self'"), (
            where,
            csp,
        )
        if "/reconcile/preview" in where:  # OpenRefine frames it: framing allowed by CSP alone, said once
            assert "frame-ancestors *" in csp and "X-Frame-Options" not in headers, where
        else:
            assert "frame-ancestors 'none'" in csp or headers.get("X-Frame-Options") == "DENY", where
        assert "base-uri" in csp and "object-src" in csp or "default-src 'none'" in csp, (where, csp)


def every_response(app) -> list[tuple[str, str, dict, bytes | None]]:
    """(method, path, headers, body) reaching every route and every kind of answer."""
    accept_html = {"Accept": "text/html"}
    found = [
        ("GET", "/", accept_html, None),
        ("GET", "/", {"Accept": "application/json"}, None),
        ("GET", "/health", {}, None),
        ("GET", "/sparql", {}, None),
        ("GET", "/sparql", accept_html, None),
        ("GET", "/sparql?query=ASK%7B%7D", {}, None),
        ("GET", "/sparql?query=ASK%7B%7D", accept_html, None),
        ("GET", "/sparql?query=ASK%7B%7D", {"Accept": "image/png"}, None),  # 406
        ("GET", "/sparql?query=nonsense", {}, None),
        ("GET", "/sparql?update=DROP+ALL", {}, None),
        ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, b"x" * 1_100_000),  # 413
        ("DELETE", "/sparql", {}, None),
        ("OPTIONS", "/sparql", {}, None),
        ("GET", "/queries/", {}, None),
        ("GET", "/queries/", accept_html, None),
        ("GET", "/queries/actors", {}, None),
        ("GET", "/queries/actors.rq", {}, None),
        ("GET", "/queries/nope", {}, None),
        ("GET", "/id/evil", {}, None),
        ("GET", "/id/evil", accept_html, None),
        ("GET", "/id/nope", accept_html, None),
        ("GET", "/id/nope", {"Accept": "text/plain"}, None),
        ("GET", "/doc/evil", accept_html, None),
        ("GET", "/doc/evil.ttl", {}, None),
        ("GET", "/doc/evil.jsonld", {}, None),
        ("GET", "/doc/evil.rdf", {}, None),
        ("GET", "/doc/evil.nt", {}, None),
        ("GET", "/ontology", {}, None),
        ("GET", "/ontology", accept_html, None),
        ("GET", "/ontology.ttl", {}, None),
        ("GET", "/ontology/0.1.0", {}, None),
        ("GET", "/ontology/diagram.svg", {}, None),
        ("GET", "/graph/asserted", {}, None),
        ("GET", "/context.jsonld", {}, None),
        ("GET", "/graph/asserted", {"Accept": "text/turtle"}, None),
        ("GET", "/store?graph=https%3A%2F%2Fw3id.org%2Fkarabakh-kg%2Fgraph%2Fasserted", {}, None),
        ("GET", "/store?default", {"Accept": "application/rdf+xml"}, None),
        ("GET", "/store?graph=urn%3Anope", {}, None),  # 404
        ("GET", "/store", {}, None),  # 400
        ("PUT", "/store?default", {"Content-Type": "text/turtle"}, b"<a> <b> <c> ."),  # 405
        ("GET", "/article/evil", accept_html, None),
        ("GET", "/article/2020-11-20-aghdam", accept_html, None),
        ("GET", "/timeline", accept_html, None),
        ("GET", "/.well-known/void", {}, None),
        ("GET", "/.well-known/void", accept_html, None),
        ("GET", "/dumps/", accept_html, None),
        ("GET", "/static/style.css", {}, None),
        ("GET", "/static/favicon.svg", {}, None),
        ("GET", "/search?q=%3Cscript%3E", {}, None),
        ("GET", "/search?q=aghdam", accept_html, None),
        ("GET", "/reconcile", {}, None),
        ("POST", "/reconcile", {"Content-Type": "application/x-www-form-urlencoded"}, b"queries=%7Bbad"),
        ("GET", "/reconcile/preview?id=evil", {}, None),
        ("GET", "/reconcile/suggest/entity?prefix=ev", {}, None),
        ("GET", "/store?default", {"Accept": "text/turtle"}, None),
        ("GET", "/store?graph=%3Cscript%3E", {}, None),
        ("GET", "/reconcile/suggest/type?prefix=e", {}, None),
        ("GET", "/no/such/route", {}, None),
        ("GET", "/no/such/route", accept_html, None),
    ]
    dumps = [r.rule for r in app.url_map.iter_rules()]
    assert "/dumps/<name>" in dumps
    from karabakh_kg.web.views import void

    with app.test_request_context():
        for name, _, _ in void.dumps()[:1]:
            found.append(("GET", f"/dumps/{name}", {}, None))
    return found


def test_every_response_carries_the_security_headers(hostile_app):
    client = hostile_app.test_client()
    statuses = set()
    for method, path, headers, body in every_response(hostile_app):
        response = client.open(path, method=method, headers=headers, data=body)
        statuses.add(response.status_code)
        response.close()  # a dump is streamed from its file
        check_headers(response.headers, response.mimetype, f"{method} {path} -> {response.status_code}")
        if response.status_code == 200 and response.headers.get("ETag"):  # a 304 carries them too
            again = client.open(path, method=method, headers={**headers, "If-None-Match": response.headers["ETag"]})
            again.close()
            if again.status_code == 304:
                statuses.add(304)
                check_headers(again.headers, again.mimetype, f"304 {path}")
    assert {200, 303, 304, 400, 403, 404, 405, 406, 413} <= statuses, statuses
    record(
        "html", header_checked_responses=len(every_response(hostile_app)), statuses=" ".join(map(str, sorted(statuses)))
    )


def test_every_route_is_covered_by_the_header_check(hostile_app):
    """A new route must be added to the header check (and so to this security review)."""
    requested = {path.split("?")[0] for _, path, _, _ in every_response(hostile_app)}
    adapter = hostile_app.url_map.bind("127.0.0.1")
    reached = set()
    for path in requested:
        try:
            rule, _ = adapter.match(path, method="GET", return_rule=True)
        except Exception:  # noqa: BLE001 - 404, 405, redirects: the route is the one the path names
            continue
        reached.add(rule.rule)
    missing = {rule.rule for rule in hostile_app.url_map.iter_rules()} - reached
    assert not missing, f"routes without a header check: {sorted(missing)}"


def test_security_headers_on_the_live_server(live_server):
    """Through gunicorn too: HTML, an error answered by the app, and a refusal."""
    for path, headers in (
        ("/", {"Accept": "text/html"}),
        ("/sparql?query=%7B", {}),
        ("/nope", {"Accept": "text/html"}),
        ("/sparql?update=CLEAR+ALL", {}),
        ("/health", {}),
    ):
        reply = request(live_server.url, "GET", path, headers)
        assert reply.headers.get("x-content-type-options") == "nosniff", path
        assert reply.headers.get("referrer-policy"), path
        if reply.headers.get("content-type", "").startswith("text/html"):
            assert "default-src 'none'" in reply.headers.get("content-security-policy", ""), path
