"""Every route the app serves is documented (README.md or docs/), read from the app's own URL map."""

from __future__ import annotations

import re

from support.paths import ROOT


def documentation() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])


def test_every_route_of_the_url_map_is_documented(app):
    text = documentation()
    rules = sorted({rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"})
    assert "/sparql" in rules and len(rules) > 10
    missing = []
    for rule in rules:  # `/id/<path:rest>` is documented as `/id/<path>` or `/id/<anything>`
        pieces = re.split(r"<[^>]*>", rule)
        route = "<[^>`]+>".join(re.escape(piece) for piece in pieces)
        pattern = "`(?:https?://[^/`\\s]+)?" + route + "(?:[?#\\[][^`]*)?`"  # `/search?q=…`, `http://HOST/reconcile`
        if not re.search(pattern, text):
            missing.append(rule)
    assert not missing, f"routes served but not documented: {missing}"
