"""Work in a forked child process, so the build uses both cores where two threads would take turns.

The parent's objects reach the child by the fork itself (nothing pickled on the way in); the
outcome comes back through one pipe, pickled. One process and one pipe, nothing else: a process
pool's result thread waited for ever (and so did the build, at exit) when the parent gave up on a
worker in the middle of sending its answer; here a killed child's end of the pipe closes, so
nothing can wait on a half-sent answer.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable


def _run(sender, target: Callable, args: tuple) -> None:
    gc.freeze()  # the parent's objects: never traversed here, so their pages stay shared, not copied
    try:
        outcome = (True, target(*args))
    except BaseException as err:  # noqa: BLE001 - handed to the parent, which raises it
        outcome = (False, err)
    try:
        sender.send(outcome)
    except Exception as err:  # noqa: BLE001 - an outcome that cannot be pickled: say what it was
        sender.send((False, RuntimeError(f"{_what_of(outcome)} could not be sent back: {err}")))
    sender.close()


def _what_of(outcome: tuple) -> str:
    ok, value = outcome
    return f"the result ({type(value).__name__})" if ok else f"the error {type(value).__name__}: {value}"


class Forked:
    """`target(*args)` running in a forked child; `result()` returns its value or raises its error.

    Use it as a context manager: leaving the block early (the parent failed) kills the child.
    """

    def __init__(self, what: str, target: Callable, *args):
        self.what = what
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        try:
            self._process = context.Process(target=_run, args=(sender, target, args), daemon=True)
            self._process.start()
        finally:
            sender.close()  # the child's copy is the only one left: its death means end of file here

    def result(self):
        try:
            ok, outcome = self._receiver.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"{self.what} ended without an answer (exit code {self._process.exitcode})") from None
        self._process.join()
        if not ok:
            raise outcome
        return outcome

    def close(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receiver.close()

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
