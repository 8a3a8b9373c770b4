"""The reference engine: rdflib's SPARQL engine on an in-memory Dataset loaded from `dataset.nq`.

The Dataset is loaded once in the web worker (`prepare`) and shared copy-on-write by the forked
query processes. rdflib is made safe here: FROM never fetches (`SPARQL_LOAD_GRAPHS = False`),
SERVICE never reaches it (refused earlier), queries are first parsed by pyoxigraph so the error
messages name a position and match the default engine, and rdflib's parser (not thread-safe)
runs under a lock.
"""

from __future__ import annotations

import warnings

import pyoxigraph as ox
import rdflib
import rdflib.plugins.sparql
from rdflib import BNode, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from karabakh_kg import rdf_bridge
from karabakh_kg.web import results
from karabakh_kg.web.engines import Engine, EngineError, Job, QueryError, parse_error, parsed, prefixes


def to_oxigraph(term):
    """Convert one rdflib term (or None) to the pyoxigraph term the writers expect.

    rdflib sometimes leaks a value that is no RDF term (`COALESCE()` gives a Python string): that is
    an expression error, and an error in a projection leaves the variable unbound.
    """
    return rdf_bridge.to_oxigraph(term) if isinstance(term, (URIRef, BNode, Literal)) else None


class RdflibEngine(Engine):
    """Evaluates queries with rdflib on the whole dataset held in memory."""

    name = "rdflib"
    isolated = True

    def prepare(self) -> None:
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
        try:
            with warnings.catch_warnings():  # rdflib 7 deprecation notices from its own internals
                warnings.simplefilter("ignore", DeprecationWarning)
                dataset = rdflib.Dataset(default_union=True)
                dataset.parse(data=self.release.dataset.read_bytes(), format="nquads")
        except Exception as err:  # noqa: BLE001 - a corrupt dataset file: refuse to serve it
            raise EngineError(f"cannot load {self.release.dataset}: {err}") from None
        self.dataset = dataset

    def open(self) -> None:
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
        self.validator = ox.Store()

    def execute(self, job: Job) -> results.Rendered:
        try:
            self.validator.query(job.query, base_iri=self.query_base)  # empty store: a syntax check with positions
        except SyntaxError as err:
            raise parse_error(job.query, err, self.release.manifest["base"]) from None
        try:
            with parsed.LOCK:
                prepared = prepareQuery(job.query, base=self.query_base)
        except Exception as err:  # noqa: BLE001 - rdflib rejects something pyoxigraph accepted
            raise QueryError(f"Query not supported by the rdflib engine: {err}") from None
        if parsed.uses_service(prepared.algebra):  # rdflib expands \u escapes everywhere
            raise QueryError(parsed.SERVICE_REFUSED)
        if job.default_graphs or job.named_graphs:
            clause = [CompValue("DatasetClause", default=URIRef(g)) for g in job.default_graphs]
            clause += [CompValue("DatasetClause", named=URIRef(g)) for g in job.named_graphs]
            prepared.algebra["datasetClause"] = clause
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                result = self.dataset.query(prepared)
                return self._render(result, job)
        except (QueryError, EngineError):
            raise
        except Exception as err:  # noqa: BLE001 - rdflib raises plain exceptions for evaluation errors
            raise QueryError(f"Query evaluation failed in the rdflib engine: {type(err).__name__}: {err}") from None

    def _render(self, result, job: Job) -> results.Rendered:
        if result.type == "ASK":
            return results.boolean(bool(result.askAnswer), job.format)
        if result.type == "SELECT":
            variables = [str(v) for v in result.vars]
            rows = (tuple(to_oxigraph(t) for t in row) for row in result)
            return results.solutions(variables, rows, job.format, job.max_rows)
        items = (ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in result.graph)
        return results.triples(items, job.format, job.max_rows, prefixes(self.release.manifest["base"]))
