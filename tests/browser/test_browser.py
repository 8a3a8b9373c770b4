"""End to end in headless Chromium (Debian's, driven by Playwright): the pages work, offline, without errors.

Every request that leaves 127.0.0.1 is aborted and fails the test; so does any console error or page
error. Screenshots are kept in tests/artifacts/; with `SCREENSHOTS_DIR` set (`make screenshots`) the
resource page and the timeline are also written there for the README.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from support.browser import Watch, shoot
from support.ld import RESOURCE

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    watch = Watch(page)
    yield page, watch
    context.close()


def test_home_then_an_example_query_shows_rows(tab, ld_live):
    page, watch = tab
    page.goto(ld_live.url + "/")
    assert page.locator("h1").inner_text() == "Karabakh KG"
    shoot(page, "home")
    page.click("header nav >> text=Query")
    page.wait_for_selector("form.query textarea", state="attached")
    examples = page.locator("aside.examples li > a:first-child")
    assert examples.count() >= 5
    examples.first.click()
    page.wait_for_selector("table.results")
    rows = page.locator("table.results tbody tr")
    assert rows.count() >= 1
    assert page.locator("form.query textarea").input_value().strip()
    assert page.locator("p.downloads a").count() >= 4
    shoot(page, "query")
    page.click(".cm-content")  # the editor (static/editor.js) in place of the text box
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")  # typing over a many-line selection makes Chromium try inline styles
    page.keyboard.type("SELECT ?s WHERE { ?s a ?type } LIMIT 3")
    page.click("form.query button[type=submit]")
    page.wait_for_selector("#editor-results table.results")
    assert page.locator("#editor-results table.results tbody tr").count() == 3
    watch.check()


def test_resource_page_and_following_a_link(tab, ld_live):
    page, watch = tab
    page.goto(f"{ld_live.url}/id/{RESOURCE}")  # 303 to /doc/
    assert urlsplit(page.url).path == f"/doc/{RESOURCE}"
    assert page.locator("h1").inner_text()
    assert page.locator("#provenance mark").count() >= 1
    assert page.locator("#types dd a").count() >= 2
    shoot(page, "resource-page", "resource-page.png", full=True)
    link = page.locator("#statements td a[href^='/id/']").first
    target = link.get_attribute("href")
    link.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == target.replace("/id/", "/doc/", 1)
    assert page.locator("h1").inner_text()
    assert page.locator("#statements").count() == 1
    watch.check()


def test_timeline_and_article(tab, ld_live):
    page, watch = tab
    page.goto(ld_live.url + "/timeline")
    events = page.locator("svg.timeline g.event:not(.p-unknown)")
    assert events.count() >= 3
    assert page.locator("svg.timeline g.event circle, svg.timeline g.event rect").count() >= events.count()
    svg_right = page.locator("svg.timeline").bounding_box()
    for label in page.locator("svg.timeline text.label").all():  # wrapped, never cut, inside the picture
        box = label.bounding_box()
        assert box["x"] + box["width"] <= svg_right["x"] + svg_right["width"], label.text_content()
        assert "…" not in label.text_content()
    shoot(page, "timeline", "timeline.png", full=True)
    page.locator("svg.timeline a").first.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path.startswith("/doc/")
    page.goto(ld_live.url + "/article/2020-11-20-aghdam")
    assert page.locator(".article-text a.mention").count() >= 5
    shoot(page, "article")
    watch.check()


def test_ontology_diagram_is_drawn_at_its_own_size(tab, ld_live, published):
    if not (published.release.path / "diagram.svg").is_file():
        pytest.skip("this build has no diagram (Graphviz absent)")
    page, watch = tab
    page.goto(ld_live.url + "/ontology")
    diagram = page.locator("figure.diagram img")
    diagram.scroll_into_view_if_needed()
    natural, shown = diagram.evaluate("img => [img.naturalWidth, img.getBoundingClientRect().width]")
    assert natural > 0 and abs(shown - natural) <= 1, (natural, shown)  # not shrunk to the page width
    assert page.locator("figure.diagram .scroll").evaluate("box => box.scrollWidth > box.clientWidth")
    shoot(page, "ontology-diagram")
    watch.check()
