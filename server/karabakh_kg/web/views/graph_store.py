"""The SPARQL 1.1 Graph Store HTTP Protocol, read side: `GET`/`HEAD /store?graph=<iri>` or `?default`.

A client fetches one graph whole, in any RDF format by content negotiation, as Fuseki, Oxigraph
and Virtuoso offer it. The graph is read from the release's own sorted N-Quads file (the
immutable artefact every engine serves) and streamed: never cut at the SELECT row limit, never
held whole in memory, and the same for every engine. The default graph is the union of the
named graphs (as in queries); the sorted file puts a triple's copies on adjacent lines, so the
union is written without duplicates.

The store is read-only: the route takes no write method at all, so `PUT`, `POST`, `DELETE` and
`PATCH` are answered 405 Method Not Allowed with `Allow: GET, HEAD, OPTIONS` by the router (the
protocol's answer for an operation a graph store does not support; only /sparql reads a body).
A graph the release does not hold is a 404.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterator

import pyoxigraph as ox
from flask import Blueprint, Response, request

from karabakh_kg.releases import Release
from karabakh_kg.web import conneg
from karabakh_kg.web.results import RDF_FORMATS
from karabakh_kg.web.state import state
from karabakh_kg.web.views.responses import text_response

bp = Blueprint("graph_store", __name__)

ALLOW = "GET, HEAD, OPTIONS"
CHUNK = 64 * 1024


def graph_triples(release: Release, graph: str | None) -> Iterator[ox.Triple]:
    """The triples of one named graph (None: the union default graph), read from the release file."""
    previous = None
    with release.dataset.open("rb") as data:
        for quad in ox.parse(data, format=ox.RdfFormat.N_QUADS):
            if graph is None:
                if quad.triple != previous:  # sorted lines: a triple's copies are adjacent
                    previous = quad.triple
                    yield quad.triple
            elif isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value == graph:
                yield quad.triple


class _Pipe:
    """A file-like sink that hands the serializer's output to the response, a chunk at a time."""

    def __init__(self):
        self.chunks: queue.Queue = queue.Queue(maxsize=16)
        self.buffer = bytearray()
        self.closed = threading.Event()

    def write(self, data: bytes) -> int:
        if self.closed.is_set():
            raise BrokenPipeError("the client went away")
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self._put(bytes(self.buffer))
            self.buffer.clear()

    def _put(self, item) -> None:
        while not self.closed.is_set():
            try:
                self.chunks.put(item, timeout=1)
                return
            except queue.Full:
                continue
        raise BrokenPipeError("the client went away")


def stream(triples: Iterator[ox.Triple], fmt: conneg.Format, prefixes: dict[str, str]) -> Iterator[bytes]:
    """Serialize triples in a helper thread and yield the bytes as they come (bounded buffer)."""
    pipe = _Pipe()
    rdf_format = RDF_FORMATS[fmt.key]
    use_prefixes = prefixes if fmt.key in ("turtle", "trig", "rdfxml") else None

    def work():
        try:
            ox.serialize(triples, pipe, format=rdf_format, prefixes=use_prefixes)
            pipe.flush()
            pipe._put(None)
        except BrokenPipeError:
            pass
        except Exception as err:  # noqa: BLE001 - reported to the reader, which stops the body
            try:
                pipe._put(err)
            except BrokenPipeError:
                pass

    worker = threading.Thread(target=work, name="graph-store-writer", daemon=True)
    worker.start()
    try:
        while True:
            item = pipe.chunks.get()
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        pipe.closed.set()
        worker.join(timeout=5)


def graph_response(graph: str | None, format_param: str | None = None) -> Response:
    """Answer GET/HEAD for one graph (None: the default graph) of the release being served."""
    st = state()
    release = st.release
    known = {info["iri"] for info in release.manifest.get("graphs", {}).values()}
    if graph is not None and graph not in known:
        return text_response(
            404,
            f"Not Found: this store has no graph <{graph}>. GET ?default for the "
            "default graph, or see the Service Description at /sparql for the named graphs.",
        )
    try:
        fmt = conneg.negotiate(request.headers.get("Accept"), conneg.GRAPH, format_param)
    except conneg.NotAcceptable as err:
        response = text_response(406, str(err))
        response.vary.add("Accept")
        return response
    tag = hashlib.blake2b(f"{graph}\0{fmt.key}".encode(), digest_size=8).hexdigest()
    etag = f'W/"{release.version}-{tag}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = Response(status=304)
    elif request.method == "HEAD":
        response = Response(status=200, content_type=fmt.content_type)
    else:
        prefixes = release.manifest.get("prefixes") or {}
        body = stream(graph_triples(release, graph), fmt, prefixes)
        response = Response(body, status=200, content_type=fmt.content_type, direct_passthrough=True)
    response.headers["ETag"] = etag
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept")
    return response


def _target() -> tuple[bool, str | None]:
    """(valid, graph IRI or None for the default graph) from `?graph=` / `?default`."""
    graphs = request.args.getlist("graph")
    default = "default" in request.args
    if default == bool(graphs) or len(graphs) > 1:
        return False, None
    if default:
        return True, None
    try:
        ox.NamedNode(graphs[0])
    except ValueError:
        return False, graphs[0]
    return True, graphs[0]


@bp.route("/store", methods=["GET", "HEAD", "OPTIONS"])
def store():
    """Graph Store Protocol with indirect graph identification, read-only."""
    if request.method == "OPTIONS":
        response = Response(status=204)
        response.headers.update(
            {
                "Allow": ALLOW,
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": ALLOW,
                "Access-Control-Allow-Headers": "Accept, If-None-Match",
            }
        )
        return response
    valid, graph = _target()
    if not valid:
        shown = f" ({graph!r} is not an absolute IRI)" if graph else ""
        return text_response(400, f"Bad Request: name exactly one graph, as ?graph=<absolute IRI> or ?default{shown}.")
    return graph_response(graph, request.args.get("format"))
