"""A throwaway Virtuoso (Debian `virtuoso-opensource`) on 127.0.0.1 for the tests, when installed.

`virtuoso` (session fixture, the store for the project's build; `virtuoso_factory(name)` starts
others): a fresh database in a temporary folder, SQL and HTTP ports picked
free, `ResultSetMaxRows` set low (`MAX_ROWS`) so that the front's detection of Virtuoso's silently
partial answers is exercised; the default `dba` account of a fresh database publishes. Skipped
when `virtuoso-t` is not installed (`make test` installs it as root).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.live import free_port  # noqa: F401 - re-exported for the tests

VIRTUOSO = shutil.which("virtuoso-t")
MAX_ROWS = 1000  # the store's ResultSetMaxRows: below the front's MAX_RESULT_ROWS on purpose
CREDENTIALS = ("dba", "dba")  # a fresh database's administrator; the database is thrown away

INI = """[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = {db}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 30
MaxQueryCostEstimationTime = 400
"""


@dataclass
class Virtuoso:
    url: str
    process: subprocess.Popen
    log: Path

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    @property
    def graph_store(self) -> str:
        return self.url + "/sparql-graph-crud-auth"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_virtuoso(folder: Path, ready_within: float = 90.0) -> Virtuoso:
    """`virtuoso-t -f` on a fresh database in `folder`, ready once its SPARQL endpoint answers."""
    folder.mkdir(parents=True, exist_ok=True)
    http_port = free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(INI.format(db=folder, sql_port=free_port(), http_port=http_port, max_rows=MAX_ROWS))
    log = folder / "stdout.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([VIRTUOSO, "-f", "-c", str(ini)], cwd=folder, stdout=sink, stderr=subprocess.STDOUT)
    server = Virtuoso(f"http://127.0.0.1:{http_port}", process, log)
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(server.sparql + "?query=ASK%7B%7D", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)  # polling readiness
    server.stop()
    raise RuntimeError(f"virtuoso did not start: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="session")
def virtuoso_factory(tmp_path_factory):
    """`get(name)`: a throwaway Virtuoso of its own per name (what one holds never sways another)."""
    if not VIRTUOSO:
        pytest.skip("Debian virtuoso-opensource is not installed (make test installs it as root)")
    started: dict[str, Virtuoso] = {}

    def get(name: str) -> Virtuoso:
        if name not in started:
            started[name] = start_virtuoso(tmp_path_factory.mktemp(f"virtuoso-{name}") / "db")
        return started[name]

    yield get
    for server in started.values():
        server.stop()


@pytest.fixture(scope="session")
def virtuoso(virtuoso_factory):
    """The Virtuoso that holds the project's build only."""
    return virtuoso_factory("kg")
