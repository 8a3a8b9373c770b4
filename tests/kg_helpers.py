"""Helpers for the knowledge-graph tests: run queries on a store, copy the inputs to break them."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).parent / "expected"


def rows(store, text: str) -> set[tuple]:
    """A SELECT query's rows as a set of tuples of plain strings (None where unbound)."""
    result = store.query(text, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return {tuple(None if row[n] is None else row[n].value for n in names) for row in result}


def copy_inputs(tmp_path: Path) -> Path:
    """A copy of ontology/ and data/ that a test may break; returns the source folder."""
    source = tmp_path / "src"
    for folder in ("ontology", "data"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    return source


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
