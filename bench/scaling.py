"""The scale runs: synthetic data at 10k/100k/1M triples (bench/generate.py, reasoned by the rules
reasoner in its own process, bench/scale.py), then our server on it against pyoxigraph in-process
and Oxigraph server: start-up, per-query latency, 8-client throughput, RSS.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    BENCH,
    BIN,
    MemorySampler,
    bench_query,
    competency_queries,
    load,
    log,
    ours,
    oxigraph_load,
    oxigraph_server,
    ratio,
)
from latency import in_process, latencies  # noqa: E402


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


def report(scale: dict) -> str:
    lines = []
    add = lines.append
    for size, e in scale.items():
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
