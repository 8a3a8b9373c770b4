"""`karabakh-kg serve` in a subprocess on a free loopback port, ready once /health answers."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

LIVE_QUERY_TIMEOUT = 3.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (another process may take it first)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    port: int = 0,
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
            str(port),
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
