"""The package, installed non-editable (a real wheel, not the source tree), finds its ontology, data and queries."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kg_helpers import ROOT


@pytest.mark.slow
def test_wheel_install_builds_and_queries(tmp_path):
    target = tmp_path / "site"
    wheel = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert wheel.returncode == 0, wheel.stderr
    env = dict(os.environ, PYTHONPATH=str(target))
    script = (
        "import sys, karabakh_kg, karabakh_kg.cli as cli\n"
        f"assert karabakh_kg.__file__.startswith({str(target)!r}), karabakh_kg.__file__\n"
        "sys.exit(cli.main(['build', '--build-dir', 'b']) or cli.main(['query', 'handovers', '--build-dir', 'b', '--format', 'csv']))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Kalbajar" in run.stdout and "2020-12-01" in run.stdout
    installed = {p.name for p in (target / "karabakh_kg" / "queries").glob("*.rq")}
    assert {p.name for p in (ROOT / "queries").glob("*.rq")} == installed
