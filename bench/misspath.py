"""Where one cache miss spends its time, step by step, in one process (no HTTP front, no load).

Each step is timed on its own (median of `--reps` runs, every query text unique so no cache
helps): protocol parsing, the safety check, content negotiation, pickling the job, the engine
(query and writing the answer) in-process, the round trip through a query process (socket, child,
engine, answer back), and the whole app on a miss and on /health (Flask's test client, which
adds its own small cost). What the HTTP front adds is measured by bench/fronts.py.

Also the hand-off alone: a 200-byte frame sent to a child process over a query process's socket
pair and echoed back, with the child on the same CPU and on another one, as CPU time per round
trip on each side (why `PIN_WORKERS` keeps a web worker and its query processes on one CPU share).

    .venv/bin/python bench/misspath.py [--reps 300]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, bench_query  # noqa: E402
from karabakh_kg.web import conneg, protocol, safety  # noqa: E402
from karabakh_kg.web.app import create_app  # noqa: E402
from karabakh_kg.web.engines import Job  # noqa: E402
from karabakh_kg.web.query_pool import _socket_pair  # noqa: E402

QUERIES = ("trivial-ask", "trivial-resource", "trivial-limit")
JSON = "application/sparql-results+json"


def timed(function, reps: int) -> float:
    """Median milliseconds of `function(i)` over `reps` calls (i makes each call's text unique)."""
    times = []
    for i in range(reps):
        started = time.perf_counter()
        function(i)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 4)


def steps(query: str, state, client, reps: int) -> dict:
    info = safety.analyse(query)
    job = Job(query=query, form=info.form, format="json")
    rendered = state.engine.execute(job)
    qs = urlencode({"query": query}).encode()
    return {
        "protocol.parse": timed(lambda i: protocol.parse("GET", qs + b"%23" + str(i).encode(), None, b""), reps),
        "safety.analyse": timed(lambda i: safety.analyse(f"{query} #{i}"), reps),
        "conneg.negotiate": timed(lambda i: conneg.negotiate(JSON, info.kind), reps),
        "pickle the job (as sent to a query process)": timed(
            lambda i: pickle.loads(pickle.dumps(job, pickle.HIGHEST_PROTOCOL)), reps
        ),
        "engine in-process (query + JSON)": timed(lambda i: state.engine.execute(job), reps),
        "query-process round trip (all of it)": timed(
            lambda i: state.runner.run(Job(query=f"{query} #{i}", form=info.form, format="json")), reps
        ),
        "whole app, cache miss": timed(
            lambda i: client.get("/sparql", query_string={"query": f"{query} #{i}"}, headers={"Accept": JSON}), reps
        ),
        "whole app, /health": timed(lambda i: client.get("/health"), reps),
        "answer bytes": len(rendered.body),
    }


def measure(reps: int) -> dict:
    app = create_app({"BUILD_DIR": str(ROOT / "build"), "ACCESS_LOG": False, "CACHE_ENTRIES": 0})
    state = app.extensions["karabakh_kg"]
    state.runner.warm()
    state.engine.open()  # the same engine in this process too, for the in-process step
    client = app.test_client()
    try:
        return {name: steps(bench_query(name), state, client, reps) for name in QUERIES}
    finally:
        state.runner.close()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def handoff(rounds: int, same_cpu: bool) -> dict:
    """CPU µs per round trip of a small frame to a child and back, each side; this process and
    the child on one CPU (`same_cpu`) or on two different ones."""
    cpus = sorted(os.sched_getaffinity(0))
    if not same_cpu and len(cpus) < 2:
        return {"skipped": "one CPU"}
    parent_end, child_end = _socket_pair()
    pid = os.fork()
    if pid == 0:  # the echoing child
        os.sched_setaffinity(0, {cpus[0]})
        parent_end.close()
        try:
            while True:
                child_end.send(bytes(child_end.recv()))
        except (EOFError, OSError):
            os._exit(0)
    child_end.close()
    os.sched_setaffinity(0, {cpus[0] if same_cpu else cpus[1]})
    try:
        frame = b"x" * 200
        child_before, mine_before, started = _cpu_seconds(pid), time.process_time(), time.perf_counter()
        for _ in range(rounds):
            parent_end.send(frame)
            parent_end.recv(time.monotonic() + 5)
        wall = time.perf_counter() - started
        return {
            "wall_us": round(wall / rounds * 1e6, 1),
            "sender_cpu_us": round((time.process_time() - mine_before) / rounds * 1e6, 1),
            "child_cpu_us": round((_cpu_seconds(pid) - child_before) / rounds * 1e6, 1),
        }
    finally:
        parent_end.close()
        os.waitpid(pid, 0)
        os.sched_setaffinity(0, set(cpus))


def report(out: dict) -> str:
    steps = [s for s in next(iter(out.values())) if s != "answer bytes"]
    lines = ["| step (median ms) | " + " | ".join(out) + " |", "|---|" + "---:|" * len(out)]
    for step in steps:
        lines.append(f"| {step} | " + " | ".join(f"{out[q][step]:.3f}" for q in out) + " |")
    lines.append("| answer bytes | " + " | ".join(str(out[q]["answer bytes"]) for q in out) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=300)
    args = parser.parse_args(argv)
    out = measure(args.reps)
    print(report(out))
    hand = {"one CPU": handoff(20 * args.reps, True), "two CPUs": handoff(20 * args.reps, False)}
    for where, figures in hand.items():
        print(f"hand-off to a child process and back, {where}: {figures}")
    print(json.dumps({**out, "handoff": hand}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
