"""The project's SPARQL lives in `.rq` files under queries/; this module reads them and their headers.

Each file starts with comment lines `# title: …` and `# description: …` (and optionally
`# param: NAME default-value` lines for queries that take a value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources

HEADER = re.compile(r"^#\s*(title|description|param):\s*(.*)$")


@dataclass(frozen=True)
class QueryFile:
    """One named query: its text and what its header says."""

    name: str
    folder: str
    text: str
    title: str
    description: str
    params: dict[str, str] = field(default_factory=dict)


def _folder(folder: str):
    package = "karabakh_kg.queries" + (f".{folder}" if folder else "")
    return resources.files(package)


def load(name: str, folder: str = "") -> QueryFile:
    """Read `queries/[folder/]name.rq`; raise KeyError if there is no such query."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        raise KeyError(name)
    entry = _folder(folder) / f"{name}.rq"
    if not entry.is_file():
        raise KeyError(name)
    return _parse(name, folder, entry.read_text(encoding="utf-8"))


def listing(folder: str = "") -> list[QueryFile]:
    """Every query of a folder, sorted by name."""
    entries = [e for e in _folder(folder).iterdir() if e.name.endswith(".rq")]
    return sorted((_parse(e.name[:-3], folder, e.read_text(encoding="utf-8")) for e in entries), key=lambda q: q.name)


def _parse(name: str, folder: str, text: str) -> QueryFile:
    meta: dict[str, str] = {}
    params: dict[str, str] = {}
    for line in text.splitlines():
        match = HEADER.match(line.strip())
        if not match:
            if line.strip() and not line.lstrip().startswith("#"):
                break
            continue
        key, value = match.groups()
        if key == "param":
            pname, _, default = value.partition(" ")
            params[pname] = default.strip()
        else:
            meta[key] = value.strip()
    return QueryFile(name, folder, text, meta.get("title", name), meta.get("description", ""), params)
