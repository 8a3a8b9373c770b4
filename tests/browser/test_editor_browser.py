"""The query editor in headless Chromium: typing, completion, automatic PREFIX lines, run, errors,
sort, pages and downloads; and the same page without JavaScript (the plain form).

Every request that leaves 127.0.0.1 fails the test, and so does any console error (a script or a
style refused by the page's Content-Security-Policy shows up there).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.browser import Watch, shoot

pytestmark = [pytest.mark.browser, pytest.mark.live]

ALL = "Control+a"


@pytest.fixture
def editor_tab(browser):  # noqa: F811 - the fixture imported above
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    watch = Watch(page)
    yield page, watch
    context.close()


def editor_text(page) -> str:
    return page.evaluate("window.karabakhEditor.state.doc.toString()")


def type_query(page, text: str) -> None:
    """Replace the editor's text by typing it (completion closed at each line end)."""
    page.click(".cm-content")
    page.keyboard.press(ALL)
    page.keyboard.press("Delete")
    for line_number, line in enumerate(text.split("\n")):
        if line_number:
            page.keyboard.press("Escape")
            page.keyboard.press("Enter")
        page.keyboard.type(line, delay=5)


def set_query(page, text: str) -> None:
    """Replace the editor's text at once (no typing: no completion, no automatic brackets)."""
    page.evaluate(
        "text => { const v = window.karabakhEditor; v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: text}}); }",
        text,
    )


def test_editor_completes_declares_runs_sorts_pages_and_downloads(editor_tab, ld_live):
    page, watch = editor_tab
    page.goto(ld_live.url + "/sparql")
    page.wait_for_selector("form.query.enhanced .cm-editor")
    assert page.locator("form.query textarea").is_hidden()
    starter = editor_text(page)
    assert "PREFIX kgo: <https://w3id.org/karabakh-kg/ontology#>" in starter and "PREFIX kg: " in starter

    # completion of a prefix name, and the PREFIX line added as the prefix is used
    type_query(page, "SELECT ?s ?name WHERE { ?s sch")
    page.locator(".cm-tooltip-autocomplete li", has_text="schema:").first.wait_for()
    page.wait_for_timeout(200)  # CodeMirror ignores Enter in the first 75 ms of a completion list
    page.keyboard.press("Enter")
    page.keyboard.type("name ?name }", delay=5)
    text = editor_text(page)
    assert text.startswith("PREFIX schema: <https://schema.org/>\n"), text
    assert "?s schema:name ?name" in text

    # a hash inside an IRI is no comment: the prefix after it is still declared
    type_query(page, "SELECT * WHERE { ?s <http://example.org/a#b> rdfs:")
    page.keyboard.press("Escape")
    assert editor_text(page).startswith("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
    type_query(page, "SELECT * WHERE { ?s ?p ?o } # see owl:")
    assert not editor_text(page).startswith("PREFIX owl:")  # but in a comment it is not

    # completion of the ontology's terms after kgo:
    type_query(page, "SELECT ?p WHERE { ?p a kgo:Distr")
    page.locator(".cm-tooltip-autocomplete li", has_text="District").first.wait_for()
    page.wait_for_timeout(200)  # CodeMirror ignores Enter in the first 75 ms of a completion list
    page.keyboard.press("Enter")
    assert "?p a kgo:District" in editor_text(page)
    assert editor_text(page).startswith("PREFIX kgo: <https://w3id.org/karabakh-kg/ontology#>\n")

    # run with Ctrl-Enter: a paged table of 120 rows with compact, linked IRIs
    type_query(
        page,
        'SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), "https://w3id.org/karabakh-kg/id/")) } LIMIT 120',
    )
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#editor-results table.results")
    assert page.locator("#results-count").inner_text().startswith("120 rows")
    assert page.locator("#editor-results tbody tr").count() == 50
    assert page.locator("#editor-results tbody a[href^='/id/']").count() > 0  # kg: IRIs link to this server
    assert page.locator("#editor-results tbody a", has_text="kg:").count() > 0  # shown compact
    page.click("nav.pager >> text=Next")
    assert "page 2 of 3" in page.locator("nav.pager").inner_text()
    page.click("nav.pager >> text=Next")
    assert page.locator("#editor-results tbody tr").count() == 20

    # sort by ?s: ascending, then descending
    page.click("#editor-results th >> text=s")
    assert page.locator("#editor-results th").first.get_attribute("aria-sort") == "ascending"
    cells = page.locator("#editor-results tbody tr td:first-child").all_inner_texts()
    assert cells == sorted(cells, key=str.lower)
    page.click("#editor-results th >> text=s")
    assert page.locator("#editor-results th").first.get_attribute("aria-sort") == "descending"
    shoot(page, "query-editor")

    # a download in every results format; the CSV one is the whole answer
    formats = page.locator("#editor-results p.downloads a").evaluate_all("links => links.map(a => a.dataset.format)")
    assert {"json", "xml", "csv", "tsv"} <= set(formats)
    with page.expect_download() as info:
        page.click("#editor-results p.downloads a[data-format=csv]")
    lines = Path(info.value.path()).read_text(encoding="utf-8").strip().splitlines()
    assert lines[0].strip() == "s,p,o" and len(lines) == 121
    watch.check()


def test_editor_shows_the_servers_error_next_to_the_editor(editor_tab, ld_live):
    page, watch = editor_tab
    page.goto(ld_live.url + "/sparql")
    page.wait_for_selector(".cm-editor")
    set_query(page, "SELECT ?s WHERE {\n?s ex:thing ?o }")
    page.click("form.query button[type=submit]")
    page.wait_for_selector("#editor-error:not([hidden])")
    message = page.locator("#editor-error pre").inner_text()
    assert message.startswith("Query parse error at 2:4 (line:column): the prefix ex: is not declared.")
    assert "PREFIX ex: <namespace IRI>" in message
    # the error sits right under the editor, above the fold
    box = page.locator("#editor-error").bounding_box()
    editor_box = page.locator(".cm-editor").bounding_box()
    assert 0 <= box["y"] - (editor_box["y"] + editor_box["height"]) < 120 and box["y"] < 900
    # the cursor is put where the parser stopped
    assert page.evaluate("window.karabakhEditor.state.selection.main.head") == len("SELECT ?s WHERE {\n?s ")
    # Chromium logs every 4xx answer to fetch as a console error: exactly that one is expected
    assert [e for e in watch.errors if "status of 400" in e] == [watch.errors[0]] and len(watch.errors) == 1
    watch.errors.clear()
    watch.check()


def test_example_link_opens_in_the_editor_with_its_answer(editor_tab, ld_live):
    page, watch = editor_tab
    page.goto(ld_live.url + "/sparql?example=handovers")
    page.wait_for_selector(".cm-editor")
    assert "VALUES ?asOf" in editor_text(page)
    page.click("form.query button[type=submit]")
    page.wait_for_selector("#editor-results table.results")
    assert page.locator("#editor-results tbody tr").count() >= 3
    watch.check()


def test_query_page_without_javascript_is_the_plain_form(browser, ld_live):  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    watch = Watch(page)
    try:
        page.goto(ld_live.url + "/sparql")
        textarea = page.locator("form.query textarea")
        assert textarea.is_visible() and "PREFIX kgo:" in textarea.input_value()
        assert page.locator(".cm-editor").count() == 0
        textarea.fill("PREFIX kgo: <https://w3id.org/karabakh-kg/ontology#>\nSELECT ?p WHERE { ?p a kgo:Region }")
        page.click("form.query button[type=submit]")
        page.wait_for_selector("table.results")
        assert page.locator("table.results tbody tr").count() >= 3
        assert page.locator("p.downloads a").count() >= 4
        page.locator("form.query textarea").fill("SELECT ?p WHERE { ?p a kgo:Region }")
        page.click("form.query button[type=submit]")
        error = page.locator("#editor-error")
        assert error.is_visible()
        assert "PREFIX kgo: <https://w3id.org/karabakh-kg/ontology#>" in error.inner_text()
        assert len(watch.errors) == 1 and "status of 400" in watch.errors[0]  # the page's own 400
        watch.errors.clear()
        watch.check()
    finally:
        context.close()


def test_the_search_box_of_every_page_finds_a_place(editor_tab, ld_live):
    page, watch = editor_tab
    page.goto(ld_live.url + "/timeline")
    page.fill("header form.site-search input[name=q]", "upper karabakh")
    page.keyboard.press("Enter")
    page.wait_for_selector("ol.hits li")
    first = page.locator("ol.hits li a").first
    assert first.inner_text() == "Nagorno-Karabakh"
    assert "other name: “Upper Karabakh”" in page.locator("ol.hits li").first.inner_text()
    first.click()
    page.wait_for_url("**/doc/nagorno-karabakh")  # /id/ answers 303 to its document
    assert "Nagorno-Karabakh" in page.locator("h1").inner_text()
    watch.check()


def test_a_named_query_page_sets_a_parameter_and_opens_in_the_editor(editor_tab, ld_live):
    page, watch = editor_tab
    page.goto(ld_live.url + "/queries/")
    page.click("section#handovers h2 a")
    page.wait_for_selector("form.parameters")
    headers = [h.strip() for h in page.locator("table.results thead th").all_inner_texts()]
    status = f"table.results tbody tr td:nth-child({headers.index('status') + 1})"  # the status column
    statuses = page.locator(status).all_inner_texts()
    assert "pending" in statuses  # on the article's date, Kalbajar is still to be handed over
    page.fill("form.parameters input[name=asOf]", "2020-12-02")
    page.fill("form.parameters input[name=region]", "kg:kalbajar")
    page.click("form.parameters button[type=submit]")
    page.wait_for_url("**/queries/handovers?asOf=2020-12-02&region=kg%3Akalbajar")
    assert page.locator(status).all_inner_texts() == ["overdue"]
    page.click("text=Open in the editor")
    page.wait_for_selector(".cm-editor")
    assert "VALUES ?region { <https://w3id.org/karabakh-kg/id/kalbajar> }" in page.evaluate(
        "window.karabakhEditor.state.doc.toString()"
    )
    watch.check()
