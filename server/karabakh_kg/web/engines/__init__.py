"""The engine interface: what evaluates a query, kept apart from the protocol above it.

Everything above an engine (protocol, content negotiation, safety, limits, caching, timeouts,
pages) is shared; an engine only turns one `Job` into one `results.Rendered` answer.

Implementations:
- `oxigraph` (default): the build's on-disk Oxigraph store, opened read-only.
- `rdflib`: rdflib's own SPARQL engine on an in-memory Dataset loaded from `dataset.nq`.
- `sparql:URL`: a remote SPARQL 1.1 endpoint (module `engines/remote.py`, class `RemoteEngine`).

Writing an engine (for example `engines/remote.py`):
- subclass `Engine`; the constructor gets `(release, spec, settings)` and must be cheap;
- set `isolated = True` when evaluation cannot be interrupted from Python (embedded engines): the
  server then runs `execute` in worker processes it kills at the deadline. An engine whose work
  happens elsewhere (HTTP) sets `isolated = False`, runs in the web worker's thread, and must
  enforce `job.timeout` itself (raise `QueryTimeout`);
- `prepare()` runs once in the web worker before any worker process is forked (load shared,
  read-only state there); `open()` runs in the process that evaluates (open stores, sessions);
- `execute(job)` is only called with `job.form` set (a job without a form is a syntax check,
  answered by `Engine.syntax_error` before it reaches `execute`); it returns `results.Rendered` (use `results.solutions/boolean/triples`, which also
  apply `job.max_rows`), or raises `QueryError` (a user error, 400, with the parser's message and
  position) / `QueryTimeout` / `EngineError` (the engine failed, 502/500);
- the dataset is `job.default_graphs` / `job.named_graphs` when given (protocol parameters,
  which override the query's FROM), else the query's own FROM / FROM NAMED (never fetched: only
  local graphs count, an unknown one is empty), else the default graph is the union of all
  named graphs. Relative IRIs resolve against `self.query_base` (the endpoint's public URL) unless
  the query declares its own BASE. `job.query` has already passed `safety.analyse` (no update, no SERVICE).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph

from karabakh_kg import namespaces, query_errors
from karabakh_kg import prefixes as prefix_table
from karabakh_kg.namespaces import DEFAULT_BASE
from karabakh_kg.releases import Release
from karabakh_kg.web.results import Rendered


@dataclass(frozen=True)
class Job:
    """One query to evaluate and the format to write the answer in."""

    query: str
    form: str | None  # SELECT, ASK, CONSTRUCT, DESCRIBE (from safety.analyse); None: only check the syntax
    format: str  # a conneg.Format key
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    has_dataset_clause: bool = False
    max_rows: int = 10_000
    timeout: float = 10.0


class QueryError(Exception):
    """The query is wrong (syntax, unsupported construct): the client gets a 400 with this message."""


class QueryTimeout(Exception):
    """The query ran past its deadline and was stopped."""


class EngineError(Exception):
    """The engine failed (not the client's fault)."""


class Engine:
    """Base class of every engine; see the module docstring for the contract."""

    name = "engine"
    isolated = True

    def __init__(self, release: Release, spec: str, settings: dict[str, Any]):
        self.release = release
        self.spec = spec
        self.settings = settings

    def verify(self) -> None:
        """Check, before any web worker starts, that this engine can serve the release (raise ReleaseError)."""

    storage = "memory"  # where the data is read from, as /health reports it (`disk`, `remote`)

    def prepare(self) -> None:
        """Load shared read-only state in the parent process (before worker processes fork)."""

    def open(self) -> None:
        """Open per-process resources in the process that evaluates queries."""

    def execute(self, job: Job) -> Rendered:
        raise NotImplementedError

    def close(self) -> None:
        """Release per-process resources."""

    def syntax_error(self, query: str) -> QueryError:
        """The parser's complaint about a text that is not a query (a QueryError to raise).

        pyoxigraph's parser is the reference for every engine. It runs on an empty in-memory
        store: call it where a crash is contained (a query process), never in a web worker.
        """
        try:
            pyoxigraph.Store().query(query)
        except SyntaxError as err:
            return parse_error(query, err)
        except OSError:
            pass
        return QueryError("Not a SPARQL query: expected SELECT, CONSTRUCT, DESCRIBE or ASK.")

    def describe(self) -> str:
        return self.name

    @property
    def query_base(self) -> str:
        """The base IRI a query's relative IRIs resolve against: the endpoint's public URL (`<base>sparql`).

        As Fuseki and Oxigraph server do, a query without BASE resolves `<s>` against the endpoint
        that answers it; the same on every engine (a query's own BASE still wins).
        """
        base = self.settings.get("PUBLIC_BASE") or self.release.manifest["base"]
        return (base if base.endswith("/") else base + "/") + "sparql"


class Runner(Protocol):
    """What evaluates jobs for a web worker: `query_pool.QueryPool` (killable processes) or
    `query_pool.InlineRunner` (in the calling thread, for an engine that enforces its own deadline)."""

    killed: int  # queries stopped at their deadline, for /health

    def run(self, job: Job) -> Rendered: ...

    def warm(self, timeout: float = 10.0, count: int | None = None) -> None: ...

    def close(self) -> None: ...


ENGINES = {
    "oxigraph": ("karabakh_kg.web.engines.oxigraph", "OxigraphEngine"),
    "rdflib": ("karabakh_kg.web.engines.rdflib_engine", "RdflibEngine"),
    "sparql": ("karabakh_kg.web.engines.remote", "RemoteEngine"),
}


def create(spec: str, release: Release, settings: dict[str, Any]) -> Engine:
    """Build the engine a spec names: `oxigraph`, `rdflib` or `sparql:URL`."""
    name = spec.split(":", 1)[0] if spec.startswith("sparql:") else spec
    if name not in ENGINES:
        raise ValueError(f"unknown engine {spec!r}: use oxigraph, rdflib or sparql:URL")
    module_name, class_name = ENGINES[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise
        raise ValueError(f"engine {name!r} is not available in this installation") from None
    return getattr(module, class_name)(release, spec, settings)


def parse_error(query: str, err: SyntaxError, base: str = DEFAULT_BASE) -> QueryError:
    """The QueryError for a parse error: line, column, and the PREFIX line to add (`query_errors`)."""
    return QueryError(query_errors.explain(query, str(err), namespaces.prefixes(base)))


def prefixes(base: str) -> dict[str, str]:
    """Prefixes used when writing Turtle, TriG, RDF/XML and JSON-LD answers: the project's one table."""
    return prefix_table.table(base)
