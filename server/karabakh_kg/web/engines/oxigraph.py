"""The default engine: the release's Oxigraph store, in memory when it is small, else read-only on disk.

Oxigraph's in-memory store answers several times faster than its on-disk (RocksDB) one: the
competency queries 3.4x, a resource's triples 3x (docs/benchmarks.md, the run of 2026-12-01 05:06). It
costs about 350 bytes a quad in each web worker, so only a release of at most MEMORY_STORE_QUADS
quads is loaded, once per web worker in `prepare`, before the query processes fork: they share its
pages and start with it ready. It is loaded from the release's `dataset.nq`, as the on-disk store
was, blank node labels included (`releases.dataset_quads`), so both hold the same quads (a test
compares them).
"""

from __future__ import annotations

import pyoxigraph as ox

from karabakh_kg import releases
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


def render(result, job: Job, base: str, bounded: bool = False) -> results.Rendered:
    """Write a pyoxigraph query result in the job's format; `bounded`: the query's own LIMIT keeps
    the answer small, so JSON is written in one pass and counted after (`results.bounded_json_solutions`)."""
    if isinstance(result, ox.QueryBoolean):
        return results.boolean(bool(result), job.format)
    if isinstance(result, ox.QuerySolutions):
        if bounded and job.format == "json":
            return results.bounded_json_solutions(result)
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

    store: ox.Store | None = None

    def verify(self) -> None:
        """The release has its store (opening it is tried by the server, in a sandboxed child)."""
        if not self.release.store.is_dir():
            raise ReleaseError(f"{self.release.store}: missing; the build is incomplete, rebuild it")

    @property
    def storage(self) -> str:
        """Where queries are answered from: "memory" (a release small enough) or "disk"."""
        quads, limit = self.release.manifest.get("triples"), self.settings["MEMORY_STORE_QUADS"]
        return "memory" if limit and quads is not None and quads <= limit else "disk"

    def prepare(self) -> None:
        """In the web worker: load a small release into memory (its query processes then share it)."""
        if self.storage != "memory":
            return
        store = ox.Store()
        try:
            store.extend(releases.dataset_quads(self.release.dataset))
        except (OSError, SyntaxError) as err:
            raise EngineError(f"cannot load {self.release.dataset} into memory: {err}") from None
        self.store = store

    def open(self) -> None:
        if self.store is not None:
            return  # prepared in memory before this process forked
        try:
            self.store = ox.Store.read_only(str(self.release.store))
        except OSError as err:
            raise EngineError(f"cannot open the Oxigraph store {self.release.store}: {err}") from None

    def execute(self, job: Job, bounded: bool = False) -> results.Rendered:
        """The answer; `bounded`: the caller wrote the query with a small LIMIT (the pattern lane)."""
        try:
            result = self.store.query(job.query, base_iri=self.query_base, **dataset_arguments(job))
            return render(result, job, self.release.manifest["base"], bounded)
        except SyntaxError as err:
            raise parse_error(job.query, err, self.release.manifest["base"]) from None
        except OSError as err:
            raise EngineError(f"Oxigraph failed: {err}") from None

    def close(self) -> None:
        self.store = None
