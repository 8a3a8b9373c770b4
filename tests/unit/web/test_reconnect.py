"""`server.Reconnect`: every N-th answer of a web worker carries `Connection: close`, no other does."""

from __future__ import annotations

import sys

from karabakh_kg.web.server import Reconnect


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")], *environ.get("exc", ()))
    return [b"ok"]


def answers(wrapped, count, environ=None):
    seen = []

    def start_response(status, headers, exc_info=None):
        seen.append({"status": status, "headers": headers, "exc_info": exc_info})

    for _ in range(count):
        assert b"".join(wrapped(dict(environ or {}), start_response)) == b"ok"
    assert len(seen) == count
    return seen


def test_every_third_answer_asks_the_client_to_reconnect():
    seen = answers(Reconnect(app, 3), 9)
    closing = [i for i, sent in enumerate(seen, 1) if ("Connection", "close") in sent["headers"]]
    assert closing == [3, 6, 9]
    assert all(sent["headers"][0] == ("Content-Type", "text/plain") for sent in seen)


def test_exc_info_is_passed_on_with_the_closing_header():
    try:
        raise ValueError("the view failed")
    except ValueError:
        exc = sys.exc_info()
    (sent,) = answers(Reconnect(app, 1), 1, {"exc": (exc,)})
    assert sent["exc_info"] is exc and ("Connection", "close") in sent["headers"]
