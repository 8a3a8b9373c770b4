"""A query process is forked only while no thread is inside the engine (`web/fork_gate.py`)."""

from __future__ import annotations

import threading
import time

from karabakh_kg.web.fork_gate import ForkGate


def test_a_fork_waits_for_the_threads_inside_and_keeps_new_ones_out():
    gate = ForkGate()
    events = []
    entered, release = threading.Event(), threading.Event()

    def engine_call(name, hold=None):
        with gate.inside():
            events.append(f"{name} in")
            if hold is not None:
                entered.set()
                hold.wait(5)
            events.append(f"{name} out")

    def fork():
        with gate.forking():
            events.append("fork")

    first = threading.Thread(target=engine_call, args=("first", release))
    first.start()
    assert entered.wait(5)
    forker = threading.Thread(target=fork)
    forker.start()
    time.sleep(0.1)
    late = threading.Thread(target=engine_call, args=("late",))
    late.start()
    time.sleep(0.1)
    assert events == ["first in"]  # the fork waits for `first`; `late` waits for the fork
    release.set()
    for thread in (first, forker, late):
        thread.join(5)
    assert events == ["first in", "first out", "fork", "late in", "late out"]


def test_threads_inside_do_not_wait_for_each_other():
    gate = ForkGate()
    inside = threading.Barrier(3, timeout=5)

    def engine_call():
        with gate.inside():
            inside.wait()  # all three are inside at once, or this times out

    threads = [threading.Thread(target=engine_call) for _ in range(2)]
    for thread in threads:
        thread.start()
    with gate.inside():
        inside.wait()
    for thread in threads:
        thread.join(5)
    assert not any(thread.is_alive() for thread in threads)
