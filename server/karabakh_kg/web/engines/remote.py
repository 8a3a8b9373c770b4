"""The `sparql:URL` engine: answer through a remote SPARQL 1.1 store that holds the published build.

When a graph outgrows one process, the data lives in an existing store (Oxigraph server, Virtuoso,
Fuseki, GraphDB...) loaded by `karabakh-kg publish`, and this server stays the safe front: the
protocol, content negotiation, limits, timeouts and pages above the engine are unchanged. This
engine holds no state beyond keep-alive connections, so any number of front processes can share
one store behind a load balancer.

Safety, on top of what the front already checked:
- the store on the far side has no sandbox, so every query is parsed for real here (`parsed`,
  rdflib's parser) and never forwarded if it is not a query or uses SERVICE anywhere; what is
  forwarded is the parsed text (escapes replaced), checked again by the token check;
- the dataset is always sent as `default-graph-uri` / `named-graph-uri`, limited to the release's
  own graphs, so the store never resolves a FROM IRI itself (an unknown graph stays empty);
- the answer is requested in one fixed format, parsed, cut at `job.max_rows` and re-written by
  `results`, so clients get the same bytes as from the embedded engine;
- the whole exchange has a deadline (`job.timeout`); redirects are not followed; only http(s).
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from typing import Any

import pyoxigraph as ox

from karabakh_kg.releases import Release
from karabakh_kg.web import results, safety
from karabakh_kg.web.engines import Engine, EngineError, Job, QueryError, QueryTimeout, parsed, prefixes

EMPTY_GRAPH = "urn:x-karabakh-kg:no-such-graph"  # names a graph no store holds: an empty dataset
RESULTS_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples"
USER_AGENT = "karabakh-kg (remote engine)"
# Virtuoso echoes every dataset graph of a request as a response header (X-SPARQL-default-graph,
# X-SPARQL-named-graph): a release of 50 graphs passes http.client's limit of 100 headers.
http.client._MAXHEADERS = max(http.client._MAXHEADERS, 100 + 4 * 2048)


class _Deadline:
    """A readable response body that gives up when the query's deadline passes."""

    def __init__(self, response: http.client.HTTPResponse, sock_owner, deadline: float):
        self.response = response
        self.owner = sock_owner
        self.deadline = deadline

    def read(self, size: int = -1) -> bytes:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise QueryTimeout("the remote store did not answer within the query timeout")
        if self.owner.sock is not None:
            self.owner.sock.settimeout(left)
        return self.response.read(65536 if size is None or size < 0 else size)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def parse_endpoint(spec: str) -> urllib.parse.SplitResult:
    """Check a `sparql:URL` spec: http(s), a host, no credentials in clear text needed later."""
    url = spec.split(":", 1)[1] if spec.startswith("sparql:") else spec
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"engine {spec!r}: the endpoint must be an http:// or https:// URL")
    return parts


def dataset_clauses(query: str, base: str = "") -> tuple[list[str], list[str]]:
    """The IRIs of the query's FROM and FROM NAMED clauses (prefixed names and BASE resolved;
    relative IRIs against `base` when the query declares none)."""
    names: dict[str, str] = {}
    defaults: list[str] = []
    named: list[str] = []
    tokens = [(m.lastgroup, m.group()) for m in safety.tokens(query) if m.lastgroup not in ("ws", "comment")]

    def iri(kind: str, text: str) -> str:
        if kind == "iri":
            return urllib.parse.urljoin(base, text[1:-1]) if base else text[1:-1]
        prefix, _, local = text.partition(":")
        return names.get(prefix, "\0unknown:") + local

    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        word = text.upper() if kind == "word" else ""
        if word == "PREFIX" and i + 2 < len(tokens):
            names[tokens[i + 1][1].rstrip(":").split(":")[0]] = iri(*tokens[i + 2])
            i += 3
            continue
        if word == "BASE" and i + 1 < len(tokens):
            base = iri(*tokens[i + 1])
            i += 2
            continue
        if word == "FROM" and i + 1 < len(tokens):
            target = named if tokens[i + 1][1].upper() == "NAMED" else defaults
            j = i + 2 if target is named else i + 1
            if j < len(tokens):
                target.append(iri(*tokens[j]))
            i = j + 1
            continue
        if word in ("WHERE", "SELECT", "CONSTRUCT", "DESCRIBE", "ASK") and (defaults or named):
            break
        i += 1
    return defaults, named


def with_base(query: str, base: str) -> str:
    """The query with its relative IRIs anchored to `base`, as the embedded engines read it.

    No BASE: one is put on the query's first line (line numbers in the store's messages stay
    right). A relative BASE is resolved in place. Never a second BASE: Virtuoso refuses two.
    """
    tokens = [m for m in safety.tokens(query) if m.lastgroup not in ("ws", "comment")]
    for i, token in enumerate(tokens):
        word = token.group().upper() if token.lastgroup == "word" else ""
        if word in ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK"):
            break
        if word == "BASE" and i + 1 < len(tokens) and tokens[i + 1].lastgroup == "iri":
            iri = tokens[i + 1]
            resolved = urllib.parse.urljoin(base, iri.group()[1:-1])
            return f"{query[: iri.start()]}<{resolved}>{query[iri.end() :]}"
    return f"BASE <{base}> {query}"


def partial_answer(headers) -> str:
    """Why a store's 200 answer is incomplete, or "" (Virtuoso says so in headers, not in the body).

    Virtuoso cuts a result at its `ResultSetMaxRows` (`X-SPARQL-MaxRows`) and answers an "anytime"
    query that ran out of time with what it found so far (`X-SQL-State`, e.g. S1TAT); both come
    with status 200, so without this check a client would get a silently partial answer.
    """
    if headers.get("X-SQL-State"):
        return f"X-SQL-State {headers['X-SQL-State']}: {headers.get('X-SQL-Message', '').strip()[:200]}".rstrip(": ")
    if headers.get("X-SPARQL-MaxRows"):
        return f"cut at the store's ResultSetMaxRows, X-SPARQL-MaxRows {headers['X-SPARQL-MaxRows']}"
    return ""


def ask_table_value(parsed) -> bool:
    """An ASK answer written as a one-column table (Virtuoso's `__ASK_RETVAL` 1/0)."""
    rows = [row[0] for row in parsed]
    if not rows:  # Virtuoso's "false": no row at all
        return False
    if len(rows) != 1 or not isinstance(rows[0], ox.Literal):
        raise EngineError("the remote store answered an ASK query with a table that is not one value")
    return rows[0].value not in ("0", "false")


class RemoteEngine(Engine):
    """Queries a remote SPARQL 1.1 endpoint over HTTP (one keep-alive connection per thread)."""

    name = "sparql"
    isolated = False
    storage = "remote"

    def __init__(self, release: Release, spec: str, settings: dict[str, Any]):
        super().__init__(release, spec, settings)
        self.endpoint = parse_endpoint(spec)
        self.name = spec  # `engines.create(engine.name, ...)` builds the same engine again
        self.graphs = [g["iri"] for g in release.manifest["graphs"].values()]
        self.local = threading.local()
        self.lock = threading.Lock()
        self.connections: set = set()  # every thread's connection, so close() closes them all

    def describe(self) -> str:
        return f"sparql:{self.endpoint.scheme}://{self.endpoint.netloc}{self.endpoint.path}"

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self.endpoint.scheme == "https" else http.client.HTTPConnection
            conn = cls(self.endpoint.hostname, self.endpoint.port, timeout=timeout)
            self.local.conn = conn
            with self.lock:
                self.connections.add(conn)
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is not None:
            conn.close()
            with self.lock:
                self.connections.discard(conn)
        self.local.conn = None

    def dataset(self, job: Job, text: str | None = None) -> tuple[list[str], list[str]]:
        """The graphs to send: the protocol's, else the FROM of the query `text`, else all (the union)."""
        if job.default_graphs or job.named_graphs:
            defaults, named = list(job.default_graphs), list(job.named_graphs)
        elif job.has_dataset_clause:
            defaults, named = dataset_clauses(text or job.query, self.query_base)
        else:
            return list(self.graphs), list(self.graphs)
        known = set(self.graphs)
        defaults = [g for g in defaults if g in known] or [EMPTY_GRAPH]
        named = [g for g in named if g in known] or [EMPTY_GRAPH]
        return defaults, named

    def execute(self, job: Job) -> results.Rendered:
        text = parsed.forwardable(job.query)  # a full parse: the store on the far side has no sandbox
        try:
            info = safety.analyse(text)
        except safety.Refused as err:
            raise QueryError(err.message) from None
        if info.form is None:
            raise QueryError("Not a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE).")
        defaults, named = self.dataset(job, text)
        # The store resolves relative IRIs as the embedded engines do: against this endpoint's URL.
        fields = [("query", with_base(text, self.query_base))]
        fields += [("default-graph-uri", g) for g in defaults]
        fields += [("named-graph-uri", g) for g in named]
        body = urllib.parse.urlencode(fields).encode("utf-8")
        accept = RESULTS_ACCEPT if info.form in ("SELECT", "ASK") else GRAPH_ACCEPT
        deadline = time.monotonic() + job.timeout
        path = self.endpoint.path or "/"
        if self.endpoint.query:
            path += "?" + self.endpoint.query
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept, "User-Agent": USER_AGENT}
        for attempt in (1, 2):  # a kept-alive connection the store closed meanwhile: retry once
            conn = self._connection(max(0.001, deadline - time.monotonic()))
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                break
            except TimeoutError:
                self._drop_connection()
                raise QueryTimeout("the remote store did not answer within the query timeout") from None
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as err:
                self._drop_connection()
                if attempt == 2:
                    raise EngineError(f"the remote store closed the connection: {err}") from None
            except OSError as err:
                self._drop_connection()
                raise EngineError(f"cannot reach the remote store {self.describe()}: {err}") from None
            except http.client.HTTPException as err:  # a malformed answer: never reuse that connection
                self._drop_connection()
                raise EngineError(f"the remote store broke the HTTP exchange: {err!r}") from None
        try:
            return self._answer(response, conn, job, info.form, deadline)
        except (QueryTimeout, QueryError, EngineError):
            self._drop_connection()
            raise
        except TimeoutError:
            self._drop_connection()
            raise QueryTimeout("the remote store did not answer within the query timeout") from None
        except OSError as err:
            self._drop_connection()
            raise EngineError(f"reading from the remote store failed: {err}") from None

    def _answer(self, response, conn, job: Job, form: str, deadline: float) -> results.Rendered:
        if response.status >= 300:
            text = response.read(4096).decode("utf-8", "replace").strip()
            self._drop_connection()
            if 400 <= response.status < 500 and response.status not in (401, 403, 404, 408):
                raise QueryError(f"The store refused the query: {text or response.reason}")
            raise EngineError(f"the remote store answered {response.status} {response.reason}: {text[:300]}")
        partial = partial_answer(response.headers)
        if partial:
            self._drop_connection()
            raise EngineError(f"the remote store sent only part of the answer ({partial}); nothing was served")
        reader = _Deadline(response, conn, deadline)
        try:
            if form in ("SELECT", "ASK"):
                parsed = ox.parse_query_results(reader, ox.QueryResultsFormat.JSON)
                if isinstance(parsed, ox.QueryBoolean):
                    rendered = results.boolean(bool(parsed), job.format)
                elif form == "ASK":  # Virtuoso 7 answers ASK as a one-row table of __ASK_RETVAL
                    rendered = results.boolean(ask_table_value(parsed), job.format)
                else:
                    variables = [v.value for v in parsed.variables]
                    rows = ([s[v] for v in variables] for s in parsed)
                    rendered = results.solutions(variables, rows, job.format, job.max_rows)
            else:
                triples = (q.triple for q in ox.parse(reader, ox.RdfFormat.N_TRIPLES))
                rendered = results.triples(triples, job.format, job.max_rows, prefixes(self.release.manifest["base"]))
        except SyntaxError as err:
            self._drop_connection()
            raise EngineError(f"the remote store sent an answer that does not parse: {err}") from None
        if rendered.truncated:
            self._drop_connection()  # the rest of the body stays unread: do not reuse the connection
        else:
            while reader.read(65536):  # finish the body so the connection can be kept alive
                pass
        return rendered

    def close(self) -> None:
        with self.lock:
            connections, self.connections = self.connections, set()
        for conn in connections:
            conn.close()
        self.local = threading.local()
