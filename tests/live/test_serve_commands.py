"""`karabakh-kg serve` on a busy port says so once and how to choose another; `reload` finds the server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.live import free_port

pytestmark = pytest.mark.live


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "karabakh_kg.cli", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def running(release_dir, tmp_path):
    """A server on a known port with its pid file in tmp_path; stopped after the test."""
    port, pid_file, log = free_port(), tmp_path / "serve.pid", tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "karabakh_kg.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                "1",
                "--build-dir",
                str(release_dir),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "KARABAKH_KG_PID_FILE": str(pid_file)},
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "Listening at" not in log.read_text(errors="replace"):
        assert process.poll() is None, log.read_text(errors="replace")
        time.sleep(0.2)
    yield port, pid_file, log, process
    process.terminate()
    try:  # a graceful stop waits for the workers (up to QUERY_TIMEOUT + 5 s after a reload)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def test_a_busy_port_is_named_once_with_the_way_out(running, release_dir):
    port, *_ = running
    done = _cli("serve", "--port", str(port), "--build-dir", str(release_dir))
    assert done.returncode == 2
    assert done.stderr.count(f"port {port} on 127.0.0.1 is already in use") == 1
    assert f"--port {port + 1}" in done.stderr and "KARABAKH_KG_PORT" in done.stderr
    assert "Connection in use" not in done.stderr and "Traceback" not in done.stderr


def test_reload_signals_the_server_named_by_its_pid_file(running):
    port, pid_file, log, process = running
    assert int(pid_file.read_text()) == process.pid
    done = _cli("reload", "--pid-file", str(pid_file))
    assert done.returncode == 0, done.stderr
    assert str(process.pid) in done.stdout
    deadline = time.monotonic() + 15
    reloaded = ("Hang up", "replacing the workers")  # gunicorn's and granian's words for the SIGHUP
    while time.monotonic() < deadline and not any(w in log.read_text(errors="replace") for w in reloaded):
        time.sleep(0.2)
    assert any(w in log.read_text(errors="replace") for w in reloaded)
    assert process.poll() is None


def test_reload_without_a_server_says_how_to_start_one(tmp_path: Path):
    done = _cli("reload", "--port", "1", "--build-dir", str(tmp_path))
    assert done.returncode == 1
    assert "no server found" in done.stderr and "karabakh-kg serve" in done.stderr
