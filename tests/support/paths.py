"""Where things are: the repository, the test data, the expected answers, the test artefacts."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
DATA = TESTS / "data"
EXPECTED = TESTS / "expected"
ARTIFACTS = TESTS / "artifacts"
PACKAGE = ROOT / "server" / "karabakh_kg"
