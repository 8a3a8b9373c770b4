"""The default engine: the build's on-disk Oxigraph store, opened read-only in each query process."""

from __future__ import annotations

import pyoxigraph as ox

from karabakh_kg.releases import ReleaseError
from karabakh_kg.web import results
from karabakh_kg.web.engines import Engine, EngineError, Job, QueryError, parse_error, prefixes


def dataset_arguments(job: Job) -> dict:
    """pyoxigraph's dataset arguments for a job (protocol graphs, the query's FROM, or the union)."""
    if job.default_graphs or job.named_graphs:
        try:
            return {
                "default_graph": [ox.NamedNode(g) for g in job.default_graphs],
                "named_graphs": [ox.NamedNode(g) for g in job.named_graphs],
            }
        except ValueError as err:
            raise QueryError(f"Invalid graph IRI in default-graph-uri or named-graph-uri: {err}") from None
    if job.has_dataset_clause:
        return {}  # Oxigraph reads FROM / FROM NAMED as a choice among the stored graphs, never a fetch
    return {"use_default_graph_as_union": True}


def render(result, job: Job, base: str) -> results.Rendered:
    """Write a pyoxigraph query result in the job's format."""
    if isinstance(result, ox.QueryBoolean):
        return results.boolean(bool(result), job.format)
    if isinstance(result, ox.QuerySolutions):
        native = results.native_solutions(result, job.format, job.max_rows)
        if native is not None:
            return native
        variables = [v.value for v in result.variables]
        return results.solutions(variables, result, job.format, job.max_rows)
    return results.triples(result, job.format, job.max_rows, prefixes(base))


class OxigraphEngine(Engine):
    """Queries the release's Oxigraph store (opened read-only, one handle per process)."""

    name = "oxigraph"
    isolated = True

    def verify(self) -> None:
        """The release has its store (opening it is tried by the server, in a sandboxed child)."""
        if not self.release.store.is_dir():
            raise ReleaseError(f"{self.release.store}: missing; the build is incomplete, rebuild it")

    def open(self) -> None:
        try:
            self.store = ox.Store.read_only(str(self.release.store))
        except OSError as err:
            raise EngineError(f"cannot open the Oxigraph store {self.release.store}: {err}") from None

    def execute(self, job: Job) -> results.Rendered:
        try:
            result = self.store.query(job.query, base_iri=self.query_base, **dataset_arguments(job))
            return render(result, job, self.release.manifest["base"])
        except SyntaxError as err:
            raise parse_error(job.query, err, self.release.manifest["base"]) from None
        except OSError as err:
            raise EngineError(f"Oxigraph failed: {err}") from None

    def close(self) -> None:
        self.store = None
