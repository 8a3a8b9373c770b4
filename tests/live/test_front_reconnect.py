"""`RECONNECT_EVERY` on the default front (granian): kept-alive clients are asked to reconnect now and then.

granian honours `Connection: close` from the app: it closes the connection after the answer, and an
HTTP/1.1 client opens a new one for its next request, which the shared listening socket gives to
whichever web worker takes it first.
"""

from __future__ import annotations

import http.client

import pytest

pytestmark = [pytest.mark.live]

EVERY = 3
REQUESTS = 30
WORKERS = 2


def test_every_nth_answer_closes_the_connection_and_the_client_carries_on(live_server_factory, release_dir):
    server = live_server_factory(release_dir, workers=WORKERS, env={"KARABAKH_KG_RECONNECT_EVERY": str(EVERY)})
    host, port = server.url.split("//", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    ports, closed = set(), 0
    try:
        for _ in range(REQUESTS):
            connection.request("GET", "/health")
            ports.add(connection.sock.getsockname()[1])
            response = connection.getresponse()
            assert response.status == 200 and b'"ready":true' in response.read()
            closed += response.getheader("Connection", "").lower() == "close"
    finally:
        connection.close()
    # each worker counts its own answers: at least REQUESTS / EVERY closes, less one per worker
    assert closed >= REQUESTS // EVERY - WORKERS
    assert len(ports) >= closed  # a new connection after each close (the last one may end the run)
