"""`make expected` rewrites the expected answers from the build and prints the rows that changed."""

from __future__ import annotations

import json
import shutil

from support.kg import EXPECTED
from support.regenerate_expected import main


def test_regeneration_restores_a_dropped_row_and_prints_it(kg_build, tmp_path, capsys):
    folder = tmp_path / "expected"
    shutil.copytree(EXPECTED, folder)
    handovers = json.loads((folder / "handovers.json").read_text(encoding="utf-8"))
    dropped = handovers["rows"].pop()
    (folder / "handovers.json").write_text(json.dumps(handovers), encoding="utf-8")

    assert main(["--build-dir", str(kg_build), "--expected", str(folder), "--check"]) == 1
    assert f"  + {dropped}" in capsys.readouterr().out
    assert main(["--build-dir", str(kg_build), "--expected", str(folder)]) == 0
    assert "handovers:" in capsys.readouterr().out
    for path in EXPECTED.glob("*.json"):
        assert (folder / path.name).read_bytes() == path.read_bytes(), path.name
    assert main(["--build-dir", str(kg_build), "--expected", str(folder), "--check"]) == 0
