"""Work in a forked child: its value and its errors come back; a child that dies or is left is said or killed."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from karabakh_kg.build.forked import Forked


def _pid_and(value):
    return os.getpid(), value


def test_the_value_comes_back_from_another_process():
    big = list(range(300_000))  # reaches the child by the fork, comes back pickled (more than a pipe holds)
    with Forked("the test's process", _pid_and, big) as child:
        pid, value = child.result()
    assert pid != os.getpid() and value == big


def _fail():
    raise FileNotFoundError(2, "No such file or directory", "/nowhere/dumps")


def test_an_error_in_the_child_is_raised_here_with_its_type():
    with Forked("the test's process", _fail) as child:
        with pytest.raises(FileNotFoundError, match="/nowhere/dumps"):
            child.result()


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_child_that_dies_is_said_with_its_exit_code():
    with Forked("the test's process", _die) as child:
        with pytest.raises(RuntimeError, match=r"the test's process ended without an answer \(exit code -9\)"):
            child.result()


def _unpicklable():
    return threading.Lock()


def test_a_value_that_cannot_come_back_is_an_error_that_says_so():
    with Forked("the test's process", _unpicklable) as child:
        with pytest.raises(RuntimeError, match="could not be sent back"):
            child.result()


def _sleep_and_say_pid():
    time.sleep(60)


def test_leaving_the_block_early_kills_the_child():
    with pytest.raises(ValueError):
        with Forked("the test's process", _sleep_and_say_pid) as child:
            process = child._process
            raise ValueError("the parent failed")
    assert not process.is_alive() and process.exitcode == -signal.SIGKILL
