"""Rewrite tests/expected/*.json from the current build and print what changed, row by row.

After a change to the facts, the ontology or a query: `make expected` (this script on the
current build), read the rows it prints (`+` new, `-` gone), then `git diff tests/expected` and
commit the files with the change. `--check` only reports (exit 1 when an answer differs).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyoxigraph

from karabakh_kg import query_files, releases

EXPECTED = Path(__file__).resolve().parent.parent / "expected"


def answer(store, query) -> dict:
    result = store.query(query.text, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    rows = [[None if row[n] is None else row[n].value for n in names] for row in result]
    return {"query": query.name, "variables": names, "rows": rows}


def changes(old: dict | None, new: dict) -> list[str]:
    """`+ row` / `- row` lines (rows compared as sets, as the tests compare them)."""
    if old is None:
        return [f"  (new file, {len(new['rows'])} rows)"]
    lines = []
    if old["variables"] != new["variables"]:
        lines.append(f"  variables: {old['variables']} -> {new['variables']}")
    before, after = {tuple(r) for r in old["rows"]}, {tuple(r) for r in new["rows"]}
    lines += [f"  - {list(r)}" for r in sorted(before - after, key=str)]
    lines += [f"  + {list(r)}" for r in sorted(after - before, key=str)]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build", help="build folder holding `current` (default %(default)s)")
    parser.add_argument("--check", action="store_true", help="report differences, write nothing")
    parser.add_argument("--expected", type=Path, default=EXPECTED, help="folder of the expected answers")
    args = parser.parse_args(argv)
    store = pyoxigraph.Store.read_only(str(releases.open_current(args.build_dir).store))
    changed = 0
    for query in query_files.listing():
        path = args.expected / f"{query.name}.json"
        old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        new = answer(store, query)
        lines = changes(old, new)
        if not lines:
            continue
        changed += 1
        print(f"{query.name}:")
        print("\n".join(lines))
        if not args.check:
            path.write_text(json.dumps(new, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if not changed:
        print("every expected answer is up to date")
        return 0
    if args.check:
        print(f"{changed} expected answer(s) differ from the build; run `make expected` to rewrite them")
        return 1
    print(
        f"rewrote {changed} file(s) in {args.expected}; review them with `git diff {args.expected}` before committing"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
