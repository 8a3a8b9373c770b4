"""Find and parse the build's inputs: ontology, shapes, curated facts, articles, names and links.

Inputs come from the installed package (so a non-editable install still finds them) or from a
source folder laid out like the repository (`ontology/`, `data/`), which is how tests feed the
build broken copies. Turtle is syntax-checked with Oxigraph first because its errors carry line
and column.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pyoxigraph
from rdflib import Graph

from karabakh_kg.errors import InputError
from karabakh_kg.rdf_bridge import to_rdflib


@dataclass
class Sources:
    """Paths of every input file, grouped by role."""

    root: Path | None
    ontology: list[Path] = field(default_factory=list)
    shapes: list[Path] = field(default_factory=list)
    facts: list[Path] = field(default_factory=list)
    articles: list[Path] = field(default_factory=list)
    links: list[Path] = field(default_factory=list)
    ids: list[Path] = field(default_factory=list)
    names: list[Path] = field(default_factory=list)
    pairs: list[Path] = field(default_factory=list)

    def all_files(self) -> list[Path]:
        files = [*self.ontology, *self.shapes, *self.facts, *self.articles, *self.links, *self.ids]
        return [*files, *self.names, *self.pairs]

    def digest(self, *salt: str) -> str:
        """A hash of every input's name and bytes (plus `salt`): the dataset version."""
        h = hashlib.sha256()
        for part in salt:
            h.update(part.encode("utf-8") + b"\0")
        for path in sorted(self.all_files(), key=lambda p: (p.parent.name, p.name)):
            h.update(f"{path.parent.name}/{path.name}".encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
        return h.hexdigest()[:16]


def locate(source: Path | str | None = None) -> Sources:
    """Collect the input files from `source` (a repository-like folder) or the installed package."""
    if source is None:
        ontology_dir = Path(str(resources.files("karabakh_kg.ontology")))
        data_dir = Path(str(resources.files("karabakh_kg.data")))
        root = None
    else:
        root = Path(source)
        ontology_dir, data_dir = root / "ontology", root / "data"
        for folder in (ontology_dir, data_dir):
            if not folder.is_dir():
                raise InputError(f"{folder}: missing folder (expected ontology/ and data/ under {root})")
    found = Sources(
        root=root,
        ontology=sorted(p for p in ontology_dir.glob("*.ttl") if p.name != "shapes.ttl"),
        shapes=sorted(ontology_dir.glob("shapes.ttl")),
        facts=sorted((data_dir / "facts").glob("*.ttl")),
        articles=sorted((data_dir / "articles").glob("*.txt")),
        links=sorted((data_dir / "links").glob("links.tsv")),
        ids=sorted((data_dir / "links").glob("ids.tsv")),
        names=sorted((data_dir / "mentions").glob("names.tsv")),
        pairs=sorted((data_dir / "links").glob("wikidata-geonames.tsv")),
    )
    for role in ("ontology", "shapes", "facts", "articles"):
        if not getattr(found, role):
            raise InputError(f"{ontology_dir if role in ('ontology', 'shapes') else data_dir}: no {role} files found")
    return found


def parse_turtle(path: Path) -> Graph:
    """Parse one Turtle file, or raise InputError naming file:line:column and the parser's message.

    Oxigraph parses (fast, and its errors carry positions); the triples are handed to rdflib once,
    with the file's prefixes, for the stages that need an rdflib graph (SHACL, owlrl).
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from None
    parser = pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE, base_iri=path.as_uri())
    graph = Graph(bind_namespaces="core")
    try:
        for quad in parser:
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    except SyntaxError as err:
        raise InputError(f"{path}:{err.lineno}:{err.offset}: Turtle syntax error: {err.msg}") from None
    except ValueError as err:  # e.g. invalid UTF-8
        raise InputError(f"{path}: not valid Turtle: {err}") from None
    for prefix, namespace in parser.prefixes.items():
        graph.bind(prefix, namespace, override=True)
    return graph


def parse_all(paths: list[Path]) -> Graph:
    """Parse and merge several Turtle files, reporting every broken file at once."""
    merged, problems = Graph(bind_namespaces="core"), []
    for path in paths:
        try:
            graph = parse_turtle(path)
        except InputError as err:
            problems.extend(err.problems)
            continue
        merged += graph
        for prefix, ns in graph.namespaces():
            merged.bind(prefix, ns, override=False)
    if problems:
        raise InputError(problems)
    return merged


def line_of(path: Path, needle: str) -> int | None:
    """The 1-based line where `needle` first appears in a text file, to point errors at it."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if needle in line:
                return number
    except (OSError, UnicodeDecodeError):
        return None
    return None
