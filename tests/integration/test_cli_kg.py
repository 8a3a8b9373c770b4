"""`karabakh-kg query` and `karabakh-kg check`: formats, VALUES substitution, exit codes."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest

from karabakh_kg import cli
from support.kg import copy_inputs, replace_in

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
MENTION = ox.NamedNode("https://w3id.org/karabakh-kg/ontology#Mention")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def test_query_by_name_as_csv(capsys, kg_build):
    code, out, _ = run(capsys, "query", "handovers", "--build-dir", str(kg_build), "--format", "csv")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert {r["regionLabel"] for r in table} == {"Aghdam", "Kalbajar", "Lachin"}


def test_query_as_sparql_json(capsys, kg_build):
    code, out, _ = run(capsys, "query", "ceasefire", "--build-dir", str(kg_build), "--format", "json")
    assert code == 0
    assert {b["brokeredBy"]["value"] for b in json.loads(out)["results"]["bindings"]} == {"Russia"}


def test_query_values_substitution(capsys, kg_build):
    code, out, _ = run(
        capsys,
        "query",
        "control-on-date",
        "--build-dir",
        str(kg_build),
        "--format",
        "csv",
        "--values",
        'date="1995-06-01"^^xsd:date',
    )
    assert code == 0
    assert [r["controllerLabel"] for r in csv.DictReader(io.StringIO(out))] == ["Armenian forces"]


def test_query_file_and_table(capsys, kg_build, kg_store, tmp_path):
    query = tmp_path / "q.rq"
    query.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/karabakh-kg/ontology#Mention> }")
    code, out, _ = run(capsys, "query", str(query), "--build-dir", str(kg_build))
    mentions = len(list(kg_store.quads_for_pattern(None, RDF_TYPE, MENTION)))
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["n"] and mentions > 100
    assert str(mentions) in lines[2] and "(1 rows)" in out


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["query", "no-such-query"], 2, "no query named"),
        (["query", "handovers", "--values", "nope"], 2, "VAR=TERM"),
        (["query", "handovers", "--values", "x=1"], 2, "no `VALUES ?x"),
        (["query", "handovers", "--values", "x=1"], 2, "the variables that can be set: asOf, region"),
        (["query", "control-on-date", "--values", "day=1"], 2, "the variables that can be set: region, date"),
    ],
)
def test_query_errors(capsys, kg_build, argv, code, message):
    got, _, err = run(capsys, *argv, "--build-dir", str(kg_build))
    assert got == code and message in err


def test_malformed_query_file_exit_1(capsys, kg_build, tmp_path):
    query = tmp_path / "bad.rq"
    query.write_text("SELECT ?x WHERE { ?x ")
    code, _, err = run(capsys, "query", str(query), "--build-dir", str(kg_build))
    assert code == 1 and "not valid SPARQL" in err


def test_a_query_file_missing_a_prefix_gets_the_line_to_add(capsys, kg_build, tmp_path):
    query = tmp_path / "bad.rq"
    query.write_text("SELECT ?x WHERE {\n  ?x a kgo:Event }")
    code, _, err = run(capsys, "query", str(query), "--build-dir", str(kg_build))
    assert code == 1 and "at 2:8 (line:column): the prefix kgo: is not declared" in err
    assert "PREFIX kgo: <https://w3id.org/karabakh-kg/ontology#>" in err


def test_check_conforms(capsys):
    code, out, _ = run(capsys, "check")
    assert code == 0 and "conforms" in out


def test_check_reports_violation(capsys, tmp_path):
    source = copy_inputs(tmp_path)
    replace_in(source / "data" / "facts" / "events.ttl", "kgo:factuality kgo:Planned ;", "")
    code, _, err = run(capsys, "check", "--source", str(source))
    assert code == 1 and "kg:peacekeeper-deployment" in err
