"""The HTTP front under slow and idle clients (`karabakh-kg serve` on 127.0.0.1, default front).

A slowloris client opens a connection, sends part of a request and then trickles the rest, one
byte at a time. On a front that reads requests in its Python threads (gunicorn gthread), a few
such clients hold every thread and stop the server. The front must keep serving `/health` and
queries to everyone else, and close each slow or idle connection after `CLIENT_TIMEOUT`.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from urllib.parse import urlencode

import pytest

from support.sec import percentile, record, request

pytestmark = [pytest.mark.live, pytest.mark.slow]

SLOW_CLIENTS = 50
CLIENT_TIMEOUT = 2.0  # seconds, the server's setting in these tests
PROBES = 20


@pytest.fixture(scope="module")
def server(live_server_factory, release_dir):
    # One worker with two threads: 50 slow clients are 25 times what gunicorn gthread survives.
    return live_server_factory(
        release_dir, workers=1, threads=2, env={"KARABAKH_KG_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT)}
    )


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


class Trickler:
    """`n` connections that send a request's first bytes, then one more header byte every `every` s."""

    def __init__(self, port: int, n: int, first: bytes, every: float = 0.25):
        self.opened_at: list[float] = []
        self.closed_after: dict[int, float] = {}
        self.socks = []
        for _ in range(n):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(first)
            self.socks.append(sock)
            self.opened_at.append(time.monotonic())
        self.every = every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + 30  # bounded: never outlives a test
        while not self.stop.is_set() and time.monotonic() < deadline and len(self.closed_after) < len(self.socks):
            for i, sock in enumerate(self.socks):
                if i in self.closed_after:
                    continue
                try:
                    sock.sendall(b"X")
                except OSError:  # reset by the server: closed
                    self.closed_after[i] = time.monotonic() - self.opened_at[i]
            self.stop.wait(self.every)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for sock in self.socks:
            sock.close()


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True if the server closes the connection (EOF or reset) within `seconds`."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass  # a 408/400 answer may come first; read up to the close
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def probe(server, n: int) -> tuple[list[float], list[int]]:
    """`n` /health requests and `n` never-cached queries, one after another: their seconds and statuses."""
    seconds, statuses = [], []
    for i in range(n):
        for path in ("/health", "/sparql?" + urlencode({"query": f"ASK {{ ?s ?p ?o }} # probe {time.time()} {i}"})):
            started = time.monotonic()
            try:
                statuses.append(request(server.url, "GET", path, timeout=5).status)
            except OSError:
                statuses.append(0)
            seconds.append(time.monotonic() - started)
    return seconds, statuses


def test_trickling_clients_do_not_stall_the_server_and_are_closed(server):
    header_start = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    slow = Trickler(port_of(server), SLOW_CLIENTS, header_start)
    try:
        seconds, statuses = probe(server, PROBES)
        p95 = percentile(seconds, 0.95)
        deadline = time.monotonic() + CLIENT_TIMEOUT + 5
        while len(slow.closed_after) < SLOW_CLIENTS and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the trickler's record of closed connections
        closed = sorted(slow.closed_after.values())
    finally:
        slow.close()
    record(
        "slow_clients",
        connections=SLOW_CLIENTS,
        probes=len(statuses),
        probe_p95_s=round(p95, 3),
        closed=len(closed),
        closed_after_s_max=round(closed[-1], 2) if closed else None,
    )
    assert statuses == [200] * len(statuses), f"probes failed while {SLOW_CLIENTS} clients trickled: {statuses}"
    assert p95 < 1.0, f"p95 {p95:.2f} s with {SLOW_CLIENTS} slow clients"
    assert len(closed) == SLOW_CLIENTS, f"only {len(closed)} of {SLOW_CLIENTS} trickling connections were closed"
    assert closed[-1] < CLIENT_TIMEOUT + 3, f"a trickling connection stayed open {closed[-1]:.1f} s"


def test_silent_connections_hold_no_thread(server):
    """Connections that never send a byte: the front holds them without a thread (the OS's file
    descriptor limit bounds how many; docs/deployment.md)."""
    socks = [socket.create_connection(("127.0.0.1", port_of(server)), timeout=5) for _ in range(SLOW_CLIENTS)]
    try:
        seconds, statuses = probe(server, 5)
    finally:
        for sock in socks:
            sock.close()
    assert statuses == [200] * len(statuses)
    assert percentile(seconds, 0.95) < 1.0


def test_an_idle_kept_alive_connection_is_closed_after_the_client_timeout(server):
    sock = socket.create_connection(("127.0.0.1", port_of(server)), timeout=5)
    try:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert closed_within(sock, CLIENT_TIMEOUT + 3), "an idle kept-alive connection was never closed"
        assert time.monotonic() - started > CLIENT_TIMEOUT / 2, "closed before the client timeout"
    finally:
        sock.close()


def test_a_worker_killed_again_and_again_is_replaced_every_time(server):
    """Three kills of a web worker within a few seconds: the front replaces it each time and never
    gives up on the whole server (granian on its own stops after a second death within 5.5 s)."""
    from support.sec import children_of

    master = server.process.pid
    for _ in range(3):
        workers = children_of(master)
        assert len(workers) == 1
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and children_of(master) in ([], workers):
            time.sleep(0.05)  # polling the process table for the replacement
    assert server.process.poll() is None, "the server stopped:\n" + server.log()[-2000:]
    deadline = time.monotonic() + 15
    status = None
    while time.monotonic() < deadline and status != 200:
        try:
            status = request(server.url, "GET", "/health", timeout=5).status
        except OSError:
            time.sleep(0.1)  # the last replacement is still booting
    assert status == 200
