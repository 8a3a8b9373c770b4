"""`make bench`: this project's endpoint against Oxigraph server and rdflib-endpoint, side by side.

One run, one machine, the same data and the same competency queries (queries/*.rq) for all three.
Each part lives in its own module:
- bench/mixes.py: the serving-speed ratios against Oxigraph server (trivial and competency mixes,
  uncached and cached, 1-client latency, linked-data pages), median and spread of paired runs;
- bench/fronts.py: the HTTP fronts on throughput and on the guarantees (also runnable alone);
- bench/virtuoso.py: Debian's Virtuoso beside Oxigraph server, answers compared, partial answers caught;
- this file: build time, start-up to the first correct answer, per-query latency (in-process and
  over HTTP), throughput at 1, 8 and 32 clients on the competency mix, peak RSS, and the scale
  runs (synthetic data at 10k/100k/1M triples, bench/scale.py and bench/generate.py);
- bench/common.py: the servers, requests and load runs (wrk, or a bounded Python generator).
Every load run stops by itself after --duration seconds; everything listens on 127.0.0.1 only.
Prints a table of medians and ratios and writes bench/results/<UTC time>.json (and latest.json).
docs/benchmarks.md records a run.

    .venv/bin/python bench/run.py [--quick] [--duration 5] [--reps 3] [--sizes 10000,100000,1000000]
        [--skip-mixes] [--skip-fronts] [--skip-virtuoso] [--skip-article] [--skip-scale]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fronts  # noqa: E402
import mixes  # noqa: E402
import virtuoso  # noqa: E402
from common import (  # noqa: E402
    BENCH,
    BIN,
    CLIENTS,
    JSON_RESULTS,
    RESULTS,
    ROOT,
    MemorySampler,
    Server,
    accept_for,
    bench_query,
    close_connections,
    competency_queries,
    load,
    log,
    machine,
    median,
    normalise,
    ours,
    oxigraph_load,
    oxigraph_server,
    ratio,
    rdflib_endpoint,
    request,
    startup,
)

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


# --- the servers ------------------------------------------------------------------------------


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
    if "mixes" in out:
        add(mixes.report(out["mixes"]))
    if "fronts" in out:
        add("\n" + fronts.report(out["fronts"]))
    if "virtuoso" in out:
        add(virtuoso.report(out["virtuoso"]))
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


def run_mixes(args, workdir: Path) -> dict:
    """The serving-speed mixes against Oxigraph server, on the article graph (bench/mixes.py)."""
    location = workdir / "oxigraph-mixes"
    oxigraph_load(ROOT / "build" / "current" / "dataset.nq", location)
    oxigraph = oxigraph_server(location, timeout=False)  # every query of these mixes ends in ms
    oxigraph.wait_ready("ASK {}", None, oxigraph.start(workdir))
    try:
        return mixes.run(oxigraph, workdir, args.reps, args.duration)
    finally:
        oxigraph.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, scale at 10k only")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load run (default 5)")
    parser.add_argument("--sizes", default=None, help="synthetic sizes, comma-separated (default 10000,100000,1000000)")
    parser.add_argument("--skip-article", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-mixes", action="store_true", help="no paired runs against Oxigraph server")
    parser.add_argument("--skip-fronts", action="store_true", help="no comparison of HTTP fronts")
    parser.add_argument("--skip-virtuoso", action="store_true", help="no Virtuoso beside Oxigraph server")
    parser.add_argument("--reps", type=int, default=None, help="paired runs per mix (default 3, 1 with --quick)")
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
        args.reps = args.reps or (1 if args.quick else 3)
        if not args.skip_mixes:
            out["mixes"] = run_mixes(args, workdir)
        if not args.skip_fronts:
            out["fronts"] = fronts.compare(ROOT / "build", workdir, args.reps, args.duration)
        if not args.skip_virtuoso:
            out["virtuoso"] = virtuoso.run(workdir, args.duration)
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
