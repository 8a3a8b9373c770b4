"""HTTP fronts compared: the same app under each front, on throughput and on the guarantees.

Throughput: the trivial mix (queries/bench/trivial-*.rq) at 8 connections, uncached (a unique
comment on every request) and cached (repeated texts), `reps` runs each, median and spread.
Guarantees, each probed the same way on every front:
- slow clients: 50 connections trickle header bytes (one every 0.25 s) while /health is probed;
  the front passes if every probe answers (p95 < 1 s) and it closes the trickling connections;
- runaways: 8 runaway queries at once while /health is probed (p95);
- a killed worker (SIGKILL) is replaced and /health answers again;
- SIGHUP replaces the workers and the server keeps answering.

    .venv/bin/python bench/fronts.py [--duration 5] [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    BENCH,
    BIN,
    ROOT,
    Server,
    bench_query,
    close_connections,
    load,
    log,
    ours,
    oxigraph_load,
    oxigraph_server,
    pct,
    process_tree,
    request,
)

TRIVIAL = ("trivial-ask", "trivial-resource", "trivial-limit")
CLIENTS = 8
SLOW_CLIENTS = 50
PROBE_TIMEOUT = 3.0
QUERY_TIMEOUT = "3"  # the fronts' query timeout here, so the runaways end within the probe
CLIENT_TIMEOUT = "5"  # seconds our fronts give a client to send its headers


def trivial_queries() -> dict[str, str]:
    return {name: bench_query(name) for name in TRIVIAL}


def candidates(build_dir: Path) -> list[tuple[Server, bool]]:
    """Every front with the same app, 8 request threads in all; (server, has worker processes).
    Last, granian with the default settings (2 x 8 threads: THREADS above QUERY_PROCESSES +
    QUERY_QUEUE, as that setting asks), where the runaways cannot take every thread."""
    env = {"KARABAKH_KG_QUERY_TIMEOUT": QUERY_TIMEOUT, "KARABAKH_KG_CLIENT_TIMEOUT": CLIENT_TIMEOUT}
    app_env = {**env, "KARABAKH_KG_BUILD_DIR": str(build_dir)}
    out = [
        (ours("granian 2x4", build_dir, 2, 4, {**env, "KARABAKH_KG_SERVER": "granian"}), True),
        (ours("gunicorn gthread 2x4", build_dir, 2, 4, {**env, "KARABAKH_KG_SERVER": "gunicorn"}), True),
        (ours("gunicorn sync x2", build_dir, 2, 1, {**env, "KARABAKH_KG_SERVER": "gunicorn"}), True),
    ]
    if (BIN / "waitress-serve").exists():
        command = [str(BIN / "waitress-serve"), "--host", "127.0.0.1", "--port", "{port}", "--threads", "8"]
        command += ["--channel-timeout", CLIENT_TIMEOUT, "--call", "karabakh_kg.web.app:create_app"]
        out.append((Server("waitress 8 threads", command, "/sparql", env=app_env), False))
    if (BIN / "uvicorn").exists():
        command = [str(BIN / "uvicorn"), "--host", "127.0.0.1", "--port", "{port}", "--workers", "2"]
        command += ["--app-dir", str(BENCH), "--factory", "asgi_front:app", "--log-level", "warning"]
        command += ["--timeout-keep-alive", CLIENT_TIMEOUT]
        out.append((Server("uvicorn+a2wsgi 2x4", command, "/sparql", env=app_env), True))
    out.append((ours("granian 2x8 (defaults)", build_dir, 2, 8, {**env, "KARABAKH_KG_SERVER": "granian"}), True))
    return out


def throughput(server: Server, queries: dict[str, str], reps: int, duration: float, workdir: Path) -> dict:
    """Uncached and cached trivial mix at 8 connections, `reps` runs each, interleaved."""
    runs: dict[str, list[dict]] = {"uncached": [], "cached": []}
    for _ in range(reps):
        for kind in runs:
            runs[kind].append(load(server, queries, CLIENTS, duration, workdir, unique=kind == "uncached"))
    return {kind: summarise(results) for kind, results in runs.items()}


def summarise(results: list[dict]) -> dict:
    rps = [r["rps"] for r in results]
    return {
        "rps_median": round(statistics.median(rps), 1),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "p50_ms": statistics.median(r["p50_ms"] for r in results if r["p50_ms"] is not None),
        "p99_ms": statistics.median(r["p99_ms"] for r in results if r["p99_ms"] is not None),
        "errors": sum(r["errors"] for r in results),
        "runs": results,
    }


def probe_health(server: Server, count: int, every: float = 0.1) -> dict:
    """`count` GET /health on fresh connections; a probe that fails counts as PROBE_TIMEOUT."""
    seconds, failed, consecutive = [], 0, 0
    for _ in range(count):
        started = time.perf_counter()
        try:
            status, _, _ = request(server.port, "/health", "application/json", timeout=PROBE_TIMEOUT)
            ok = status == 200
        except OSError:
            ok = False
        close_connections()
        seconds.append(time.perf_counter() - started if ok else PROBE_TIMEOUT)
        failed += not ok
        consecutive = 0 if ok else consecutive + 1
        if consecutive >= 3:  # stalled: no point waiting out every probe
            seconds.extend([PROBE_TIMEOUT] * (count - len(seconds)))
            failed += count - len(seconds)
            break
        time.sleep(every)
    return {"probes": count, "failed": failed, "p95_s": round(pct(seconds, 0.95), 3)}


def slow_clients(server: Server) -> dict:
    """50 trickling connections: /health probed meanwhile; how many the front closed within 15 s."""
    socks, closed = [], {}
    for _ in range(SLOW_CLIENTS):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        socks.append(sock)
    opened, stop = time.monotonic(), threading.Event()

    def trickle():
        while not stop.is_set() and time.monotonic() - opened < 15 and len(closed) < len(socks):
            for i, sock in enumerate(socks):
                if i not in closed:
                    try:
                        sock.sendall(b"X")
                    except OSError:
                        closed[i] = time.monotonic() - opened
            stop.wait(0.25)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        health = probe_health(server, 20)
        thread.join(16)
    finally:
        stop.set()
        for sock in socks:
            sock.close()
    return {
        **health,
        "closed": len(closed),
        "closed_within_s": round(max(closed.values()), 1) if closed else None,
        "ok": health["failed"] == 0 and health["p95_s"] < 1 and len(closed) == SLOW_CLIENTS,
    }


def runaways(server: Server) -> dict:
    """8 runaway queries at once (each ends at the 3 s query timeout) while /health is probed."""
    query = bench_query("runaway")
    threads = [
        threading.Thread(
            target=lambda k=k: _quiet(request, server.port, server.url_for(f"{query}\n# {k} {time.time()}"), "*/*")
        )
        for k in range(8)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.2)  # let the runaways take the threads first
    health = probe_health(server, 20)
    for thread in threads:
        thread.join(30)
    return {**health, "ok": health["failed"] == 0 and health["p95_s"] < 1}


def _quiet(function, *args):
    try:
        function(*args, timeout=30)
    except OSError:
        pass
    close_connections()


def _workers(server: Server) -> list[int]:
    master = server.process.pid
    return [p for p in process_tree(master) if p != master and _parent(p) == master]


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat[stat.rindex(")") + 2 :].split()[1])
    except (OSError, ValueError):
        return None


def _answers_within(server: Server, seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            status, _, _ = request(server.port, "/health", "application/json", timeout=2)
            close_connections()
            if status == 200:
                return time.monotonic() - started
        except OSError:
            close_connections()
        time.sleep(0.05)  # polling recovery
    return None


def kill_worker(server: Server, has_workers: bool) -> dict:
    if not has_workers:
        return {"ok": False, "detail": "one process: killing it stops the server"}
    before = _workers(server)
    os.kill(before[0], signal.SIGKILL)
    started = time.monotonic()
    replaced = None
    while time.monotonic() - started < 15 and replaced is None:
        if [p for p in _workers(server) if p not in before]:
            replaced = time.monotonic() - started
        time.sleep(0.02)  # polling the process table
    answered = _answers_within(server, 15)
    return {"replaced_s": replaced, "ok": replaced is not None and answered is not None}


def hup(server: Server) -> dict:
    before = _workers(server)
    os.kill(server.process.pid, signal.SIGHUP)
    started = time.monotonic()
    renewed = None
    while time.monotonic() - started < 15 and renewed is None and server.process.poll() is None:
        now = _workers(server)
        if now and not set(now) & set(before):
            renewed = time.monotonic() - started
        time.sleep(0.05)  # polling the process table
    alive = server.process.poll() is None
    answered = _answers_within(server, 10) if alive else None
    return {"workers_replaced_s": renewed, "alive": alive, "ok": bool(alive and renewed and answered is not None)}


def compare(build_dir: Path, workdir: Path, reps: int, duration: float) -> dict:
    """Every front (and Oxigraph server as the reference) on the trivial mix and the guarantees."""
    queries = trivial_queries()
    out: dict = {"queries": list(TRIVIAL), "clients": CLIENTS, "reps": reps, "duration_s": duration, "fronts": {}}
    oxi_dir = workdir / "oxigraph-fronts"
    oxigraph_load(build_dir / "current" / "dataset.nq", oxi_dir)
    reference = oxigraph_server(oxi_dir, timeout=False)  # trivial queries only
    reference.start(workdir)
    try:
        reference.wait_ready(queries["trivial-ask"], None, time.perf_counter())
        log("fronts: oxigraph server, trivial mix")
        out["oxigraph"] = throughput(reference, queries, reps, duration, workdir)
    except RuntimeError as err:
        log(f"fronts: oxigraph server failed: {err}")
    finally:
        reference.stop()
    for server, has_workers in candidates(build_dir):
        log(f"fronts: {server.name}")
        server.start(workdir)
        try:
            server.wait_ready(queries["trivial-ask"], None, time.perf_counter())
            entry = throughput(server, queries, reps, duration, workdir)
            entry["slow_clients"] = slow_clients(server)
            entry["runaways"] = runaways(server)
            entry["kill_worker"] = kill_worker(server, has_workers)
            entry["sighup"] = hup(server)
        except (OSError, RuntimeError) as err:
            entry = {"error": str(err)[-500:]}
        finally:
            server.stop()
            close_connections()
        out["fronts"][server.name] = entry
        log(f"fronts: {server.name}: {json.dumps({k: v for k, v in entry.items() if k != 'runs'}, default=str)[:600]}")
    return out


def report(fronts: dict) -> str:
    oxi = fronts.get("oxigraph", {})
    lines = [
        f"HTTP fronts, trivial mix, {fronts['clients']} connections, median of {fronts['reps']} runs (min-max):",
        "| front | uncached req/s | × Oxigraph | cached req/s | p50 / p99 ms (uncached) | slow clients | "
        "runaways: /health p95 | killed worker replaced | SIGHUP |",
        "|---|---:|---:|---:|---:|---|---:|---|---|",
    ]
    if oxi:
        u = oxi["uncached"]
        lines.append(
            f"| Oxigraph server (reference) | {u['rps_median']:.0f} ({u['rps_min']:.0f}-{u['rps_max']:.0f}) | 1 | "
            f"{oxi['cached']['rps_median']:.0f} | {u['p50_ms']} / {u['p99_ms']} | | | | |"
        )
    for name, e in fronts["fronts"].items():
        if "error" in e:
            lines.append(f"| {name} | failed: {e['error'][:80]} | | | | | | | |")
            continue
        u, c = e["uncached"], e["cached"]
        ratio = f"{u['rps_median'] / oxi['uncached']['rps_median']:.2f}" if oxi else "-"
        s = e["slow_clients"]
        slow = f"{'ok' if s['ok'] else 'FAIL'}: {s['failed']}/{s['probes']} probes failed, {s['closed']} closed"
        k = e["kill_worker"]
        kill = f"ok in {k['replaced_s']:.2f} s" if k["ok"] else f"FAIL ({k.get('detail', 'not replaced')})"
        h = e["sighup"]
        sighup = f"ok in {h['workers_replaced_s']:.2f} s" if h["ok"] else f"FAIL (alive: {h['alive']})"
        r = e["runaways"]
        lines.append(
            f"| {name} | {u['rps_median']:.0f} ({u['rps_min']:.0f}-{u['rps_max']:.0f}) | {ratio} | "
            f"{c['rps_median']:.0f} | {u['p50_ms']} / {u['p99_ms']} | {slow} | "
            f"{r['p95_s']} s{'' if r['ok'] else ' FAIL'} | {kill} | {sighup} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load run (default 5)")
    parser.add_argument("--reps", type=int, default=3, help="runs per mix (default 3)")
    parser.add_argument("--build-dir", default=str(ROOT / "build"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="karabakh-fronts-") as tmp:
        result = compare(Path(args.build_dir), Path(tmp), args.reps, args.duration)
    print(report(result))
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
