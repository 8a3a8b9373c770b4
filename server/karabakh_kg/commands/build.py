"""`karabakh-kg build`: load → ground quotes → validate → reason → write one release.

Exit codes: 0 built (or already up to date), 1 invalid input or unwritable output, 2 usage or
internal error. A failed build never touches the current release.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from karabakh_kg.build.pipeline import REASONERS, build
from karabakh_kg.errors import InputError, OutputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", type=Path, help="a folder with ontology/ and data/ (default: the installed package's)"
    )
    parser.add_argument(
        "--build-dir", type=Path, default=Path("build"), help="where releases are written (default: build)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if the current release has the same inputs")
    parser.add_argument(
        "--reasoner",
        choices=REASONERS,
        default="owlrl",
        help="owlrl (the reference, default) or rules (the ontology compiled into SPARQL rules; for large graphs)",
    )
    parser.add_argument(
        "--without-article-text",
        action="store_true",
        help="publish quotes and offsets only, not the article's full text (its rights belong to its publisher)",
    )


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        release, fresh = build(
            args.source,
            args.build_dir,
            force=args.force,
            reasoner=args.reasoner,
            article_text=not args.without_article_text,
        )
    except InputError as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(
            f"build failed: {len(err.problems)} problem(s); the previous build (if any) is untouched", file=sys.stderr
        )
        return 1
    except OutputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - the last line of defence: a message, never a traceback
        print(f"internal error: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
    m = release.manifest
    counts = ", ".join(f"{name} {g['triples']}" for name, g in m["graphs"].items())
    state = "built" if fresh else "up to date"
    print(
        f"{state} {m['version']}: {m['triples']} triples ({counts}; {sum(m['dropped'].values())} noise triples dropped)"
        f" in {time.perf_counter() - started:.2f} s -> {Path(args.build_dir) / 'current'}"
    )
    return 0
