"""`affinity`: the CPU shares of the web workers, and pinning every thread of a process to one."""

from __future__ import annotations

import os
import threading

import pytest

from karabakh_kg.web import affinity


@pytest.mark.parametrize(
    ("cpus", "count", "expected"),
    [
        ([0, 1], 2, [{0}, {1}]),
        ([0, 1, 2, 3, 4, 5, 6, 7], 2, [{0, 1, 2, 3}, {4, 5, 6, 7}]),
        ([0, 1, 2, 3, 4, 5, 6], 3, [{0, 1, 2}, {3, 4}, {5, 6}]),  # the longer runs first
        ([2, 3, 6, 7], 2, [{2, 3}, {6, 7}]),  # a cpuset with gaps is split in its own order
        ([0, 1], 3, [{0}, {1}, {0}]),  # more workers than CPUs: round robin
        ([5], 2, [{5}, {5}]),
        ([0, 1, 2, 3], 1, [{0, 1, 2, 3}]),
    ],
)
def test_the_cpus_are_split_in_order_among_the_workers(cpus, count, expected):
    assert [affinity.share(cpus, i, count) for i in range(count)] == expected


def test_every_cpu_is_in_exactly_one_share_when_there_are_fewer_workers_than_cpus():
    cpus = list(range(13))
    for count in range(1, 14):
        shares = [affinity.share(cpus, i, count) for i in range(count)]
        assert sorted(c for s in shares for c in s) == cpus
        assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_a_replaced_worker_gets_its_own_share_again():
    assert affinity.share([0, 1, 2, 3], 1, 2) == affinity.share([0, 1, 2, 3], 1 + 2, 2)


@pytest.mark.parametrize(("cpus", "count"), [([], 2), ([0, 1], 0)])
def test_nothing_to_share_is_refused(cpus, count):
    with pytest.raises(ValueError, match="no CPUs or no workers"):
        affinity.share(cpus, 0, count)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: a pinned thread cannot be told from any other")
def test_pin_moves_every_running_thread_and_what_starts_later():
    """Run in a forked child so the test process keeps its own CPUs."""
    target = {affinity.allowed()[-1]}
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a thread already running, then pin, then a new thread and a grandchild
        try:
            seen = {}
            stop = threading.Event()
            before = threading.Thread(target=stop.wait)
            before.start()
            affinity.pin(target)
            seen["main"] = os.sched_getaffinity(0)
            seen["running"] = os.sched_getaffinity(before.native_id)
            after = threading.Thread(target=lambda: seen.__setitem__("started", os.sched_getaffinity(0)))
            after.start()
            after.join()
            grandchild = os.fork()
            if grandchild == 0:
                os._exit(0 if os.sched_getaffinity(0) == target else 1)
            _, status = os.waitpid(grandchild, 0)
            seen["forked"] = target if os.waitstatus_to_exitcode(status) == 0 else set()
            stop.set()
            before.join()
            os.write(write, repr({k: sorted(v) for k, v in seen.items()}).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        report = pipe.read()
    os.waitpid(pid, 0)
    expected = sorted(target)
    assert report == repr({"main": expected, "running": expected, "started": expected, "forked": expected})
    assert os.sched_getaffinity(0) == set(affinity.allowed())  # this process was not moved
