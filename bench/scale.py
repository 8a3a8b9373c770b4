"""A servable release of synthetic data: generate, reason with the rules reasoner, write; and
measure it served.

Run in its own process by bench/run.py so that its peak RSS is the reasoner's (load + closure):

    python bench/scale.py --triples 1000000 --seed 1 --build-dir bench/.work/1m

prints one JSON line: sizes, reasoning seconds and rounds, peak RSS. The release has the same
layout as `karabakh-kg build`'s (manifest, dataset.nq, store/, figures.json), so `karabakh-kg
serve --build-dir` and `oxigraph load` take it as they take the article's.

    python bench/scale.py --measure --build-dir bench/.work/1m [--reuse]

then serves it (our server, its default front and settings, 127.0.0.1) and prints, against the
targets: every competency query in-process (pyoxigraph on the same store) and served (each text
made unique, so no cache answers it); the first (cold) view of home, a resource page, the
timeline and VoID right after start-up; a resource page's p50/p95 over distinct resources; the
serving process tree's peak RSS. `--reuse` measures the release already there.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import resource
import shutil
import sys
import time
from importlib import resources as res
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import generate  # noqa: E402
import latency  # noqa: E402
from karabakh_kg import figures, releases  # noqa: E402
from karabakh_kg.build import release_writer, rules  # noqa: E402
from karabakh_kg.namespaces import DEFAULT_BASE, IRIs  # noqa: E402

QUERIES = Path(__file__).resolve().parent.parent / "queries" / "bench"


def graph_sizes(store: ox.Store) -> dict[str, int]:
    text = (QUERIES / "graph-sizes.rq").read_text("utf-8")
    return {row["g"].value: int(row["n"].value) for row in store.query(text)}


def checksums(folder: Path) -> dict:
    """A dump (N-Quads, gzip) and the checksums `releases.verify` wants before a server accepts a release."""
    (folder / releases.DUMPS).mkdir(exist_ok=True)
    dump = folder / releases.DUMPS / f"{release_writer.DUMP_NAME}.nq.gz"
    with open(folder / releases.DATASET, "rb") as source, open(dump, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=1) as out:
            shutil.copyfileobj(source, out, 1 << 20)
    return {
        "dump_files": releases.file_checksums(folder, releases.DUMPS),
        "store_files": releases.file_checksums(folder, releases.STORE),
    }


def build(triples: int, seed: int, build_dir: Path) -> dict:
    iris = IRIs(DEFAULT_BASE)
    g = {name: ox.NamedNode(str(iris.graph(name))) for name in ("ontology", "asserted", "inferred")}
    staged = releases.staging_dir(build_dir)
    source = staged / "asserted.nt"
    generate.write(source, triples, seed)
    started = time.perf_counter()
    store = ox.Store()
    ontology = res.files("karabakh_kg.ontology").joinpath("karabakh.ttl").read_bytes()
    store.load(ontology, ox.RdfFormat.TURTLE, to_graph=g["ontology"])
    store.bulk_load(path=str(source), format=ox.RdfFormat.N_TRIPLES, to_graph=g["asserted"])
    loaded = time.perf_counter() - started
    stats = rules.reason_in_store(store, [g["asserted"], g["ontology"]], g["inferred"])
    sizes = graph_sizes(store)
    dataset = staged / releases.DATASET
    store.dump(output=str(dataset), format=ox.RdfFormat.N_QUADS)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    del store
    disk = ox.Store(str(staged / releases.STORE))
    disk.bulk_load(path=str(dataset), format=ox.RdfFormat.N_QUADS)
    disk.flush()
    started = time.perf_counter()
    (staged / releases.FIGURES).write_bytes(figures.dumps(figures.compute(disk, DEFAULT_BASE)))
    figures_s = time.perf_counter() - started
    del disk
    source.unlink()
    data = dataset.read_bytes()
    version = f"synthetic-{triples}-{seed}"
    manifest = {
        "version": version,
        "base": DEFAULT_BASE,
        "package_version": "bench",
        "graphs": {name: {"iri": node.value, "triples": sizes.get(node.value, 0)} for name, node in g.items()},
        "triples": sum(sizes.values()),
        "dataset_sha256": hashlib.sha256(data).hexdigest(),
        "dataset_bytes": len(data),
        "reasoner": "rules",
        "figures_file": release_writer.figures_checksum(staged),
        **checksums(staged),
    }
    (staged / releases.MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    releases.make_current(build_dir, staged, version, keep=1)
    return {
        "target": triples,
        "asserted": sizes.get(g["asserted"].value, 0),
        "inferred": stats.inferred,
        "total": manifest["triples"],
        "load_s": round(loaded, 2),
        "reason_s": round(stats.seconds, 2),
        "rounds": [stats.schema_rounds, stats.data_rounds],
        "peak_rss_mb": peak,
        "figures_s": round(figures_s, 2),
    }


HUBS = ("azerbaijan", "aghdam", "ilham-aliyev")  # the generator's named entities: the most linked
PAGE_TARGETS = {"resource_p95_ms": 100.0, "cold_ms": 1000.0, "rss_mb": 1024.0, "query_timeout_s": 10.0}


def sample_resources(release: Path, n: int, seed: int = 1) -> list[str]:
    """`n` distinct resource IRIs of every class, from the figures the build counted (home page lists)."""
    counted = json.loads((release / releases.FIGURES).read_text("utf-8"))
    found = sorted({s for entry in counted["home_classes"] for s, _ in entry["first"]})
    found = [iri for iri in found if iri.rsplit("/", 1)[-1] not in HUBS]
    return sorted(random.Random(seed).sample(found, min(n, len(found))))


def get_page(port: int, iri: str, accept: str = "text/html") -> tuple[int, float]:
    path = "/doc/" + iri.removeprefix(DEFAULT_BASE + "id/") if iri.startswith(DEFAULT_BASE) else iri
    status, _, seconds = common.request(port, path, accept, timeout=60)
    return status, round(seconds * 1000, 1)


def measure(build_dir: Path, workdir: Path, pages: int = 100) -> dict:
    """Competency queries in-process and served, pages cold and warm, serving RSS (see the docstring)."""
    release = (build_dir / "current").resolve()
    queries = common.competency_queries()
    out: dict = {"triples": json.loads((release / releases.MANIFEST).read_text("utf-8"))["triples"]}
    out["load_before"] = os.getloadavg()
    out["in_process"] = latency.in_process(release / "store", queries, 3, max_rows=10_000, limit=30)
    (workdir / "in-process.json").write_text(json.dumps(out["in_process"], indent=1), encoding="utf-8")
    server = common.ours("ours", build_dir)
    started = server.start(workdir)
    try:
        out["startup_s"] = round(server.wait_ready(common.bench_query("ask-trivial"), None, started), 3)
        sampler = common.MemorySampler(server.process.pid)
        cold = {}
        sample = sample_resources(release, pages)
        for name, path, accept in (
            ("home", "/", "text/html"),
            ("resource page", "/doc/" + sample[0].removeprefix(DEFAULT_BASE + "id/"), "text/html"),
            ("timeline", "/timeline", "text/html"),
            ("VoID (Turtle)", "/.well-known/void", "text/turtle"),
            ("VoID (HTML)", "/.well-known/void", "text/html"),
        ):
            status, _, seconds = common.request(server.port, path, accept, timeout=60)
            cold[name] = {"status": status, "ms": round(seconds * 1000, 1)}
        out["cold"] = cold
        times, statuses = [], set()
        for iri in sample[1:]:
            status, ms = get_page(server.port, iri)
            statuses.add(status)
            times.append(ms)
        out["resource_pages"] = {
            "n": len(times),
            "p50_ms": common.pct(times, 0.5),
            "p95_ms": common.pct(times, 0.95),
            "max_ms": max(times),
            "statuses": sorted(statuses),
        }
        out["hubs"] = {h: get_page(server.port, DEFAULT_BASE + "id/" + h) for h in HUBS}
        served = latency.latencies(server, queries, 3, cold=True, timeout=30)
        # An answer over the row limit is refused (400, "add LIMIT 10000"): measure it as a client
        # then sends it, which is also what the in-process figure times (the first 10,000 rows).
        over = {n: q + "\nLIMIT 10000" for n, q in queries.items() if served[n]["statuses"] == ["400"]}
        served.update(
            {n: {**v, "limited": True} for n, v in latency.latencies(server, over, 3, cold=True, timeout=30).items()}
        )
        out["served"] = {
            n: {"median_ms": v["median_ms"], "statuses": v["statuses"], "limited": v.get("limited", False)}
            for n, v in served.items()
        }
        out["http_overhead_ms"] = latency.latencies(server, {"ask": common.bench_query("ask-trivial")}, 20, cold=True)[
            "ask"
        ]["median_ms"]
        out["rss_mb"] = round(sampler.stop(), 1)
    finally:
        server.stop()
    out["load_after"] = os.getloadavg()
    return out


def report(m: dict) -> str:
    """The measurement as text: each figure beside its target."""
    t = PAGE_TARGETS
    lines = [f"{m['triples']:,} triples; load average {m['load_before'][0]:.2f} before, {m['load_after'][0]:.2f} after"]
    add = lines.append
    add(f"start-up to first answer: {m['startup_s']} s; HTTP overhead (ASK, uncached) {m['http_overhead_ms']} ms")
    add(
        f"serving RSS (process tree, peak): {m['rss_mb']:.0f} MB (target < {t['rss_mb']:.0f}): "
        + ("met" if m["rss_mb"] < t["rss_mb"] else "MISSED")
    )
    add("first (cold) views, target < 1,000 ms each:")
    for name, v in m["cold"].items():
        add(
            f"  {name:<16} {v['ms']:>9,.1f} ms  status {v['status']}  "
            + ("met" if v["ms"] < t["cold_ms"] and v["status"] == 200 else "MISSED")
        )
    r = m["resource_pages"]
    add(
        f"resource pages ({r['n']} distinct, uncached): p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms (target < 100), "
        f"max {r['max_ms']} ms, statuses {r['statuses']}: "
        + ("met" if r["p95_ms"] < t["resource_p95_ms"] else "MISSED")
    )
    add("  most linked resources: " + ", ".join(f"{h} {ms} ms ({status})" for h, (status, ms) in m["hubs"].items()))
    add("competency queries (ms; served = uncached over HTTP; target: served <= 2x in-process + 2x overhead, < 10 s):")
    overhead = m["http_overhead_ms"] or 0
    for name in m["in_process"]:
        inp = m["in_process"][name].get("median_ms")
        srv = m["served"][name]["median_ms"]
        ok = inp is not None and srv is not None and srv <= 2 * inp + 2 * overhead and srv < t["query_timeout_s"] * 1000
        ratio = f"{srv / inp:.2f}x" if inp and srv else "-"
        limited = " (LIMIT 10000: over the row limit)" if m["served"][name].get("limited") else ""
        add(
            f"  {name:<22} in-process {inp if inp is not None else 'over 30 s':>10}  served {srv if srv is not None else m['served'][name]['statuses']!s:>10}  {ratio:>7}  "
            + ("ok" if ok else "MISSED")
            + limited
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--measure", action="store_true", help="serve the release and measure it")
    parser.add_argument("--reuse", action="store_true", help="measure the release already in --build-dir")
    parser.add_argument("--pages", type=int, default=100, help="distinct resource pages for the p95")
    parser.add_argument("--json", type=Path, help="also write the measurement here")
    args = parser.parse_args(argv)
    if not args.reuse:
        if args.triples is None:
            parser.error("--triples is required unless --reuse")
        print(json.dumps(build(args.triples, args.seed, args.build_dir)), flush=True)
    if args.measure:
        workdir = args.build_dir / "measure"
        workdir.mkdir(parents=True, exist_ok=True)
        m = measure(args.build_dir, workdir, args.pages)
        if args.json:
            args.json.write_text(json.dumps(m, indent=1) + "\n", encoding="utf-8")
        print(report(m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
