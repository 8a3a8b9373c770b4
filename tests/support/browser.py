"""Debian's Chromium driven by Playwright, offline: a pytest plugin (the `browser` fixture) and helpers.

Every request that leaves 127.0.0.1 is aborted and recorded (`Watch`), so a test can fail on it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from support.ld import ARTIFACTS

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is absent: apt-get install --no-install-recommends chromium")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


class Watch:
    """What the page did that it must not: leave the loopback, log errors, throw."""

    def __init__(self, page):
        self.outside: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self.route)
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("requestfailed", lambda request: self.errors.append(f"failed: {request.url} {request.failure}"))

    def route(self, route):
        host = urlsplit(route.request.url).hostname
        if host != "127.0.0.1":
            self.outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def check(self):
        assert not self.outside, f"requests left 127.0.0.1: {self.outside}"
        assert not self.errors, f"console or page errors: {self.errors}"


def shoot(page, name: str, docs_name: str | None = None, full: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if full:  # whole-page pictures of long pages are slow: only where they tell something
        page.screenshot(path=str(ARTIFACTS / f"{name}-full.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    target = os.environ.get("SCREENSHOTS_DIR")
    if target and docs_name:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / f"{name}.png", Path(target) / docs_name)
