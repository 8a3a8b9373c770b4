"""Where one cache miss spends its time, step by step, in one process (no HTTP front, no load).

Each step is timed on its own (median of `--reps` runs, every query text unique so no cache
helps): protocol parsing, the safety check, content negotiation, pickling the job, the engine
(query and writing the answer) in-process, the round trip through a query process (socket, child,
engine, answer back), and the whole app on a miss and on /health (Flask's test client, which
adds its own small cost). What the HTTP front adds is measured by bench/fronts.py.

    .venv/bin/python bench/misspath.py [--reps 300]
"""

from __future__ import annotations

import argparse
import json
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
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
