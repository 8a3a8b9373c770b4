"""The web worker's own answers to one-pattern queries (`web/pattern_lane.py`) against a query process's.

Two apps on the article's release, one with the lane and one without (every query to a query
process, with the client's own text): for generated one-pattern queries in every results format,
the status, headers and bytes must be equal. The lane must really answer what it reads (the
runner is counted), and hand on what it must not answer itself: more than `ROWS` rows, anything
it declines, and answers over the row limit, which the query process refuses as always.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from karabakh_kg.web.app import create_app
from karabakh_kg.web.pattern_lane import ROWS, read

KG = "https://w3id.org/karabakh-kg/"
SUBJECTS = [f"<{KG}id/article/2020-11-20-aghdam>", f"<{KG}id/azerbaijan>", f"<{KG}id/nowhere>", "kg:ceasefire"]
PREDICATES = ["a", "<http://www.w3.org/2000/01/rdf-schema#label>", "kgo:supportedBy", "<http://e/none>"]
OBJECTS = ["<http://www.w3.org/ns/prov#Entity>", "kgo:Statement", "kg:aghdam", "<http://e/none>"]
ACCEPTS = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "*/*",
]
PROLOGUE = f"PREFIX kg: <{KG}id/>\nPREFIX kgo: <{KG}ontology#>\n"


class CountingRunner:
    """The app's runner, counting the queries that reach a query process."""

    def __init__(self, runner):
        self.runner = runner
        self.calls = 0

    def run(self, job):
        self.calls += 1
        return self.runner.run(job)


@pytest.fixture(scope="module")
def apps(kg_build):
    settings_ = {"BUILD_DIR": str(kg_build), "QUERY_PROCESSES": 1, "CACHE_ENTRIES": 0, "ACCESS_LOG": False}
    with_lane, without = create_app(settings_), create_app({**settings_, "PATTERN_LANE": False})
    assert with_lane.extensions["karabakh_kg"].lane is not None
    assert without.extensions["karabakh_kg"].lane is None
    counter = CountingRunner(with_lane.extensions["karabakh_kg"].runner)
    with_lane.extensions["karabakh_kg"].runner = counter
    yield with_lane, without, counter
    counter.runner.close()
    without.extensions["karabakh_kg"].runner.close()


def _get(app, query, accept):
    return app.test_client().get("/sparql?" + urlencode({"query": query}), headers={"Accept": accept})


def _both(apps, query, accept):
    with_lane, without, counter = apps
    before = counter.calls
    a, b = _get(with_lane, query, accept), _get(without, query, accept)
    assert (a.status, sorted(a.headers.items()), a.data) == (b.status, sorted(b.headers.items()), b.data), query
    return a, counter.calls - before


@st.composite
def one_pattern(draw):
    def term(pool, name):
        return draw(st.sampled_from([f"?{name}", f"${name}", *pool]))

    s, p, o = term(SUBJECTS, "s"), term(PREDICATES, "p"), term(OBJECTS, "o")
    variables = [t[1:] for t in (s, p, o) if t[0] in "?$"]
    if draw(st.booleans()):
        head = "ASK"
    else:
        chosen = draw(st.lists(st.sampled_from(variables), min_size=1, unique=True)) if variables else []
        head = "SELECT " + (" ".join("?" + v for v in chosen) if chosen and draw(st.booleans()) else "*")
    where = draw(st.sampled_from(["WHERE ", "where", ""]))
    dot = draw(st.sampled_from(["", " .", "."]))
    limit = ""
    if head != "ASK" and draw(st.booleans()):
        limit = f" LIMIT {draw(st.sampled_from([0, 1, 7, ROWS, ROWS + 1, 50_000, 10**18 - 1]))}"
    comment = draw(st.sampled_from(["", "\n# a comment { ?x }", " #"]))
    return f"{PROLOGUE}{head} {where}{{ {s} {p} {o}{dot} }}{limit}{comment}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(one_pattern(), st.sampled_from(ACCEPTS))
def test_the_lane_answers_as_a_query_process_does(apps, query, accept):
    assert read(query) is not None, query
    answer, handed_on = _both(apps, query, accept)
    rows = int(answer.headers.get("X-Result-Rows", "0") or 0)
    if answer.status_code == 200 and rows < ROWS:
        assert handed_on == 0, "a one-pattern query the lane could answer reached a query process"


def test_more_rows_than_the_lane_reads_go_to_a_query_process(apps):
    # the article is the object of 2,176 triples: more than ROWS, fewer than MAX_RESULT_ROWS
    answer, handed_on = _both(apps, f"SELECT ?s WHERE {{ ?s ?p <{KG}id/article/2020-11-20-aghdam> }}", ACCEPTS[0])
    assert answer.status_code == 200
    assert len(answer.get_json()["results"]["bindings"]) > ROWS
    assert handed_on == 1


def test_an_answer_over_the_row_limit_is_refused_as_always(apps):
    answer, handed_on = _both(apps, "SELECT * WHERE { ?s ?p ?o }", ACCEPTS[0])
    assert answer.status_code == 400
    assert "MAX_RESULT_ROWS" in answer.get_data(as_text=True)
    assert handed_on == 1


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p ?o } ORDER BY ?o LIMIT 3",
        "SELECT * WHERE { ?s ?p ?s } LIMIT 3",
        'SELECT * WHERE { ?s ?p "Aghdam"@en }',
        "SELECT * WHERE { ?s ex:p ?o }",  # the engine's own error, from the client's text
        "SELECT * WHERE { ?s <rel> ?o } LIMIT 3",
        "SELECT * WHERE { ?s ?p ?o } LIMIT 99999999999999999999999",
    ],
)
def test_what_the_lane_declines_is_answered_by_a_query_process(apps, query):
    answer, handed_on = _both(apps, query, ACCEPTS[0])
    assert handed_on == 1
    assert answer.status_code in (200, 400)
