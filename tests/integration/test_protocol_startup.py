"""A missing, incomplete or corrupt build is refused at start-up with a clear message, never served."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from karabakh_kg.releases import ReleaseError
from karabakh_kg.web.app import create_app


@pytest.fixture
def broken_build(tmp_path, release_dir):
    """A copy of the test build that a test may damage."""
    copy = tmp_path / "build"
    shutil.copytree(release_dir, copy, symlinks=True)
    return copy, (copy / "current").resolve()


def serve(build_dir, *extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "karabakh_kg.cli", "serve", "--port", "0", "--build-dir", str(build_dir), *extra],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_no_build(tmp_path):
    with pytest.raises(ReleaseError, match="no build found"):
        create_app({"BUILD_DIR": str(tmp_path)})
    done = serve(tmp_path)
    assert done.returncode == 2 and "cannot start" in done.stderr and "karabakh-kg build" in done.stderr
    assert "Traceback" not in done.stderr


def test_truncated_dataset(broken_build):
    build, release = broken_build
    data = (release / "dataset.nq").read_bytes()
    (release / "dataset.nq").write_bytes(data[: len(data) // 2])
    with pytest.raises(ReleaseError, match="truncated"):
        create_app({"BUILD_DIR": str(build)})
    done = serve(build)
    assert done.returncode == 2 and "truncated" in done.stderr


def test_corrupt_manifest(broken_build):
    build, release = broken_build
    (release / "manifest.json").write_text("{ not json", encoding="utf-8")
    done = serve(build)
    assert done.returncode == 2 and "manifest" in done.stderr


def test_missing_store(broken_build):
    build, release = broken_build
    shutil.rmtree(release / "store")
    done = serve(build)
    assert done.returncode == 2 and "store" in done.stderr


def test_corrupt_store(broken_build):
    build, release = broken_build
    for path in (release / "store").iterdir():
        if path.is_file():
            path.write_bytes(b"garbage")
    done = serve(build)
    assert done.returncode == 2 and "store" in done.stderr.lower()


def test_unknown_engine(release_dir):
    done = serve(release_dir, "--engine", "virtuoso")
    assert done.returncode == 2 and "unknown engine" in done.stderr
    with pytest.raises(ValueError, match="unknown engine"):
        create_app({"BUILD_DIR": str(release_dir), "ENGINE": "nope"})


def test_rdflib_engine_refuses_corrupt_dataset(broken_build):
    build, release = broken_build
    data = b"<http://a> <http://b> this is not n-quads .\n"
    (release / "dataset.nq").write_bytes(data)
    manifest = json.loads((release / "manifest.json").read_text())
    manifest["dataset_bytes"] = len(data)
    (release / "manifest.json").write_text(json.dumps(manifest))
    from karabakh_kg.web.engines import EngineError

    with pytest.raises(EngineError, match="cannot load"):
        create_app({"BUILD_DIR": str(build), "ENGINE": "rdflib"})
