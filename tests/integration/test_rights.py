"""The article's text is its publisher's: marked as such, left out on request, never under our licence."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from karabakh_kg import cli, releases

ASK_TEXT = "ASK { ?a a <https://w3id.org/karabakh-kg/ontology#Article> ; <https://schema.org/text> ?t }"
ASK_RIGHTS = (
    'ASK { ?a <http://purl.org/dc/terms/rights> ?r . FILTER(CONTAINS(?r, "all rights reserved by the publisher")) }'
)


def store_of(build_dir):
    return ox.Store.read_only(str(releases.open_current(build_dir).store))


def test_the_article_carries_its_own_rights_statement(kg_store):
    assert kg_store.query(ASK_RIGHTS, use_default_graph_as_union=True)
    assert kg_store.query(ASK_TEXT, use_default_graph_as_union=True)


@pytest.mark.slow
def test_a_build_without_the_article_text_keeps_quotes_and_offsets(tmp_path, capsys, make_ld_app):
    build_dir = tmp_path / "build"
    assert cli.main(["build", "--build-dir", str(build_dir), "--without-article-text"]) == 0, capsys.readouterr().err
    store = store_of(build_dir)
    assert not store.query(ASK_TEXT, use_default_graph_as_union=True)
    assert store.query(ASK_RIGHTS, use_default_graph_as_union=True)
    quotes = store.query(
        'ASK { ?m <http://www.w3.org/ns/oa#hasTarget>/<http://www.w3.org/ns/oa#hasSelector> ?q . ?q <http://www.w3.org/ns/oa#exact> "on November 25" }',
        use_default_graph_as_union=True,
    )
    assert quotes
    client = make_ld_app(build_dir).test_client()
    page = client.get("/doc/obligation-hand-over-kalbajar", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "on November 25" in page.get_data(as_text=True)


def test_void_scopes_the_licence_to_the_projects_own_statements(kg_build, make_ld_app):
    client = make_ld_app(kg_build).test_client()
    void = client.get("/.well-known/void", headers={"Accept": "text/turtle"}, follow_redirects=True)
    text = void.get_data(as_text=True)
    assert void.status_code == 200
    assert "creativecommons.org/licenses/by/4.0" in text and "project's own statements" in text
