"""A real Oxigraph server (PyPI `oxigraph`) on a free loopback port, as a pytest plugin."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from karabakh_kg import publishing, releases
from karabakh_kg.web.app import create_app
from support.live import free_port  # noqa: F401 - re-exported for the tests

OXIGRAPH = shutil.which("oxigraph") or str(Path(__import__("sys").executable).parent / "oxigraph")


@dataclass
class Oxigraph:
    url: str
    process: subprocess.Popen

    def query(self, text: str) -> list[dict]:
        data = urllib.parse.urlencode({"query": text}).encode()
        request = urllib.request.Request(
            self.url + "/query", data=data, headers={"Accept": "application/sparql-results+json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["results"]["bindings"]

    def graph(self, iri: str) -> set:
        request = urllib.request.Request(
            self.url + "/store?" + urllib.parse.urlencode({"graph": iri}), headers={"Accept": "application/n-triples"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return {q.triple for q in ox.parse(response.read(), ox.RdfFormat.N_TRIPLES)}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_oxigraph(location: Path, read_only: bool = False, ready_within: float = 20.0) -> Oxigraph:
    """`oxigraph serve` on a free loopback port, ready once it answers a query (polled, no sleep)."""
    if not Path(OXIGRAPH).exists():
        pytest.skip("the oxigraph server binary (PyPI `oxigraph`) is not installed")
    for _ in range(3):  # another process may take the free port first: try another
        port = free_port()
        command = [
            OXIGRAPH,
            "serve-read-only" if read_only else "serve",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
        ]
        log = location.parent / f"{location.name}-oxigraph.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        server = Oxigraph(f"http://127.0.0.1:{port}", process)
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline and process.poll() is None:
            try:
                server.query("SELECT (1 AS ?ready) {}")
                return server
            except OSError:
                time.sleep(0.02)  # polling readiness
        server.stop()
    raise RuntimeError(f"oxigraph did not start: {log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def remote_app(oxigraph_server, release_dir):
    """The app with `--engine sparql:URL` in front of the Oxigraph server, filled with the test release."""
    release = releases.open_current(release_dir)
    publishing.publish(release, publishing.store_url(oxigraph_server.url + "/store"), timeout=30)
    app = create_app(
        {"BUILD_DIR": str(release_dir), "ENGINE": f"sparql:{oxigraph_server.url}/query", "ACCESS_LOG": True}
    )
    yield app
    app.extensions["karabakh_kg"].runner.close()
