"""What every benchmark shares: the servers under test, loopback requests, load runs (wrk or a
bounded Python generator), answers made comparable, memory of process trees, the machine.

Everything listens on and talks to 127.0.0.1 only; every load run stops by itself.
"""

from __future__ import annotations

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
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
RESULTS = BENCH / "results"
JSON_RESULTS = "application/sparql-results+json"
CLIENTS = (1, 8, 32)


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
            datatype = term.get("datatype", "")
            if datatype == "http://www.w3.org/2001/XMLSchema#string":
                datatype = ""
            row.append((var, kind, value, datatype, term.get("xml:lang", "")))
        rows.append(tuple(row))
    return tuple(sorted(rows))


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


# `unique`: a comment naming the thread and the request is appended to every query (URL-encoded
# newline, `#`), so that no cache anywhere can answer it: every request is a cache miss.
WRK_SCRIPT = """
local paths = { %s }
local accepts = { %s }
local unique = %s
local i = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
request = function()
  i = i + 1
  local k = (i %% #paths) + 1
  local path = paths[k]
  if unique then path = path .. "%%0A%%23%%20" .. tid .. "-" .. i end
  return wrk.format("GET", path, { ["Accept"] = accepts[k] })
end
"""


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def load(
    server: Server, queries: dict[str, str], clients: int, duration: float, workdir: Path, unique: bool = False
) -> dict:
    """The query mix at `clients` concurrent connections for `duration` seconds (`unique`: every
    request a cache miss)."""
    paths = [server.url_for(q) for q in queries.values()]
    accepts = [accept_for(q) for q in queries.values()]
    return load_paths(server, paths, accepts, clients, duration, workdir, unique)


def load_paths(
    server: Server, paths: list[str], accepts: list[str], clients: int, duration: float, workdir: Path, unique=False
) -> dict:
    """GET `paths` round robin (each with its Accept) at `clients` connections for `duration` s."""
    if shutil.which("wrk"):
        script = workdir / "mix.lua"
        script.write_text(
            WRK_SCRIPT
            % (
                ", ".join(json.dumps(p) for p in paths),
                ", ".join(json.dumps(a) for a in accepts),
                "true" if unique else "false",
            )
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
            died = ""
            if server.process is not None and server.process.poll() is not None and server.log_file:
                died = (
                    f"; it exited ({server.process.returncode}): {server.log_file.read_text(errors='replace')[-800:]}"
                )
            raise RuntimeError(f"wrk failed on {server.name}: {done.stdout[-800:]} {done.stderr[-800:]}{died}")
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
    return python_load(server, paths, accepts, clients, duration, unique)


def python_load(server: Server, paths, accepts, clients: int, duration: float, unique: bool = False) -> dict:
    """Bounded fallback load generator: `clients` threads with kept-alive connections."""
    stop_at = time.monotonic() + duration
    results: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients

    def worker(k: int):
        i = k
        while time.monotonic() < stop_at:
            i += 1
            try:
                path = paths[i % len(paths)] + (f"%0A%23%20{k}-{i}" if unique else "")
                status, _, seconds = request(server.port, path, accepts[i % len(paths)], timeout=10)
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


def ours(name: str, build_dir: Path, workers: int = 2, threads: int = 8, env: dict | None = None) -> Server:
    """`karabakh-kg serve` on a free port; by default with serve's own WORKERS (2) and THREADS (8)."""
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


def oxigraph_server(location: Path, timeout: bool = True) -> Server:
    """Oxigraph server on a loaded store. `timeout`: `--timeout-s 10`, our QUERY_TIMEOUT, for mixes
    that may run away. Without it for the fast mixes: Oxigraph 0.5 starts a timer thread per query
    that sleeps the whole timeout, so at thousands of requests a second the server runs out of
    memory maps for thread stacks and aborts (`failed to allocate an alternative stack`)."""
    command = [str(BIN / "oxigraph"), "serve-read-only", "--location", str(location), "--bind", "127.0.0.1:{port}"]
    command += ["--union-default-graph"] + (["--timeout-s", "10"] if timeout else [])
    return Server("oxigraph server", command, "/query")


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


def ratio(a, b, b_floor=None) -> str:
    """a/b; when b completed nothing, a lower bound from one request in the run (b_floor)."""
    if a and b:
        return f"{a / b:.2f}x"
    if a and b_floor:
        return f">{a / b_floor:.0f}x (none completed)"
    return "n/a"
