"""Path traversal: every route that takes a path or a name answers 404 to traversal
attempts (`..`, encoded and double-encoded dots and slashes, backslashes, overlong UTF-8, NUL,
absolute paths), and never the content of a file.

Canary files with unique tokens are planted beside the release, in the build folder and above it;
requests go raw (the path exactly as written) to gunicorn on 127.0.0.1, and in-process too.
"""

from __future__ import annotations

import os
import shutil

import pytest

from support.sec import has_stack_trace, record, request

pytestmark = pytest.mark.live

# Every route that takes a path or a name, with `{}` where the attacker's text goes.
ROUTES = [
    "/id/{}",
    "/doc/{}",
    "/doc/aghdam/{}",
    "/ontology/{}",
    "/ontology.{}",
    "/graph/{}",
    "/article/{}",
    "/dumps/{}",
    "/queries/{}",
    "/queries/{}.rq",
    "/static/{}",
    "/{}",
]
UP = [
    "../",
    "..%2f",
    "..%2F",
    "%2e%2e/",
    "%2e%2e%2f",
    ".%2e/",
    "%2e./",
    "..\\",
    "..%5c",
    "%252e%252e%252f",
    "%c0%ae%c0%ae/",
    "..%c0%af",
    "....//",
    "..;/",
    "%2e%2e%5c",
    "%EF%BC%8E%EF%BC%8E/",
    "..%00/",
    "%u002e%u002e/",
]
DEPTHS = [1, 4]
SECRETS = ["canary.txt", "manifest.json", "etc/passwd", "app.py"]
ABSOLUTE = [
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "//etc/passwd",
    "file:///etc/passwd",
    "C:\\Windows\\win.ini",
    "\\\\127.0.0.1\\share",
    "%00",
    "canary.txt%00.ttl",
    "~/.bashrc",
    "$HOME",
    ".",
]
FORBIDDEN = ("root:x:0:0", '"dataset_sha256"', "def create_app", "[project]", "<https://w3id.org/karabakh-kg/graph/")


def attempts() -> list[str]:
    found = []
    for route in ROUTES:
        for up in UP:
            for depth in DEPTHS:
                for secret in SECRETS:
                    found.append(route.format(up * depth + secret))
        for absolute in ABSOLUTE:
            found.append(route.format(absolute))
    return sorted(set(found))


@pytest.fixture(scope="module")
def planted(release_dir, tmp_path_factory):
    """A copy of the test build with canary files beside, inside and above the release."""
    root = tmp_path_factory.mktemp("paths")
    build = root / "build"
    shutil.copytree(release_dir, build, symlinks=True)
    release = (build / "current").resolve()
    token = "canary-" + os.urandom(8).hex()
    for folder in (root, build, release, release / "dumps", release / "store"):
        (folder / "canary.txt").write_text(token + "\n", encoding="utf-8")
    return build, token


@pytest.fixture(scope="module")
def server(live_server_factory, planted):
    build, _ = planted
    return live_server_factory(build, workers=1, threads=4)


def assert_no_file(status: int, body: bytes, token: str, where: str) -> None:
    text = body.decode("utf-8", errors="replace")
    assert token not in text, f"{where}: a canary file was served"
    for marker in FORBIDDEN:
        assert marker not in text, f"{where}: served {marker!r}"
    assert not has_stack_trace(body), where


def test_traversal_on_the_live_server_is_404(server, planted):
    _, token = planted
    statuses: dict[int, int] = {}
    not_404 = []
    paths = attempts()
    for path in paths:
        try:
            reply = request(server.url, "GET", path, {"Accept": "*/*"}, timeout=15)
        except OSError as err:  # gunicorn may drop a request line it cannot read: no file either
            statuses[0] = statuses.get(0, 0) + 1
            not_404.append((path, type(err).__name__))
            continue
        if reply.status == 308:  # `//` merged into `/` by a redirect on this server: follow it once
            location = reply.headers["location"]
            assert location.startswith(("/", server.url)), location
            reply = request(server.url, "GET", location.removeprefix(server.url), {"Accept": "*/*"}, timeout=15)
        statuses[reply.status] = statuses.get(reply.status, 0) + 1
        assert_no_file(reply.status, reply.body, token, path)
        if reply.status != 404:
            not_404.append((path, reply.status))
    record("paths", live_attempts=len(paths), live_statuses=" ".join(f"{k}:{v}" for k, v in sorted(statuses.items())))
    # gunicorn itself refuses a few malformed request lines with 400 before the app sees them
    assert all(status == 400 for _, status in not_404), not_404[:20]
    assert statuses.get(404, 0) >= len(paths) * 0.95, statuses


def test_traversal_in_process_is_404(planted, make_app):
    build, token = planted
    client = make_app(BUILD_DIR=str(build), ACCESS_LOG=False).test_client()
    paths = attempts()
    wrong = []
    for path in paths:
        response = client.get(path)
        response.close()
        assert response.status_code != 308, f"{path}: a slash redirect (its Location would come from Host)"
        assert_no_file(response.status_code, response.get_data(), token, path)
        if response.status_code != 404:
            wrong.append((path, response.status_code))
    record("paths", in_process_attempts=len(paths))
    assert wrong == [], wrong[:20]


def test_real_files_next_to_the_routes_are_not_served(server, planted):
    """The files a route could reach by name (inside the release or package) are 404, dumps excepted."""
    _, token = planted
    for path in (
        "/dumps/canary.txt",
        "/dumps/manifest.json",
        "/dumps/../manifest.json",
        "/static/../app.py",
        "/static/../templates/base.html",
        "/static/%2e%2e/app.py",
        "/static/..%2fapp.py",
        "/queries/../safety",
        "/queries/..%2fsafety.rq",
        "/queries/pages%2fresources.rq",
        "/queries/pages/resources.rq",
        "/queries/build%2fdiagram-classes.rq",
        "/ontology/diagram.svg/../../manifest.json",
    ):
        reply = request(server.url, "GET", path)
        assert reply.status in (404, 400), (path, reply.status)
        assert_no_file(reply.status, reply.body, token, path)
        assert "{% " not in reply.text and "PREFIX " not in reply.text, path
