"""Query processes: answers come back, a deadline kills the process, a crash is contained."""

import os
import threading
import time

import pytest

from karabakh_kg.web.engines import Engine, Job, QueryError, QueryTimeout
from karabakh_kg.web.query_pool import STALLED, QueryPool
from karabakh_kg.web.results import Rendered


class Sleeper(Engine):
    """Answers its query text as a number of seconds to sleep, then answers its own pid."""

    name = "sleeper"

    def __init__(self):
        super().__init__(release=None, spec="sleeper", settings={})

    def execute(self, job):
        if job.query == "crash":
            os._exit(3)
        if job.query == "wrong":
            raise QueryError("wrong on purpose")
        time.sleep(float(job.query))
        return Rendered(str(os.getpid()).encode(), 1, False)


def pid(pool, text: str, timeout: float = 5.0) -> int:
    return int(pool.run(job(text, timeout)).body)


def job(text: str, timeout: float = 5.0) -> Job:
    return Job(query=text, form="SELECT", format="json", timeout=timeout)


@pytest.fixture
def pool():
    made = QueryPool(Sleeper(), size=1)
    yield made
    made.close()


def test_an_answer_comes_from_another_process(pool):
    assert pid(pool, "0") != os.getpid()


def test_a_query_past_its_deadline_is_stopped_and_the_process_replaced(pool):
    first = pid(pool, "0")
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        pool.run(job("30", timeout=0.5))
    assert time.monotonic() - started < 3
    assert pool.killed == 1
    assert pid(pool, "0") != first  # a fresh process answers the next query


def test_a_user_error_is_a_query_error_and_the_process_is_kept(pool):
    first = pid(pool, "0")
    with pytest.raises(QueryError, match="wrong on purpose"):
        pool.run(job("wrong"))
    assert pid(pool, "0") == first


@pytest.mark.parametrize("seconds", ["0.002", "0.1"])
def test_a_burst_past_the_queue_is_answered_while_the_process_keeps_coming_free(seconds):
    """Six at once on one process with a queue of one: the four that find the queue full wait,
    since the process comes free more often than every STALLED seconds, and none is refused."""
    burst = QueryPool(Sleeper(), size=1, queue=1)
    burst.warm(timeout=30)
    outcomes: list = []

    def one():
        try:
            outcomes.append(int(burst.run(job(seconds)).body))
        except Exception as err:  # noqa: BLE001 - recorded and asserted on below
            outcomes.append(type(err).__name__)

    threads = [threading.Thread(target=one) for _ in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        burst.close()
    assert len(outcomes) == 6 and all(isinstance(o, int) for o in outcomes), outcomes
    assert burst.refused == 0


def test_past_the_queue_a_query_is_refused_when_the_process_is_held():
    """One process held by a long query and one query waiting: the next is refused within about
    STALLED seconds, not kept waiting until its deadline."""
    held = QueryPool(Sleeper(), size=1, queue=1)
    held.warm(timeout=30)
    outcomes: list = []

    def one(seconds: str):
        started = time.monotonic()
        try:
            held.run(job(seconds, timeout=10))
            outcomes.append("answered")
        except Exception as err:  # noqa: BLE001 - recorded and asserted on below
            outcomes.append((type(err).__name__, time.monotonic() - started))

    threads = [threading.Thread(target=one, args=("3",)), threading.Thread(target=one, args=("0",))]
    try:
        for thread in threads:
            thread.start()
            time.sleep(0.1)  # each takes its place before the next arrives
        one("0")
        refused = outcomes[0]
        for thread in threads:
            thread.join(30)
    finally:
        held.close()
    assert refused[0] == "Busy" and refused[1] < STALLED + 1.0, refused
    assert held.refused == 1 and outcomes.count("answered") == 2
