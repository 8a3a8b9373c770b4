"""Helpers for the knowledge-graph tests: run queries on a store, copy the inputs to break them."""

from __future__ import annotations

import shutil
from pathlib import Path

from karabakh_kg import cli, releases
from support.paths import EXPECTED, ROOT  # noqa: F401 - re-exported for the tests


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


def build(capsys, source: Path, build_dir: Path) -> tuple[int, str]:
    code = cli.main(["build", "--source", str(source), "--build-dir", str(build_dir)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err


def snapshot(build_dir: Path) -> tuple[str, bytes]:
    current = releases.open_current(build_dir)
    return current.version, current.dataset.read_bytes()


def check_failed(capsys, tmp_path, good_build, *expected: str) -> str:
    """Build from `tmp_path/src` into `good_build`: it must fail naming `expected`, leaving the build as it was."""
    before = snapshot(good_build)
    code, err = build(capsys, tmp_path / "src", good_build)
    assert code == 1, err
    for text in expected:
        assert text in err, err
    assert snapshot(good_build) == before, "a failed build must leave the current build untouched"
    assert not [p for p in good_build.iterdir() if p.name.startswith(".staging-")], "staging left behind"
    return err
