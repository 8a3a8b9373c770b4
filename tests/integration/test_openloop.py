"""The open-loop generator (bench/openloop.py) keeps its schedule and counts a stall it caused no wait for.

A tiny HTTP server on 127.0.0.1 answers at once, except that it holds one answer for 300 ms. A
closed-loop client would send nothing more on that connection and report one slow request; an
open-loop one keeps sending on schedule (opening connections as needed), so the stall shows in
the latency of every request due meanwhile only if they had to wait, and the rate is kept.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support.paths import bench_module


@pytest.fixture(scope="module")
def openloop():
    return bench_module("openloop")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stall_path = "/stall"
    closed = 0

    def do_GET(self):  # noqa: N802 - the http.server API
        if self.path == self.stall_path:
            time.sleep(0.3)
        status = 404 if self.path == "/missing" else 200
        body = b"ok" * 10
        self.send_response(status)
        if self.path == "/chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"5\r\nhello\r\n0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        if self.path == "/close":
            self.send_header("Connection", "close")  # http.server then closes after this answer
            type(self).closed += 1
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # http.server's default backlog of 5 drops a burst of new connections
    daemon_threads = True


@pytest.fixture(scope="module")
def port():
    server = _Server(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_rate_is_kept_and_every_request_answered(openloop, port):
    result = openloop.open_loop(port, lambda i: openloop.get_request("/", "*/*"), rate=200, duration=1.0)
    assert result["sent"] == 200
    assert result["errors"] == 0
    assert 150 <= result["completed_rps"] <= 230
    assert result["p50_ms"] < 50


def test_a_stalled_answer_does_not_stop_the_schedule(openloop, port):
    def request(i):
        return openloop.get_request("/stall" if i == 10 else "/", "*/*")

    result = openloop.open_loop(port, request, rate=100, duration=1.0)
    assert result["errors"] == 0
    assert result["max_ms"] >= 300  # the stalled one, counted from when it was due
    assert result["p50_ms"] < 50  # the others went out on other connections meanwhile
    assert result["connections"] >= 2


def test_a_connection_limit_makes_requests_wait_and_the_wait_counts(openloop, port):
    def request(i):
        return openloop.get_request("/stall" if i == 0 else "/", "*/*")

    result = openloop.open_loop(port, request, rate=100, duration=0.5, max_connections=1)
    assert result["connections"] == 1
    assert result["p50_ms"] >= 100  # everything due during the stall waited for the one connection


def test_errors_and_chunked_answers(openloop, port):
    paths = ["/missing", "/chunked"]
    result = openloop.open_loop(port, lambda i: openloop.get_request(paths[i % 2], "*/*"), rate=50, duration=0.4)
    assert result["sent"] == 20
    assert result["errors"] == 10  # the 404s; the chunked answers were read whole


def test_an_answer_with_connection_close_counts_and_the_next_request_reconnects(openloop, port):
    before = _Handler.closed
    paths = ["/close", "/", "/"]
    result = openloop.open_loop(
        port, lambda i: openloop.get_request(paths[i % 3], "*/*"), rate=60, duration=0.5, max_connections=1
    )
    assert result["sent"] == 30 and result["errors"] == 0  # every answer whole, none lost on a closed connection
    assert _Handler.closed - before == 10


def test_a_refused_connection_is_an_error_not_a_hang(openloop):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    result = openloop.open_loop(closed_port, lambda i: openloop.get_request("/", "*/*"), rate=20, duration=0.25)
    assert result["errors"] == result["sent"] == 5
