"""Every page escapes data: hostile labels, literals and IRIs render inert; security headers everywhere."""

from __future__ import annotations

import re

import pytest

from support.ld import ARTICLE_ID, FIXTURE_TRIG, Page, page
from support.paths import PACKAGE

TEMPLATES = PACKAGE / "web" / "templates"
HOSTILE = r"""
@prefix kg:   <https://w3id.org/karabakh-kg/id/> .
@prefix kgo:  <https://w3id.org/karabakh-kg/ontology#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix oa:   <http://www.w3.org/ns/oa#> .
<https://w3id.org/karabakh-kg/graph/asserted> {
kg:hostile a kgo:Person ;
    rdfs:label "<script>alert('label')</script>"@en ;
    rdfs:comment "\"><img src=x onerror=alert(1)>" ;
    skos:altLabel "</textarea><script>alert(2)</script>" ;
    rdfs:seeAlso <javascript:alert(3)> ;
    kgo:denotedBy <https://w3id.org/karabakh-kg/id/hostile/mention/1> .
<https://w3id.org/karabakh-kg/id/hostile/mention/1> a kgo:Mention ;
    oa:hasBody kg:hostile ;
    oa:hasTarget [ oa:hasSource kg:article\/2020-11-20-aghdam ;
        oa:hasSelector [ oa:exact "Davit Tonoyan" ] , [ oa:start 1321 ; oa:end 1334 ] ] .
kg:hostile-event a kgo:Event ;
    rdfs:label "<svg onload=alert(4)>"@en ;
    kgo:hasParticipant kg:hostile ;
    kgo:hasTime kg:t-1993 .
}
<https://w3id.org/karabakh-kg/graph/links> {
kg:hostile skos:exactMatch <javascript:alert(5)> , <data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==> .
}
<https://w3id.org/karabakh-kg/graph/ontology> {
kgo:Hostile a owl:Class ;
    rdfs:label "<script>alert(7)</script>"@en ;
    skos:definition "<b onmouseover=alert(8)>bold</b>"@en ;
    rdfs:subClassOf <javascript:alert(9)> .
}
"""
HOSTILE_TEXT = (
    "<script>alert('label')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(4)>",
    "<script>alert(7)</script>",
)
PAGES = [
    "/",
    "/doc/hostile",
    "/doc/hostile-event",
    "/doc/hostile/mention/1",
    "/timeline",
    f"/article/{ARTICLE_ID}",
    "/ontology.html",
    "/.well-known/void?format=html",
    "/dumps/",
    "/sparql?query=SELECT+%3Fs+%3Fl+WHERE+%7B+%3Fs+%3Chttp%3A%2F%2Fwww.w3.org%2F2000%2F01%2Frdf-schema%23label%3E+%3Fl+%7D",
    "/sparql?query=%3Cscript%3Ealert(10)%3C%2Fscript%3E",
    "/id/%3Cscript%3Ealert(11)%3C%2Fscript%3E",
    "/doc/no-%22%3E%3Cimg%20src=x%20onerror=alert(12)%3E",
]


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory, make_ld_app):
    from support.builds import build_from_trig

    text = FIXTURE_TRIG.read_text(encoding="utf-8") + HOSTILE
    return make_ld_app(build_from_trig(text, tmp_path_factory.mktemp("hostile"))).test_client()


def assert_inert(doc: Page, where: str) -> None:
    """No script element, no event-handler attribute, no active URL scheme in a link or source."""
    scripts = doc.elements("script")  # only the query editor, a file of this server
    assert all(set(a) == {"src", "defer"} and re.fullmatch(r"/static/[\w.-]+\.js", a["src"]) for a in scripts), where
    for tag, attributes in doc.tags:
        for name, value in attributes.items():
            assert not name.startswith("on"), (where, tag, name)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                scheme = value.strip().lower().split(":", 1)[0]
                assert scheme not in ("javascript", "data", "vbscript"), (where, tag, value)
        assert tag not in ("iframe", "object", "embed", "base"), (where, tag)


@pytest.mark.parametrize("path", PAGES)
def test_hostile_data_renders_as_text(hostile_client, path):
    response = hostile_client.get(path, headers={"Accept": "text/html"})
    if response.mimetype == "text/plain":  # the endpoint refuses a non-query as plain text: inert
        assert response.status_code == 400 and "query=" in path
        return
    assert response.mimetype == "text/html", (path, response.status_code)
    body = response.get_data(as_text=True)
    doc = Page(body)
    assert_inert(doc, path)
    for hostile in HOSTILE_TEXT:
        assert hostile not in body, (path, hostile)  # only ever escaped
    assert "<script" not in body.lower().replace(
        '<script src="/static/editor.js" defer>', ""
    ) and "onerror=" not in body.replace("onerror=alert", "")


def test_hostile_labels_are_shown_not_dropped(hostile_client):
    doc = page(hostile_client.get("/doc/hostile", headers={"Accept": "text/html"}))
    assert "<script>alert('label')</script>" in doc.text
    assert '"><img src=x onerror=alert(1)>' in doc.text
    assert "javascript:alert(5)" in doc.text  # shown, not linked
    assert not [h for h in doc.hrefs() if "javascript" in h.lower()]
    onto = page(hostile_client.get("/ontology.html"))
    assert "<script>alert(7)</script>" in onto.text and "<b onmouseover=alert(8)>bold</b>" in onto.text
    timeline = page(hostile_client.get("/timeline"))
    assert "<svg onload=alert(4)>" in timeline.text


@pytest.mark.parametrize(
    "path", PAGES + ["/doc/hostile.ttl", "/ontology", "/.well-known/void", "/id/hostile", "/static/style.css"]
)
def test_security_headers_on_every_answer(hostile_client, path):
    with hostile_client.get(path, headers={"Accept": "text/html"}) as response:
        headers, mimetype = response.headers, response.mimetype
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    if mimetype == "text/html":
        csp = headers["Content-Security-Policy"]
        directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
        assert "default-src 'none'" in csp and "unsafe" not in csp
        assert directives.get("script-src") in (None, "script-src 'self'")  # the query editor: this server's file
        if path.startswith("/reconcile/preview"):  # OpenRefine frames it: allowed by CSP alone
            assert "frame-ancestors *" in csp and "X-Frame-Options" not in headers
        else:
            assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
            assert headers["X-Frame-Options"] == "DENY"


def test_templates_need_no_inline_script_or_style():
    """The CSP forbids inline scripts and styles: the templates must not rely on either."""
    for template in TEMPLATES.glob("*.html"):
        if template.name.startswith("sparql_"):
            continue  # the endpoint's own templates
        text = template.read_text(encoding="utf-8")
        scripts = re.findall(r"<script[^>]*>", text)  # only files of this server, never inline code
        assert all(
            re.fullmatch(r"<script src=\"\{\{ url_for\('static', filename='[\w.-]+'\) \}\}\" defer>", t)
            for t in scripts
        )
        assert len(scripts) == text.count("</script>") == len(re.findall(r"defer></script>", text)), template.name
        assert " style=" not in text and "<style" not in text, template.name
        assert "|safe" not in text.replace(" ", ""), template.name
        assert "autoescape false" not in text, template.name
