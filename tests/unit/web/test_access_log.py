"""The access log's batches: every line written once, in order, without a write per request."""

import io
import logging
import os
import time

from karabakh_kg.web.access_log import BatchedHandler


def logger_with(handler: logging.Handler, name: str) -> logging.Logger:
    log = logging.getLogger(f"test.access.{name}")
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


def test_lines_wait_for_the_batch_then_come_in_order():
    stream = io.StringIO()
    log = logger_with(BatchedHandler(stream, interval=3600), "order")
    for i in range(3):
        log.info("line %d", i)
    assert stream.getvalue() == ""  # not one write per line
    log.handlers[0].flush()
    assert stream.getvalue() == "line 0\nline 1\nline 2\n"


def test_a_full_batch_is_written_at_once():
    stream = io.StringIO()
    log = logger_with(BatchedHandler(stream, interval=3600, max_bytes=100), "full")
    for i in range(30):
        log.info("%08d", i)
    written = stream.getvalue().splitlines()
    assert 0 < len(written) < 30 and written == [f"{i:08d}" for i in range(len(written))]


def test_the_writer_thread_empties_the_batch():
    stream = io.StringIO()
    log = logger_with(BatchedHandler(stream, interval=0.02), "thread")
    log.info("soon")
    deadline = time.monotonic() + 5
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.getvalue() == "soon\n"


def test_a_forked_process_writes_its_own_lines_and_not_its_parents(tmp_path):
    path = tmp_path / "log"
    with path.open("w") as stream:
        handler = BatchedHandler(stream, interval=3600)
        log = logger_with(handler, "fork")
        log.info("parent before the fork")
        child = os.fork()
        if child == 0:
            try:
                log.info("child")
                handler.flush()
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        handler.flush()
    assert sorted(path.read_text().splitlines()) == ["child", "parent before the fork"]
