"""Load a release into a SPARQL 1.1 store over the Graph Store HTTP Protocol.

Each named graph of the release is sent with the SPARQL 1.1 Graph Store HTTP Protocol
(`PUT <URL>?graph=<graph IRI>`, N-Triples), which replaces that graph in the store, so publishing
the same build twice leaves the store as it was. The store can then answer for this project with
`karabakh-kg serve --engine sparql:<its query URL>`.

Credentials come from the environment (`KARABAKH_KG_STORE_USER`, `KARABAKH_KG_STORE_PASSWORD`),
never from the command line, where the process list and shell history would show them; they are
sent as HTTP Basic, or as HTTP Digest when the store asks for it (Virtuoso's
`/sparql-graph-crud-auth`), and never appear in a message.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import secrets
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox

from karabakh_kg import releases

USER_ENV = "KARABAKH_KG_STORE_USER"
PASSWORD_ENV = "KARABAKH_KG_STORE_PASSWORD"


class PublishError(Exception):
    """Publishing stopped; `code` is the exit code (1 refused by the store, 2 set-up)."""

    def __init__(self, code: int, message: str):
        self.code = code
        super().__init__(message)


def store_url(text: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublishError(2, f"--to {text!r}: give the store's http:// or https:// Graph Store URL")
    try:
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise PublishError(2, f"--to {safe(parts)!r}: the port is not a number") from None
    if parts.username or parts.password:
        raise PublishError(
            2,
            f"--to {safe(parts)!r}: credentials in the URL would show in the process list and shell history; "
            f"set {USER_ENV} and {PASSWORD_ENV} instead",
        )
    return parts


def credentials(environ=None) -> tuple[str, str] | None:
    """(user, password) from the environment, or None when no user is set."""
    environ = os.environ if environ is None else environ
    user = environ.get(USER_ENV)
    return (user, environ.get(PASSWORD_ENV, "")) if user else None


def digest_authorization(auth: tuple[str, str], challenge: str, method: str, uri: str) -> str:
    """An HTTP Digest (RFC 7616, MD5, qop=auth) Authorization header answering `challenge`."""
    fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(challenge.split(" ", 1)[1]))
    realm, nonce = fields.get("realm", ""), fields.get("nonce", "")
    user, password = auth
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    cnonce, nc = secrets.token_hex(8), "00000001"
    if "auth" in fields.get("qop", "").split(","):
        response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
        extra = f', qop=auth, nc={nc}, cnonce="{cnonce}"'
    else:
        response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
        extra = ""
    opaque = f', opaque="{fields["opaque"]}"' if "opaque" in fields else ""
    return (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", algorithm=MD5{opaque}{extra}'
    )


def safe(url: urllib.parse.SplitResult) -> str:
    """The URL without its user and password, for messages."""
    return urllib.parse.urlunsplit(url._replace(netloc=url.netloc.rpartition("@")[2], fragment=""))


def split_graphs(release: releases.Release, folder: Path) -> dict[str, tuple[Path, int]]:
    """Write each named graph of the release as an N-Triples file; check the manifest's counts."""
    files: dict = {}
    handles: dict = {}
    try:
        for quad in ox.parse(path=str(release.dataset), format=ox.RdfFormat.N_QUADS):
            name = quad.graph_name
            key = "" if isinstance(name, ox.DefaultGraph) else name.value
            if key not in handles:
                path = folder / f"graph-{len(handles)}.nt"
                handles[key] = path.open("wb")
                files[key] = [path, 0]
            handles[key].write(ox.serialize([quad.triple], format=ox.RdfFormat.N_TRIPLES))
            files[key][1] += 1
    except SyntaxError as err:
        raise PublishError(2, f"{release.dataset}: does not parse ({err}); rebuild it") from None
    finally:
        for handle in handles.values():
            handle.close()
    expected = {g["iri"]: g["triples"] for g in release.manifest["graphs"].values()}
    counted = {k: n for k, (_, n) in files.items() if k}
    if counted != {k: v for k, v in expected.items() if v}:
        raise PublishError(
            2, f"{release.dataset}: its graphs {counted} do not match the manifest {expected}; rebuild it"
        )
    return {k: (p, n) for k, (p, n) in files.items()}


def publish(
    release: releases.Release,
    target: urllib.parse.SplitResult,
    timeout: float,
    log=lambda message: None,
    auth: tuple[str, str] | None = None,
) -> dict[str, int]:
    """PUT every graph of `release` into the store at `target`; return triples sent per graph."""
    sent: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="karabakh-kg-publish-") as tmp:
        graphs = split_graphs(release, Path(tmp))
        for iri, (path, count) in sorted(graphs.items()):
            started = time.perf_counter()
            put_graph(target, iri, path, timeout, auth)
            sent[iri or "default graph"] = count
            log(f"  {iri or 'default graph'}: {count} triples in {time.perf_counter() - started:.2f} s")
    return sent


def _put(target: urllib.parse.SplitResult, request_path: str, path: Path, headers: dict, timeout: float):
    """Send one PUT with the file as body; return (response, the start of its body as text)."""
    cls = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    conn = cls(target.hostname, target.port, timeout=timeout)
    try:
        with path.open("rb") as body:
            try:
                conn.request("PUT", request_path, body=body, headers=headers)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the store answered early (e.g. 401) and closed: its answer is still there to read
            response = conn.getresponse()
            return response, response.read(4096).decode("utf-8", "replace").strip()
    finally:
        conn.close()


def authorization(target: urllib.parse.SplitResult, request_path: str, auth: tuple[str, str], timeout: float) -> str:
    """The Authorization header for a PUT: Digest when the store's challenge asks for it, else Basic.

    The challenge comes from a HEAD of the same URL (no body sent twice); Virtuoso answers a Basic
    attempt with a bare 401, so the scheme must be known before the PUT.
    """
    cls = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    conn = cls(target.hostname, target.port, timeout=timeout)
    try:
        conn.request("HEAD", request_path, headers={"User-Agent": "karabakh-kg publish"})
        response = conn.getresponse()
        response.read()
        challenge = response.headers.get("WWW-Authenticate", "")
    finally:
        conn.close()
    if response.status == 401 and challenge.lower().startswith("digest "):
        return digest_authorization(auth, challenge, "PUT", request_path)
    return "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")


def put_graph(
    target: urllib.parse.SplitResult, graph: str, path: Path, timeout: float, auth: tuple[str, str] | None = None
) -> None:
    """One Graph Store Protocol PUT: replace `graph` (or the default graph when empty) with `path`."""
    param = urllib.parse.urlencode({"graph": graph}) if graph else "default"
    query = f"{target.query}&{param}" if target.query else param
    request_path = (target.path or "/") + "?" + query
    headers = {
        "Content-Type": "application/n-triples",
        "Content-Length": str(path.stat().st_size),
        "User-Agent": "karabakh-kg publish",
    }
    try:
        if auth:
            headers["Authorization"] = authorization(target, request_path, auth, timeout)
        response, text = _put(target, request_path, path, headers, timeout)
    except TimeoutError:
        raise PublishError(2, f"{safe(target)}: no answer within {timeout:g} s while sending <{graph}>") from None
    except OSError as err:
        raise PublishError(2, f"{safe(target)}: cannot reach the store ({err})") from None
    except http.client.HTTPException as err:
        raise PublishError(2, f"{safe(target)}: the store broke the HTTP exchange ({err!r})") from None
    if response.status in (200, 201, 204):
        return
    where = f"<{graph}>" if graph else "the default graph"
    reason = f"{response.status} {response.reason}" + (f": {text[:500]}" if text else "")
    if response.status in (401, 403):
        raise PublishError(
            2,
            f"{safe(target)} refused {where}: {reason} (check {USER_ENV} and {PASSWORD_ENV} "
            "and that the store accepts writes)",
        )
    if response.status in (404, 405, 501):
        raise PublishError(
            2,
            f"{safe(target)} refused {where}: {reason} (is this the store's "
            "Graph Store Protocol URL, and is the store writable?)",
        )
    raise PublishError(1, f"{safe(target)} refused {where}: {reason}")
