"""Fork a query process only while no thread of the web worker is inside the engine.

The pattern lane evaluates queries on the web worker's in-memory store in its request threads,
and the query processes are forked from that same worker (at start, and to replace one killed at
its deadline). A fork copies only the forking thread: a lock or a one-time initialisation that
another thread held inside the engine at that instant would stay held forever in the child. So
the engine is entered through `inside()` and a fork happens in `forking()`, which waits for the
threads inside (each bounded to milliseconds by the lane) and keeps new ones out meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ForkGate:
    """Threads inside the engine, or one fork: never both."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._inside = 0
        self._forking = False

    @contextmanager
    def inside(self) -> Iterator[None]:
        with self._cond:
            while self._forking:
                self._cond.wait()
            self._inside += 1
        try:
            yield
        finally:
            with self._cond:
                self._inside -= 1
                if not self._inside:
                    self._cond.notify_all()

    @contextmanager
    def forking(self) -> Iterator[None]:
        with self._cond:
            while self._forking:
                self._cond.wait()
            self._forking = True  # from now on new threads wait, so the fork is not put off for ever
            while self._inside:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._forking = False
                self._cond.notify_all()


GATE = ForkGate()  # one per process: a fork copies the whole process
