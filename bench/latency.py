"""Per-query latency: over HTTP at one client (cached or not), and pyoxigraph in-process.

The in-process side runs each query in a child process (`python bench/latency.py STORE REPS
MAX_ROWS`, the query on stdin), because an Oxigraph query cannot be interrupted: one that runs past
its limit is recorded as timed out and its process killed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, Server, accept_for, close_connections, median, normalise, request  # noqa: E402


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


if __name__ == "__main__":
    sys.exit(in_process_worker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
