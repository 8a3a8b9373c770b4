"""Finding things: search over names, other names and quotes; the OpenRefine reconciliation service.

The reconciliation tests follow the W3C Entity Reconciliation Community Group API v0.2: the
manifest's required fields, a query batch sent as OpenRefine sends it (a `queries` form field of
a POST, or in the URL of a GET), the shape of each result, the invalid batch of the API's own
examples (`{"q1": {"limit": 1}}`, a query with no query), suggest and preview.
"""

from __future__ import annotations

import json

import pytest

from karabakh_kg.web.views.search import normalise
from support.ld import Page

ID = "https://w3id.org/karabakh-kg/id/"
KGO = "https://w3id.org/karabakh-kg/ontology#"


def search(client, q, **params):
    r = client.get("/search", query_string={"q": q, "format": "json", **params})
    assert r.status_code == 200
    return r.get_json()["results"]


def test_normalise_ignores_case_accents_and_quote_marks():
    assert normalise("Nagorno-Karabakh’s  BORDERS") == normalise("nagorno karabakh's borders")
    assert normalise("Şuşa") == normalise("susa")


@pytest.mark.parametrize(
    ("query", "first", "field"),
    [
        ("Aghdam", "aghdam", "label"),
        ("aghdam", "aghdam", "label"),
        ("Upper Karabakh", "nagorno-karabakh", "other name"),
        ("ilham", "ilham-aliyev", "label"),
    ],
)
def test_search_finds_by_name_and_other_name_first(ld_client, query, first, field):
    results = search(ld_client, query)
    assert results[0]["id"] == ID + first and results[0]["matched"]["field"] == field
    assert results[0]["page"] == "/id/" + first


def test_search_finds_the_articles_words_whatever_the_apostrophe(ld_client):
    curly = search(ld_client, "outside Nagorno-Karabakh’s borders")
    straight = search(ld_client, "outside nagorno-karabakh's borders")
    assert curly and [r["id"] for r in curly] == [r["id"] for r in straight]
    assert any(r["matched"]["field"] == "quote" for r in curly)  # the article's own words are found


def test_search_by_type(ld_client):
    everything = {r["id"] for r in search(ld_client, "aghdam")}
    districts = {r["id"] for r in search(ld_client, "aghdam", type="kgo:District")}
    assert districts == {ID + "aghdam"} and len(everything) > 1
    assert {r["id"] for r in search(ld_client, "aghdam", type="District")} == districts


def test_search_page_escapes_the_query_and_every_page_has_the_box(ld_client):
    hostile = "<script>alert(1)</script>"
    html = ld_client.get("/search", query_string={"q": hostile}, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert hostile not in html and "&lt;script&gt;" in html
    for path in ("/", "/sparql", "/queries/", "/timeline"):
        page = Page(ld_client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True))
        assert any(f.get("action") == "/search" for f in page.elements("form")), path


def test_search_page_lists_hits_with_links(ld_client):
    html = ld_client.get("/search?q=kalbajar", headers={"Accept": "text/html"}).get_data(as_text=True)
    page = Page(html)
    assert any(a.get("href") == "/id/kalbajar" for a in page.elements("a"))


# --- reconciliation ----------------------------------------------------------------------------


def test_manifest_has_what_the_api_requires(ld_client):
    manifest = ld_client.get("/reconcile").get_json()
    assert "0.2" in manifest["versions"]
    assert manifest["name"] and manifest["identifierSpace"] == ID and manifest["schemaSpace"] == KGO
    assert "{{id}}" in manifest["view"]["url"] and "{{id}}" in manifest["preview"]["url"]
    assert isinstance(manifest["preview"]["width"], int) and isinstance(manifest["preview"]["height"], int)
    ids = [t["id"] for t in manifest["defaultTypes"]]
    assert len(ids) == len(set(ids)) and all(t["name"] for t in manifest["defaultTypes"])
    assert {"Agent", "Region", "Event"} <= set(ids)
    for service in manifest["suggest"].values():
        assert service["service_url"].endswith("/reconcile") and service["service_path"].startswith("/suggest/")


def check_result_batch(batch: dict, keys: set[str]) -> None:
    """The v0.2 result batch schema: each query's `result`, candidates with id, name and score."""
    assert set(batch) == keys
    for value in batch.values():
        for c in value["result"]:
            assert isinstance(c["id"], str) and isinstance(c["name"], str)
            assert isinstance(c["score"], int | float) and isinstance(c["match"], bool)
            assert all(isinstance(t["id"], str) for t in c["type"])


QUERIES = {
    "q0": {"query": "Aghdam", "type": "District", "limit": 3},
    "q1": {"query": "Ilham Aliyev", "type": ["Person"], "type_strict": "should"},
    "q2": {"query": "Upper Karabakh"},
    "q3": {"query": "nowhere at all"},
}


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_query_batch_by_name_and_type(ld_client, method):
    data = {"queries": json.dumps(QUERIES)}
    r = ld_client.post("/reconcile", data=data) if method == "POST" else ld_client.get("/reconcile", query_string=data)
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    batch = r.get_json()
    check_result_batch(batch, set(QUERIES))
    (aghdam,) = batch["q0"]["result"]
    assert (aghdam["id"], aghdam["name"], aghdam["match"]) == ("aghdam", "Aghdam", True)
    assert {"id": "District", "name": "district"} in aghdam["type"]
    aliyev = batch["q1"]["result"]
    assert [c["id"] for c in aliyev] == ["ilham-aliyev"] and aliyev[0]["match"]
    assert batch["q2"]["result"][0]["id"] == "nagorno-karabakh"
    assert batch["q3"]["result"] == []


def test_identifier_space_plus_id_is_the_resource(ld_client):
    manifest = ld_client.get("/reconcile").get_json()
    batch = ld_client.get("/reconcile", query_string={"queries": json.dumps({"q": {"query": "Kalbajar"}})}).get_json()
    iri = manifest["identifierSpace"] + batch["q"]["result"][0]["id"]
    assert ld_client.get("/id/" + iri[len(ID) :]).status_code in (200, 303)


@pytest.mark.parametrize(
    ("batch", "words"),
    [
        ('{"q1": {"limit": 1}}', "needs a 'query' string"),  # the API's own invalid example
        ('{"q0": {"query": "x", "colour": "red"}}', "unknown field(s) ['colour']"),
        ('{"q0": {"query": "x", "type": 3}}', "'type' is a type id"),
        ('{"q0": {"query": "x", "limit": -1}}', "'limit' is a positive number"),
        ("[1, 2]", "must be a JSON object"),
        ("{not json", "is not JSON"),
    ],
)
def test_an_invalid_batch_is_a_400_saying_what_is_wrong(ld_client, batch, words):
    r = ld_client.post("/reconcile", data={"queries": batch})
    assert r.status_code == 400 and words in r.get_json()["message"]


@pytest.mark.parametrize("media", ["application/json", "text/turtle", "application/ld+json"])
def test_a_post_without_the_queries_form_field_is_a_400(ld_client, media):
    r = ld_client.post("/reconcile", data=json.dumps({"q0": {"query": "Aghdam"}}), headers={"Content-Type": media})
    assert r.status_code == 400 and "form field 'queries'" in r.get_json()["message"]


def test_suggest_entities_and_types(ld_client):
    entities = ld_client.get("/reconcile/suggest/entity?prefix=kalb").get_json()["result"]
    assert entities[0]["id"] == "kalbajar" and entities[0]["name"] == "Kalbajar"
    assert {"id": "District", "name": "district"} in entities[0]["notable"]
    types = ld_client.get("/reconcile/suggest/type?prefix=dis").get_json()["result"]
    assert {"id": "District", "name": "district"} in types
    assert all(t["id"].casefold().startswith("dis") or t["name"].startswith("dis") for t in types)


def test_preview_is_a_small_page_that_openrefine_may_frame(ld_client):
    r = ld_client.get("/reconcile/preview?id=aghdam")
    assert r.status_code == 200 and r.mimetype == "text/html"
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert "X-Frame-Options" not in r.headers  # it would contradict frame-ancestors *
    text = Page(r.get_data(as_text=True)).text
    assert "Aghdam" in text and "Aghdam region" in text
    assert ld_client.get("/reconcile/preview?id=nothing-here").status_code == 404
