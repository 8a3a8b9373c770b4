"""The project's SPARQL lives in `.rq` files under queries/; this module reads them and their headers.

Each file starts with comment lines `# title: …` and `# description: …`; a description may go on
over the following comment lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

HEADER = re.compile(r"^#\s*(title|description):\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class QueryFile:
    """One named query: its text and what its header says."""

    name: str
    folder: str
    text: str
    title: str
    description: str


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
    return parse(name, entry.read_text(encoding="utf-8"), folder)


def listing(folder: str = "") -> list[QueryFile]:
    """Every query of a folder, sorted by name."""
    entries = [e for e in _folder(folder).iterdir() if e.name.endswith(".rq")]
    return sorted((parse(e.name[:-3], e.read_text(encoding="utf-8"), folder) for e in entries), key=lambda q: q.name)


def parse(name: str, text: str, folder: str = "") -> QueryFile:
    """Read the `# title:` / `# description:` header of a query (the leading comment block)."""
    fields: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        match = HEADER.match(stripped)
        if match:
            current = match.group(1).lower()
            fields[current] = [match.group(2).strip()]
        elif current:
            fields[current].append(stripped.lstrip("#").strip())
    title = " ".join(fields.get("title", [])).strip() or name.replace("-", " ").replace("_", " ")
    return QueryFile(name, folder, text, title, " ".join(fields.get("description", [])).strip())
