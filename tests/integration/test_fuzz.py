"""Property-based fuzzing of every route: random and mutated queries, parameters, headers,
methods and bodies (non-UTF-8, huge, empty). Never a 500, never a stack trace, never a hang past
the timeout. How many cases ran is counted and printed in pytest's terminal summary.

The app runs in-process (Flask test client) with real query processes and a 2 s timeout, on the
small endpoint fixture, so a case costs milliseconds; `FUZZ_EXAMPLES` scales the runs.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from importlib import resources
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from karabakh_kg.web.app import create_app
from support.sec import count, has_stack_trace, record

TIMEOUT = 2.0
SLACK = 3.0
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))


@pytest.fixture(scope="module", autouse=True)
def _figures():
    """The fuzz figures (cases counted by each property, examples per property) in the summary."""
    yield
    record("fuzz", examples_per_property=EXAMPLES)


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

COMPETENCY = sorted(
    entry.read_text(encoding="utf-8")
    for entry in resources.files("karabakh_kg.queries").iterdir()
    if entry.name.endswith(".rq")
) + [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 3",
    "ASK { ?s a ?t }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5",
    "DESCRIBE <https://w3id.org/karabakh-kg/id/aghdam>",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
]
KEYWORDS = [
    "SELECT",
    "ASK",
    "CONSTRUCT",
    "DESCRIBE",
    "WHERE",
    "FILTER",
    "OPTIONAL",
    "UNION",
    "MINUS",
    "GRAPH",
    "SERVICE",
    "VALUES",
    "BIND",
    "FROM",
    "FROM NAMED",
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "LIMIT",
    "OFFSET",
    "ORDER BY",
    "GROUP BY",
    "HAVING",
    "REGEX",
    "STR",
    "COUNT",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ".",
    ";",
    ",",
    "*",
    "?x",
    "$y",
    "<",
    ">",
    '"',
    "'",
    '"""',
    "#",
    "\\",
    "\\u0022",
    "^^",
    "@en",
    "_:b",
    "a",
    "<file:///etc/passwd>",
    "<http://127.0.0.1:9/>",
    "\x00",
    "\ud7ff",
    "\u202e",
    "%",
    "||",
    "&&",
    "!",
]
ACCEPTS = [
    "*/*",
    "text/html",
    "application/json",
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "text/turtle",
    "application/rdf+xml",
    "application/ld+json",
    "application/n-triples",
    "application/trig",
    "application/n-quads",
    "text/plain",
    "image/png",
    "text/html;q=0",
    "*/*;q=0",
    "application/*",
    "text/*;q=0.5, */*;q=0.1",
    "",
    ";;;",
    "q=1",
    "*/*;q=abc",
    "text/html;q=2",
    "a/b/c",
    "\u00e9/\u00e9",
]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/sparql-query",
    "application/sparql-update",
    "application/sparql-query; charset=utf-8",
    "application/sparql-query; charset=latin-1",
    "application/x-www-form-urlencoded; charset=UTF-16",
    "text/plain",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    "application/json",
    "text/turtle",
    "application/ld+json",
    "",
    "/",
    ";charset=",
]
HEADER_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f")
METHODS = ["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND", "BREW"]
PARAMS = [
    "query",
    "update",
    "format",
    "default-graph-uri",
    "named-graph-uri",
    "using-graph-uri",
    "example",
    "q",
    "query[]",
    "",
    "\u00e9",
    "callback",
]
FORMATS = [
    "json",
    "xml",
    "csv",
    "tsv",
    "turtle",
    "ttl",
    "nt",
    "ntriples",
    "jsonld",
    "rdfxml",
    "trig",
    "nquads",
    "html",
    "srj",
    "text/csv",
    "x",
    "",
]
SEGMENTS = [
    "aghdam",
    "aghdam.ttl",
    "aghdam.jsonld",
    "aghdam.rdf",
    "aghdam.nt",
    "aghdam.html",
    "article/2020-11-20-aghdam",
    "..",
    ".",
    "%2e%2e",
    "%2F",
    "a%00b",
    "..%2f..%2fetc%2fpasswd",
    "\\..\\",
    "x" * 3000,
    "\u00e9",
    "%ff%fe",
    "0.1.0",
    "0.1.0.owl",
    "actors",
    "actors.rq",
    "asserted",
    "style.css",
    "nonexistent",
    "<script>",
    "%",
]


def _routes(app) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules()})


@pytest.fixture(scope="module")
def fuzz_app(release_dir):
    app = create_app(
        {
            "BUILD_DIR": str(release_dir),
            "QUERY_TIMEOUT": TIMEOUT,
            "QUERY_PROCESSES": 2,
            "ACCESS_LOG": False,
            "MAX_BODY_BYTES": 1_000_000,
        }
    )
    yield app
    app.extensions["karabakh_kg"].runner.close()


@pytest.fixture(scope="module")
def fuzz_app_rdflib(release_dir):
    app = create_app(
        {
            "BUILD_DIR": str(release_dir),
            "ENGINE": "rdflib",
            "QUERY_TIMEOUT": TIMEOUT,
            "QUERY_PROCESSES": 2,
            "ACCESS_LOG": False,
        }
    )
    yield app
    app.extensions["karabakh_kg"].runner.close()


# --- strategies ---------------------------------------------------------------------------------


@st.composite
def mutated_query(draw) -> str:
    """A competency query with a few random edits: cut, duplicate, insert tokens or junk, swap."""
    text = draw(st.sampled_from(COMPETENCY))
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(0, 4))):
        op = rng.choice(["cut", "dup", "insert", "junk", "swap", "truncate", "case"])
        i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        if op == "cut":
            text = text[:i] + text[j:]
        elif op == "dup":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "insert":
            text = text[:i] + " " + rng.choice(KEYWORDS) + " " + text[i:]
        elif op == "junk":
            text = text[:i] + draw(st.text(max_size=20)) + text[i:]
        elif op == "swap":
            words = re.findall(r"[A-Za-z]+", text)
            if words:
                text = text.replace(rng.choice(words), rng.choice(KEYWORDS), 1)
        elif op == "truncate":
            text = text[:i]
        else:
            text = text.swapcase()
    return text


queries = st.one_of(
    mutated_query(),
    st.text(max_size=300),
    st.lists(st.sampled_from(KEYWORDS), max_size=40).map(" ".join),
    st.builds(
        lambda k, n: k * n,
        st.sampled_from(["{", "(", "[", "SELECT * {", "OPTIONAL {", "\\", '"', "a."]),
        st.integers(1, 400),
    ),
)
raw_bytes = st.one_of(
    st.binary(max_size=400),
    st.just(b""),
    st.just(b"\xff\xfe\xfd"),
    st.just(b"query=%ff%fe"),
    st.just(b"query=SELECT+*+WHERE+%7B%7D&query=ASK%7B%7D"),
    st.just("query=SELECT * WHERE { ?s ?p 'é' }".encode("latin-1")),
    st.builds(lambda n: b"a" * n, st.sampled_from([999_999, 1_000_001, 1_500_000])),
)


@st.composite
def query_string(draw) -> str:
    if draw(st.booleans()):
        return "".join(f"%{b:02X}" for b in draw(st.binary(max_size=60)))  # arbitrary bytes, percent-encoded
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(PARAMS), st.one_of(queries, st.sampled_from(FORMATS), st.text(max_size=40))),
            max_size=4,
        )
    )
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass")


@st.composite
def path(draw, app) -> str:
    rule = draw(st.sampled_from(_routes(app)))

    def fill(match):
        if draw(st.booleans()):
            return draw(st.sampled_from(SEGMENTS))
        return quote(
            draw(st.text(min_size=1, max_size=30)),
            safe=draw(st.sampled_from(["", "/", "/%.:"])),
            errors="surrogatepass",
        )

    return re.sub(r"<[^>]+>", fill, rule)


@st.composite
def headers(draw) -> dict:
    found = {}
    if draw(st.booleans()):
        found["Accept"] = draw(st.one_of(st.sampled_from(ACCEPTS), st.text(HEADER_CHARS, max_size=40)))
    if draw(st.booleans()):
        found["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES))
    if draw(st.booleans()):
        found["Accept-Encoding"] = draw(st.sampled_from(["gzip", "br", "gzip;q=0", "*", "identity;q=0", ""]))
    if draw(st.booleans()):
        found["If-None-Match"] = draw(st.sampled_from(["*", 'W/"x"', '"', "", 'W/"' + "a" * 500 + '"']))
    if draw(st.booleans()):
        found[draw(st.sampled_from(["Origin", "Range", "If-Modified-Since", "X-Forwarded-For", "Host", "Cookie"]))] = (
            draw(st.sampled_from(["bytes=0-10", "bytes=-1,5-", "null", "127.0.0.1", "x" * 300, "evil.example", "a=b"]))
        )
    return found


# --- the checks ---------------------------------------------------------------------------------


def check(response, started: float, what: str) -> None:
    seconds = time.monotonic() - started
    body = response.get_data()
    assert response.status_code < 500 or (response.status_code == 503 and b"timed out" in body), (
        what,
        response.status_code,
        body[:400],
    )
    assert not has_stack_trace(body), (what, body[:400])
    assert seconds < TIMEOUT + SLACK, (what, f"{seconds:.1f} s")
    if response.status_code >= 400:
        content_type = response.headers.get("Content-Type", "")
        if re.search(r"(^| )/reconcile", what) and content_type.startswith("application/json"):
            # the W3C reconciliation API answers its clients' mistakes in JSON, with a message
            assert json.loads(body)["message"], (what, body[:400])
        else:
            assert content_type.startswith(("text/plain", "text/html")), (what, content_type)


def _count(property_name: str) -> None:
    count("fuzz", "cases")
    count("fuzz", property_name)


# --- the properties -----------------------------------------------------------------------------


def test_fuzz_queries_on_sparql(fuzz_app):
    """Random and mutated query texts, by GET, form POST and direct POST, in every format."""
    client = fuzz_app.test_client()

    @FUZZ
    @given(
        query=queries,
        how=st.sampled_from(["get", "form", "direct"]),
        fmt=st.sampled_from(FORMATS + [None]),
        accept=st.sampled_from(ACCEPTS),
    )
    def run(query, how, fmt, accept):
        _count("queries")
        params = {"format": fmt} if fmt else {}
        started = time.monotonic()
        if how == "get":
            r = client.get(
                "/sparql?" + urlencode({"query": query, **params}, errors="surrogatepass"), headers={"Accept": accept}
            )
        elif how == "form":
            r = client.post(
                "/sparql",
                data=urlencode({"query": query, **params}, errors="surrogatepass"),
                headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
            )
        else:
            r = client.post(
                "/sparql?" + urlencode(params),
                data=query.encode("utf-8", "surrogatepass"),
                headers={"Accept": accept, "Content-Type": "application/sparql-query"},
            )
        check(r, started, query[:200])

    run()


def test_fuzz_every_route_method_header_and_body(fuzz_app):
    """Any route (with random path values), any method, query string, headers and body."""
    client = fuzz_app.test_client()

    @FUZZ
    @given(data=st.data())
    def run(data):
        _count("routes")
        method = data.draw(st.one_of(st.sampled_from(METHODS)))
        target = data.draw(path(fuzz_app))
        qs = data.draw(query_string())
        hdrs = data.draw(headers())
        body = data.draw(raw_bytes) if method not in ("GET", "HEAD") or data.draw(st.booleans()) else None
        started = time.monotonic()
        r = client.open(target + ("?" + qs if qs else ""), method=method, headers=hdrs, data=body)
        check(r, started, f"{method} {target[:100]}?{qs[:100]} {hdrs}")

    run()


def test_fuzz_named_queries_and_pages(fuzz_app):
    """The named queries and linked-data pages with random parameters and Accept headers."""
    client = fuzz_app.test_client()
    names = list(client.get("/queries/", headers={"Accept": "application/json"}).get_json())
    targets = [f"/queries/{q['name']}" for q in names] + [
        "/",
        "/doc/aghdam",
        "/id/aghdam",
        "/ontology",
        "/timeline",
        "/.well-known/void",
        "/dumps/",
        "/sparql",
        "/health",
    ]

    @FUZZ
    @given(target=st.sampled_from(targets), qs=query_string(), hdrs=headers())
    def run(target, qs, hdrs):
        _count("pages")
        started = time.monotonic()
        r = client.get(target + "?" + qs, headers=hdrs)
        check(r, started, f"{target}?{qs[:200]} {hdrs}")

    run()


def test_fuzz_mutated_queries_on_the_rdflib_engine(fuzz_app_rdflib):
    """rdflib's engine raises plain exceptions of every kind: each must still be a clean 4xx."""
    client = fuzz_app_rdflib.test_client()

    @settings(FUZZ, max_examples=max(10, EXAMPLES // 2))
    @given(query=mutated_query(), fmt=st.sampled_from(["json", "xml", "csv", "tsv", "turtle", "jsonld", None]))
    def run(query, fmt):
        _count("rdflib_queries")
        started = time.monotonic()
        params = {"format": fmt} if fmt else {}
        r = client.get("/sparql?" + urlencode({"query": query, **params}, errors="surrogatepass"))
        check(r, started, query[:200])

    run()


def test_fuzz_raw_http_on_the_live_server(live_server):
    """Raw bytes on the wire to gunicorn: malformed request lines, methods, headers and bodies (with a
    correct Content-Length, so the server is never left waiting for more). The answer is never a 500
    nor a stack trace, and the server keeps answering /health."""
    import socket

    from support.sec import request as http

    port = int(live_server.url.rsplit(":", 1)[1])
    token = st.one_of(
        st.sampled_from(METHODS + ["GET", "POST", "", " ", "G\x00T"]), st.text(HEADER_CHARS, min_size=1, max_size=10)
    )
    target = st.one_of(
        st.sampled_from(
            [
                "/sparql",
                "/sparql?query=ASK%7B%7D",
                "/health",
                "/doc/aghdam",
                "*",
                "http://127.0.0.1/sparql",
                "/%",
                "/\\..\\",
                "//",
                "/" + "a" * 5000,
            ]
        ),
        st.binary(max_size=40).map(lambda b: "/" + b.decode("latin-1")),
    )
    version = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "", "HTTP/9"])
    header = st.tuples(
        st.sampled_from(
            [
                "Accept",
                "Content-Type",
                "Host",
                "Transfer-Encoding",
                "Expect",
                "X-" + "a" * 50,
                "Content-Type ",
                " Accept",
                "Connection",
            ]
        ),
        st.text(HEADER_CHARS, max_size=60),
    )

    @settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
    @given(method=token, path=target, ver=version, headers=st.lists(header, max_size=5), body=st.binary(max_size=200))
    def run(method, path, ver, headers, body):
        _count("raw_http")
        lines = [f"{method} {path} {ver}".encode("latin-1", "replace")]
        lines += [
            f"{name}: {value}".encode("latin-1", "replace")
            for name, value in headers
            if name.strip().lower() not in ("transfer-encoding", "expect")
        ]
        lines += [b"Host: 127.0.0.1", b"Connection: close", b"Content-Length: %d" % len(body)]
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT + SLACK) as conn:
            conn.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            answer = b""
            try:
                while chunk := conn.recv(65536):
                    answer += chunk
            except ConnectionResetError:
                pass
        assert time.monotonic() - started < TIMEOUT + SLACK
        status_line = answer.split(b"\r\n", 1)[0]
        assert not status_line.startswith((b"HTTP/1.1 500", b"HTTP/1.0 500")), (lines, answer[:300])
        assert not has_stack_trace(answer), answer[:500]

    run()
    assert http(live_server.url, "GET", "/health").status == 200
