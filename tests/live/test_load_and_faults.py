"""Load and faults on a real server (`karabakh-kg serve` on 127.0.0.1) serving the real knowledge graph.

Bounded in time (about a minute on 2 cores) and printing its figures:
1. N concurrent clients for T seconds, competency queries (`/queries/<name>`) mixed with linked-data
   pages (`/id/…` 303s, `/doc/…` HTML and Turtle): requests served, errors (must be 0), p50/p99.
2. The same load while a web worker is killed (SIGKILL): only requests in flight at the kill may
   fail; the time until the replacement worker answers is measured.
3. The same load while the build is replaced and the master gets SIGHUP: no error, and no answer
   mixes the old and the new dataset (the version in each ETag agrees with the count in its body,
   the version in /health with its triple count).
4. A reload onto a broken build never serves a partial graph; a start on a missing, truncated or
   corrupt build is refused with a clear message.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
import rdflib

from karabakh_kg import releases
from karabakh_kg.build import release_writer
from support.sec import children_of, percentile, record, request

pytestmark = [pytest.mark.live, pytest.mark.slow]

N = int(os.environ.get("LOAD_CLIENTS", "8"))
T = float(os.environ.get("LOAD_SECONDS", "6"))
KG = "https://w3id.org/karabakh-kg/"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@dataclass
class Done:
    kind: str
    path: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer (connection refused or reset)
    ok: bool
    detail: str = ""
    etag: str = ""
    body: bytes = b""


EXPECTED = {"query": 200, "doc": 200, "ttl": 200, "id": 303, "count": 200, "health": 200}


@pytest.fixture(scope="module")
def server(live_server_factory, good_build):
    return live_server_factory(good_build, workers=2, threads=4, env={"KARABAKH_KG_QUERY_TIMEOUT": "10"})


@pytest.fixture(scope="module")
def mix(server):
    """The requests a client picks from: every competency query and pages of 30 resources."""
    names = [
        q["name"] for q in json.loads(request(server.url, "GET", "/queries/", {"Accept": "application/json"}).body)
    ]
    rows = json.loads(
        request(
            server.url,
            "GET",
            "/sparql?"
            + urlencode(
                {"query": (f"SELECT DISTINCT ?s WHERE {{ ?s a ?t FILTER(STRSTARTS(STR(?s), '{KG}id/')) }} ORDER BY ?s")}
            ),
        ).body
    )
    slugs = [r["s"]["value"][len(KG) + 3 :] for r in rows["results"]["bindings"]]
    slugs = [s for s in slugs if "/" not in s and "." not in s]
    assert len(names) >= 10 and len(slugs) >= 30
    rng = random.Random(6)
    slugs = rng.sample(slugs, 30)
    table = [("query", f"/queries/{n}") for n in names] * 2
    table += [("doc", f"/doc/{s}") for s in slugs] + [("id", f"/id/{s}") for s in slugs[:15]]
    table += [("ttl", f"/doc/{s}.ttl") for s in slugs[:15]]
    return table


def run_load(
    url: str, table: list[tuple[str, str]], clients: int, seconds: float, during=None, extra: list[tuple[str, str]] = ()
) -> tuple[list[Done], dict]:
    """`clients` threads send requests from `table` for `seconds`; `during(t0)` runs meanwhile."""
    results: list[Done] = []
    lock = threading.Lock()
    t0 = time.monotonic()
    stop_at = t0 + seconds
    choices = list(table) + list(extra)

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine = []
        while time.monotonic() < stop_at:
            kind, path = rng.choice(choices)
            headers = {"Accept": "text/html"} if kind == "doc" else {"Accept": "*/*"}
            started = time.monotonic()
            try:
                reply = request(url, "GET", path, headers, timeout=30)
            except (OSError, http.client.HTTPException) as err:  # refused, reset or cut short: no HTTP answer
                mine.append(Done(kind, path, started, time.monotonic(), None, False, type(err).__name__))
                continue
            ok = reply.status == EXPECTED[kind]
            keep = kind in ("count", "health")
            mine.append(
                Done(
                    kind,
                    path,
                    started,
                    time.monotonic(),
                    reply.status,
                    ok,
                    "" if ok else reply.text[:200],
                    reply.headers.get("etag", ""),
                    reply.body if keep else b"",
                )
            )
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    info = during(t0) if during else {}
    for thread in threads:
        thread.join()
    return results, info


def summary(results: list[Done], seconds: float) -> dict:
    served = [r for r in results if r.ok]
    latencies = [r.ended - r.started for r in served]
    return {
        "N": N,
        "T_s": seconds,
        "requests": len(results),
        "served": len(served),
        "errors": len(results) - len(served),
        "rps": round(len(served) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def test_steady_load_serves_every_request(server, mix):
    results, _ = run_load(server.url, mix, N, T)
    figures = summary(results, T)
    kinds = {k: sum(1 for r in results if r.kind == k) for k in EXPECTED}
    print(f"steady load: N={N} clients, T={T:g} s: {figures}, by kind {kinds}")
    record("load", **figures)
    failures = [(r.path, r.status, r.detail) for r in results if not r.ok]
    assert failures == [], failures[:5]
    assert figures["served"] >= N * 5, "the server hardly answered"
    assert all(kinds[k] > 0 for k in ("query", "doc", "id", "ttl"))


def workers_of(master: int) -> list[int]:
    return children_of(master)


def test_killing_a_worker_fails_only_requests_in_flight(server, mix):
    master = server.process.pid
    before = workers_of(master)
    assert len(before) == 2

    def kill_one(t0: float) -> dict:
        time.sleep(T / 3)  # let the load run a while before the fault, not waiting for readiness
        victim = next(w for w in before if children_of(w)) if any(children_of(w) for w in before) else before[0]
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        replacement, replaced_at, serving_at = None, None, None
        deadline = killed_at + 20
        while time.monotonic() < deadline and serving_at is None:
            if replacement is None:
                new = [w for w in workers_of(master) if w not in before]
                if new:
                    replacement, replaced_at = new[0], time.monotonic()
            if replacement is not None and children_of(replacement):  # booted, its query process started: ready
                serving_at = time.monotonic()
            time.sleep(0.01)  # polling the process table
        return {
            "victim": victim,
            "killed_at": killed_at,
            "replacement": replacement,
            "replaced_s": (replaced_at or float("nan")) - killed_at,
            "recovered_s": (serving_at or float("nan")) - killed_at,
        }

    results, info = run_load(server.url, mix, N, T, during=kill_one)
    killed_at = info["killed_at"]
    failed = [r for r in results if not r.ok]
    in_flight = [r for r in results if r.started <= killed_at <= r.ended]
    after = [r for r in results if r.started > killed_at]
    figures = summary(results, T)
    figures.update(
        failed=len(failed),
        in_flight_at_kill=len(in_flight),
        replacement_started_s=round(info["replaced_s"], 2),
        recovered_s=round(info["recovered_s"], 2),
        served_after_kill=sum(1 for r in after if r.ok),
    )
    print(f"kill a worker under load: N={N}, T={T:g} s: {figures}")
    record("kill_worker", **figures)
    late = [(r.path, r.status, r.detail) for r in failed if r.started > killed_at]
    assert late == [], f"requests started after the kill failed: {late[:5]}"
    assert len(failed) <= len(in_flight)
    assert info["replacement"] is not None and info["recovered_s"] < 15
    assert figures["served_after_kill"] > 0


def add_release(build_dir: Path, version: str) -> releases.Release:
    """A new release: the current dataset plus one triple (so a COUNT tells the versions apart)."""
    current = releases.open_current(build_dir)
    dataset = rdflib.Dataset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset.parse(str(current.dataset), format="nquads")
        dataset.graph(rdflib.URIRef(KG + "graph/asserted")).add(
            (rdflib.URIRef(KG + "id/reload-marker"), rdflib.RDFS.label, rdflib.Literal("reload marker", lang="en"))
        )
    return release_writer.write(dataset, build_dir, version=version, base=current.manifest["base"])


def test_reload_under_load_swaps_atomically(server, mix, good_build):
    old = releases.open_current(good_build)
    old_count = sum(g["triples"] for g in old.manifest["graphs"].values())
    new = add_release(good_build, "reload-" + os.urandom(4).hex())
    os.replace(good_build / "current", good_build / "current.new")  # keep serving old until the HUP
    os.symlink(old.path.relative_to(good_build), good_build / "current")
    counts = {old.version: old_count, new.version: old_count + 1}
    extra = [("count", "/sparql?" + urlencode({"query": COUNT}))] * 20 + [("health", "/health")] * 20

    def reload(t0: float) -> dict:
        time.sleep(T / 3)  # let the load run a while first
        os.replace(good_build / "current.new", good_build / "current")
        hup_at = time.monotonic()
        os.kill(server.process.pid, signal.SIGHUP)
        return {"hup_at": hup_at}

    results, info = run_load(server.url, mix, N, T, during=reload, extra=extra)
    hup_at = info["hup_at"]
    mixed, seen = [], {old.version: 0, new.version: 0}
    last_old, first_new = None, None
    for r in sorted(results, key=lambda r: r.ended):
        if not r.ok or r.kind not in ("count", "health"):
            continue
        if r.kind == "count":
            version = re.match(r'W/"(.+)-[0-9a-f]{16}"', r.etag).group(1)
            n = int(json.loads(r.body)["results"]["bindings"][0]["n"]["value"])
        else:
            health = json.loads(r.body)
            version, n = health["version"], health["triples"]
        if counts.get(version) != n:
            mixed.append((r.kind, version, n))
        seen[version] = seen.get(version, 0) + 1
        if version == old.version:
            last_old = r.ended
        elif first_new is None:
            first_new = r.ended
    failed = [(r.path, r.status, r.detail) for r in results if not r.ok]
    figures = summary(results, T)
    figures.update(
        old_answers=seen[old.version],
        new_answers=seen[new.version],
        first_new_after_hup_s=round((first_new or float("nan")) - hup_at, 2),
        last_old_after_hup_s=round((last_old or hup_at) - hup_at, 2),
        mixed=len(mixed),
    )
    print(f"reload under load: N={N}, T={T:g} s: {figures}")
    record("reload", **figures)
    assert mixed == [], mixed[:5]
    assert failed == [], failed[:5]
    assert seen[old.version] > 0 and seen[new.version] > 0
    final = json.loads(request(server.url, "GET", "/health").body)
    assert final["version"] == new.version


def test_reload_onto_a_broken_build_keeps_serving_the_last_good_one(server, good_build, tmp_path):
    """`current` pointing at a truncated release, then SIGHUP: no worker serves a partial graph,
    and the server goes on serving the last good build."""
    good = releases.open_current(good_build)
    broken = good_build / "releases" / "broken"
    shutil.copytree(good.path, broken, symlinks=True)
    data = (broken / "dataset.nq").read_bytes()
    (broken / "dataset.nq").write_bytes(data[: len(data) // 2])
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["version"] = "broken"
    (broken / "manifest.json").write_text(json.dumps(manifest))
    link = good_build / "current.tmp"
    os.symlink(Path("releases") / "broken", link)
    os.replace(link, good_build / "current")
    os.kill(server.process.pid, signal.SIGHUP)
    answers, refused = {}, 0
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        try:
            reply = request(server.url, "GET", "/health", timeout=5)
        except OSError:
            refused += 1
            if server.process.poll() is not None:
                break
            time.sleep(0.05)  # polling while the server restarts its workers
            continue
        version = json.loads(reply.body)["version"] if reply.status == 200 else f"status {reply.status}"
        answers[version] = answers.get(version, 0) + 1
        time.sleep(0.05)
    alive = server.process.poll() is None
    log_tail = server.log()[-3000:]
    print(
        f"reload onto a broken build: answers by version {answers}, refused connections {refused}, "
        f"master alive: {alive}"
    )
    record("reload_broken_build", answers=json.dumps(answers), refused_connections=refused, master_alive=alive)
    assert "broken" not in answers, "a worker served the truncated build"
    assert "truncated" in log_tail, "the log does not say why the build was refused"
    assert alive and refused == 0, f"the server went down on a reload onto a broken build:\n{log_tail}"
    assert set(answers) == {good.version}


def serve(build_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "karabakh_kg.cli", "serve", "--port", "0", "--build-dir", str(build_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("damage", ["missing manifest", "missing dataset", "dangling current", "empty dataset"])
def test_start_on_a_broken_build_is_refused_clearly(damage, kg_build, tmp_path):
    build = tmp_path / "build"
    shutil.copytree(kg_build, build, symlinks=True)
    release = (build / "current").resolve()
    if damage == "missing manifest":
        (release / "manifest.json").unlink()
    elif damage == "missing dataset":
        (release / "dataset.nq").unlink()
    elif damage == "dangling current":
        shutil.rmtree(release)
    else:
        (release / "dataset.nq").write_bytes(b"")
    done = serve(build)
    assert done.returncode == 2, done.stderr
    assert "cannot start" in done.stderr and "Traceback" not in done.stderr
    assert "Listening at" not in done.stderr
    record("startup_refusals", **{damage: done.stderr.strip().splitlines()[-1][:160]})
