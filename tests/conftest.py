"""Shared fixtures: a small release built from tests/data, the app on it, and a real live server.

- `release_dir`: a build folder (session) written by the real release writer from
  `tests/data/endpoint.trig`; `make_release(trig_path)` builds one from any TriG file.
- `app` / `client`: the Flask app on that build (oxigraph engine unless a test parametrises
  `app` indirectly with "rdflib"); shared per engine for speed, its result cache emptied per test.
- `make_app(**settings)`: a fresh app with other settings, closed after the test.
- `live_server`: gunicorn in a subprocess on a free 127.0.0.1 port (session), ready once
  /health answers; `.url`, `.log()` (its stderr so far). `live_server_factory(build_dir, **env)`
  starts more (each stopped at the end of the session).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from karabakh_kg.web.app import create_app
from support.builds import ENDPOINT_TRIG, build_release
from support.live import LiveServer, start_live_server

pytest_plugins = [
    "support.ld_fixtures",
    "support.oxigraph_server",
    "support.virtuoso",
    "support.browser",
]  # declared once


@pytest.fixture(scope="session")
def make_release(tmp_path_factory):
    def make(trig: Path = ENDPOINT_TRIG) -> Path:
        build_dir = tmp_path_factory.mktemp("build")
        build_release(Path(trig), build_dir)
        return build_dir

    return make


@pytest.fixture(scope="session")
def release_dir(make_release) -> Path:
    return make_release(ENDPOINT_TRIG)


def _close(app) -> None:
    app.extensions["karabakh_kg"].runner.close()


@pytest.fixture(scope="session")
def _shared_apps(release_dir):
    apps = {}
    yield apps
    for app in apps.values():
        _close(app)


@pytest.fixture
def app(request, _shared_apps, release_dir):
    engine = getattr(request, "param", "oxigraph")
    if engine == "remote":  # a real Oxigraph server behind `--engine sparql:URL` (support/oxigraph_server.py)
        remote = request.getfixturevalue("remote_app")
        remote.extensions["karabakh_kg"].cache.clear()
        remote.extensions["karabakh_kg"].replay.clear()
        return remote
    if engine not in _shared_apps:
        _shared_apps[engine] = create_app(
            {"BUILD_DIR": str(release_dir), "ENGINE": engine, "QUERY_PROCESSES": 2, "ACCESS_LOG": True}
        )
    shared = _shared_apps[engine]
    shared.extensions["karabakh_kg"].cache.clear()
    shared.extensions["karabakh_kg"].replay.clear()
    return shared


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def listener():
    """A TCP listener on a free loopback port recording every connection (see support.sec.Listener)."""
    from support.sec import Listener

    found = Listener()
    yield found
    found.close()


@pytest.fixture
def make_app(release_dir):
    made = []

    def make(**settings):
        settings.setdefault("BUILD_DIR", str(release_dir))
        app = create_app(settings)
        made.append(app)
        return app

    yield make
    for app in made:
        _close(app)


@pytest.fixture(scope="session")
def live_server_factory(tmp_path_factory):
    started: list[LiveServer] = []

    def factory(build_dir: Path, **kwargs) -> LiveServer:
        log_path = tmp_path_factory.mktemp("live") / "server.log"
        server = start_live_server(build_dir, log_path, **kwargs)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def live_server(live_server_factory, release_dir) -> LiveServer:
    return live_server_factory(release_dir)


@pytest.fixture(scope="session")
def kg_build(tmp_path_factory) -> Path:
    """The real knowledge graph built from the project's own inputs, once per session."""
    from karabakh_kg.build import pipeline

    build_dir = tmp_path_factory.mktemp("kg-build")
    pipeline.build(None, build_dir, force=True)
    return build_dir


@pytest.fixture(scope="module")
def good_build(kg_build, tmp_path_factory) -> Path:
    """A copy of the session's real build (no second build): a test may try to replace it and fail."""
    import shutil

    target = tmp_path_factory.mktemp("good") / "build"
    shutil.copytree(kg_build, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def kg_store(kg_build):
    """The real build's Oxigraph store, opened read-only (query with use_default_graph_as_union)."""
    import pyoxigraph

    from karabakh_kg import releases

    return pyoxigraph.Store.read_only(str(releases.open_current(kg_build).store))


@pytest.fixture(scope="session", params=["disk", "memory"])
def kg_stores(request, kg_build):
    """The real build's store as the server reads it: on disk (read-only), and as the engine loads it
    into memory for a release of at most MEMORY_STORE_QUADS quads (both must answer alike)."""
    if request.param == "disk":
        return request.getfixturevalue("kg_store")
    from karabakh_kg import config, releases
    from karabakh_kg.web.engines.oxigraph import OxigraphEngine

    engine = OxigraphEngine(releases.open_current(kg_build), "oxigraph", config.load({"BUILD_DIR": str(kg_build)}))
    engine.prepare()
    assert engine.storage == "memory"
    return engine.store


def pytest_collection_modifyitems(items):
    """The folder is the tier: tests/live/ start real servers, tests/browser/ drive Chromium."""
    tests = Path(__file__).parent
    for item in items:
        tier = item.path.relative_to(tests).parts[0]
        if tier in ("live", "browser"):
            item.add_marker(getattr(pytest.mark, tier))


# --- the figures of the reliability and security suites: to a file, one line in the summary ---------


def pytest_terminal_summary(terminalreporter):
    """Save what the security suites measured to tests/artifacts/security-figures.json; say so in one line."""
    from support import sec

    if not sec.FIGURES:
        return
    for section in list(sec.FIGURES):
        sec.record(section)  # counters kept in memory are written out too
    where = sec.FIGURES_FILE.relative_to(Path(__file__).parent.parent)
    terminalreporter.write_line(f"reliability and security figures ({len(sec.FIGURES)} suites): {where}")
