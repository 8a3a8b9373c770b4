"""The package, installed non-editable into a fresh venv, finds its ontology, data and queries."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from support.kg import ROOT


def run(*argv, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_builds_and_queries(tmp_path):
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--wheel-dir",
        tmp_path / "dist",
        ROOT,
    )
    wheel = next((tmp_path / "dist").glob("karabakh_kg-*.whl"))
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel)
    # The dependencies (rdflib, owlrl, ...) come from this environment, after the venv's own packages.
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    script = (
        "import sys, karabakh_kg, karabakh_kg.cli as cli\n"
        f"assert karabakh_kg.__file__.startswith({str(site)!r}), karabakh_kg.__file__\n"
        "sys.exit(cli.main(['build', '--build-dir', 'b']) or cli.main(['query', 'handovers', '--build-dir', 'b', '--format', 'csv']))\n"
    )
    done = run(python, "-c", script, cwd=tmp_path)
    assert "Kalbajar" in done.stdout and "2020-12-01" in done.stdout
    installed = {p.name for p in (site / "karabakh_kg" / "queries").glob("*.rq")}
    assert installed == {p.name for p in (ROOT / "queries").glob("*.rq")}
    assert (site / "karabakh_kg" / "ontology" / "karabakh.ttl").is_file()
