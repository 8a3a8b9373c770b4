"""Query processes: answers come back, a deadline kills the process, a crash is contained."""

import os
import time

import pytest

from karabakh_kg.web.engines import Engine, Job, QueryError, QueryTimeout
from karabakh_kg.web.query_pool import QueryPool


class Sleeper(Engine):
    """Answers its query text as a number of seconds to sleep, then returns its own pid."""

    name = "sleeper"

    def __init__(self):
        super().__init__(release=None, spec="sleeper", settings={})

    def execute(self, job):
        if job.query == "crash":
            os._exit(3)
        if job.query == "wrong":
            raise QueryError("wrong on purpose")
        time.sleep(float(job.query))
        return os.getpid()


def job(text: str, timeout: float = 5.0) -> Job:
    return Job(query=text, form="SELECT", format="json", timeout=timeout)


@pytest.fixture
def pool():
    made = QueryPool(Sleeper(), size=1)
    yield made
    made.close()


def test_an_answer_comes_from_another_process(pool):
    assert pool.run(job("0")) != os.getpid()


def test_a_query_past_its_deadline_is_stopped_and_the_process_replaced(pool):
    first = pool.run(job("0"))
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        pool.run(job("30", timeout=0.5))
    assert time.monotonic() - started < 3
    assert pool.killed == 1
    assert pool.run(job("0")) != first  # a fresh process answers the next query


def test_a_user_error_is_a_query_error_and_the_process_is_kept(pool):
    first = pool.run(job("0"))
    with pytest.raises(QueryError, match="wrong on purpose"):
        pool.run(job("wrong"))
    assert pool.run(job("0")) == first
