"""Compare query answers the way the W3C suite means them.

- solutions are multisets of rows (a list only when the query has ORDER BY), equal up to a
  consistent renaming of blank nodes;
- graphs are compared by isomorphism;
- CSV keeps no datatypes: rows of strings are compared, blank-node labels up to renaming.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from decimal import Decimal

import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic

RESULTS_FORMATS = {
    "srx": ox.QueryResultsFormat.XML,
    "srj": ox.QueryResultsFormat.JSON,
    "tsv": ox.QueryResultsFormat.TSV,
}
ACCEPT = {
    "srx": "application/sparql-results+xml",
    "srj": "application/sparql-results+json",
    "tsv": "text/tab-separated-values",
    "csv": "text/csv",
    "ttl": "text/turtle",
    "rdf": "text/turtle",
    "nt": "application/n-triples",
}


class Answer:
    """A parsed answer: a boolean, a table (variables, rows of terms) or a graph."""

    def __init__(self, boolean=None, variables=None, rows=None, graph=None):
        self.boolean, self.variables, self.rows, self.graph = boolean, variables, rows, graph

    def __repr__(self) -> str:
        if self.boolean is not None:
            return f"ASK {self.boolean}"
        if self.graph is not None:
            return self.graph.serialize(format="nt")
        return f"{self.variables}\n" + "\n".join(map(repr, self.rows))


def _term(term) -> tuple | None:
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value)
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.Literal):
        return ("literal", term.value, term.datatype.value, term.language)
    return ("other", str(term))


def from_results(result) -> Answer:
    """An Answer from pyoxigraph solutions or boolean (parsed or evaluated in-process)."""
    if isinstance(result, ox.QueryBoolean):
        return Answer(boolean=bool(result))
    variables = [v.value for v in result.variables]
    rows = [tuple(_term(s[v]) for v in variables) for s in result]
    return Answer(variables=variables, rows=rows)


def from_triples(triples) -> Answer:
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return Answer(graph=graph)


RS = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")


def from_result_set_graph(graph: rdflib.Graph) -> Answer | None:
    """An expected table written in the suite's RDF result-set vocabulary (None: a plain graph)."""
    result_set = graph.value(predicate=rdflib.RDF.type, object=RS.ResultSet)
    if result_set is None:
        return None
    boolean = graph.value(result_set, RS.boolean)
    if boolean is not None:
        return Answer(boolean=bool(boolean.toPython()))
    variables = sorted(str(v) for v in graph.objects(result_set, RS.resultVariable))
    rows = []
    for solution in graph.objects(result_set, RS.solution):
        found = {
            str(graph.value(b, RS.variable)): graph.value(b, RS.value) for b in graph.objects(solution, RS.binding)
        }
        rows.append(tuple(_rdflib_term(found.get(v)) for v in variables))
    return Answer(variables=variables, rows=rows)


def _rdflib_term(term) -> tuple | None:
    if term is None:
        return None
    if isinstance(term, rdflib.BNode):
        return ("bnode", str(term))
    if isinstance(term, rdflib.URIRef):
        return ("iri", str(term))
    datatype = str(term.datatype) if term.datatype else (RDF_LANG if term.language else XSD_STRING)
    return ("literal", str(term), datatype, term.language)


RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
NUMERIC = {
    XSD + t
    for t in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "unsignedInt",
        "unsignedLong",
        "unsignedShort",
        "unsignedByte",
        "decimal",
        "float",
        "double",
    )
}


INTEGERS = NUMERIC - {XSD + "decimal", XSD + "float", XSD + "double"}


def by_value(answer: Answer) -> Answer:
    """The answer with numeric and boolean literals written canonically: equal values of one datatype
    (integer types counted as one, as Oxigraph stores them) compare equal."""
    if answer.rows is None:
        return answer
    return Answer(variables=answer.variables, rows=[tuple(_canonical(t) for t in r) for r in answer.rows])


def _canonical(term):
    if term is None or term[0] != "literal" or (term[2] not in NUMERIC and term[2] != XSD + "boolean"):
        return term
    text = term[1].strip()
    try:
        if term[2] == XSD + "boolean":
            value = {"true": True, "1": True, "false": False, "0": False}[text]
        elif term[2] in (XSD + "float", XSD + "double"):
            value = float(text.replace("INF", "inf"))
        else:
            value = Decimal(text).normalize()
    except (KeyError, ValueError, ArithmeticError):
        return term
    datatype = XSD + "integer" if term[2] in INTEGERS else term[2]
    return ("literal", repr(value), datatype, None)


def parse(body: bytes, kind: str, base: str = "http://example.org/") -> Answer:
    """Parse an answer written in the format of a result file suffix (srx, srj, tsv, csv, ttl, rdf);
    relative IRIs in an expected-result file resolve against that file's IRI (`base`)."""
    if kind in RESULTS_FORMATS:
        return from_results(ox.parse_query_results(body, RESULTS_FORMATS[kind]))
    if kind == "csv":
        table = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
        header, rows = table[0], [tuple(r) for r in table[1:]]
        return Answer(variables=header, rows=[tuple(_csv_cell(c) for c in r) for r in rows])
    fmt = {"ttl": ox.RdfFormat.TURTLE, "rdf": ox.RdfFormat.RDF_XML, "nt": ox.RdfFormat.N_TRIPLES}[kind]
    answer = from_triples(q.triple for q in ox.parse(body, format=fmt, base_iri=base))
    return from_result_set_graph(answer.graph) or answer


def _csv_cell(cell: str) -> tuple | None:
    if cell == "":
        return None
    return ("bnode", cell[2:]) if cell.startswith("_:") else ("csv", cell)


def as_csv(answer: Answer) -> Answer:
    """What a table becomes once written as CSV (every term reduced to its string)."""

    def cell(t):
        if t is None:
            return None
        if t[0] == "bnode":
            return t
        return ("csv", t[1])

    return Answer(variables=answer.variables, rows=[tuple(cell(t) for t in r) for r in answer.rows])


def same(actual: Answer, expected: Answer, ordered: bool = False, values: bool = False) -> bool:
    """True when two answers are equal under the suite's semantics (`values`: literals by value)."""
    if values:
        actual, expected = by_value(actual), by_value(expected)
    if expected.boolean is not None or actual.boolean is not None:
        return actual.boolean == expected.boolean
    if expected.graph is not None or actual.graph is not None:
        return actual.graph is not None and expected.graph is not None and isomorphic(actual.graph, expected.graph)
    if sorted(actual.variables) != sorted(expected.variables):
        return False
    order = [actual.variables.index(v) for v in expected.variables]
    rows = [tuple(r[i] for i in order) for r in actual.rows]
    return _rows_match(rows, expected.rows, ordered)


def _bnodes(rows) -> bool:
    return any(t is not None and t[0] == "bnode" for r in rows for t in r)


def _rows_match(actual: list, expected: list, ordered: bool) -> bool:
    if len(actual) != len(expected):
        return False
    if not _bnodes(actual) and not _bnodes(expected):
        return actual == expected if ordered else Counter(actual) == Counter(expected)
    return _match_with_bnodes(actual, expected, ordered)


def _match_with_bnodes(actual: list, expected: list, ordered: bool) -> bool:
    """Backtracking search for a blank-node bijection making the rows equal (small tables only)."""

    def fits(row, target, mapping, reverse):
        new = {}
        for a, e in zip(row, target, strict=True):
            if a is None or e is None or a[0] != "bnode" or e[0] != "bnode":
                if a != e:
                    return None
                continue
            if mapping.get(a[1], e[1]) != e[1] or reverse.get(e[1], a[1]) != a[1] or new.get(a[1], e[1]) != e[1]:
                return None
            new[a[1]] = e[1]
        return new

    def search(i, used, mapping, reverse):
        if i == len(actual):
            return True
        candidates = [i] if ordered else [j for j in range(len(expected)) if j not in used]
        for j in candidates:
            new = fits(actual[i], expected[j], mapping, reverse)
            if new is None:
                continue
            if search(i + 1, used | {j}, {**mapping, **new}, {**reverse, **{v: k for k, v in new.items()}}):
                return True
        return False

    return search(0, frozenset(), {}, {})
