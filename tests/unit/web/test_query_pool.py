"""Query processes: answers come back, a deadline kills the process, a crash is contained."""

import os
import threading
import time

import pytest

from karabakh_kg.web.engines import Engine, Job, QueryError, QueryTimeout
from karabakh_kg.web.query_pool import QueryPool
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


def test_a_burst_of_cheap_queries_past_the_queue_is_answered_not_refused():
    """Eight at once on one process with a queue of one: the six that find the queue full wait a
    moment (OVERFLOW_WAIT) instead of being refused, since the process frees up within it."""
    burst = QueryPool(Sleeper(), size=1, queue=1)
    burst.warm(timeout=30)
    outcomes: list = []

    def one():
        try:
            outcomes.append(int(burst.run(job("0.002")).body))
        except Exception as err:  # noqa: BLE001 - recorded and asserted on below
            outcomes.append(type(err).__name__)

    threads = [threading.Thread(target=one) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        burst.close()
    assert len(outcomes) == 8 and all(isinstance(o, int) for o in outcomes), outcomes
    assert burst.refused == 0
