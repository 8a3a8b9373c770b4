"""VoID + DCAT at /.well-known/void: parses in every format, and every figure matches the data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from karabakh_kg import figures, releases
from karabakh_kg.web.views import pagedata
from support.ld import page, parse_rdf

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
# pyoxigraph 0.5 stores literals of these derived types as xsd:integer (found here: "58"^^xsd:nonNegativeInteger
# comes back as "58"^^xsd:integer), so "1464"^^xsd:nonNegativeInteger and "1464"^^xsd:integer are one
# object for the served store. The figures describe the data as served.
INTEGER_TYPES = {
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
    XSD.negativeInteger,
    XSD.nonPositiveInteger,
    XSD.long,
    XSD.int,
    XSD.short,
    XSD.byte,
    XSD.unsignedLong,
    XSD.unsignedInt,
    XSD.unsignedShort,
    XSD.unsignedByte,
}
FORMATS = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
}


@pytest.fixture(scope="module")
def void(ld_apps):
    client = ld_apps("oxigraph").test_client()
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    return parse_rdf(response.data, "turtle")


@pytest.fixture(scope="module")
def dataset(void, published):
    ds = rdflib.URIRef(published.base + ".well-known/void#dataset")
    assert (ds, RDF.type, VOID.Dataset) in void and (ds, RDF.type, DCAT.Dataset) in void
    return ds


def number(graph, subject, predicate) -> int:
    value = graph.value(subject, predicate)
    assert value is not None, (subject, predicate)
    assert value.datatype in (XSD.integer, XSD.nonNegativeInteger)
    return int(value)


@pytest.mark.parametrize("accept, fmt", FORMATS.items())
def test_every_format_says_the_same(ld_client, void, accept, fmt):
    response = ld_client.get("/.well-known/void", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept and "Accept" in response.vary
    assert isomorphic(parse_rdf(response.data, fmt), void)


def test_default_is_turtle_and_browsers_get_html(ld_client):
    assert ld_client.get("/.well-known/void").mimetype == "text/turtle"
    html = ld_client.get("/.well-known/void", headers={"Accept": "text/html,*/*;q=0.8"})
    assert html.mimetype == "text/html"
    assert "/sparql" in page(html).hrefs()


def test_totals_match_the_data(void, dataset, published):
    union = published.union()
    assert number(void, dataset, VOID.triples) == len(union)
    assert number(void, dataset, VOID.distinctSubjects) == len({s for s, _, _ in union})
    served = {
        rdflib.Literal(str(o), datatype=XSD.integer) if getattr(o, "datatype", None) in INTEGER_TYPES else o
        for _, _, o in union
    }
    assert number(void, dataset, VOID.distinctObjects) == len(served)
    assert number(void, dataset, VOID.properties) == len({p for _, p, _ in union})
    entities = {s for s, _, _ in union if isinstance(s, rdflib.URIRef) and str(s).startswith(published.base + "id/")}
    assert number(void, dataset, VOID.entities) == len(entities)
    assert str(void.value(dataset, VOID.uriSpace)) == published.base + "id/"


def test_each_named_graph_is_a_subset_with_its_count(void, dataset, published):
    subsets = set(void.objects(dataset, VOID.subset))
    manifest = published.release.manifest["graphs"]
    assert {str(s) for s in subsets} == {g["iri"] for g in manifest.values()}
    for name, info in manifest.items():
        subset = rdflib.URIRef(info["iri"])
        assert number(void, subset, VOID.triples) == info["triples"] == len(published.graph(name))


def test_class_and_property_partitions_match_the_data(void, dataset, published):
    union = published.union()
    instances: dict = {}
    for s, p, o in union:
        if p == RDF.type:
            instances.setdefault(o, set()).add(s)
    classes = {
        void.value(part, VOID["class"]): number(void, part, VOID.entities)
        for part in void.objects(dataset, VOID.classPartition)
    }
    assert classes == {c: len(members) for c, members in instances.items() if isinstance(c, rdflib.URIRef)}
    assert number(void, dataset, VOID.classes) == len(classes)
    properties = {
        void.value(part, VOID.property): number(void, part, VOID.triples)
        for part in void.objects(dataset, VOID.propertyPartition)
    }
    counts: dict = {}
    for _, p, _ in union:
        counts[p] = counts.get(p, 0) + 1
    assert properties == counts


def test_endpoint_dumps_licence_source_vocabularies(ld_client, void, dataset, published):
    endpoint = void.value(dataset, VOID.sparqlEndpoint)
    assert str(endpoint) == published.base + "sparql"
    assert (endpoint, DCAT.endpointURL, endpoint) in void
    dumps = {str(d) for d in void.objects(dataset, VOID.dataDump)}
    files = {p.name for p in published.release.dumps.iterdir()}
    assert dumps == {published.base + "dumps/" + name for name in files}
    for url in dumps:
        local = "/" + url[len(published.base) :]
        with ld_client.get(local) as response:
            assert response.status_code == 200
        size = void.value(rdflib.URIRef(url), DCAT.byteSize)
        assert int(size) == (published.release.dumps / url.rsplit("/", 1)[1]).stat().st_size
        assert void.value(rdflib.URIRef(url), DCAT.mediaType) is not None
    ontology_licence = published.graph("ontology").value(rdflib.URIRef(published.base + "ontology"), DCTERMS.license)
    assert void.value(dataset, DCTERMS.license) == ontology_licence is not None
    article = rdflib.URIRef(published.base + "id/article/2020-11-20-aghdam")
    assert (dataset, DCTERMS.source, article) in void
    vocabularies = {str(v) for v in void.objects(dataset, VOID.vocabulary)}
    assert {
        published.base + "ontology#",
        "http://www.w3.org/ns/oa#",
        "http://www.w3.org/2000/01/rdf-schema#",
    } <= vocabularies


def test_home_links_the_description(ld_client):
    assert "/.well-known/void" in page(ld_client.get("/")).hrefs()


# --- the figures the build counted (figures.json) ------------------------------------------------


def _copy_release(published, tmp_path, *, figures: bool) -> Path:
    """A build folder holding a copy of the published release, with or without its figures file."""
    build = tmp_path / "build"
    target = build / "releases" / published.release.path.name
    shutil.copytree(published.release.path, target, symlinks=True)
    if not figures:
        (target / releases.FIGURES).unlink()
        manifest = json.loads((target / releases.MANIFEST).read_text("utf-8"))
        del manifest["figures_file"]
        (target / releases.MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")
    (build / "current").symlink_to(Path("releases") / target.name, target_is_directory=True)
    return build


def test_the_build_wrote_the_figures_with_the_release(published):
    assert published.release.manifest["figures_file"][releases.FIGURES]["bytes"] > 0
    counted = releases.figures(published.release)
    assert counted is not None and counted["base"] == published.base
    assert set(counted["queries"]) == set(figures.QUERIES)


def test_void_and_home_read_the_figures_not_the_data(make_ld_app, ld_build, void, monkeypatch):
    """With the figures in the release, no whole-dataset page query runs for VoID or the home page,
    and VoID says exactly what the fixture `void` (counted against the data) says."""
    app = make_ld_app(ld_build)
    real = pagedata._run
    ran = []

    def spy(name, *args, **kwargs):
        ran.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(pagedata, "_run", spy)
    client = app.test_client()
    served = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert served.status_code == 200 and isomorphic(parse_rdf(served.data, "turtle"), void)
    assert client.get("/").status_code == 200 and client.get("/timeline").status_code == 200
    assert ran and not set(ran) & {*figures.QUERIES, "resources", "timeline"}, ran


def test_a_release_without_figures_counts_them_per_request(make_ld_app, ld_client, published, void, tmp_path):
    """An older release (no figures file): VoID, the home page and the timeline are the same, counted per request."""
    build = _copy_release(published, tmp_path, figures=False)
    assert releases.figures(releases.open_current(build)) is None
    client = make_ld_app(build).test_client()
    served = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert served.status_code == 200 and isomorphic(parse_rdf(served.data, "turtle"), void)
    for path in ("/", "/timeline"):
        assert client.get(path).data == ld_client.get(path).data, path


def test_a_tampered_figures_file_is_refused(published, tmp_path):
    build = _copy_release(published, tmp_path, figures=True)
    release = releases.open_current(build)
    path = release.path / releases.FIGURES
    path.write_bytes(path.read_bytes().replace(b'"count": ', b'"count": 1'))
    with pytest.raises(releases.ReleaseError, match="figures.json does not match"):
        releases.verify(release)
    with pytest.raises(releases.ReleaseError, match="figures.json does not match"):
        releases.figures(release)
