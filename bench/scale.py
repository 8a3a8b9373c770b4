"""A servable release of synthetic data: generate, reason with the rules reasoner, write.

Run in its own process by bench/run.py so that its peak RSS is the reasoner's (load + closure):

    python bench/scale.py --triples 1000000 --seed 1 --build-dir bench/.work/1m

prints one JSON line: sizes, reasoning seconds and rounds, peak RSS. The release has the same
layout as `karabakh-kg build`'s (manifest, dataset.nq, store/), so `karabakh-kg serve
--build-dir` and `oxigraph load` take it as they take the article's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from importlib import resources as res
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402
from karabakh_kg import releases  # noqa: E402
from karabakh_kg.build import rules
from karabakh_kg.namespaces import DEFAULT_BASE, IRIs  # noqa: E402

QUERIES = Path(__file__).resolve().parent.parent / "queries" / "bench"


def graph_sizes(store: ox.Store) -> dict[str, int]:
    text = (QUERIES / "graph-sizes.rq").read_text("utf-8")
    return {row["g"].value: int(row["n"].value) for row in store.query(text)}


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
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--build-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(build(args.triples, args.seed, args.build_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
