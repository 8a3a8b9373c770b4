"""Named queries with parameters: declared in the header, bound as typed terms, refused by name.

The binding is tested against the engine: a declared default gives the same answer as the query
as written, and a hostile value comes back from the engine as the very value it was.
"""

from __future__ import annotations

import json

import pyoxigraph
import pytest

from karabakh_kg import namespaces, query_files, query_params
from karabakh_kg.query_files import HeaderError, Parameter, QueryFile
from karabakh_kg.query_params import ParameterError
from support.ld import Page

PREFIXES = namespaces.prefixes()
WITH_PARAMETERS = [q for q in query_files.listing() if q.parameters]


def test_the_queries_with_parameters_declare_them():
    declared = {q.name: [(p.name, p.type) for p in q.parameters] for q in WITH_PARAMETERS}
    assert declared == {
        "about-entity": [("entity", "iri")],
        "asserted-vs-inferred": [("entity", "iri")],
        "control-on-date": [("region", "iri"), ("date", "xsd:date")],
        "handovers": [("asOf", "xsd:date"), ("region", "iri")],
    }


@pytest.mark.parametrize("query", WITH_PARAMETERS, ids=lambda q: q.name)
def test_each_declared_default_is_the_querys_own(query, published):
    store = pyoxigraph.Store.read_only(str(published.release.store))

    def rows(text):
        result = store.query(text, use_default_graph_as_union=True)
        names = [v.value for v in result.variables]
        return sorted(tuple(str(row[n]) for n in names) for row in result)

    for parameter in query.parameters:
        assert query_params.values_block(query.text, parameter.name), parameter.name
        if parameter.default:
            bound = query_params.bind(query, {parameter.name: list(parameter.default)}, PREFIXES)
            assert bound != query.text or parameter.default == ()
            assert rows(bound) == rows(query.text), parameter.name


def test_a_malformed_parameter_line_names_its_file_and_line():
    with pytest.raises(HeaderError, match=r"q\.rq:3: write `# parameter: NAME \(TYPE"):
        query_files.parse("q", "# title: t\n# description: d\n# parameter: when (date) the day\nSELECT * {}")


def string_query(*names: str) -> QueryFile:
    text = "SELECT * WHERE { " + " ".join(f'VALUES ?{n} {{ "x" }}' for n in names) + " }"
    return QueryFile("q", "", text, "t", "d", tuple(Parameter(n, "xsd:string", ("x",), "") for n in names))


@pytest.mark.parametrize(
    "hostile",
    ['" } ?s ?p ?o { "', "x' } DROP ALL #", '\\" }', "VALUES ?b { <http://evil/> }", "line\nbreak \u2028 }"],
)
def test_a_value_is_a_term_never_query_text(hostile):
    query = string_query("a", "b")
    bound = query_params.bind(query, {"a": [hostile], "b": ["second"]}, PREFIXES)
    (row,) = list(pyoxigraph.Store().query(bound))
    assert row["a"].value == hostile and row["b"].value == "second"


@pytest.mark.parametrize(
    ("parameter", "value", "words"),
    [
        (Parameter("d", "xsd:date", (), ""), "2020-02-30", "is not a date"),
        (Parameter("d", "xsd:date", (), ""), "20-11-2020", "is not a date"),
        (Parameter("r", "iri", (), ""), "javascript:alert(1)", "is not an IRI"),
        (Parameter("r", "iri", (), ""), "nope:aghdam", "is not an IRI"),
        (Parameter("r", "iri", (), ""), "<http://x/a b>", "is not a valid IRI"),
        (Parameter("r", "iri", (), ""), "http://x/a>{", "is not a valid IRI"),
        (Parameter("n", "xsd:integer", (), ""), "1; DROP", "is not an integer"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(parameter, value, words):
    with pytest.raises(ParameterError, match=words):
        query_params.term(parameter, value, PREFIXES)


def test_iris_are_written_full_from_prefixed_names():
    parameter = Parameter("r", "iri", (), "")
    assert str(query_params.term(parameter, "kg:kalbajar", PREFIXES)) == "<https://w3id.org/karabakh-kg/id/kalbajar>"
    assert str(query_params.term(parameter, "<https://example.org/x>", PREFIXES)) == "<https://example.org/x>"


# --- over HTTP -----------------------------------------------------------------------------------


def bindings(response) -> list[dict[str, str]]:
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(response.data)["results"]["bindings"]]


def test_parameters_are_set_in_the_url(ld_client):
    r = ld_client.get("/queries/handovers?asOf=2020-11-26&region=kg:kalbajar&format=json")
    assert r.status_code == 200
    (row,) = bindings(r)
    assert (row["regionLabel"], row["asOf"], row["status"]) == ("Kalbajar", "2020-11-26", "overdue")
    rows = bindings(ld_client.get("/queries/handovers?format=json"))
    assert {(r["regionLabel"], r["status"]) for r in rows} >= {
        ("Aghdam", "fulfilled according to Ilham Aliyev"),
        ("Kalbajar", "pending"),
    }


def test_a_repeated_parameter_gives_several_values(ld_client):
    r = ld_client.get("/queries/control-on-date?date=1995-06-01&date=2020-11-21&format=json")
    assert {row["date"] for row in bindings(r)} == {"1995-06-01", "2020-11-21"}


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/queries/handovers?asof=2020-11-26", "unknown parameter 'asof'"),
        ("/queries/handovers?asOf=26.11.2020", "asOf='26.11.2020' is not a date"),
        ("/queries/handovers?region=" + "%3Chttp%3A%2F%2Fx%2F%3E%20%7D", "region='<http://x/> }' is not an IRI"),
        ("/queries/ceasefire?asOf=2020-11-26", "unknown parameter 'asOf'"),
    ],
)
def test_an_unknown_or_malformed_parameter_is_a_400_naming_the_accepted_ones(ld_client, url, words):
    r = ld_client.get(url)
    assert r.status_code == 400 and r.mimetype == "text/plain"
    text = r.get_data(as_text=True)
    assert words in text
    if "handovers" in url:
        assert "accepts: asOf (xsd:date), region (iri)" in text
    else:
        assert "takes no parameters" in text
    assert "format, default-graph-uri, named-graph-uri" in text


def test_the_list_gives_each_querys_parameters_as_json(ld_client):
    listed = {q["name"]: q for q in ld_client.get("/queries/", headers={"Accept": "application/json"}).get_json()}
    assert listed["handovers"]["parameters"][0] == {
        "name": "asOf",
        "type": "xsd:date",
        "default": ["2020-11-20"],
        "description": "The day the status is computed for, YYYY-MM-DD.",
    }
    assert listed["ceasefire"]["parameters"] == []


def test_the_list_is_a_page_of_the_site(ld_client):
    r = ld_client.get("/queries/", headers={"Accept": "text/html"})
    page = Page(r.get_data(as_text=True))
    assert r.status_code == 200
    assert page.elements("nav") and any(a.get("href") == "/queries/handovers" for a in page.elements("a"))
    assert "asOf" in page.text and "xsd:date" in page.text and "2020-11-20" in page.text
    assert '<link rel="alternate" href="/queries/?format=json"' in r.get_data(as_text=True)


def test_a_named_query_page_has_its_question_form_answer_and_sparql(ld_client):
    r = ld_client.get("/queries/handovers?asOf=2020-11-26&region=kg:kalbajar", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    page = Page(html)
    assert "Territories to be handed over" in page.text
    inputs = {a["name"]: a for a in page.elements("input")}
    assert inputs["asOf"]["type"] == "date" and inputs["asOf"]["value"] == "2020-11-26"
    assert inputs["region"]["value"] == "kg:kalbajar"
    assert "overdue" in page.text and "Kalbajar" in page.text  # the answer, as a table
    assert "VALUES ?region { &lt;https://w3id.org/karabakh-kg/id/kalbajar&gt; }" in html  # the SPARQL run
    editor_links = [a["href"] for a in page.elements("a") if a.get("href", "").startswith("/sparql?query=")]
    assert editor_links and "kalbajar" in editor_links[0]


def test_a_named_query_page_shows_a_refused_value_as_plain_text(ld_client):
    r = ld_client.get("/queries/handovers?asOf=yesterday", headers={"Accept": "text/html"})
    assert r.status_code == 400 and "asOf='yesterday' is not a date" in r.get_data(as_text=True)
