"""Our endpoint against Oxigraph server on the mixes the serving-speed targets name, as ratios.

Each mix is run `reps` times, ours and Oxigraph server alternating, and reported as the median
ratio and its spread (min-max), so a target is met by more than the noise:
- trivial queries (queries/bench/trivial-*.rq) at 8 connections, uncached (a unique comment on
  every request) and cached (the same texts repeated);
- the competency queries (queries/*.rq) at 8 connections, uncached, with errors counted and the
  answers compared with Oxigraph server's;
- at 1 client, each trivial query's median latency, uncached, against Oxigraph server's;
- linked-data pages (home, a resource page, the timeline, VoID) at 8 connections, on a server
  with its answer cache off, so every page's queries are evaluated: req/s and p50/p99;
- trivial queries, uncached, with `PATTERN_LANE` off (every query in a query process), paired
  the same way: what the web worker's own one-pattern answers add;
- trivial queries, uncached, open loop (`openloop.py`: a fixed request rate, latency from each
  request's scheduled start, as wrk2 measures; wrk is closed-loop) at OPEN_LOOP_RATES: p50/p99/p99.9.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from common import (
    ROOT,
    accept_for,
    bench_query,
    close_connections,
    competency_queries,
    load,
    load_paths,
    log,
    normalise,
    ours,
    request,
)
from openloop import get_request, open_loop

TRIVIAL = ("trivial-ask", "trivial-resource", "trivial-limit")
OPEN_LOOP_RATES = (250, 500, 1000)  # requests a second
PAGES = {
    "home": ("/", "text/html"),
    "resource page": ("/doc/aghdam", "text/html"),
    "timeline": ("/timeline", "text/html"),
    "VoID": ("/.well-known/void", "text/turtle"),
}


def paired(ours_server, oxigraph, queries: dict, reps: int, duration: float, workdir: Path, unique: bool) -> dict:
    """`reps` alternating 8-connection runs of ours and Oxigraph server: medians, ratio and spread."""
    runs = {"ours": [], "oxigraph": []}
    for _ in range(reps):
        for key, server in (("ours", ours_server), ("oxigraph", oxigraph)):
            try:
                ensure_up(server, workdir)
                runs[key].append(load(server, queries, 8, duration, workdir, unique=unique))
            except RuntimeError as err:  # a server that died: the run counts as all errors, and is said
                log(f"mixes: {server.name}: {err}")
                runs[key].append({"rps": 0.0, "p50_ms": None, "p99_ms": None, "errors": 1, "failed": str(err)[-300:]})
    ratios = [o["rps"] / x["rps"] if x["rps"] else None for o, x in zip(runs["ours"], runs["oxigraph"], strict=True)]
    ratios = [r for r in ratios if r is not None]
    return {
        "ours_rps": statistics.median(r["rps"] for r in runs["ours"]),
        "oxigraph_rps": statistics.median(r["rps"] for r in runs["oxigraph"]),
        "ours_p50_ms": _median(r["p50_ms"] for r in runs["ours"]),
        "ours_p99_ms": _median(r["p99_ms"] for r in runs["ours"]),
        "oxigraph_p50_ms": _median(r["p50_ms"] for r in runs["oxigraph"]),
        "ratio_median": round(statistics.median(ratios), 3) if ratios else None,
        "ratio_min": round(min(ratios), 3) if ratios else None,
        "ratio_max": round(max(ratios), 3) if ratios else None,
        "errors_ours": sum(r["errors"] for r in runs["ours"]),
        "errors_oxigraph": sum(r["errors"] for r in runs["oxigraph"]),
        "runs": runs,
    }


def ensure_up(server, workdir: Path) -> None:
    """Restart a server that died (logged: on a crowded machine Oxigraph server has died when it
    could not start a thread, `Resource temporarily unavailable`)."""
    if server.process is not None and server.process.poll() is not None:
        log(f"{server.name} had exited ({server.process.returncode}); restarting it")
        server.stop()
        server.wait_ready("ASK {}", None, server.start(workdir))


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def one_client(server, queries: dict, reps: int) -> dict[str, float]:
    """Median ms per query at 1 client, every request a cache miss (a unique comment)."""
    out = {}
    for name, query in queries.items():
        times = []
        for i in range(reps + 2):
            try:
                status, _, seconds = request(
                    server.port, server.url_for(f"{query}\n# {time.time()} {i}"), accept_for(query)
                )
            except OSError:
                status = None
            if i >= 2 and status == 200:  # two warm-ups
                times.append(seconds * 1000)
        out[name] = round(statistics.median(times), 3) if times else None
    close_connections()
    return out


def same_answers(server, oxigraph, queries: dict) -> dict[str, bool]:
    out = {}
    for name, query in queries.items():
        accept = accept_for(query)
        unique = f"{query}\n# compare {time.time()}"
        try:
            a = request(server.port, server.url_for(unique), accept, timeout=60)
            b = request(oxigraph.port, oxigraph.url_for(unique), accept, timeout=60)
        except OSError:  # no answer at all: counted as different, and said
            log(f"mixes: no answer to {name} from one of the servers")
            out[name] = False
            continue
        out[name] = a[0] == b[0] == 200 and normalise(a[1], accept) == normalise(b[1], accept)
        if not out[name]:  # said with what was seen, so a difference can be looked into
            log(f"mixes: {name} differs: status {a[0]} / {b[0]}, {len(a[1])} / {len(b[1])} bytes")
    close_connections()
    return out


def fixed_rate(server, queries: dict, rate: int, duration: float) -> dict:
    """The queries round robin at `rate` requests a second, each a cache miss (a unique comment)."""
    texts = list(queries.values())

    def make(i: int) -> bytes:
        query = texts[i % len(texts)] + f"\n# open loop {time.time_ns()} {i}"
        return get_request(server.url_for(query), accept_for(query))

    return open_loop(server.port, make, rate, duration)


def run(oxigraph, workdir: Path, reps: int, duration: float) -> dict:
    """Every mix against Oxigraph server (already started by the caller); returns the figures."""
    trivial = {name: bench_query(name) for name in TRIVIAL}
    competency = competency_queries()
    out: dict = {"reps": reps, "duration_s": duration}
    server = ours("ours", ROOT / "build")
    server.wait_ready(trivial["trivial-ask"], None, server.start(workdir))
    try:
        log("mixes: trivial, uncached and cached; competency, uncached")
        out["trivial_uncached"] = paired(server, oxigraph, trivial, reps, duration, workdir, unique=True)
        out["trivial_cached"] = paired(server, oxigraph, trivial, reps, duration, workdir, unique=False)
        out["competency_uncached"] = paired(server, oxigraph, competency, reps, duration, workdir, unique=True)
        ensure_up(oxigraph, workdir)
        out["competency_answers_equal"] = same_answers(server, oxigraph, competency)
        log("mixes: 1 client, trivial queries, uncached")
        ensure_up(oxigraph, workdir)
        out["one_client_ms"] = {"ours": one_client(server, trivial, 50), "oxigraph": one_client(oxigraph, trivial, 50)}
        log(f"mixes: open loop, trivial queries, uncached, at {OPEN_LOOP_RATES} req/s")
        ensure_up(oxigraph, workdir)
        out["open_loop"] = {
            str(rate): {s.name: fixed_rate(s, trivial, rate, duration) for s in (server, oxigraph)}
            for rate in OPEN_LOOP_RATES
        }
    finally:
        server.stop()
    log("mixes: trivial, uncached, every query in a query process (PATTERN_LANE off)")
    server = ours("ours, no pattern lane", ROOT / "build", env={"KARABAKH_KG_PATTERN_LANE": "0"})
    server.wait_ready(trivial["trivial-ask"], None, server.start(workdir))
    try:
        out["trivial_uncached_no_lane"] = paired(server, oxigraph, trivial, reps, duration, workdir, unique=True)
    finally:
        server.stop()
    log("mixes: linked-data pages, answer cache off")
    server = ours("ours, cache off", ROOT / "build", env={"KARABAKH_KG_CACHE_ENTRIES": "0"})
    server.wait_ready(trivial["trivial-ask"], None, server.start(workdir))
    try:
        out["pages"] = {}
        for name, (path, accept) in PAGES.items():
            first = request(server.port, path, accept, timeout=60)
            close_connections()
            runs = [load_paths(server, [path], [accept], 8, duration, workdir) for _ in range(reps)]
            out["pages"][name] = {
                "status": first[0],
                "first_view_ms": round(first[2] * 1000, 1),
                "rps": statistics.median(r["rps"] for r in runs),
                "p50_ms": statistics.median(r["p50_ms"] for r in runs),
                "p99_ms": statistics.median(r["p99_ms"] for r in runs),
                "errors": sum(r["errors"] for r in runs),
            }
    finally:
        server.stop()
    return out


def report(m: dict) -> str:
    lines = [f"\nours against Oxigraph server, 8 connections, median of {m['reps']} paired runs (ratio min-max):"]
    for key, label, target in (
        ("trivial_uncached", "trivial queries, uncached", ">= 0.5x (floor 0.3x)"),
        ("trivial_cached", "trivial queries, cached", ">= 1x"),
        ("competency_uncached", "competency queries, uncached", ">= 1x, 0 errors"),
        ("trivial_uncached_no_lane", "trivial, uncached, no lane", "PATTERN_LANE off: what the lane adds"),
    ):
        if key not in m:  # results recorded before the pattern lane
            continue
        r = m[key]
        lines.append(
            f"  {label:<30} ours {r['ours_rps']:>8.0f} req/s (p50 {r['ours_p50_ms']} / p99 {r['ours_p99_ms']} ms), "
            f"oxigraph {r['oxigraph_rps']:>8.0f} (p50 {r['oxigraph_p50_ms']} ms): {r['ratio_median']}x "
            f"({r['ratio_min']}-{r['ratio_max']}), errors {r['errors_ours']}   [target {target}]"
        )
    differ = [n for n, ok in m["competency_answers_equal"].items() if not ok]
    lines.append("  competency answers equal to Oxigraph server's: " + ("all" if not differ else ", ".join(differ)))
    o, x = m["one_client_ms"]["ours"], m["one_client_ms"]["oxigraph"]
    lines.append(
        "  1 client, uncached, median ms (ours / oxigraph / difference) [target within 1 ms]: "
        + "; ".join(f"{n} {o[n]} / {x[n]} / {o[n] - x[n]:+.2f}" if o[n] and x[n] else f"{n} failed" for n in o)
    )
    lines.append("  open loop, trivial queries, uncached, latency from each request's due time (ms):")
    for rate, by_server in m.get("open_loop", {}).items():
        lines.append(
            f"    {rate:>5} req/s: "
            + "; ".join(
                f"{name} p50 {r['p50_ms']} / p99 {r['p99_ms']} / p99.9 {r['p99.9_ms']}, "
                f"{r['completed_rps']} done/s, errors {r['errors']}"
                for name, r in by_server.items()
            )
        )
    lines.append("  linked-data pages, answer cache off, 8 connections: req/s (p50 / p99 ms), first view:")
    for name, p in m["pages"].items():
        lines.append(
            f"    {name:<14} {p['rps']:>7.0f} ({p['p50_ms']} / {p['p99_ms']}), errors {p['errors']}, "
            f"first view {p['first_view_ms']} ms (status {p['status']})"
        )
    return "\n".join(lines)
