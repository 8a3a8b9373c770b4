"""Turn the user's own RDF files into a plain release, so `serve --dataset` answers over them.

The files are parsed by Oxigraph (every problem is refused with file:line:column before anything
is served), written as an ordinary release (sorted N-Quads, a read-only Oxigraph store, a
manifest) and flagged plain (`"kind": "dataset"`): the server then offers only the SPARQL routes, the
Graph Store read side, /health and the Service Description — no reasoning, no linked-data pages.

Graph names: a quad file (TriG, N-Quads) keeps its named graphs; the triples of a triples file
(Turtle, N-Triples, RDF/XML, JSON-LD), and the default-graph triples of a quad file, go into a
named graph named by the file's `file:` IRI, or by the IRI given with `--graph` (the n-th
`--graph` names the n-th triples file). Terms are kept exactly as written (no literal
normalisation), blank nodes are kept apart file by file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyoxigraph as ox

from karabakh_kg import releases
from karabakh_kg.errors import InputError

QUAD_FORMATS = {".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS}
TRIPLE_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}


def graph_names(files: list[Path], graphs: list[str]) -> dict[Path, str]:
    """The graph IRI each file's triples go to (raises InputError on a bad `--graph`)."""
    triple_files = [f for f in files if f.suffix.lower() not in QUAD_FORMATS]
    if len(graphs) > len(triple_files):
        raise InputError(
            f"{len(graphs)} --graph IRIs for {len(triple_files)} triples file(s): "
            "give at most one --graph per Turtle, N-Triples, RDF/XML or JSON-LD file"
        )
    names = {f: f.resolve().as_uri() for f in files}
    for path, iri in zip(triple_files, graphs, strict=False):  # fewer --graph than files: the rest keep file IRIs
        try:
            ox.NamedNode(iri)
        except ValueError as err:
            raise InputError(f"--graph {iri!r} is not an absolute IRI ({err})") from None
        names[path] = iri
    return names


def load(files: list[Path], graphs: list[str] = ()) -> list[ox.Quad]:
    """Every quad of the files; raise InputError naming file:line:column for each bad file."""
    problems: list[str] = []
    quads: list[ox.Quad] = []
    names = graph_names(files, list(graphs))
    for path in files:
        suffix = path.suffix.lower()
        fmt = QUAD_FORMATS.get(suffix) or TRIPLE_FORMATS.get(suffix)
        if fmt is None:
            known = ", ".join(sorted(QUAD_FORMATS) + sorted(TRIPLE_FORMATS))
            problems.append(f"{path}: unknown RDF format {suffix or '(no suffix)'!r}; use one of {known}")
            continue
        target = ox.NamedNode(names[path])
        try:
            for quad in ox.parse(path=str(path), format=fmt, base_iri=path.resolve().as_uri(), rename_blank_nodes=True):
                if isinstance(quad.graph_name, ox.DefaultGraph):
                    quad = ox.Quad(quad.subject, quad.predicate, quad.object, target)
                quads.append(quad)
        except SyntaxError as err:
            where = f"{path}:{err.lineno}:{err.offset}" if err.lineno else str(path)
            problems.append(f"{where}: {err.msg}")
        except (OSError, ValueError) as err:
            problems.append(f"{path}: cannot read it ({err})")
    if problems:
        raise InputError(problems)
    return quads


def write(files: list[Path], build_dir: Path, base: str, graphs: list[str] = ()) -> releases.Release:
    """Parse `files` and write them as the current release of `build_dir` (a plain dataset)."""
    quads = load(files, graphs)
    lines = sorted(set(ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode("utf-8").splitlines(True)))
    nquads = "".join(lines).encode("utf-8")
    counts: dict[str, int] = {}
    for quad in ox.parse(nquads, format=ox.RdfFormat.N_QUADS):
        counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
    digest = hashlib.sha256(nquads).hexdigest()
    staged = releases.staging_dir(build_dir)
    try:
        (staged / releases.DATASET).write_bytes(nquads)
        store = ox.Store(str(staged / releases.STORE))
        store.bulk_extend(releases.dataset_quads(staged / releases.DATASET))
        store.flush()
        del store
        manifest = {
            "kind": releases.PLAIN,
            "version": "dataset-" + digest[:16],
            "base": base,
            "sources": [str(f) for f in files],
            "graphs": {f"g{i}": {"iri": iri, "triples": n} for i, (iri, n) in enumerate(sorted(counts.items()), 1)},
            "triples": len(lines),
            "dataset_sha256": digest,
            "dataset_bytes": len(nquads),
            # checked by `releases.verify` before a server accepts the release (a plain one has no dumps)
            "store_files": releases.file_checksums(staged, releases.STORE),
            "dump_files": {},
        }
        (staged / releases.MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        path = releases.make_current(build_dir, staged, manifest["version"])
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return releases.Release(path, manifest)
