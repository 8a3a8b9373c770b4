"""No answer, link or redirect is built from the request's Host or from untrusted proxy headers.

Six requests with `Host: evil.example` once poisoned the Service Description every later client
got (the fast path replays by path, not Host), and `/id//aghdam` or `/queries` answered a 308
whose absolute Location came from Host (werkzeug's slash merging and strict slashes).
"""

from __future__ import annotations

import pytest

from karabakh_kg.namespaces import DEFAULT_BASE

EVIL = "evil.example"
ROUTES = ["/sparql", "/queries/", "/id/aghdam", "/doc/aghdam", "/", "/.well-known/void", "/ontology", "/dumps/"]
EMPTY_SEGMENTS = ["/id//aghdam", "/doc//aghdam", "/dumps//x", "/ontology//x", "/queries//x", "/queries", "/dumps"]
HOSTILE_HEADERS = {
    "Host": EVIL,
    "X-Forwarded-Host": EVIL,
    "X-Forwarded-Proto": "gopher",
    "X-Forwarded-Prefix": "/evil",
    "Forwarded": f"host={EVIL};proto=gopher",
}


def _everything(response) -> str:
    return response.get_data(as_text=True) + " ".join(f"{k}: {v}" for k, v in response.headers.items())


@pytest.mark.parametrize("accept", ["text/turtle", "application/json", "text/html", "*/*"])
def test_hostile_host_and_proxy_headers_never_reach_an_answer(client, accept):
    for _ in range(6):  # what once filled the fast path with a poisoned answer
        for path in ROUTES:
            response = client.get(path, headers={**HOSTILE_HEADERS, "Accept": accept})
            assert EVIL not in _everything(response) and "gopher" not in _everything(response), path
    for path in ROUTES:  # and every later client gets a clean answer
        later = client.get(path, headers={"Accept": accept})
        assert EVIL not in _everything(later), path


def test_the_service_description_names_the_public_endpoint(client):
    response = client.get("/sparql", headers={"Host": EVIL, "Accept": "application/n-triples"})
    assert f"<{DEFAULT_BASE}sparql> <http://www.w3.org/ns/sparql-service-description#endpoint>" in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize("path", EMPTY_SEGMENTS)
def test_empty_path_segments_and_missing_slashes_answer_404_never_a_redirect(client, path):
    response = client.get(path, headers={"Host": EVIL})
    assert response.status_code == 404, (response.status_code, response.headers.get("Location"))
    assert "Location" not in response.headers


def test_the_redirects_that_remain_are_relative(client):
    response = client.get("/id/aghdam", headers={"Host": EVIL, "Accept": "text/turtle"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/doc/")


def test_proxy_headers_are_dropped_unless_the_peer_is_a_trusted_proxy(make_app):
    seen = {}
    for trusted in ("", "127.0.0.1"):
        app = make_app(TRUSTED_PROXIES=trusted)
        inner = app.wsgi_app

        def spy(environ, start_response, inner=inner, trusted=trusted):
            response = inner(environ, start_response)
            seen[trusted] = environ.get("HTTP_X_FORWARDED_HOST")
            return response

        app.wsgi_app = spy  # outermost: sees the environ after the app's own layers
        app.test_client().get("/health", headers={"X-Forwarded-Host": EVIL}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert seen == {"": None, "127.0.0.1": EVIL}
