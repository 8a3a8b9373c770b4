"""Send the suite's HTTP requests to a served endpoint, as the manifests spell them."""

from __future__ import annotations

import http.client
import urllib.parse
from dataclasses import dataclass

from w3c.w3c_suite import STATUS_CODES, HttpRequest


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def media_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def send(base_url: str, method: str, path: str, headers: dict | None = None, body: bytes | None = None) -> Reply:
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def encoded_body(request: HttpRequest) -> bytes | None:
    if request.body is None:
        return None
    charset = "utf-8"
    for param in request.headers.get("content-type", "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip()
    return request.body.encode(charset)


def status_ok(status: int, expected: tuple[str, ...]) -> bool:
    """Does a status match one of the manifest's hts: names (a class like StatusCode2xx, or a code)?"""
    for name in expected:
        if name.startswith("StatusCode") and str(status)[0] == name[len("StatusCode")]:
            return True
        if STATUS_CODES.get(name) == status:
            return True
    return False


def query(base_url: str, text: str, accept: str, default_graphs=(), named_graphs=()) -> Reply:
    """A form POST to /sparql with the protocol's dataset parameters."""
    fields = [("query", text)] + [("default-graph-uri", g) for g in default_graphs]
    fields += [("named-graph-uri", g) for g in named_graphs]
    return send(
        base_url,
        "POST",
        "/sparql",
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        urllib.parse.urlencode(fields).encode("utf-8"),
    )
