"""The build pipeline: load → ground quotes and names → validate → reason → write one release.

A failed build never touches the current release.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import resources
from pathlib import Path

import pyoxigraph
from rdflib import OWL, Graph, URIRef

from karabakh_kg import __version__, query_files, rdf_bridge, releases
from karabakh_kg import prefixes as prefix_table
from karabakh_kg.build import (
    diagram,
    grounding,
    hints,
    links,
    names,
    reasoning,
    release_writer,
    rules,
    sources,
    statements,
    validation,
)
from karabakh_kg.errors import InputError, OutputError
from karabakh_kg.namespaces import DEFAULT_BASE, IRIs

# name -> closure(ontology, asserted) -> (inferred, dropped noise counts); both give the same triples on the article.
REASONERS = {"owlrl": reasoning.closure, "rules": rules.closure}


def build(
    source: Path | None,
    build_dir: Path,
    *,
    force: bool = False,
    base: str = DEFAULT_BASE,
    reasoner: str = "owlrl",
    article_text: bool = True,
) -> tuple[releases.Release, bool]:
    """Build the dataset unless the current release already has these inputs; return (release, built?).

    `article_text=False` publishes the article without its full text (quotes and offsets only), for
    a publisher who may not republish it (ontology/README.md, "Rights").
    """
    src = sources.locate(source)
    version = src.digest(
        __version__,
        release_writer.FORMAT,
        base,
        reasoner,
        "with article text" if article_text else "quotes only",
        code_digest(),
    )
    if not force:
        try:
            current = releases.open_current(build_dir)
            if current.version == version and current.manifest.get("store_files"):  # older builds lack checksums
                return current, False
        except releases.ReleaseError:
            pass
    with ThreadPoolExecutor(max_workers=1) as drawing:  # `dot` draws the diagram while the build goes on
        drawn: list[Future] = []

        def draw(ontology: Graph) -> None:
            if diagram.available():
                drawn.append(drawing.submit(diagram.render, diagram.dot_source(ontology)))

        graphs, extra = assemble(src, IRIs(base), reasoner, article_text, on_ontology=draw)
        try:
            files = {"diagram.svg": drawn[0].result()} if drawn else {}
            release = release_writer.write(
                graphs, build_dir, version=version, base=base, extra=extra, prefixes=extra["prefixes"], files=files
            )
        except OSError as err:
            raise OutputError(f"cannot write the build to {build_dir}: {err.strerror or err}") from None
    return release, True


def assemble(
    src: sources.Sources,
    iris: IRIs,
    reasoner: str = "owlrl",
    article_text: bool = True,
    on_ontology: Callable[[Graph], None] | None = None,
) -> tuple[dict[URIRef, Graph], dict]:
    """Every step short of writing: the dataset's four named graphs (IRI -> graph, in the order
    ontology, asserted, links, inferred) and the manifest's extras. `on_ontology` is called with
    the ontology (read and checked) while the reasoner runs."""
    ontology = sources.parse_all(src.ontology)
    shapes = sources.parse_all(src.shapes)
    facts = sources.parse_all(src.facts)
    _check_version(ontology, iris, src.ontology[0])
    if len(src.articles) != 1:
        raise InputError(f"expected exactly one article in data/articles/, found {len(src.articles)}")
    article = grounding.load_article(src.articles[0], iris)
    asserted = facts + grounding.describe_article(article, iris, with_text=article_text)
    mentions = grounding.ground(asserted, article, iris, src.facts)
    asserted += mentions
    asserted += statements.statements(facts, mentions, article, iris, src.facts, labels=ontology)
    if src.names:
        asserted += names.ground(facts, ontology, article, iris, src.names[0])
    # Oxigraph copies, each term converted once: `store` for the derivations and the checks (the
    # asserted facts, the ontology, the day bounds), `shacl_store` for the shapes' SPARQL
    # constraints (the asserted facts and the ontology, the data pySHACL validates).
    convert = rdf_bridge.Converter()
    asserted_quads, ontology_quads = (
        rdf_bridge.quads(asserted, convert=convert),
        rdf_bridge.quads(ontology, convert=convert),
    )
    store = pyoxigraph.Store()
    store.extend(asserted_quads)
    bounds = derive(store, "time-bounds-instants")
    rdf_bridge.to_store(bounds, store)
    intervals = derive(store, "time-bounds-intervals")
    rdf_bridge.to_store(intervals, store)
    store.extend(ontology_quads)
    bounds += intervals
    shacl_store = pyoxigraph.Store()
    shacl_store.extend(asserted_quads)
    shacl_store.extend(ontology_quads)

    with reasoning.Background(ontology, (asserted, bounds), REASONERS[reasoner]) as background:
        if on_ontology is not None:  # after the fork: the child inherits no thread the callback starts
            on_ontology(ontology)
        validation.validate(_with_prefixes(asserted, facts), store, shapes, ontology, src.facts, shacl_store)
        external = Graph()
        if src.links and src.ids:
            pairs = src.pairs[0] if src.pairs else None
            external = links.build_links(src.links[0], src.ids[0], iris, set(facts.subjects()), pairs)
        try:
            inferred, dropped = background.result()
        except InputError as err:  # name the clashing triples, their lines and the axioms behind them
            files = [*src.facts, *src.ontology]
            raise InputError(
                [hints.explain_clash(p, ontology, asserted, files, iris.base) for p in err.problems]
            ) from None
    inferred += bounds
    for triple in [t for t in inferred if t in asserted]:  # what is asserted is not inferred
        inferred.remove(triple)
    prefixes = prefix_table.table(iris.base)
    graphs = {iris.graph("ontology"): ontology, iris.graph("asserted"): asserted}
    graphs.update({iris.graph("links"): external, iris.graph("inferred"): inferred})
    extra = {
        "package_version": __version__,
        "article": {
            "iri": str(article.iri),
            "sha256": article.sha256,
            "date": article.date,
            "characters": len(article.text),
        },
        "dropped": dict(sorted(dropped.items())),
        "mentions": len(set(asserted.subjects(predicate=None, object=iris.kgo.Mention))),
        "reasoner": reasoner,
        "prefixes": prefixes,
    }
    return graphs, extra


# The code a release is made by: the package's own modules (its base and build/) and the queries
# the build runs; with the versions of the libraries it builds with. Part of the release version,
# so changed code rebuilds without --force (about 5 ms: some 100 small files are read).
CODE = (
    ("karabakh_kg", "*.py"),
    ("karabakh_kg.build", "*.py"),
    ("karabakh_kg.queries.build", "*.rq"),
    ("karabakh_kg.queries.checks", "*.rq"),
    ("karabakh_kg.queries.rules", "*.rq"),
)
LIBRARIES = ("rdflib", "pyoxigraph", "pyshacl", "owlrl")


def code_digest(code: tuple[tuple[str, str], ...] = CODE) -> str:
    """A hash of the build's code: the names and bytes of the files `code` lists (package, glob
    pattern), and the libraries' versions."""
    digest = hashlib.sha256()
    for package, pattern in code:
        for path in sorted(Path(str(resources.files(package))).glob(pattern)):
            digest.update(f"{package}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    for name in LIBRARIES:
        digest.update(f"{name} {getattr(importlib.import_module(name), '__version__', '?')}".encode() + b"\0")
    return digest.hexdigest()[:16]


def derive(store, rule: str) -> Graph:
    """Run one CONSTRUCT rule of `queries/build/` on an Oxigraph store and return what it derives."""
    return rdf_bridge.construct(store, query_files.load(rule, "build").text)


def _check_version(ontology: Graph, iris: IRIs, path: Path) -> None:
    info = ontology.value(iris.ontology, OWL.versionInfo)
    if info is None or str(info) != __version__:
        raise InputError(f"{path}: owl:versionInfo is {info!s}, the package version is {__version__}; make them equal")
    expected = iris.version_iri(__version__)
    if ontology.value(iris.ontology, OWL.versionIRI) != expected:
        raise InputError(f"{path}: owl:versionIRI must be <{expected}>")


def _with_prefixes(graph: Graph, like: Graph) -> Graph:
    for prefix, ns in like.namespaces():
        graph.bind(prefix, ns, override=False)
    return graph
