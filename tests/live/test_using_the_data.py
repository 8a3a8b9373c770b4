"""Every snippet of docs/using-the-data.md and README.md runs against a live server and prints what it promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from support.ld import ROOT

pytestmark = pytest.mark.live

GUIDES = (ROOT / "docs" / "using-the-data.md", ROOT / "README.md")
DOC_URL = "http://127.0.0.1:8080"
BLOCK = re.compile(
    r"^(?P<indent> *)<!-- (expect: (?P<expect>.*?)|not run[^>]*) -->\n *```(?P<lang>\w+)\n(?P<code>.*?)^ *```",
    re.S | re.M,
)
JENA_COMMANDS = {"riot": "riotcmd.riot", "tdb2.tdbloader": "tdb2.tdbloader", "tdb2.tdbquery": "tdb2.tdbquery"}


def snippets() -> list[tuple[str, str, str]]:
    """(language, code, expected output) of every snippet the guides mark as run."""
    found = []
    for guide in GUIDES:
        for m in BLOCK.finditer(guide.read_text(encoding="utf-8")):
            if m["expect"] is not None:
                found.append((m["lang"], textwrap.dedent(m["code"]), m["expect"]))
    return found


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_every_code_block_is_marked_run_or_not(guide):
    text = guide.read_text(encoding="utf-8")
    fences = len(re.findall(r"^ *```", text, re.M)) // 2
    assert fences == len(BLOCK.findall(text)), "a code block without <!-- expect: … --> or <!-- not run -->"
    assert BLOCK.search(text)


@pytest.mark.parametrize("lang, code, expect", snippets(), ids=[f"{i}-{s[0]}" for i, s in enumerate(snippets())])
def test_snippet_runs(ld_live, tmp_path: Path, request, lang, code, expect):
    code = code.replace(DOC_URL, ld_live.url)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if lang == "python":
        command = [sys.executable, "-c", code]
    else:
        assert lang == "sh"
        if "riot" in code or "java" in code:
            if shutil.which("java") is None:
                pytest.skip("Java is absent")
        if "riot" in code:
            # Debian's Jena jars ship no launchers: stand-ins for the distribution's scripts.
            cp = request.getfixturevalue("jena_cp") + os.pathsep + "/usr/share/java/jena-tdb2.jar"
            shims = "".join(f'{name}() {{ java -cp "{cp}" {cls} "$@"; }}\n' for name, cls in JENA_COMMANDS.items())
            code = shims + code
        command = ["bash", "-e", "-o", "pipefail", "-c", code]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert expect in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
