"""A build never deletes what is served, a rebuild is atomic, a damaged release is never accepted.

- pruning keeps the release `current` names, every release a running server serves, and the last
  one that passed verification, however many builds land meanwhile;
- `build --force` of the same version writes beside the old folder and swaps `current` in one
  rename: a reader checking `current/manifest.json` throughout never misses it;
- `releases.verify` (run by `serve` at start and on every reload) checks the checksums the manifest
  records: a flipped byte in a store file or a truncated dump is refused, with a message that
  names the file inside the release, never an absolute path;
- a damaged store reaches no client as a path or a storage message, and a dump cut after the
  release was accepted is answered 503, not served as if whole;
- a worker that cannot open its release answers 503 and the master stays up.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from karabakh_kg import config, releases
from karabakh_kg.web import server
from support.builds import ENDPOINT_TRIG, build_release
from support.sec import children_of, request


def _variant(tmp_path: Path, n: int) -> Path:
    """A TriG file like the endpoint fixture, with one extra triple (so another version)."""
    trig = tmp_path / f"v{n}.trig"
    trig.write_text(
        ENDPOINT_TRIG.read_text(encoding="utf-8")
        + f"\n<https://w3id.org/karabakh-kg/graph/asserted> {{ <urn:x:{n}> <urn:x:p> {n} . }}\n",
        encoding="utf-8",
    )
    return trig


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))


def test_pruning_keeps_the_served_current_and_last_verified_releases(tmp_path):
    build = tmp_path / "build"
    served = build_release(_variant(tmp_path, 0), build)
    mark = releases.mark_served(build, served)  # as `serve` does, under this (live) process's id
    verified = build_release(_variant(tmp_path, 1), build)
    releases.verify(releases.open_current(build))
    for n in range(2, 7):  # five builds and no reload
        build_release(_variant(tmp_path, n), build)
    assert served.path.is_dir() and (served.path / "store").is_dir()
    assert verified.path.is_dir()
    assert releases.open_current(build).path.is_dir()
    assert len(list((build / "releases").iterdir())) <= 4
    mark.unlink()
    build_release(_variant(tmp_path, 7), build)
    assert not served.path.exists()  # no longer served: pruned like any old release


def test_a_forced_rebuild_of_the_same_version_never_leaves_current_without_a_manifest(tmp_path):
    build = tmp_path / "build"
    first = build_release(ENDPOINT_TRIG, build)
    misses, checks, stop = [0], [0], threading.Event()

    def reader():
        while not stop.is_set():
            checks[0] += 1
            if not (build / "current" / "manifest.json").is_file():
                misses[0] += 1

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(3):
            again = build_release(ENDPOINT_TRIG, build)
    finally:
        stop.set()
        thread.join()
    assert again.version == first.version and again.path != first.path
    assert checks[0] > 100 and misses[0] == 0, f"{misses[0]} of {checks[0]} checks found no manifest"


@pytest.fixture
def copied_build(tmp_path, release_dir):
    build = tmp_path / "build"
    shutil.copytree(release_dir, build, symlinks=True)
    return build


@pytest.mark.parametrize("damage", ["store file with a flipped byte", "truncated dump", "missing dump"])
def test_a_damaged_release_is_refused_by_verification(copied_build, damage):
    release = releases.open_current(copied_build)
    if damage.startswith("store"):
        sst = max((release.store).glob("*.sst"), key=lambda p: p.stat().st_size)
        _flip_a_byte(sst)
    elif damage.startswith("truncated"):
        dump = next(release.dumps.iterdir())
        os.truncate(dump, dump.stat().st_size // 2)
    else:
        next(release.dumps.iterdir()).unlink()
    with pytest.raises(releases.ReleaseError) as refused:
        server.verify_release(config.load({"BUILD_DIR": str(copied_build)}))
    assert str(copied_build) not in str(refused.value) and "/" not in str(refused.value).split(": ")[0]
    assert "rebuild" in str(refused.value)


@pytest.mark.parametrize("damage", ["flipped bytes", "store folder gone"])
def test_a_damaged_store_reaches_no_client_as_a_path(copied_build, make_app, damage):
    store = releases.open_current(copied_build).store
    if damage == "flipped bytes":
        for sst in store.glob("*.sst"):
            _flip_a_byte(sst)
    else:
        shutil.rmtree(store)
    # no verification here; the store is read from disk (a small release is otherwise queried in memory)
    client = make_app(BUILD_DIR=str(copied_build), QUERY_PROCESSES=1, MEMORY_STORE_QUADS=0).test_client()
    response = client.get("/sparql?" + urlencode({"query": "SELECT * WHERE { ?s ?p ?o }"}))
    text = response.get_data(as_text=True)
    assert response.status_code == 500 and "logged on the server" in text, text
    for secret in (str(copied_build), ".sst", "Corruption", "/tmp", "store"):
        assert secret not in text


def test_a_dump_cut_after_the_release_was_accepted_is_not_served_as_whole(copied_build, make_app):
    client = make_app(BUILD_DIR=str(copied_build)).test_client()
    dump = next(releases.open_current(copied_build).dumps.iterdir())
    whole = client.get(f"/dumps/{dump.name}")
    assert whole.status_code == 200
    whole.close()
    os.truncate(dump, dump.stat().st_size // 2)
    response = client.get(f"/dumps/{dump.name}")
    assert response.status_code == 503 and b"damaged" in response.data


@pytest.mark.live
def test_a_worker_that_cannot_open_its_release_never_takes_the_master_down(copied_build, live_server_factory):
    live = live_server_factory(copied_build, workers=1, threads=4)
    master = live.process.pid
    shutil.rmtree(releases.open_current(copied_build).path)  # what an unsafe prune once did
    for worker in children_of(master):
        os.kill(worker, signal.SIGKILL)
    deadline, status = time.monotonic() + 20, None
    while time.monotonic() < deadline:
        try:
            status = request(live.url, "GET", "/health", timeout=5).status
        except OSError:
            status = None
        if status == 503:
            break
        time.sleep(0.2)  # polling until the replacement worker answers
    assert status == 503, live.log()[-2000:]
    assert live.process.poll() is None, "the master stopped"
    assert "this worker cannot serve" in live.log()
