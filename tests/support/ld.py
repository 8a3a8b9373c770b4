"""Helpers of the linked-data tests: constants, reading HTML pages, calling the loopback server."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from html.parser import HTMLParser

from support.paths import ARTIFACTS, DATA, ROOT  # noqa: F401 - re-exported for the tests

FIXTURE_TRIG = DATA / "linked_data.trig"
ARTICLE_ID = "2020-11-20-aghdam"
RESOURCE = "aghdam"  # a resource present in the real build and in the fixture


# --- reading pages ------------------------------------------------------------------------------


class Page(HTMLParser):
    """The parts of an HTML page the tests look at: links, ids, elements, attributes, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.links: list[dict] = []
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict]] = []
        self.text_parts: list[str] = []
        self._open_a: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {k: (v or "") for k, v in attrs}
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "a":
            link = dict(attributes, text="")
            self.links.append(link)
            self._open_a.append(link)

    def handle_endtag(self, tag):
        if tag == "a" and self._open_a:
            self._open_a.pop()

    def handle_data(self, data):
        self.text_parts.append(data)
        for link in self._open_a:
            link["text"] += data

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def hrefs(self) -> list[str]:
        return [link["href"] for link in self.links if "href" in link]

    def elements(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]


def page(response) -> Page:
    assert response.mimetype == "text/html", response.mimetype
    return Page(response.get_data(as_text=True))


def run(*command: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=timeout)


def http_get(url: str, accept: str | None = None, follow: bool = True):
    """GET on the loopback server: (status, headers, body), following redirects unless told not to."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(*([] if follow else [NoRedirect()]))
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def parse_rdf(data, fmt: str | None = None, **kwargs):
    """rdflib.Graph().parse, without rdflib 7's own deprecation notices (its JSON-LD parser has some)."""
    import warnings

    import rdflib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if isinstance(data, (bytes, str)) and fmt is not None:
            return rdflib.Graph().parse(data=data, format=fmt, **kwargs)
        return rdflib.Graph().parse(data, format=fmt, **kwargs)
