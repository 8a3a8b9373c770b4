"""`make bench`: this project's endpoint against Oxigraph server and rdflib-endpoint, side by side.

One run, one machine, the same data and the same competency queries (queries/*.rq) for all three:
build time, start-up to the first correct answer, per-query latency (in-process and over HTTP),
throughput and p50/p99 at 1, 8 and 32 clients (wrk, or a bounded Python load generator without
it; every load run stops by itself after --duration seconds), peak RSS of the serving processes,
the WSGI servers compared, and the scale runs (synthetic data at 10k/100k/1M triples reasoned by
the rules reasoner). Everything listens on 127.0.0.1 only. Prints a table of medians and ratios
and writes bench/results/<UTC time>.json (and latest.json). docs/benchmarks.md records a run.

    .venv/bin/python bench/run.py [--quick] [--duration 5] [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
RESULTS = BENCH / "results"
JSON_RESULTS = "application/sparql-results+json"
CLIENTS = (1, 8, 32)


# --- small helpers --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def competency_queries() -> dict[str, str]:
    return {p.stem: p.read_text("utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))}


def bench_query(name: str) -> str:
    return (ROOT / "queries" / "bench" / f"{name}.rq").read_text("utf-8")


def form_of(query: str) -> str:
    text = re.sub(r"(?m)#.*$", "", query)
    text = re.sub(r"(?is)\b(PREFIX\s+\S*:\s*<[^>]*>|BASE\s+<[^>]*>)", "", text)
    found = re.search(r"(?i)\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", text)
    return found.group(1).upper() if found else "SELECT"


def accept_for(query: str) -> str:
    return JSON_RESULTS if form_of(query) in ("SELECT", "ASK") else "application/n-triples"


def normalise(body: bytes, accept: str):
    """An answer as a comparable value: a multiset of rows (blank nodes blinded) or a boolean."""
    if accept != JSON_RESULTS:
        lines = sorted(re.sub(rb"_:\S+", b"_:b", line) for line in body.splitlines() if line.strip())
        return tuple(lines)
    data = json.loads(body)
    if "boolean" in data:
        return data["boolean"]
    rows = []
    for binding in data["results"]["bindings"]:
        row = []
        for var, term in sorted(binding.items()):
            kind = {"typed-literal": "literal"}.get(term["type"], term["type"])
            value = "_:b" if kind == "bnode" else term["value"]
            datatype = term.get("datatype")
            if datatype == "http://www.w3.org/2001/XMLSchema#string":
                datatype = None
            row.append((var, kind, value, datatype, term.get("xml:lang")))
        rows.append(tuple(row))
    return tuple(sorted(rows))


# --- processes and their memory ---------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of a process tree now, in MB (sum of VmRSS)."""
    total = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class MemorySampler:
    """Samples a process tree's RSS every 50 ms in a thread; `.peak` is the largest sum seen."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.stop_flag = pid, 0.0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self.stop_flag.wait(0.05)

    def stop(self) -> float:
        self.stop_flag.set()
        self.thread.join()
        return self.peak


@dataclass
class Server:
    """One server under test: how to start it, where its SPARQL endpoint is, how to stop it."""

    name: str
    command: list[str]
    path: str  # the query route, e.g. /sparql
    env: dict = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None
    log_file: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, workdir: Path) -> float:
        """Start it; return the time of the start (for start-up measurements)."""
        self.port = free_port()
        command = [c.replace("{port}", str(self.port)) for c in self.command]
        self.log_file = workdir / f"{self.name.replace(' ', '_')}-{self.port}.log"
        env = dict(os.environ, **self.env)
        with self.log_file.open("wb") as sink:
            started = time.perf_counter()
            self.process = subprocess.Popen(
                command, stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        return started

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=5)
        self.process = None

    def url_for(self, query: str) -> str:
        return self.path + "?" + urllib.parse.urlencode({"query": query})

    def wait_ready(self, query: str, expected, started: float, within: float = 120.0) -> float:
        """Poll until the server answers `query` correctly; return seconds since `started`."""
        accept = accept_for(query)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_file.read_text(errors='replace')[-2000:]}")
            try:
                status, body, _ = request(self.port, self.url_for(query), accept, timeout=30)
                if status == 200 and (expected is None or normalise(body, accept) == expected):
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.01)  # polling readiness
        raise RuntimeError(f"{self.name} gave no correct answer within {within} s")


_local = threading.local()


def request(port: int, path: str, accept: str, timeout: float = 30.0) -> tuple[int, bytes, float]:
    """GET on a kept-alive loopback connection (one per thread and port)."""
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    for attempt in (1, 2):
        conn = conns.get(port)
        if conn is None:
            conn = conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            started = time.perf_counter()
            conn.request("GET", path, headers={"Accept": accept, "Accept-Encoding": "identity"})
            response = conn.getresponse()
            body = response.read()
            return response.status, body, time.perf_counter() - started
        except (http.client.HTTPException, ConnectionError):
            conn.close()
            conns.pop(port, None)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def close_connections() -> None:
    for conn in getattr(_local, "conns", {}).values():
        conn.close()
    _local.conns = {}


# --- measurements -----------------------------------------------------------------------------


def build_times(runs: int, workdir: Path, reasoner: str = "owlrl") -> dict:
    """`karabakh-kg build` of the article graph, from scratch each time (fresh build folder)."""
    times = []
    for i in range(runs):
        target = workdir / f"build-{reasoner}-{i}"
        started = time.perf_counter()
        done = subprocess.run(
            [str(BIN / "python"), "-m", "karabakh_kg.cli", "build", "--build-dir", str(target), "--reasoner", reasoner],
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"build failed: {done.stderr[-2000:]}")
        times.append(elapsed)
        shutil.rmtree(target, ignore_errors=True)
    return {"runs": [round(t, 3) for t in times], "median_s": round(median(times), 3)}


def latencies(
    server: Server, queries: dict[str, str], reps: int, cold: bool, timeout: float = 120.0, restart=None
) -> dict[str, dict]:
    """Median latency of each query at one client; `cold` makes every request text unique
    (a comment), so a result cache cannot answer it. A query that runs past `timeout` is recorded
    as timed out, and `restart()` (if given) replaces the server still busy with it."""
    out = {}
    for name, query in queries.items():
        accept = accept_for(query)
        times, statuses, body = [], set(), b""
        for i in range(reps + 2):
            text = query + (f"\n# bench {time.monotonic_ns()} {i}" if cold else "")
            try:
                status, body, seconds = request(server.port, server.url_for(text), accept, timeout=timeout)
            except TimeoutError:
                statuses.add("timeout")
                close_connections()
                if restart:
                    restart()
                break
            statuses.add(status)
            if status != 200:  # an error or the server's own timeout: once is enough
                break
            if i >= 2 or (i >= 1 and seconds > 1.0):  # slow engines: fewer warm-up runs
                times.append(seconds * 1000)
            if sum(times) > 20_000:  # enough of a slow query
                break
        out[name] = {
            "median_ms": round(median(times), 3) if times and statuses == {200} else None,
            "statuses": sorted(map(str, statuses)),
            "answer": normalise(body, accept) if statuses == {200} else None,
        }
    close_connections()
    return out


def in_process(
    store_path: Path, queries: dict[str, str], reps: int, max_rows: int | None = None, limit: float = 30.0
) -> dict:
    """pyoxigraph queried in-process on the same store (rows iterated, up to max_rows+1).

    Each query runs in a child process, because an Oxigraph query cannot be interrupted: one
    that runs past `limit` seconds is recorded as timed out (median None) and its process killed."""
    out = {}
    for name, query in queries.items():
        command = [
            str(BIN / "python"),
            str(Path(__file__).resolve()),
            "--in-process-worker",
            str(store_path),
            str(reps),
            str(-1 if max_rows is None else max_rows),
        ]
        try:
            done = subprocess.run(command, input=query, capture_output=True, text=True, timeout=limit)
            out[name] = (
                json.loads(done.stdout) if done.returncode == 0 else {"median_ms": None, "error": done.stderr[-300:]}
            )
        except subprocess.TimeoutExpired:
            out[name] = {"median_ms": None, "error": f"over {limit:g} s"}
    return out


def in_process_worker(store_path: str, reps: int, max_rows: int) -> int:
    """Child side of `in_process`: one query (stdin), its median time as JSON (stdout)."""
    query = sys.stdin.read()
    store = ox.Store.read_only(store_path)
    times = []
    for i in range(reps + 2):
        started = time.perf_counter()
        result = store.query(query, use_default_graph_as_union=True)
        if not isinstance(result, ox.QueryBoolean):
            for n, _ in enumerate(result):
                if max_rows >= 0 and n > max_rows:
                    break
        seconds = time.perf_counter() - started
        if i >= 2 or (i >= 1 and seconds > 1.0):
            times.append(seconds * 1000)
        if sum(times) > 20_000:  # enough of a slow query
            break
    print(json.dumps({"median_ms": round(median(times), 3)}))
    return 0


WRK_SCRIPT = """
local paths = { %s }
local accepts = { %s }
local i = 0
request = function()
  i = i + 1
  local k = (i %% #paths) + 1
  return wrk.format("GET", paths[k], { ["Accept"] = accepts[k] })
end
"""


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def load(server: Server, queries: dict[str, str], clients: int, duration: float, workdir: Path) -> dict:
    """The query mix at `clients` concurrent connections for `duration` seconds."""
    paths = [server.url_for(q) for q in queries.values()]
    accepts = [accept_for(q) for q in queries.values()]
    if shutil.which("wrk"):
        script = workdir / "mix.lua"
        script.write_text(
            WRK_SCRIPT % (", ".join(json.dumps(p) for p in paths), ", ".join(json.dumps(a) for a in accepts))
        )
        threads = max(1, min(clients, 2))
        done = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(clients),
                "-d",
                f"{max(1, round(duration))}s",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                str(script),
                server.base,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
        )
        text = done.stdout
        if "Requests/sec" not in text:
            raise RuntimeError(f"wrk failed on {server.name}: {done.stdout[-800:]} {done.stderr[-800:]}")
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
        total = int(re.search(r"(\d+) requests in", text).group(1))
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        errors = (int(non2xx.group(1)) if non2xx else 0) + (
            sum(map(int, socket_errors.groups())) if socket_errors else 0
        )
        dist = dict(re.findall(r"\n\s+(50|99)%\s+([\d.]+(?:us|ms|s|m))", text))
        return {
            "tool": "wrk",
            "rps": round(rps, 1),
            "requests": total,
            "errors": errors,
            "p50_ms": round(_ms(dist["50"]), 3) if "50" in dist else None,
            "p99_ms": round(_ms(dist["99"]), 3) if "99" in dist else None,
        }
    return python_load(server, paths, accepts, clients, duration)


def python_load(server: Server, paths, accepts, clients: int, duration: float) -> dict:
    """Bounded fallback load generator: `clients` threads with kept-alive connections."""
    stop_at = time.monotonic() + duration
    results: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients

    def worker(k: int):
        i = k
        while time.monotonic() < stop_at:
            i += 1
            try:
                status, _, seconds = request(server.port, paths[i % len(paths)], accepts[i % len(paths)], timeout=10)
                results[k].append(seconds * 1000)
                errors[k] += status != 200
            except OSError:
                errors[k] += 1
        close_connections()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    flat = [x for r in results for x in r]
    return {
        "tool": "python",
        "rps": round(len(flat) / elapsed, 1),
        "requests": len(flat),
        "errors": sum(errors),
        "p50_ms": pct(flat, 0.5),
        "p99_ms": pct(flat, 0.99),
    }


# --- the servers ------------------------------------------------------------------------------


def ours(name: str, build_dir: Path, workers: int = 2, threads: int = 4, env: dict | None = None) -> Server:
    return Server(
        name,
        [
            str(BIN / "python"),
            "-m",
            "karabakh_kg.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--build-dir",
            str(build_dir),
        ],
        "/sparql",
        env=dict(env or {}),
    )


def wsgi_variants(build_dir: Path) -> list[Server]:
    env = {"KARABAKH_KG_BUILD_DIR": str(build_dir)}
    out = [
        ours("gunicorn sync x2", build_dir, 2, 1),
        ours("gunicorn gthread 2x4", build_dir, 2, 4),
        ours("gunicorn sync x4", build_dir, 4, 1),
    ]
    if (BIN / "waitress-serve").exists():
        out.append(
            Server(
                "waitress 8 threads",
                [
                    str(BIN / "waitress-serve"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "{port}",
                    "--threads",
                    "8",
                    "--call",
                    "karabakh_kg.web.app:create_app",
                ],
                "/sparql",
                env=env,
            )
        )
    if (BIN / "granian").exists():
        out.append(
            Server(
                "granian x2",
                [
                    str(BIN / "granian"),
                    "--interface",
                    "wsgi",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "{port}",
                    "--workers",
                    "2",
                    "--blocking-threads",
                    "4",
                    "--no-ws",
                    "--factory",
                    "karabakh_kg.web.app:create_app",
                ],
                "/sparql",
                env=env,
            )
        )
    return out


def oxigraph_server(location: Path) -> Server:
    return Server(
        "oxigraph server",
        [
            str(BIN / "oxigraph"),
            "serve-read-only",
            "--location",
            str(location),
            "--bind",
            "127.0.0.1:{port}",
            "--union-default-graph",
            "--timeout-s",
            "10",
        ],
        "/query",
    )  # our QUERY_TIMEOUT: same bound


def rdflib_endpoint(dataset: Path) -> Server:
    return Server(
        "rdflib-endpoint",
        [str(BIN / "rdflib-endpoint"), "serve", "--host", "127.0.0.1", "--port", "{port}", str(dataset)],
        "/",
    )


def oxigraph_load(dataset: Path, location: Path) -> float:
    shutil.rmtree(location, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "oxigraph"), "load", "--location", str(location), "--file", str(dataset)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


# --- the run ----------------------------------------------------------------------------------


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    load_avg = os.getloadavg()
    versions = {}
    for module in ("pyoxigraph", "rdflib", "flask", "gunicorn", "waitress", "granian", "rdflib_endpoint", "owlrl"):
        try:
            versions[module] = __import__("importlib.metadata").metadata.version(module.replace("_", "-"))
        except (ImportError, AttributeError):
            from importlib.metadata import PackageNotFoundError, version

            try:
                versions[module] = version(module.replace("_", "-"))
            except PackageNotFoundError:
                pass
    wrk = (
        subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
        if shutil.which("wrk")
        else []
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem / 1024 / 1024, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "load_average_at_start": load_avg,
        "versions": versions,
        "wrk": wrk[0] if wrk else None,
    }


def startup(server_factory, query: str, expected, runs: int, workdir: Path) -> dict:
    times = []
    for _ in range(runs):
        server = server_factory()
        started = server.start(workdir)
        try:
            times.append(server.wait_ready(query, expected, started))
        finally:
            server.stop()
    return {"runs": [round(t, 3) for t in times], "median_s": round(median(times), 3)}


def run_article(args, workdir: Path, out: dict) -> None:
    queries = competency_queries()
    if not queries:
        raise SystemExit("no competency queries in queries/*.rq")
    release = (ROOT / "build" / "current").resolve()
    if not (release / "dataset.nq").exists():
        raise SystemExit("no build: run `make build` first")
    out["dataset"] = json.loads((release / "manifest.json").read_text())["triples"]
    reps = 5 if args.quick else 20

    log("build time (karabakh-kg build, 3 runs)")
    out["build"] = build_times(1 if args.quick else 3, workdir)
    out["build_rules"] = build_times(1 if args.quick else 3, workdir, reasoner="rules")
    oxi_dir = workdir / "oxigraph-article"
    out["oxigraph_load_s"] = round(oxigraph_load(release / "dataset.nq", oxi_dir), 3)

    store = ox.Store.read_only(str(release / "store"))
    probe = queries.get("control-on-date") or next(iter(queries.values()))
    expected = normalise(_local_answer(store, probe), accept_for(probe))
    del store

    log("start-up to first correct answer")
    runs = 1 if args.quick else 3
    out["startup"] = {
        "ours": startup(lambda: ours("ours", ROOT / "build"), probe, expected, runs, workdir),
        "oxigraph": startup(lambda: oxigraph_server(oxi_dir), probe, expected, runs, workdir),
        "rdflib-endpoint": startup(lambda: rdflib_endpoint(release / "dataset.nq"), probe, expected, runs, workdir),
    }

    log("per-query latency: in-process and over HTTP, 1 client")
    out["latency"] = {"pyoxigraph in-process": in_process(release / "store", queries, reps)}
    servers = {
        "ours": ours("ours", ROOT / "build"),
        "oxigraph": oxigraph_server(oxi_dir),
        "rdflib-endpoint": rdflib_endpoint(release / "dataset.nq"),
    }
    out["load"], out["memory_mb"], out["answers_agree"] = {}, {}, {}
    for key, server in servers.items():
        slow = key == "rdflib-endpoint"  # rdflib's engine: minutes on some queries; restart when stuck

        def restart(server=server):
            server.stop()
            server.wait_ready(probe, expected, server.start(workdir))

        server.wait_ready(probe, expected, server.start(workdir))
        try:
            out["latency"][key] = latencies(
                server, queries, 3 if slow else reps, cold=False, timeout=30.0 if slow else 120.0, restart=restart
            )
            if key == "ours":
                out["latency"]["ours (cache miss)"] = latencies(server, queries, reps, cold=True)
            out["load"][key], peak = {}, 0.0
            for clients in CLIENTS:
                if slow:
                    restart()
                sampler = MemorySampler(server.process.pid)
                seconds = max(args.duration, 10.0) if slow else args.duration  # let some finish
                log(f"load: {key}, {clients} clients, {seconds} s")
                out["load"][key][clients] = load(server, queries, clients, seconds, workdir)
                peak = max(peak, sampler.stop())
            out["memory_mb"][key] = round(peak, 1)
        finally:
            server.stop()
    answerable = [n for n, v in out["latency"]["rdflib-endpoint"].items() if v["median_ms"] is not None]
    if 0 < len(answerable) < len(queries):
        subset = {n: queries[n] for n in answerable}
        log(f"load at 8 clients on the {len(subset)} queries rdflib-endpoint answers in time")
        out["load_subset"] = {"queries": answerable}
        for key in ("ours", "rdflib-endpoint"):
            server = servers[key]
            server.wait_ready(probe, expected, server.start(workdir))
            try:
                seconds = max(args.duration, 10.0) if key == "rdflib-endpoint" else args.duration
                out["load_subset"][key] = load(server, subset, 8, seconds, workdir)
            finally:
                server.stop()
    reference_answers = {n: v["answer"] for n, v in out["latency"]["oxigraph"].items()}
    for key in ("ours", "ours (cache miss)", "rdflib-endpoint"):
        out["answers_agree"][key] = {
            n: v["answer"] is not None and v["answer"] == reference_answers[n] for n, v in out["latency"][key].items()
        }
    for table in out["latency"].values():
        for v in table.values():
            v.pop("answer", None)

    log("WSGI servers at 8 clients (and ours without its result cache)")
    out["wsgi"] = {}
    variants = wsgi_variants(ROOT / "build")
    variants.append(ours("gunicorn gthread 2x4, cache off", ROOT / "build", env={"KARABAKH_KG_CACHE_ENTRIES": "0"}))
    for server in variants:
        started = server.start(workdir)
        try:
            server.wait_ready(probe, expected, started)
            out["wsgi"][server.name] = load(server, queries, 8, args.duration, workdir)
        except RuntimeError as err:
            out["wsgi"][server.name] = {"error": str(err)[:500]}
        finally:
            server.stop()


def _local_answer(store: ox.Store, query: str) -> bytes:
    """The reference answer as SPARQL JSON, computed in-process."""
    result = store.query(query, use_default_graph_as_union=True)
    if accept_for(query) == JSON_RESULTS:
        return result.serialize(format=ox.QueryResultsFormat.JSON)
    return ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)


def run_scale(args, workdir: Path, out: dict) -> None:
    queries = competency_queries()
    out["scale"] = {}
    for size in args.sizes:
        log(f"scale {size}: generate + reason (rules) in a separate process")
        build_dir = workdir / f"scale-{size}"
        done = subprocess.run(
            [str(BIN / "python"), str(BENCH / "scale.py"), "--triples", str(size), "--build-dir", str(build_dir)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            out["scale"][size] = {"error": done.stderr[-1500:]}
            continue
        entry = json.loads(done.stdout.strip().splitlines()[-1])
        release = (build_dir / "current").resolve()
        if size <= 10_000 and not args.quick:
            entry["owlrl_s"] = owlrl_time(release, workdir)
        max_rows = 10_000
        entry["in_process"] = in_process(release / "store", queries, 7, max_rows=max_rows)
        server = ours("ours", build_dir)
        started = server.start(workdir)
        try:
            entry["startup_s"] = round(server.wait_ready(bench_query("ask-trivial"), None, started), 3)
            sampler = MemorySampler(server.process.pid)
            overhead = latencies(server, {"ask": bench_query("ask-trivial")}, 20, cold=True)["ask"]["median_ms"]
            entry["http_overhead_ms"] = overhead
            entry["ours_cold"] = {n: v["median_ms"] for n, v in latencies(server, queries, 7, cold=True).items()}
            entry["ours_warm"] = {n: v["median_ms"] for n, v in latencies(server, queries, 3, cold=False).items()}
            mix = {
                n: q
                for n, q in queries.items()
                if entry["in_process"][n]["median_ms"] is not None and entry["in_process"][n]["median_ms"] < 1000
            }
            entry["load_mix_excluded"] = sorted(set(queries) - set(mix))
            entry["ours_load_8"] = load(server, mix, 8, args.duration, workdir)
            entry["ours_rss_mb"] = round(sampler.stop(), 1)
        finally:
            server.stop()
        entry["within_2x_plus_overhead"] = {
            n: entry["ours_cold"][n] is not None
            and entry["in_process"][n]["median_ms"] is not None
            and entry["ours_cold"][n] <= 2 * entry["in_process"][n]["median_ms"] + 2 * overhead
            for n in queries
        }
        oxi_dir = workdir / f"oxigraph-{size}"
        entry["oxigraph_load_s"] = round(oxigraph_load(release / "dataset.nq", oxi_dir), 2)
        oxi = oxigraph_server(oxi_dir)
        started = oxi.start(workdir)
        try:
            oxi.wait_ready(bench_query("ask-trivial"), None, started)
            entry["oxigraph_load_8"] = load(oxi, mix, 8, args.duration, workdir)
        finally:
            oxi.stop()
        shutil.rmtree(oxi_dir, ignore_errors=True)
        out["scale"][size] = entry
        log(f"scale {size}: {json.dumps({k: entry[k] for k in ('total', 'reason_s', 'peak_rss_mb')})}")


def owlrl_time(release: Path, workdir: Path, limit: float = 120.0) -> float | None:
    """owlrl on the same synthetic graph (reference; None if it takes longer than `limit`)."""
    script = workdir / "owlrl_run.py"
    script.write_text(
        "import sys, time, rdflib\n"
        "from karabakh_kg import reasoning\n"
        "d = rdflib.Dataset(); d.parse(sys.argv[1], format='nquads')\n"
        "o = rdflib.Graph(); a = rdflib.Graph()\n"
        "for s, p, ob, g in d.quads():\n"
        "    (o if str(g).endswith('/ontology') else a if str(g).endswith('/asserted') else rdflib.Graph()).add((s, p, ob))\n"
        "t = time.perf_counter(); reasoning.closure(o, a); print(time.perf_counter() - t)\n"
    )
    try:
        done = subprocess.run(
            [str(BIN / "python"), "-W", "ignore", str(script), str(release / "dataset.nq")],
            capture_output=True,
            text=True,
            timeout=limit,
        )
        return round(float(done.stdout.strip().splitlines()[-1]), 2) if done.returncode == 0 else None
    except (subprocess.TimeoutExpired, ValueError, IndexError):
        return None


# --- report -----------------------------------------------------------------------------------


def ratio(a, b, b_floor=None) -> str:
    """a/b; when b completed nothing, a lower bound from one request in the run (b_floor)."""
    if a and b:
        return f"{a / b:.2f}x"
    if a and b_floor:
        return f">{a / b_floor:.0f}x (none completed)"
    return "n/a"


def report(out: dict) -> str:
    lines = []
    add = lines.append
    add(
        f"machine: {out['machine']['cpu']}, {out['machine']['cores']} cores, {out['machine']['memory_gb']} GB; "
        f"load average at start {out['machine']['load_average_at_start']}"
    )
    if "build" in out:
        s = out["startup"]
        add(f"\narticle graph: {out['dataset']} triples")
        add(
            f"build (karabakh-kg build, median): {out['build']['median_s']} s with owlrl, "
            f"{out['build_rules']['median_s']} s with --reasoner rules   [target < 3 s] "
            f"(oxigraph load of the built dataset: {out['oxigraph_load_s']} s)"
        )
        add(
            "start-up to first correct answer (median): "
            + ", ".join(f"{k} {v['median_s']} s" for k, v in s.items())
            + "   [target ours < 1 s]"
        )
        add("\nper-query median latency at 1 client, ms (ours = result cache hit; cache miss = unique text)")
        cols = ["pyoxigraph in-process", "ours", "ours (cache miss)", "oxigraph", "rdflib-endpoint"]
        add(f"{'query':<24}" + "".join(f"{c[:18]:>19}" for c in cols) + f"{'ours-oxi':>10}")
        lat = out["latency"]
        for name in lat["ours"]:
            row = [lat[c][name]["median_ms"] for c in cols]
            diff = lat["ours"][name]["median_ms"] - lat["oxigraph"][name]["median_ms"]
            add(
                f"{name:<24}"
                + "".join(f"{v:>19.3f}" if v is not None else f"{'timeout':>19}" for v in row)
                + f"{diff:>+10.3f}"
            )
        add("\nthroughput (req/s) and p50/p99 (ms), competency-query mix, errors")
        for clients in CLIENTS:
            row = []
            for key in ("ours", "oxigraph", "rdflib-endpoint"):
                r = out["load"][key][clients]
                row.append(f"{key} {r['rps']:>8.0f} ({r['p50_ms']}/{r['p99_ms']}) err {r['errors']}")
            o, x, r = (out["load"][k][clients]["rps"] for k in ("ours", "oxigraph", "rdflib-endpoint"))
            floor = 1 / max(out["duration_s"], 10.0)
            add(
                f"{clients:>2} clients: "
                + " | ".join(row)
                + f" | ours/oxigraph {ratio(o, x)}, ours/rdflib-endpoint {ratio(o, r, floor)}"
            )
        add("   [targets at 8 clients: ours/oxigraph >= 0.15x, ours/rdflib-endpoint >= 10x, zero errors]")
        if "load_subset" in out:
            o, r = out["load_subset"]["ours"], out["load_subset"]["rdflib-endpoint"]
            add(
                f"8 clients, only the {len(out['load_subset']['queries'])} queries rdflib-endpoint answers within 30 s: "
                f"ours {o['rps']:.0f} req/s (err {o['errors']}), rdflib-endpoint {r['rps']:.1f} req/s (err {r['errors']}): "
                f"{ratio(o['rps'], r['rps'], 1 / max(out['duration_s'], 10.0))}"
            )
        add("peak RSS of the serving process tree (MB): " + ", ".join(f"{k} {v}" for k, v in out["memory_mb"].items()))
        bad = {k: [n for n, ok in v.items() if not ok] for k, v in out["answers_agree"].items()}
        add(
            "answers equal to Oxigraph server's: "
            + "; ".join(f"{k}: {'all' if not v else 'differ on ' + ', '.join(v)}" for k, v in bad.items())
        )
        add("\nWSGI servers (ours), 8 clients, req/s (p50/p99 ms, errors):")
        for name, r in out["wsgi"].items():
            add(
                f"  {name:<34} "
                + (f"{r['rps']:>8.0f} ({r['p50_ms']}/{r['p99_ms']}, {r['errors']})" if "rps" in r else r["error"])
            )
    for size, e in out.get("scale", {}).items():
        if "error" in e:
            add(f"\nscale {size}: FAILED {e['error'][-300:]}")
            continue
        add(
            f"\nscale {size}: {e['asserted']} asserted + {e['inferred']} inferred = {e['total']} triples; rules reasoner "
            f"{e['reason_s']} s, peak {e['peak_rss_mb']} MB (rounds {e['rounds']})"
            + (f"; owlrl {e['owlrl_s']} s" if e.get("owlrl_s") else "")
        )
        add(
            f"  served: start-up {e['startup_s']} s, RSS {e['ours_rss_mb']} MB; 8 clients ours {e['ours_load_8']['rps']:.0f} "
            f"req/s vs oxigraph {e['oxigraph_load_8']['rps']:.0f} ({ratio(e['ours_load_8']['rps'], e['oxigraph_load_8']['rps'])}); "
            f"HTTP overhead {e['http_overhead_ms']} ms"
        )
        slow = [
            f"{n} {e['ours_cold'][n] if e['ours_cold'][n] is not None else 'timeout'} vs "
            f"{e['in_process'][n]['median_ms'] if e['in_process'][n]['median_ms'] is not None else 'timeout'}"
            for n, ok in e["within_2x_plus_overhead"].items()
            if not ok
        ]
        if e.get("load_mix_excluded"):
            add(f"  load mix without the queries slower than 1 s in-process: {', '.join(e['load_mix_excluded'])}")
        add(
            "  every query within 2x in-process + overhead"
            if not slow
            else "  beyond 2x in-process + overhead (ms, ours vs in-process): " + "; ".join(slow)
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, scale at 10k only")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load run (default 5)")
    parser.add_argument("--sizes", default=None, help="synthetic sizes, comma-separated (default 10000,100000,1000000)")
    parser.add_argument("--skip-article", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--in-process-worker", nargs=3, metavar=("STORE", "REPS", "MAX_ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_process_worker:
        store_path, reps, max_rows = args.in_process_worker
        return in_process_worker(store_path, int(reps), int(max_rows))
    args.sizes = [int(s) for s in (args.sizes or ("10000" if args.quick else "10000,100000,1000000")).split(",")]
    out = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "duration_s": args.duration,
    }
    with tempfile.TemporaryDirectory(prefix="karabakh-bench-") as tmp:
        workdir = Path(tmp)
        if not args.skip_article:
            run_article(args, workdir, out)
        if not args.skip_scale:
            run_scale(args, workdir, out)
    out["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(out, indent=2, default=str) + "\n"
    (RESULTS / f"{out['started_utc'].replace(':', '')}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    print(report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
