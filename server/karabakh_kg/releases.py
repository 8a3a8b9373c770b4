"""The on-disk layout of builds: each build is a release folder, and `current` points at the good one.

A build writes into a temporary folder, then renames it to `releases/<version>` and swaps the
`current` symlink in one `os.replace`, so a reader never sees half a build and a failed build
leaves the last good one in place.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
DATASET = "dataset.nq"
STORE = "store"
DUMPS = "dumps"
REQUIRED = (MANIFEST, DATASET)
PLAIN = "dataset"  # manifest "kind" of a release made from a user's own files (`serve --dataset`)


class ReleaseError(Exception):
    """The build folder has no usable release (missing, truncated or corrupt)."""


@dataclass(frozen=True)
class Release:
    """One finished build: its folder and its manifest."""

    path: Path
    manifest: dict

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def plain(self) -> bool:
        """A plain dataset: the user's files as they are, no ontology, no linked-data pages."""
        return self.manifest.get("kind") == PLAIN

    @property
    def dataset(self) -> Path:
        return self.path / DATASET

    @property
    def store(self) -> Path:
        return self.path / STORE

    @property
    def dumps(self) -> Path:
        return self.path / DUMPS


def open_current(build_dir: Path | str) -> Release:
    """Open the release `current` points at, checking that it is complete."""
    current = Path(build_dir) / "current"
    if not current.exists():
        raise ReleaseError(f"{current}: no build found; run `karabakh-kg build` first")
    path = current.resolve()
    for name in REQUIRED:
        if not (path / name).is_file():
            raise ReleaseError(f"{path / name}: missing; the build is incomplete, rebuild it")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReleaseError(f"{path / MANIFEST}: unreadable manifest ({err})") from None
    for key in ("version", "base", "graphs", "dataset_sha256", "dataset_bytes"):
        if key not in manifest:
            raise ReleaseError(f"{path / MANIFEST}: manifest lacks {key!r}")
    size = (path / DATASET).stat().st_size
    if size != manifest["dataset_bytes"]:
        raise ReleaseError(
            f"{path / DATASET}: {size} bytes, the manifest says {manifest['dataset_bytes']}: "
            "truncated or replaced; rebuild it"
        )
    return Release(path, manifest)


def staging_dir(build_dir: Path | str) -> Path:
    """A fresh temporary folder inside the build folder (same file system, so rename is atomic)."""
    root = Path(build_dir)
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=root))


def make_current(build_dir: Path | str, staged: Path, version: str, keep: int = 3) -> Path:
    """Move a staged build into `releases/<version>` and point `current` at it atomically."""
    root = Path(build_dir)
    releases = root / "releases"
    releases.mkdir(exist_ok=True)
    target = releases / version
    if target.exists():
        shutil.rmtree(target)
    os.replace(staged, target)
    link = root / f".current-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(Path("releases") / version, link)
    os.replace(link, root / "current")
    _prune(releases, keep=keep, protect=version)
    return target


def _prune(releases: Path, keep: int, protect: str) -> None:
    """Keep the newest few releases so a reload can still fall back on the previous one."""
    old = sorted(
        (p for p in releases.iterdir() if p.is_dir() and p.name != protect),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in old[keep - 1 :]:
        shutil.rmtree(path, ignore_errors=True)
