"""Where things are: the repository, the test data, the expected answers, the test artefacts."""

import importlib.util
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
DATA = TESTS / "data"
EXPECTED = TESTS / "expected"
ARTIFACTS = TESTS / "artifacts"
PACKAGE = ROOT / "server" / "karabakh_kg"


def bench_module(name: str):
    """A module of bench/ (not a package), loaded from its file, for the tests of the harness."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
