"""The release version covers the build's code as well as its inputs: changed code rebuilds without
--force, and unchanged code and inputs are still found up to date."""

from __future__ import annotations

from karabakh_kg.build import pipeline


def test_the_code_digest_follows_the_bytes_of_each_file(tmp_path, monkeypatch):
    package = tmp_path / "kg_code_digest_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "step.py").write_text("ANSWER = 1\n")
    (package / "notes.txt").write_text("not code\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    code = (("kg_code_digest_probe", "*.py"),)
    first = pipeline.code_digest(code)
    assert pipeline.code_digest(code) == first and len(first) == 16
    (package / "notes.txt").write_text("still not code\n")
    assert pipeline.code_digest(code) == first
    (package / "step.py").write_text("ANSWER = 2\n")
    assert pipeline.code_digest(code) != first


def test_the_build_modules_and_queries_are_covered():
    covered = {(package, pattern) for package, pattern in pipeline.CODE}
    assert ("karabakh_kg.build", "*.py") in covered and ("karabakh_kg.queries.rules", "*.rq") in covered
    assert ("karabakh_kg.queries.checks", "*.rq") in covered and ("karabakh_kg", "*.py") in covered


def test_changed_code_rebuilds_the_same_dataset_under_a_new_version(tmp_path, monkeypatch):
    first, built = pipeline.build(None, tmp_path, reasoner="rules")
    again, rebuilt = pipeline.build(None, tmp_path, reasoner="rules")
    assert built and not rebuilt and again.version == first.version
    monkeypatch.setattr(pipeline, "code_digest", lambda code=pipeline.CODE: "0123456789abcdef")
    changed, rebuilt = pipeline.build(None, tmp_path, reasoner="rules")
    assert rebuilt and changed.version != first.version
    assert changed.dataset.read_bytes() == first.dataset.read_bytes()
    assert changed.manifest["dataset_sha256"] == first.manifest["dataset_sha256"]
