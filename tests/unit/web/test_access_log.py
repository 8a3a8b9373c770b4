"""The access log's batches: every line written once, in order, without a write per request, in `serve`'s format."""

import io
import json
import logging
import os
import threading
import time

from karabakh_kg.web import access_log
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


def installed(monkeypatch, stream) -> BatchedHandler:
    """`access_log.install` on `stream`, undone after the test (the logger is process-wide)."""
    monkeypatch.setattr(access_log.LOGGER, "handlers", [])
    monkeypatch.setattr(access_log.LOGGER, "propagate", access_log.LOGGER.propagate)
    monkeypatch.setattr(access_log.LOGGER, "level", access_log.LOGGER.level)
    monkeypatch.setattr(access_log, "_installed", None)
    access_log.install(stream)
    return access_log._installed


def test_an_installed_line_is_what_the_line_format_writes(monkeypatch):
    stream = io.StringIO()
    handler = installed(monkeypatch, stream)
    now = 1_700_000_123.4567
    monkeypatch.setattr(access_log.time, "time", lambda: now)
    access_log.write({"route": "/sparql", "rows": 3, "truncated": False})
    handler.flush()
    record = logging.LogRecord(
        "karabakh_kg.access", logging.INFO, __file__, 1, '{"route":"/sparql","rows":3,"truncated":false}', None, None
    )
    record.created, record.msecs = now, int((now - int(now)) * 1000) + 0.0
    assert stream.getvalue() == logging.Formatter(access_log.LINE_FORMAT).format(record) + "\n"


def test_the_time_stamp_follows_the_clock_across_seconds():
    for now in (5.0, 5.999, 6.0005, 86_400 * 365.25 * 30 + 0.25):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "", None, None)
        record.created, record.msecs = now, int((now - int(now)) * 1000) + 0.0
        assert access_log.stamp(now) == logging.Formatter().formatTime(record)


def test_an_installed_logger_set_above_info_writes_nothing(monkeypatch):
    stream = io.StringIO()
    handler = installed(monkeypatch, stream)
    access_log.LOGGER.setLevel(logging.WARNING)
    access_log.write({"route": "/"})
    handler.flush()
    assert stream.getvalue() == ""


def test_lines_from_many_threads_are_all_written_whole(monkeypatch):
    stream = io.StringIO()
    handler = installed(monkeypatch, stream)
    handler.max_bytes = 2_000  # batches are written by the threads themselves too

    def many(n: int) -> None:
        for i in range(500):
            access_log.write({"thread": n, "i": i})

    threads = [threading.Thread(target=many, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    handler.flush()
    lines = [json.loads(line.split(" karabakh_kg.access ", 1)[1]) for line in stream.getvalue().splitlines()]
    assert sorted((line["thread"], line["i"]) for line in lines) == [(n, i) for n in range(4) for i in range(500)]
