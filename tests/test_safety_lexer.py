"""The query check reads SPARQL as the grammar's terminals define it (regressions of known bypasses).

Each refused text below once went through: a backslash escape in a local name (`ex:a\\#`,
`ex:a\\'`) made the old scanner think a comment or a string started, hiding the rest of the line,
its SERVICE and any number of nested groups; Oxigraph reads keywords glued to what follows. Each
accepted text is ordinary SPARQL that a stricter check must still let through.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from karabakh_kg.web import safety

SERVICE = "SERVICE <http://127.0.0.1:9/internal> { ?x ?y ?w }"
PREFIX = "PREFIX ex: <http://e/>\n"

REFUSED_403 = {
    "escaped hash in a local name": PREFIX + "SELECT ?x WHERE { BIND(ex:a\\# AS ?z) " + SERVICE + "\n}",
    "escaped quote in a local name": PREFIX + "SELECT ?x WHERE { BIND(ex:a\\' AS ?z) " + SERVICE + "\n}",
    "escaped quote in a string": "SELECT * WHERE { BIND('it\\'s' AS ?z) " + SERVICE + " }",
    "keyword glued to SILENT": "SELECT * WHERE { SERVICESILENT<http://127.0.0.1:9/>{} }",
    "keyword glued to a prefixed name": "PREFIX : <http://127.0.0.1:9/>\nSELECT * WHERE { SERVICE:x {} }",
    "keyword glued to a literal": "SELECT * WHERE { ?s ?p trueSERVICE<http://127.0.0.1:9/>{} }",
    "lower case": "select * where { service <http://127.0.0.1:9/> {} }",
    "string closed by an escape read before parsing": 'SELECT * { ?s ?p "\\u0022 . ' + SERVICE + ' #" }',
    "escaped hash in a long string": "SELECT * { BIND('''a\\'''' AS ?z) " + SERVICE + " }",
}

REFUSED_400 = {
    "nested groups hidden after an escaped hash": PREFIX
    + "SELECT ?x WHERE { BIND(ex:a\\# AS ?z) "
    + "{" * 600
    + "}" * 600
    + "\n}",
    "a string that does not end": "SELECT * WHERE { ?s ?p 'abc }",
    "a double quote is no local-name escape": PREFIX + 'SELECT ?x WHERE { BIND(ex:a\\" AS ?z) ' + SERVICE + "\n}",
    "an escape strings do not have": "SELECT * WHERE { ?s ?p '\\x' }",
}

ACCEPTED = {
    "SERVICE in a string": "SELECT * WHERE { ?s ?p 'SERVICE <http://x/> {}' }",
    "SERVICE in a comment": "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> {}",
    "SERVICE as a local name": PREFIX + "SELECT * WHERE { ?s ex:service ?o . ?s ex:SERVICE ?o }",
    "SERVICE as a variable": "SELECT ?service WHERE { ?service ?p ?o }",
    "escapes in local names": PREFIX + "SELECT * WHERE { ?s ex:a\\#b ?o . ?s ex:a\\'b ?o . ?s ex:b%41 ?o }",
    "dotted local names": PREFIX + "SELECT * WHERE { ?s ex:a.b.c ?o . ?s ex:a ?o. }",
    "long strings with quotes": "SELECT * WHERE { ?s ?p '''a''b''' . ?s ?p \"\"\"a\"\"b\"\"\" }",
    "hash in an IRI": "SELECT * WHERE { ?s ?p <http://e/#x> }",
    "unicode escape in a string": "SELECT * WHERE { ?s ?p 'caf\\u00E9' }",
    "comparison, not an IRI": "SELECT * WHERE { ?s ?p ?o FILTER(?s<?o&&?o>?s) }",
}


@pytest.mark.parametrize("name", sorted(REFUSED_403))
def test_service_hidden_from_the_old_scanner_is_refused(name):
    with pytest.raises(safety.Refused) as refused:
        safety.analyse(REFUSED_403[name])
    assert refused.value.status == 403 and "SERVICE" in refused.value.message


@pytest.mark.parametrize("name", sorted(REFUSED_400))
def test_structure_hidden_from_the_old_scanner_is_refused(name):
    with pytest.raises(safety.Refused) as refused:
        safety.analyse(REFUSED_400[name])
    assert refused.value.status == 400 and "line" in refused.value.message


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_ordinary_sparql_is_accepted(name):
    assert safety.analyse(ACCEPTED[name]).form == "SELECT"


@pytest.mark.parametrize("how", ["GET", "POST form", "POST direct"])
@pytest.mark.parametrize("escape", ["\\#", "\\'"])
def test_the_reported_bypass_is_refused_on_every_way_in(client, how, escape):
    query = PREFIX + "SELECT ?x WHERE { BIND(ex:a" + escape + " AS ?z) " + SERVICE + "\n}"
    if how == "GET":
        response = client.get("/sparql?" + urlencode({"query": query}))
    elif how == "POST form":
        response = client.post("/sparql", data={"query": query})
    else:
        response = client.post("/sparql", data=query.encode(), content_type="application/sparql-query")
    assert response.status_code == 403 and b"SERVICE is refused" in response.data
