"""Small releases for tests, written by the project's own release writer from TriG."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import rdflib

from karabakh_kg.build import release_writer
from karabakh_kg.namespaces import DEFAULT_BASE
from support.paths import DATA

ENDPOINT_TRIG = DATA / "endpoint.trig"
ENGINES = ("oxigraph", "rdflib")


def build_release(trig: Path | str, build_dir: Path, base: str = DEFAULT_BASE):
    """Write a release of a TriG file (a Path) or text (a str) with the project's release writer."""
    text = trig.read_text(encoding="utf-8") if isinstance(trig, Path) else trig
    with warnings.catch_warnings():  # rdflib 7.x deprecations inside its own TriG parser
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset = rdflib.Dataset()
        dataset.parse(data=text, format="trig")
    version = "test-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return release_writer.write(dataset, build_dir, version=version, base=base)


def build_from_trig(text: str, build_dir: Path, base: str = DEFAULT_BASE) -> Path:
    """A build folder holding a release of a TriG text."""
    build_release(text, build_dir, base)
    return build_dir
