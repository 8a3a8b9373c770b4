"""Admission control: a busy runner refuses (503, Retry-After) instead of queueing for ever.

The query pool lets `size` queries run and `queue` more wait; beyond that a query waits only while
the processes keep coming free, and is refused with `Busy` (a 503) once none has for STALLED
seconds: it never holds a web thread behind work it could not outlast, and a burst of cheap queries
is not refused. The inline runner of the remote engine lets `concurrency` queries be in flight and
treats the next the same way.
"""

from __future__ import annotations

import threading
import time

import pytest

from karabakh_kg import config, releases
from karabakh_kg.web import engines
from karabakh_kg.web.engines import Engine, Job
from karabakh_kg.web.query_pool import STALLED, Busy, InlineRunner, QueryPool
from karabakh_kg.web.results import Rendered

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


class SlowRemote(Engine):
    """An engine that is not isolated (like a remote store) and takes its time."""

    name = "slow"
    isolated = False

    def execute(self, job: Job):
        time.sleep(1.0)
        raise AssertionError("not reached in this test")


def _outcomes(run, jobs: int, pause: float = 0.2) -> list[str]:
    found: list[str] = []

    def one():
        started = time.monotonic()
        try:
            run()
            found.append("answered")
        except Busy:
            found.append(f"busy after {time.monotonic() - started:.2f} s")
        except Exception as err:  # noqa: BLE001 - a timeout or the slow engine's assertion
            found.append(type(err).__name__)

    threads = []
    for _ in range(jobs):
        threads.append(threading.Thread(target=one))
        threads[-1].start()
        time.sleep(pause)  # the first ones take their places before the next arrive
    for thread in threads:
        thread.join(30)
    return found


@pytest.mark.slow
def test_the_pool_refuses_soon_beyond_its_processes_and_queue(release_dir):
    settings = config.load({"BUILD_DIR": str(release_dir)})
    engine = engines.create("oxigraph", releases.open_current(release_dir), settings)
    pool = QueryPool(engine, 1, queue=1)
    pool.warm(timeout=60, count=1)
    try:
        outcomes = _outcomes(lambda: pool.run(Job(query=RUNAWAY, form="SELECT", format="json", timeout=2)), 4)
    finally:
        pool.close()
    busy = [o for o in outcomes if o.startswith("busy")]
    assert len(busy) == 2 and all(float(o.split()[2]) < STALLED + 0.5 for o in busy), outcomes
    assert pool.refused == 2


def test_the_inline_runner_refuses_beyond_its_concurrency_when_none_ends(release_dir):
    runner = InlineRunner(SlowRemote(releases.open_current(release_dir), "slow", {}), concurrency=2)
    outcomes = _outcomes(lambda: runner.run(Job(query="ASK {}", form="ASK", format="json")), 4, pause=0.05)
    assert sorted(o.split(" after")[0] for o in outcomes) == ["AssertionError", "AssertionError", "busy", "busy"]


class QuickRemote(Engine):
    """A remote-like engine that answers in 10 ms."""

    name = "quick"
    isolated = False

    def execute(self, job: Job):
        time.sleep(0.01)
        return Rendered(b"ok", 1, False)


def test_the_inline_runner_answers_a_burst_past_its_concurrency(release_dir):
    runner = InlineRunner(QuickRemote(releases.open_current(release_dir), "quick", {}), concurrency=1)
    outcomes = _outcomes(lambda: runner.run(Job(query="ASK {}", form="ASK", format="json")), 6, pause=0)
    assert outcomes == ["answered"] * 6 and runner.refused == 0


@pytest.mark.parametrize("queue", [0, 3])
def test_nothing_is_refused_while_a_query_process_is_free(release_dir, queue):
    settings = config.load({"BUILD_DIR": str(release_dir)})
    engine = engines.create("oxigraph", releases.open_current(release_dir), settings)
    pool = QueryPool(engine, 2, queue=queue)
    try:
        for _ in range(5):
            pool.run(Job(query="ASK { ?s ?p ?o }", form="ASK", format="json", timeout=30))
    finally:
        pool.close()
    assert pool.refused == 0
