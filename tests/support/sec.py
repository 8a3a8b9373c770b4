"""Helpers of the reliability and security tests: raw HTTP on loopback, a recording
listener, process trees, and the figures each suite reports (tests/artifacts/security-figures.json,
printed in pytest's terminal summary by the hook at the end of conftest.py).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from support.paths import ARTIFACTS

FIGURES_FILE = ARTIFACTS / "security-figures.json"
STACK_TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', "werkzeug.exceptions", "jinja2.exceptions")

# Figures gathered during this session, by suite; written to FIGURES_FILE as they arrive.
FIGURES: dict[str, dict] = {}


def record(section: str, **figures) -> None:
    """Remember figures of a suite for the terminal summary and the artefact file."""
    FIGURES.setdefault(section, {}).update(figures)
    ARTIFACTS.mkdir(exist_ok=True)
    previous = {}
    if FIGURES_FILE.exists():
        try:
            previous = json.loads(FIGURES_FILE.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = {}
    previous.update(FIGURES)
    previous["_written"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    FIGURES_FILE.write_text(json.dumps(previous, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def count(section: str, name: str, n: int = 1) -> None:
    """Add to a counter of a suite (e.g. fuzz cases), without writing the file each time."""
    bucket = FIGURES.setdefault(section, {})
    bucket[name] = bucket.get(name, 0) + n


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float
    header_list: list[tuple[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def request(
    base_url: str, method: str, path: str, headers: dict | None = None, body: bytes | None = None, timeout: float = 30
) -> Reply:
    """Send one request exactly as given (the path is not normalised or re-encoded); no redirects."""
    parts = urlsplit(base_url)
    assert parts.hostname == "127.0.0.1", "tests talk only to 127.0.0.1"
    started = time.monotonic()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        try:
            conn.endheaders(body)
        except (BrokenPipeError, ConnectionResetError) as unsent:
            # the server answered before reading the whole body (a 413) and closed: read its answer,
            # as curl does; only if there is none is the failed send the result
            try:
                response = conn.getresponse()
            except OSError:
                raise unsent from None
        else:
            response = conn.getresponse()
        data = response.read()
        header_list = response.getheaders()
        return Reply(
            response.status, {k.lower(): v for k, v in header_list}, data, time.monotonic() - started, header_list
        )
    finally:
        conn.close()


def has_stack_trace(body: bytes) -> bool:
    text = body.decode("utf-8", errors="replace")
    return any(marker in text for marker in STACK_TRACE_MARKERS)


class Listener:
    """A TCP listener on a free loopback port recording every connection (and its first bytes)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(0.2)
            try:
                first = conn.recv(4096)
            except OSError:
                first = b""
            self.connections.append(first)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, children first (from /proc)."""
    found, todo = [], [pid]
    while todo:
        for child in children_of(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) the processes have used so far; gone processes count 0."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    """Direct children of a process (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                found.append(int(entry.name))
    return found


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]
