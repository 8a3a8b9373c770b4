"""The query page's HTML without a browser: what the editor script is given, and the page's policy."""

from __future__ import annotations

import json
import re

from support.ld import Page
from support.paths import ROOT

EDITOR = ROOT / "server" / "editor"


def form_data(html: str) -> dict[str, str]:
    (form,) = [a for tag, a in Page(html).tags if tag == "form" and "data-editor" in a]
    return form


def test_the_page_allows_scripts_and_requests_from_this_server_only(ld_client):
    response = ld_client.get("/sparql", headers={"Accept": "text/html"})
    csp = {d.strip().split(" ")[0]: d.strip() for d in response.headers["Content-Security-Policy"].split(";")}
    assert csp["script-src"] == "script-src 'self'" and csp["connect-src"] == "connect-src 'self'"
    assert csp["default-src"] == "default-src 'none'" and csp["style-src"] == "style-src 'self'"
    html = response.get_data(as_text=True)
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/editor.js" defer>']
    with ld_client.get("/static/editor.js") as script:
        assert script.status_code == 200 and script.mimetype == "text/javascript"


def test_a_new_query_starts_with_the_datasets_prefixes(ld_client):
    html = ld_client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True)
    (textarea,) = re.findall(r"<textarea[^>]*>(.*?)</textarea>", html, re.DOTALL)
    for line in (
        "PREFIX kg: &lt;https://w3id.org/karabakh-kg/id/&gt;",
        "PREFIX kgo: &lt;https://w3id.org/karabakh-kg/ontology#&gt;",
    ):
        assert line in textarea
    assert "SELECT" in textarea


def test_the_editor_is_given_prefixes_ontology_terms_and_formats(ld_client, published):
    form = form_data(ld_client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True))
    prefixes = json.loads(form["data-prefixes"])
    for name in ("rdf", "rdfs", "owl", "xsd", "skos", "schema", "sem", "prov", "time", "oa", "kg", "kgo"):
        assert prefixes[name].startswith("http"), name
    assert prefixes["kgo"] == published.base + "ontology#"
    terms = {local for local, _ in json.loads(form["data-terms"])["kgo"]}
    assert {"Event", "hasPlace"} <= terms
    formats = {(f["kind"], f["key"]) for f in json.loads(form["data-formats"])}
    assert {("results", "csv"), ("results", "json"), ("graph", "turtle"), ("graph", "rdfxml")} <= formats
    assert form["data-base"] == published.base


def test_an_error_is_shown_right_under_the_editor(ld_client):
    response = ld_client.get(
        "/sparql", query_string={"query": "SELECT * WHERE { ?s a kgo:Event }"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    form_end, error = html.index("</form>", html.index("data-editor")), html.index('id="editor-error"')
    assert 0 < error - form_end < 40  # the next element after the form
    assert "PREFIX kgo: &lt;https://w3id.org/karabakh-kg/ontology#&gt;" in html[error:]


def test_the_bundle_is_built_from_pinned_sources():
    package = json.loads((EDITOR / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((EDITOR / "package-lock.json").read_text(encoding="utf-8"))
    for name, version in {**package["dependencies"], **package["devDependencies"]}.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), (name, version)  # exact pins
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert "../karabakh_kg/web/static/editor.js" in package["scripts"]["build"]
    assert "editor:" in (ROOT / "Makefile").read_text(encoding="utf-8")
