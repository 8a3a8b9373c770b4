"""Virtuoso (Debian `virtuoso-opensource`, 7.2.5 of 2018) beside Oxigraph server, same data and queries.

A throwaway database in the run's folder, ports picked free, 127.0.0.1 only; the build's named
graphs are loaded through the Graph Store protocol (HTTP Digest, the fresh database's `dba`
account). Virtuoso's default graph is the union of its graphs, as `--union-default-graph` makes
Oxigraph's. Its defaults answer a silently partial 200 (`ResultSetMaxRows`, "anytime" queries
cut at `MaxQueryExecutionTime`): every answer is checked for the `X-SQL-State` header Virtuoso
sets on a cut answer, and for a row count equal to `ResultSetMaxRows`, and such an answer is
counted as partial, never as equal.

    .venv/bin/python bench/virtuoso.py      # alone: start, load, compare, throughput; prints JSON
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ROOT,
    Server,
    accept_for,
    bench_query,
    close_connections,
    competency_queries,
    free_port,
    load,
    log,
    normalise,
    oxigraph_load,
    oxigraph_server,
)

VIRTUOSO = shutil.which("virtuoso-t")
MAX_ROWS = 1000  # Virtuoso's ResultSetMaxRows here: above every competency answer, below all-triples.rq
CREDENTIALS = ("dba", "dba")  # a fresh database's administrator; the database is thrown away

INI = """[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = {db}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 10
MaxQueryCostEstimationTime = 400
"""


def version() -> str | None:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "virtuoso-opensource"], capture_output=True, text=True)
    return done.stdout.strip() or None


class Virtuoso(Server):
    """The harness's Server, started on a fresh database; SPARQL at /sparql."""

    def start(self, workdir: Path) -> float:
        folder = workdir / "virtuoso-db"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.port = free_port()
        ini = folder / "virtuoso.ini"
        ini.write_text(INI.format(db=folder, sql_port=free_port(), http_port=self.port, max_rows=MAX_ROWS))
        self.log_file = folder / "stdout.log"
        with self.log_file.open("wb") as sink:
            started = time.perf_counter()
            self.process = subprocess.Popen(
                [VIRTUOSO, "-f", "-c", str(ini)],
                cwd=folder,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return started


def virtuoso_server() -> Virtuoso:
    return Virtuoso("virtuoso", [], "/sparql")


def put_graphs(server: Virtuoso, dataset: Path) -> dict[str, int]:
    """Load every named graph of the build's N-Quads through the Graph Store protocol."""
    graphs: dict[str, list] = {}
    for quad in ox.parse(path=str(dataset), format=ox.RdfFormat.N_QUADS):
        graphs.setdefault(quad.graph_name.value, []).append(ox.Triple(quad.subject, quad.predicate, quad.object))
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, server.base, *CREDENTIALS)
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager))
    sizes = {}
    for graph, triples in graphs.items():
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        url = server.base + "/sparql-graph-crud-auth?" + urllib.parse.urlencode({"graph-uri": graph})
        request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "text/turtle"})
        for attempt in (1, 2, 3):  # PUT is idempotent: a reset connection (seen once, right after start-up) is retried
            try:
                with opener.open(request, timeout=300) as response:
                    if response.status not in (200, 201, 204):
                        raise RuntimeError(f"virtuoso refused graph {graph}: {response.status}")
                break
            except (ConnectionResetError, urllib.error.URLError) as err:
                reset = isinstance(getattr(err, "reason", err), ConnectionResetError)
                if not reset or attempt == 3:
                    raise
                time.sleep(1.0)
        sizes[graph] = len(triples)
    return sizes


def ask(server: Server, query: str, timeout: float = 60.0) -> tuple[int, bytes, dict]:
    """One GET on a fresh connection: status, body, headers (to read X-SQL-State)."""
    url = server.base + server.url_for(query)
    request = urllib.request.Request(url, headers={"Accept": accept_for(query)})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


def compare(virtuoso: Server, oxigraph: Server, queries: dict[str, str]) -> dict[str, dict]:
    """Each competency query on both: equal, different, partial (flagged or at the row cap), failed."""
    out = {}
    for name, query in queries.items():
        accept = accept_for(query)
        started = time.perf_counter()
        status, body, headers = ask(virtuoso, query)
        seconds = time.perf_counter() - started
        ref_status, ref_body, _ = ask(oxigraph, query)
        entry = {"status": status, "ms": round(seconds * 1000, 1), "sql_state": headers.get("X-SQL-State")}
        if status != 200:
            entry["verdict"] = "failed"
            entry["detail"] = body[:200].decode("utf-8", "replace")
        else:
            answer, reference = normalise(body, accept), normalise(ref_body, accept)
            rows = len(answer) if isinstance(answer, tuple) else 1
            entry["rows"] = rows
            if entry["sql_state"] or rows >= MAX_ROWS:
                entry["verdict"] = "partial"
            else:
                entry["verdict"] = "equal" if ref_status == 200 and answer == reference else "different"
        out[name] = entry
    return out


def run(workdir: Path, duration: float) -> dict:
    """Start Virtuoso and Oxigraph server on the build, compare every answer, then the 8-client mix."""
    if not VIRTUOSO:
        return {"skipped": "Debian virtuoso-opensource is not installed (make bench installs it as root)"}
    dataset = ROOT / "build" / "current" / "dataset.nq"
    queries = competency_queries()
    out: dict = {"version": version(), "result_set_max_rows": MAX_ROWS}
    virtuoso, oxigraph = virtuoso_server(), oxigraph_server(workdir / "oxigraph-virtuoso-cmp")
    oxigraph_load(dataset, workdir / "oxigraph-virtuoso-cmp")
    try:
        started = virtuoso.start(workdir)
        virtuoso.wait_ready("ASK {}", None, started, within=120)
        out["startup_s"] = round(time.perf_counter() - started, 2)
        loading = time.perf_counter()
        out["graphs"] = put_graphs(virtuoso, dataset)
        out["load_s"] = round(time.perf_counter() - loading, 2)
        oxigraph.wait_ready("ASK {}", None, oxigraph.start(workdir))
        log("virtuoso: answers compared with Oxigraph server's")
        out["answers"] = compare(virtuoso, oxigraph, queries)
        out["partial_probe"] = compare(virtuoso, oxigraph, {"all-triples": bench_query("all-triples")})["all-triples"]
        usable = {n: q for n, q in queries.items() if out["answers"][n]["verdict"] != "failed"}
        log(f"virtuoso: competency mix at 8 clients ({len(usable)} queries it answers)")
        out["load_8"] = load(virtuoso, usable, 8, duration, workdir, unique=True)
        out["oxigraph_load_8_same_queries"] = load(oxigraph, usable, 8, duration, workdir, unique=True)
    except (OSError, RuntimeError) as err:
        out["error"] = str(err)[-800:]
    finally:
        virtuoso.stop()
        oxigraph.stop()
        close_connections()
    return out


def report(v: dict) -> str:
    if "skipped" in v:
        return f"\nVirtuoso: {v['skipped']}"
    lines = [f"\nVirtuoso {v.get('version')} (Debian; upstream 7.2.5 is of 2018), union default graph:"]
    if "error" in v:
        lines.append(f"  failed: {v['error'][-300:]}")
    verdicts: dict[str, list[str]] = {}
    for name, entry in v.get("answers", {}).items():
        verdicts.setdefault(entry["verdict"], []).append(name)
    for verdict, names in sorted(verdicts.items()):
        lines.append(f"  {verdict}: {len(names)} ({', '.join(names)})")
    if "partial_probe" in v:
        p = v["partial_probe"]
        lines.append(
            f"  silently partial answers: all-triples.rq gave {p.get('rows')} rows with status {p['status']} and "
            f"X-SQL-State {p['sql_state']}: counted as {p['verdict']}"
        )
    if "load_8" in v:
        a, b = v["load_8"], v["oxigraph_load_8_same_queries"]
        lines.append(
            f"  8 clients, uncached, the queries it answers: virtuoso {a['rps']:.0f} req/s (p50 {a['p50_ms']} ms, "
            f"errors {a['errors']}), oxigraph server {b['rps']:.0f} req/s (p50 {b['p50_ms']} ms)"
        )
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="karabakh-virtuoso-") as tmp:
        result = run(Path(tmp), 5.0)
    print(report(result))
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
