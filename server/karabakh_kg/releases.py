"""The on-disk layout of builds: each build is a release folder, and `current` points at the good one.

A build writes into a temporary folder, then renames it to a folder of its own under `releases/`
(`<version>`, or `<version>.<n>` when a forced rebuild of the same version finds that name taken:
an existing release is never deleted to make room) and swaps the `current` symlink in one
`os.replace`, so a reader never sees half a build and a failed build leaves the last good one in
place.

The manifest records the SHA-256 of every file of the dumps (`dump_files`), of the store
(`store_files`: the only part that differs between two builds of the same input, as RocksDB writes
ids into its files) and of the whole-dataset figures (`figures_file`, when the release has them), and
`verify` checks them all before a server accepts a release. Pruning keeps a few recent releases
and never deletes the one `current` names, one a running server serves (each `serve` marks its
release under `.served/`), or the last one that passed verification (`.verified`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

MANIFEST = "manifest.json"
FIGURES = "figures.json"  # whole-dataset figures counted by the build (karabakh_kg/figures.py)
DATASET = "dataset.nq"
STORE = "store"
DUMPS = "dumps"
REQUIRED = (MANIFEST, DATASET)
PLAIN = "dataset"  # manifest "kind" of a release made from a user's own files (`serve --dataset`)
SERVED = ".served"  # one symlink per running server: <pid> -> the release it serves
VERIFIED = ".verified"  # symlink to the last release that passed `verify`


class ReleaseError(Exception):
    """The build folder has no usable release (missing, truncated or corrupt)."""


def dataset_quads(path: Path):
    """The quads of a dataset file, blank nodes labelled as the file writes them.

    Every store of a release is filled from here, so the on-disk store, a web worker's in-memory copy
    and the dumps all name a blank node alike (`Store.load` and `bulk_load` would give it a fresh
    random label on each load: two web workers would then answer with different labels).
    """
    return pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_QUADS)


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
    """Move a staged build into a fresh folder under `releases/` and point `current` at it atomically."""
    root = Path(build_dir)
    releases = root / "releases"
    releases.mkdir(exist_ok=True)
    target, n = releases / version, 1
    while True:  # a rebuild of the same version goes beside the old one, never in its place
        try:
            os.rename(staged, target)  # fails if the name is taken (a non-empty folder)
            break
        except OSError:
            if not target.exists():
                raise
            n += 1
            target = releases / f"{version}.{n}"
    _point(root / "current", Path("releases") / target.name)
    prune(root, keep=keep)
    return target


def _point(link: Path, target: Path) -> None:
    """Make `link` a symlink to `target` in one rename (readers see the old or the new, never none)."""
    tmp = link.parent / f".{link.name}-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def file_checksums(folder: Path, part: str) -> dict[str, dict]:
    """SHA-256 and size of every file under `part` (STORE or DUMPS) of a release, by path inside it."""
    found = {}
    for path in sorted((folder / part).rglob("*")):
        if path.is_file() and not path.name.startswith("LOG"):  # RocksDB's own info log may change
            found[path.relative_to(folder).as_posix()] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(release: Release) -> None:
    """Check every checksum the manifest records (dataset, store, dumps); raise ReleaseError if one differs.

    Messages name the file inside the release, never an absolute path.
    """
    expected = {
        **release.manifest.get("dump_files", {}),
        **release.manifest.get("store_files", {}),
        **release.manifest.get("figures_file", {}),
    }
    if not release.manifest.get("store_files") or not (release.plain or release.manifest.get("dump_files")):
        raise ReleaseError(f"release {release.version}: its manifest records no checksums; rebuild it")
    if _sha256(release.dataset) != release.manifest["dataset_sha256"]:
        raise ReleaseError(f"release {release.version}: {DATASET} does not match its checksum; rebuild it")
    for name, facts in expected.items():
        path = release.path / name
        if ".." in Path(name).parts or not path.is_file():
            raise ReleaseError(f"release {release.version}: {name} is missing; rebuild it")
        if path.stat().st_size != facts.get("bytes") or _sha256(path) != facts.get("sha256"):
            raise ReleaseError(f"release {release.version}: {name} does not match its checksum; rebuild it")
    try:
        _point(release.path.parent.parent / VERIFIED, Path("releases") / release.path.name)
    except OSError:  # a read-only build folder: nothing prunes it either
        pass


def figures(release: Release) -> dict | None:
    """The whole-dataset figures the build wrote with the release, or None for a release without them.

    A release whose manifest names the file but whose file is missing, unreadable or not the one
    recorded raises ReleaseError (`verify` refuses such a release before it is served)."""
    facts = release.manifest.get("figures_file", {}).get(FIGURES)
    if facts is None:
        return None
    path = release.path / FIGURES
    try:
        data = path.read_bytes()
    except OSError:
        raise ReleaseError(f"release {release.version}: {FIGURES} is missing; rebuild it") from None
    if len(data) != facts.get("bytes") or hashlib.sha256(data).hexdigest() != facts.get("sha256"):
        raise ReleaseError(f"release {release.version}: {FIGURES} does not match its checksum; rebuild it")
    return json.loads(data)


def intact(release: Release, name: str) -> bool:
    """Has file `name` of the release (e.g. `dumps/x.nq.gz`) still the size its manifest records?

    A cheap check for each download: `verify` read every byte when the release was accepted, this
    catches a file cut or replaced since.
    """
    facts = {**release.manifest.get("dump_files", {}), **release.manifest.get("store_files", {})}.get(name)
    try:
        return facts is not None and (release.path / name).stat().st_size == facts["bytes"]
    except OSError:
        return False


def mark_served(build_dir: Path | str, release: Release) -> Path | None:
    """Record that this process serves `release`, so no build prunes it; the mark, or None if the
    build folder is read-only (then no build can prune it either)."""
    folder = Path(build_dir) / SERVED
    mark = folder / str(os.getpid())
    try:
        folder.mkdir(exist_ok=True)
        _point(mark, release.path.resolve())
    except OSError:
        return None
    return mark


def _protected(root: Path) -> set[Path]:
    """The releases no pruning may delete: current, the last verified, and every one being served."""
    keep = set()
    for link in (root / "current", root / VERIFIED):
        if link.is_symlink():
            keep.add(link.resolve())
    served = root / SERVED
    if served.is_dir():
        for mark in served.iterdir():
            if _alive(mark.name):
                keep.add(mark.resolve())
            else:
                mark.unlink(missing_ok=True)  # a server that stopped without tidying up
    return keep


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def prune(build_dir: Path | str, keep: int = 3) -> None:
    """Keep the newest few releases (a reload can fall back on them) and every protected one."""
    root = Path(build_dir)
    releases = root / "releases"
    protected = _protected(root)
    old = sorted(
        (p for p in releases.iterdir() if p.is_dir() and p.resolve() not in protected),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in old[max(0, keep - len(protected)) :]:
        shutil.rmtree(path, ignore_errors=True)
