"""What every request of one app needs: settings, the release served, its engine, runner and cache.

One `State` per app, kept in `app.extensions["karabakh_kg"]`; views reach it through `state()`
and never import the app module, so the app imports the views and nothing imports it back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from karabakh_kg import releases
from karabakh_kg.web.cache import ByteLRU, LRUCache
from karabakh_kg.web.engines import Engine, Runner
from karabakh_kg.web.pattern_lane import PatternLane


@dataclass
class State:
    settings: dict[str, Any]
    release: releases.Release
    engine: Engine
    runner: Runner
    cache: LRUCache  # finished answers, by query, format and dataset version
    replay: ByteLRU  # raw responses the fast path replays (fastpath.ReplayStore)
    base: str
    lane: PatternLane | None = None  # one-pattern queries answered in the web worker
    started: float = field(default_factory=time.time)
    memo: dict[str, Any] = field(default_factory=dict)  # page data computed once (views/pagedata.memo)

    @property
    def version(self) -> str:
        return self.release.version


def state() -> State:
    """The state of the app handling the current request."""
    return current_app.extensions["karabakh_kg"]
