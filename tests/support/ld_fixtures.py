"""Fixtures of the linked-data tests (a pytest plugin declared in tests/conftest.py).

The linked-data tests run on the real build when there is one (`make test` builds it first), so
they check what is really published; without one they fall back on the small fixture
`tests/data/linked_data.trig`, shaped like the real build. Tests that need hostile or unusual
data build their own release from the fixture.
"""

from __future__ import annotations

import os
import shutil
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib

from karabakh_kg import releases
from karabakh_kg.web.app import create_app
from support.builds import build_from_trig
from support.ld import FIXTURE_TRIG, ROOT


@pytest.fixture(scope="session")
def fixture_build(tmp_path_factory) -> Path:
    """A release of tests/data/linked_data.trig (always the fixture, whatever was built)."""
    return build_from_trig(FIXTURE_TRIG.read_text(encoding="utf-8"), tmp_path_factory.mktemp("ld-fixture"))


@pytest.fixture(scope="session")
def ld_build(fixture_build, tmp_path_factory) -> Path:
    """The real build (`build/current`) when it is complete, else the fixture release.

    The real release is pinned for the session (a build folder of our own whose `current` points
    at it), so a rebuild while the tests run cannot show the pages one release and the checks
    another. `LD_TESTS_ON_FIXTURE=1` runs them on the fixture even when a real build exists.
    """
    if os.environ.get("LD_TESTS_ON_FIXTURE") == "1":
        return fixture_build
    try:
        release = releases.open_current(ROOT / "build")
    except releases.ReleaseError as err:
        print(f"linked-data tests run on the fixture: {err}")
        return fixture_build
    pinned = tmp_path_factory.mktemp("ld-real-build")
    (pinned / "current").symlink_to(release.path.resolve(), target_is_directory=True)
    return pinned


@dataclass
class Published:
    """What the tests compare pages against: the release and its graphs, read independently."""

    build: Path
    release: releases.Release
    graphs: dict[str, rdflib.Graph]  # by short name: ontology, asserted, links, inferred
    all: rdflib.Graph  # the union of every named graph

    @property
    def base(self) -> str:
        return self.release.manifest["base"]

    def graph(self, name: str) -> rdflib.Graph:
        return self.graphs[name]

    def union(self) -> set[tuple]:
        return set(self.all)

    def iri(self, slug: str) -> rdflib.URIRef:
        return rdflib.URIRef(self.base + "id/" + slug)


@pytest.fixture(scope="session")
def published(ld_build) -> Published:
    release = releases.open_current(ld_build)
    base = release.manifest["base"]
    graphs: dict[str, rdflib.Graph] = {}
    union = rdflib.Graph()
    dataset = rdflib.Dataset()
    with warnings.catch_warnings():  # rdflib 7 deprecation notices inside Dataset
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset.parse(str(release.dataset), format="nquads")
        for s, p, o, g in dataset.quads((None, None, None, None)):
            name = str(g.identifier if isinstance(g, rdflib.Graph) else g).removeprefix(base + "graph/")
            graphs.setdefault(name, rdflib.Graph()).add((s, p, o))
            union.add((s, p, o))
    return Published(ld_build, release, graphs, union)


def _make(build: Path, engine: str = "oxigraph", **settings):
    config = {"BUILD_DIR": str(build), "ENGINE": engine, "QUERY_PROCESSES": 1, "ACCESS_LOG": False}
    config.update(settings)
    return create_app(config)


@pytest.fixture(scope="session")
def ld_apps(ld_build):
    """The app on the published build, one per engine, made on first use."""
    apps = {}

    def get(engine: str = "oxigraph"):
        if engine not in apps:
            apps[engine] = _make(ld_build, engine)
        return apps[engine]

    yield get
    for app in apps.values():
        app.extensions["karabakh_kg"].runner.close()


@pytest.fixture
def ld_client(ld_apps):
    return ld_apps("oxigraph").test_client()


@pytest.fixture(scope="session")
def make_ld_app():
    """An app on any build folder with any settings (closed at the end of the session)."""
    made = []

    def make(build: Path, engine: str = "oxigraph", **settings):
        app = _make(build, engine, **settings)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["karabakh_kg"].runner.close()


@pytest.fixture(scope="session")
def ld_live(live_server_factory, ld_build):
    """`karabakh-kg serve` on the published build, on a free 127.0.0.1 port."""
    return live_server_factory(ld_build)


# --- real tools -----------------------------------------------------------------------------------

JENA_JARS = Path("/usr/share/java")
SKIPPED_JARS = ("log4j", "maven3-slf4j-provider", "slf4j-jcl", "slf4j-simple")


@pytest.fixture(scope="session")
def jena_cp(tmp_path_factory) -> str:
    """Debian's Jena jars, with the xerces message bundles copied where Jena looks (tools.md)."""
    if shutil.which("java") is None:
        pytest.skip("Java is absent: install default-jre-headless and libapache-jena-java to run Jena")
    core = JENA_JARS / "jena-core.jar"
    if not core.exists():
        pytest.skip("Jena is absent: install Debian's libapache-jena-java to run arq.sparql")
    fix = tmp_path_factory.mktemp("jena-xerces")
    with zipfile.ZipFile(core) as jar:
        for name in jar.namelist():
            if name.startswith("org/apache/jena/ext/xerces/") and not name.endswith(("/", ".class")):
                target = fix / name[len("org/apache/jena/ext/") :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    jars = sorted(
        p for p in JENA_JARS.glob("*.jar") if not p.stem[-1].isdigit() and not any(s in p.name for s in SKIPPED_JARS)
    )
    return os.pathsep.join([str(fix), *map(str, jars)])


@pytest.fixture(scope="session")
def hermit_jar() -> Path:
    """HermiT as shipped inside owlready2 (it carries the OWL API Protégé loads ontologies with)."""
    if shutil.which("java") is None:
        pytest.skip("Java is absent: install Debian's default-jre-headless to run HermiT")
    try:
        import owlready2
    except ImportError:
        pytest.skip("owlready2 is not installed (pip install -e '.[test]')")
    jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
    if not jar.exists():
        pytest.skip(f"owlready2 ships no HermiT.jar at {jar}")
    return jar
