"""Write a reasoned dataset as one release: sorted N-Quads, an Oxigraph store, dumps, a manifest.

Output is byte-identical for the same input: blank nodes get labels derived from what they
describe, lines are sorted, gzip headers carry no time stamp, the manifest has no clock in it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph
from rdflib import BNode, Dataset, Graph, URIRef

from karabakh_kg import figures as dataset_figures
from karabakh_kg import prefixes as prefix_table
from karabakh_kg import rdf_bridge, rdf_writer, releases
from karabakh_kg.build import forked, owl_export

# dump file suffix -> format; the quad formats keep the named graphs, the others hold their union.
QUAD_DUMPS = {"trig": pyoxigraph.RdfFormat.TRIG, "nq": pyoxigraph.RdfFormat.N_QUADS}
TRIPLE_DUMPS = {
    "ttl": pyoxigraph.RdfFormat.TURTLE,
    "nt": pyoxigraph.RdfFormat.N_TRIPLES,
    "jsonld": pyoxigraph.RdfFormat.JSON_LD,
    "rdf": pyoxigraph.RdfFormat.RDF_XML,
}
# The release's files and how they are written: part of the dataset version, so a build made by
# an older writer (other dumps, other prefixes) is rebuilt rather than found "up to date".
FORMAT = "3"
DUMP_NAME = "karabakh-kg"
OWL_DUMP = "owl"  # RDF/XML: ontology + asserted + links, for OWL 2 DL tools (build/owl_export.py)


def write(
    dataset: Dataset | dict[URIRef, Graph],
    build_dir: Path | str,
    *,
    version: str,
    base: str,
    extra: dict | None = None,
    prefixes: dict[str, str] | None = None,
    files: dict[str, bytes] | None = None,
) -> releases.Release:
    """Write `dataset` (named graphs only) as release `version` and make it current.

    `dataset` is an rdflib Dataset, or (what the build passes, and faster: no copy into a Dataset)
    a dict of graph IRI -> Graph, the same bytes for the same graphs.
    `files` are extra artefacts (name -> bytes) written beside the dataset, e.g. the diagram.
    """
    staged = releases.staging_dir(build_dir)
    try:
        prefixes = prefixes or prefix_table.table(base)
        if isinstance(dataset, Dataset):
            dataset = _with_stable_bnodes(dataset, prefixes)
            nquads = _sorted_nquads(dataset)
            counts = {g.identifier: len(g) for g in dataset.graphs() if isinstance(g.identifier, URIRef)}
        else:
            quads, counts = _stable_quads(dataset)
            nquads = _sorted_lines(quads)
        (staged / releases.DATASET).write_bytes(nquads)
        # The dumps (Python serialisers) in a forked process while this one writes the store and counts
        # the figures: as two threads they took turns on the GIL (0.75 and 0.91 s, 1.06 s in all).
        with forked.Forked(
            "the process writing the dumps", _write_dumps, staged / releases.DUMPS, nquads, prefixes, base
        ) as dumps:
            figures = _write_store(staged / releases.STORE, staged / releases.DATASET, base)
            dumps.result()
        (staged / releases.FIGURES).write_bytes(dataset_figures.dumps(figures))
        for name, content in (files or {}).items():
            (staged / name).write_bytes(content)
        graphs = _named_graphs(counts, base)
        manifest = {
            "version": version,
            "base": base,
            "graphs": {name: {"iri": str(iri), "triples": n} for name, iri, n in graphs},
            "triples": sum(n for _, _, n in graphs),
            "dataset_sha256": hashlib.sha256(nquads).hexdigest(),
            "dataset_bytes": len(nquads),
            # checked by `releases.verify` before a server accepts the release
            "dump_files": releases.file_checksums(staged, releases.DUMPS),
            "store_files": releases.file_checksums(staged, releases.STORE),
            "figures_file": figures_checksum(staged),
            **(extra or {}),
        }
        text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        (staged / releases.MANIFEST).write_text(text, encoding="utf-8")
        path = releases.make_current(build_dir, staged, version)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return releases.Release(path, manifest)


def _named_graphs(counts: dict[URIRef, int], base: str) -> list[tuple[str, URIRef, int]]:
    """(name, IRI, triples) of the non-empty named graphs in a fixed order: the project's own
    first, then any others by IRI."""
    own = [f"{base}graph/{n}" for n in ("ontology", "asserted", "links", "inferred")]
    graphs = sorted(
        (iri for iri, n in counts.items() if n),
        key=lambda iri: (own.index(str(iri)) if str(iri) in own else 99, str(iri)),
    )
    return [(str(iri).removeprefix(f"{base}graph/"), iri, counts[iri]) for iri in graphs]


def _stable_quads(graphs: dict[URIRef, Graph]) -> tuple[list[pyoxigraph.Quad], dict[URIRef, int]]:
    """The graphs' triples as Oxigraph quads, blank nodes labelled as `_with_stable_bnodes` labels
    them, and each graph's triple count after labelling; no rdflib copy is made."""
    with_blanks = [
        (s, p, o, g) for g, graph in graphs.items() for s, p, o in graph if isinstance(s, BNode) or isinstance(o, BNode)
    ]
    final = _stable_labels(with_blanks)
    convert = rdf_bridge.Converter()
    for node, label in final.items():
        convert.cache[node] = pyoxigraph.BlankNode(str(label))
    quads, counts = [], {}
    for g, graph in graphs.items():
        name = convert(g)
        triples = {(convert(s), convert(p), convert(o)) for s, p, o in graph}
        counts[g] = len(triples)
        quads.extend(pyoxigraph.Quad(s, p, o, name) for s, p, o in triples)
    return quads, counts


def _with_stable_bnodes(dataset: Dataset, prefixes: dict[str, str]) -> Dataset:
    """Copy `dataset`, relabelling each blank node by a hash of the triples it heads."""
    quads = list(dataset.quads((None, None, None, None)))
    final = _stable_labels(quads)

    def fix(term):
        return final[term] if isinstance(term, BNode) else term

    copy = Dataset()
    for prefix, ns in prefixes.items():
        copy.bind(prefix, ns, override=True, replace=True)
    for s, p, o, g in quads:
        copy.graph(g.identifier if isinstance(g, Graph) else g).add((fix(s), p, fix(o)))
    return copy


def _stable_labels(quads: list) -> dict[BNode, BNode]:
    """Each blank node of `quads` (every quad that has one) -> its label: a hash of the triples it
    heads, or, for one that heads none, of the triples that point at it."""
    outgoing: dict[BNode, list] = {}
    for s, p, o, _ in quads:
        if isinstance(s, BNode):
            outgoing.setdefault(s, []).append((p, o))
    labels: dict[BNode, str] = {}

    def label(node: BNode, seen: frozenset = frozenset()) -> str:
        if node in labels:
            return labels[node]
        if node in seen:  # a cycle through blank nodes: fall back on the predicate shape
            return "cycle"
        parts = sorted(
            f"{p.n3()} {label(o, seen | {node}) if isinstance(o, BNode) else o.n3()}" for p, o in outgoing.get(node, [])
        )
        digest = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]
        labels[node] = digest
        return digest

    for node in sorted(outgoing, key=str):
        label(node)
    taken: dict[str, int] = {}
    final: dict[BNode, BNode] = {}
    for node in sorted(labels, key=lambda n: (labels[n], str(n))):
        n = taken.get(labels[node], 0)
        taken[labels[node]] = n + 1
        final[node] = BNode(f"b{labels[node]}{'' if n == 0 else f'x{n}'}")

    # A blank node that heads no triple is named by the triples that point at it (never by its random id).
    incoming: dict[BNode, list[str]] = {}
    for s, p, o, _ in quads:
        if isinstance(o, BNode) and o not in final:
            head = final[s] if s in final else s
            incoming.setdefault(o, []).append(f"{head.n3()} {p.n3()}")
    for node, refs in sorted(incoming.items(), key=lambda item: sorted(item[1])):
        final[node] = BNode("l" + hashlib.sha256("\n".join(sorted(refs)).encode("utf-8")).hexdigest()[:16])
    return final


def _sorted_nquads(dataset: Dataset) -> bytes:
    return rdf_bridge.nquads(
        (s, p, o, g.identifier) for g in dataset.graphs() if isinstance(g.identifier, URIRef) for s, p, o in g
    )


def _sorted_lines(quads: list[pyoxigraph.Quad]) -> bytes:
    """N-Quads, one sorted line per quad, duplicates removed (as `rdf_bridge.nquads` writes them)."""
    data = pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.N_QUADS) or b""
    return b"\n".join(sorted({line for line in data.splitlines() if line.strip()})) + b"\n"


def _write_store(path: Path, nquads_file: Path, base: str) -> dict:
    """Write the store and count the whole-dataset figures on it (karabakh_kg/figures.py)."""
    store = pyoxigraph.Store(str(path))
    store.bulk_extend(releases.dataset_quads(nquads_file))
    store.flush()
    counted = dataset_figures.compute(store, base)
    del store
    return counted


def figures_checksum(folder: Path) -> dict[str, dict]:
    """The manifest's record of the figures file (checked by `releases.verify` and `releases.figures`)."""
    data = (folder / releases.FIGURES).read_bytes()
    return {releases.FIGURES: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}}


def _write_dumps(folder: Path, nquads: bytes, prefixes: dict[str, str], base: str) -> None:
    """Every serialisation of the dataset, gzipped, from the sorted N-Quads; and the OWL tools' copy.

    Each document is compressed in a thread while the next is written (zlib releases the GIL)."""
    folder.mkdir()
    quads = list(pyoxigraph.parse(nquads, format=pyoxigraph.RdfFormat.N_QUADS))
    triples, seen = [], set()
    for quad in quads:
        if quad.triple not in seen:
            seen.add(quad.triple)
            triples.append(quad.triple)
    with ThreadPoolExecutor(max_workers=2) as gzipping:
        done = []
        for suffix, fmt in QUAD_DUMPS.items():
            data = rdf_writer.serialize(quads, fmt, prefixes)
            done.append(gzipping.submit(_gzip, folder / f"{DUMP_NAME}.{suffix}.gz", data))
        for suffix, fmt in TRIPLE_DUMPS.items():
            data = rdf_writer.serialize(triples, fmt, prefixes)
            done.append(gzipping.submit(_gzip, folder / f"{DUMP_NAME}.{suffix}.gz", data))
        owl = rdf_writer.serialize(owl_export.triples(quads, base), pyoxigraph.RdfFormat.RDF_XML, prefixes)
        done.append(gzipping.submit(_gzip, folder / f"{DUMP_NAME}.{OWL_DUMP}.gz", owl))
        for future in done:
            future.result()  # an OSError surfaces here


def _gzip(path: Path, data: bytes) -> None:
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        out.write(data)
