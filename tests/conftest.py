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

import hashlib
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib

from karabakh_kg.build import release_writer
from karabakh_kg.namespaces import DEFAULT_BASE
from karabakh_kg.web.app import create_app

pytest_plugins = ["ld_support", "virtuoso_support"]  # fixtures declared once for every module

DATA = Path(__file__).parent / "data"
ENDPOINT_TRIG = DATA / "endpoint.trig"
ENGINES = ("oxigraph", "rdflib")
LIVE_QUERY_TIMEOUT = 3.0


def build_release(trig: Path, build_dir: Path, base: str = DEFAULT_BASE):
    """Write a release of a TriG file with the project's release writer; return the Release."""
    with warnings.catch_warnings():  # rdflib 7.x deprecations inside its own TriG parser
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset = rdflib.Dataset()
        dataset.parse(data=trig.read_text(encoding="utf-8"), format="trig")
        version = "test-" + hashlib.sha256(trig.read_bytes()).hexdigest()[:12]
        return release_writer.write(dataset, build_dir, version=version, base=base)


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
    if engine not in _shared_apps:
        _shared_apps[engine] = create_app(
            {"BUILD_DIR": str(release_dir), "ENGINE": engine, "QUERY_PROCESSES": 2, "ACCESS_LOG": True}
        )
    shared = _shared_apps[engine]
    shared.extensions["karabakh_kg"].cache.clear()
    return shared


@pytest.fixture
def client(app):
    return app.test_client()


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


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_live_server(
    build_dir: Path | None,
    log_path: Path,
    workers: int = 2,
    threads: int = 4,
    engine: str = "oxigraph",
    env: dict | None = None,
    ready_within: float = 30.0,
    dataset: tuple[Path, ...] = (),
) -> LiveServer:
    """Start `karabakh-kg serve` on port 0 and wait until /health answers (no fixed port, no sleep).

    It serves `build_dir`, or with `dataset` the given RDF files (`serve --dataset`)."""
    environ = dict(os.environ)
    environ.setdefault("KARABAKH_KG_QUERY_TIMEOUT", str(LIVE_QUERY_TIMEOUT))
    environ.update(env or {})
    log_file = open(log_path, "wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "karabakh_kg.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--engine",
            engine,
            *(("--dataset", *map(str, dataset)) if dataset else ("--build-dir", str(build_dir))),
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env=environ,
    )
    log_file.close()
    deadline = time.monotonic() + ready_within
    url = None
    server = LiveServer("", process, log_path)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{server.log()}")
        if url is None:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", server.log())
            if found:
                url = found.group(1)
        if url is not None:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as response:
                    if response.status == 200:
                        server.url = url
                        return server
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
        time.sleep(0.05)  # polling readiness, not waiting a fixed time
    server.stop()
    raise RuntimeError(f"the server was not ready within {ready_within} s:\n{server.log()}")


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


@pytest.fixture(scope="session")
def kg_store(kg_build):
    """The real build's Oxigraph store, opened read-only (query with use_default_graph_as_union)."""
    import pyoxigraph

    from karabakh_kg import releases

    return pyoxigraph.Store.read_only(str(releases.open_current(kg_build).store))


# --- issue 6: the figures of the reliability and security suites in the terminal summary ---------


def pytest_terminal_summary(terminalreporter):
    """Print (and save to tests/artifacts/security-figures.json) what the security suites measured."""
    import sec_helpers

    if not sec_helpers.FIGURES:
        return
    for section in list(sec_helpers.FIGURES):
        sec_helpers.record(section)  # counters kept in memory are written out too
    terminalreporter.section("reliability and security figures")
    for section, figures in sorted(sec_helpers.FIGURES.items()):
        shown = ", ".join(f"{name}={value}" for name, value in sorted(figures.items()))
        terminalreporter.write_line(f"{section}: {shown}")
