"""The Makefile keeps its promises: says what it installs and why, writes the files the docs name."""

from __future__ import annotations

import re
import tomllib

from support.ld import ROOT

MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def _recipe(target: str) -> str:
    found = re.search(rf"^{re.escape(target)}:.*?\n((?:\t.*\n?)+)", MAKEFILE, re.M)
    assert found, target
    return found.group(1)


def test_system_deps_names_each_package_and_why_before_installing():
    packages = re.search(r"^APT_PACKAGES := (.*)$", MAKEFILE, re.M).group(1).split()
    recipe = _recipe("system-deps")
    before_install = recipe.split("apt-get update", 1)[0]
    for package in packages:
        assert re.search(rf'echo "  {re.escape(package)}: \w', before_install), package


def test_make_diagram_writes_the_diagram_the_readme_links():
    target = re.search(r"karabakh-kg diagram (\S+)", _recipe("diagram")).group(1)
    assert f"]({target})" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_setuptools_scratch_space_is_not_the_build_folder():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    base = pyproject["tool"]["distutils"]["build"]["build_base"]
    assert base.strip("./") != "build"
    assert f"{base}/" in (ROOT / ".gitignore").read_text(encoding="utf-8")


def test_expected_answers_have_a_regeneration_target():
    assert "tests/support/regenerate_expected.py" in _recipe("expected")
    assert "make expected" in (ROOT / "docs" / "adding-facts.md").read_text(encoding="utf-8")
