"""The project's SPARQL lives in `.rq` files under queries/; this module reads them and their headers.

Each file starts with comment lines `# title: …` and `# description: …`; a description may go on
over the following comment lines. A named query declares what a user may set, one line each:

    # parameter: asOf (xsd:date, default 2020-11-20) The day the status is computed for.
    # parameter: region (iri) Only this region; every region when not given.

A parameter stands for the query's `VALUES ?name { … }` block, which holds its default
(`query_params` binds it). Types: `iri`, `xsd:date`, `xsd:integer`, `xsd:string`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

HEADER = re.compile(r"^#\s*(title|description):\s*(.*)$", re.IGNORECASE)
PARAMETER = re.compile(
    r"^#\s*parameter:\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*(iri|xsd:date|xsd:integer|xsd:string)\s*"
    r"(?:,\s*default\s+([^)]*?))?\s*\)\s*(.*)$"
)
TYPES = ("iri", "xsd:date", "xsd:integer", "xsd:string")


class HeaderError(ValueError):
    """A `# parameter:` line that does not follow the form, named with its file and line."""


@dataclass(frozen=True)
class Parameter:
    """A value a user may set in a named query: its VALUES variable, type, default and meaning."""

    name: str
    type: str
    default: tuple[str, ...]  # the default values as written (empty: any value, the block's UNDEF)
    description: str


@dataclass(frozen=True)
class QueryFile:
    """One named query: its text and what its header says."""

    name: str
    folder: str
    text: str
    title: str
    description: str
    parameters: tuple[Parameter, ...] = ()


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
    """Read the header of a query (the leading comment block): title, description, parameters."""
    fields: dict[str, list[str]] = {}
    parameters: list[Parameter] = []
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        match = HEADER.match(stripped)
        if match:
            current = match.group(1).lower()
            fields[current] = [match.group(2).strip()]
        elif re.match(r"#\s*parameter:", stripped, re.IGNORECASE):
            parameters.append(_parameter(stripped, f"{folder + '/' if folder else ''}{name}.rq:{number}"))
            current = None
        elif current:
            fields[current].append(stripped.lstrip("#").strip())
    title = " ".join(fields.get("title", [])).strip() or name.replace("-", " ").replace("_", " ")
    description = " ".join(fields.get("description", [])).strip()
    return QueryFile(name, folder, text, title, description, tuple(parameters))


def _parameter(line: str, where: str) -> Parameter:
    match = PARAMETER.match(line)
    if not match:
        raise HeaderError(
            f"{where}: write `# parameter: NAME (TYPE[, default VALUE …]) description`, TYPE one of {', '.join(TYPES)}"
        )
    name, kind, default, description = match.groups()
    return Parameter(name, kind, tuple((default or "").split()), description.strip())
