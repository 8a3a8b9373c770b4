"""The build pipeline: load → ground quotes → validate → reason → write one release.

A failed build never touches the current release.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Dataset, Graph

from karabakh_kg import __version__, query_files, rdf_bridge, releases
from karabakh_kg.build import diagram, grounding, links, reasoning, release_writer, rules, sources, validation
from karabakh_kg.errors import InputError, OutputError
from karabakh_kg.namespaces import DEFAULT_BASE, IRIs

# name -> closure(ontology, asserted) -> (inferred, dropped noise counts); both give the same triples on the article.
REASONERS = {"owlrl": reasoning.closure, "rules": rules.closure}

PREFIXES = {
    "kg": "id/",
    "kgo": "ontology#",
}


def build(
    source: Path | None, build_dir: Path, *, force: bool = False, base: str = DEFAULT_BASE, reasoner: str = "owlrl"
) -> tuple[releases.Release, bool]:
    """Build the dataset unless the current release already has these inputs; return (release, built?)."""
    src = sources.locate(source)
    version = src.digest(__version__, base, reasoner)
    if not force:
        try:
            current = releases.open_current(build_dir)
            if current.version == version and current.manifest.get("store_files"):  # older builds lack checksums
                return current, False
        except releases.ReleaseError:
            pass
    dataset, extra = assemble(src, IRIs(base), reasoner)
    try:
        files = {"diagram.svg": diagram.svg(dataset.graph(IRIs(base).graph("ontology")))} if diagram.available() else {}
        release = release_writer.write(
            dataset, build_dir, version=version, base=base, extra=extra, prefixes=extra["prefixes"], files=files
        )
    except OSError as err:
        raise OutputError(f"cannot write the build to {build_dir}: {err.strerror or err}") from None
    return release, True


def assemble(src: sources.Sources, iris: IRIs, reasoner: str = "owlrl") -> tuple[Dataset, dict]:
    """Every step short of writing: the dataset's four named graphs and the manifest's extras."""
    ontology = sources.parse_all(src.ontology)
    shapes = sources.parse_all(src.shapes)
    facts = sources.parse_all(src.facts)
    _check_version(ontology, iris, src.ontology[0])
    if len(src.articles) != 1:
        raise InputError(f"expected exactly one article in data/articles/, found {len(src.articles)}")
    article = grounding.load_article(src.articles[0], iris)
    asserted = facts + grounding.describe_article(article, iris)
    asserted += grounding.ground(asserted, article, iris, src.facts)
    bounds = derive(asserted, "time-bounds-instants")
    bounds += derive(asserted + bounds, "time-bounds-intervals")

    with reasoning.Background(ontology, asserted + bounds, REASONERS[reasoner]) as background:
        validation.validate(_with_prefixes(asserted, facts), bounds, shapes, ontology, src.facts)
        external = Graph()
        if src.links and src.ids:
            external = links.build_links(src.links[0], src.ids[0], iris, set(facts.subjects()))
        inferred, dropped = background.result()
    inferred += bounds
    for triple in asserted:
        inferred.remove(triple)
    prefixes = {
        p: str(ns)
        for g in (shapes, facts, ontology)
        for p, ns in g.namespaces()
        if p and p not in ("sh", "kgsh", "xml")
    }
    prefixes.update({prefix: iris.base + suffix for prefix, suffix in PREFIXES.items()})
    dataset = Dataset()
    for name, graph in (("ontology", ontology), ("asserted", asserted), ("links", external), ("inferred", inferred)):
        target = dataset.graph(iris.graph(name))
        for triple in graph:
            target.add(triple)
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
        "prefixes": dict(sorted(prefixes.items())),
    }
    return dataset, extra


def derive(graph: Graph, rule: str) -> Graph:
    """Run one CONSTRUCT rule of `queries/build/` and return what it derives."""
    return rdf_bridge.construct(rdf_bridge.to_store(graph), query_files.load(rule, "build").text)


def _check_version(ontology: Graph, iris: IRIs, path: Path) -> None:
    from rdflib import OWL

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
