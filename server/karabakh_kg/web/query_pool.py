"""Query processes: evaluation that a deadline can really stop.

pyoxigraph and rdflib cannot be interrupted from Python, so each web worker keeps a few child
processes, each with the engine open read-only. A query is sent to an idle child; if no answer
comes by the deadline the child is killed (SIGKILL), a fresh one is started in its place, and the
client is told the query timed out. Other requests keep being served by the other children and
web workers throughout.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import struct
import threading
import time
from collections import deque

from karabakh_kg.web.engines import Engine, EngineError, Job, QueryError, QueryTimeout, syntax_error
from karabakh_kg.web.results import Rendered

log = logging.getLogger("karabakh_kg.web.query_pool")

_CONTEXT = multiprocessing.get_context("fork")


def _detach(conn) -> None:
    """In a fresh child: let go of every inherited descriptor, and die with the parent.

    Without this a child would keep the server's listening socket and its siblings' pipes open,
    so it would never see its own pipe close when the web worker dies.
    """
    keep = conn.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, 65536)
    parent = os.getppid()

    def watch() -> None:  # a runaway query never reads its pipe again: notice the parent's death here
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _serve(conn, engine: Engine) -> None:
    """Child process: open the engine, then answer jobs until the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _detach(conn)
    try:
        engine.open()
    except EngineError as err:
        conn.send(("engine", str(err)))
        return
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if job.form is None:
                raise syntax_error(job.query)
            reply = ("ok", engine.execute(job))
        except QueryError as err:
            reply = ("query", str(err))
        except EngineError as err:
            reply = ("engine", str(err))
        except Exception as err:  # noqa: BLE001 - never let a child die silently: report and carry on
            reply = ("engine", f"{type(err).__name__}: {err}")
        try:
            conn.send_bytes(_encode_reply(*reply))
        except (OSError, ValueError):
            return


# --- the answer on the pipe: one frame of bytes, not a pickle ------------------------------------
# A small fixed header (status, rows, truncated, form) then the answer's bytes as the engine wrote
# them, or an error message in UTF-8: no pickling of the answer, one copy on each side.
_REPLY = struct.Struct("!cQ?B")
_STATUS = {"ok": b"o", "query": b"q", "engine": b"e"}
_STATUS_NAME = {code: name for name, code in _STATUS.items()}
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _encode_reply(status: str, payload) -> bytes:
    if status == "ok":
        return _REPLY.pack(b"o", payload.rows, payload.truncated, _FORMS.index(payload.form)) + payload.body
    return _REPLY.pack(_STATUS[status], 0, False, 0) + payload.encode("utf-8", "replace")


def _decode_reply(frame: bytes) -> tuple[str, object]:
    code, rows, truncated, form = _REPLY.unpack_from(frame)
    body = frame[_REPLY.size :]
    if code == b"o":
        return "ok", Rendered(body, rows, truncated, _FORMS[form])
    return _STATUS_NAME[code], body.decode("utf-8")


# --------------------------------------------------------------------------------------------------


class StartTimeout(EngineError):
    """A query process was still starting when the time allowed ran out."""


class _Worker:
    def __init__(self, engine: Engine):
        parent, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child, engine), daemon=True, name="karabakh-kg-query")
        self.process.start()
        child.close()
        self.conn = parent
        self.ready = False

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        try:
            if not self.conn.poll(timeout):
                raise StartTimeout("a query process did not start in time")
            status, message = self.conn.recv()
        except (EOFError, OSError):  # it died while starting, or the pool was closed meanwhile
            raise EngineError("a query process stopped while starting") from None
        if status != "ready":
            raise EngineError(message)
        self.ready = True

    def kill(self) -> None:
        try:
            self.process.kill()
        except (OSError, AttributeError):
            pass
        self.process.join(timeout=2)
        try:
            self.conn.close()
        except OSError:  # already closed by a concurrent kill (pool closing while a replacement starts)
            pass


class QueryPool:
    """A fixed number of query processes shared by the threads of one web worker."""

    def __init__(self, engine: Engine, size: int):
        self.engine = engine
        self.size = max(1, size)
        self._idle: deque[_Worker] = deque()
        self._all: set[_Worker] = set()
        self._cond = threading.Condition()
        self._pid = os.getpid()
        self.killed = 0  # how many runaway queries were stopped (for /health)

    def _spawn(self) -> _Worker:
        worker = _Worker(self.engine)
        self._all.add(worker)
        return worker

    def _acquire(self, deadline: float) -> _Worker:
        with self._cond:
            while True:
                if self._idle:
                    return self._idle.pop()
                if len(self._all) < self.size:
                    return self._spawn()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryTimeout("every query process stayed busy until the deadline")
                self._cond.wait(remaining)

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            self._idle.append(worker)
            self._cond.notify()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._cond:
            self._all.discard(worker)
            self._cond.notify()

    def warm(self, timeout: float = 10.0, count: int | None = None) -> None:
        """Start `count` query processes (all by default) now, instead of at the first queries."""
        deadline = time.monotonic() + timeout
        started = []
        target = self.size if count is None else min(self.size, count)
        with self._cond:
            while len(self._all) < target:
                started.append(self._spawn())
        for worker in started:
            try:
                worker.wait_ready(max(0.0, deadline - time.monotonic()))
            except EngineError:
                self._discard(worker)
                raise
            self._release(worker)

    def run(self, job: Job) -> object:
        """Evaluate a job in a child process; raise QueryError, QueryTimeout or EngineError."""
        deadline = time.monotonic() + job.timeout
        worker = self._acquire(deadline)
        try:
            worker.wait_ready(max(0.05, deadline - time.monotonic()))
        except StartTimeout:  # a fresh process got late in the deadline: a timeout, and the process is kept
            self._release(worker)
            raise QueryTimeout("no query process was ready before the deadline") from None
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self.killed += 1
                self._discard(worker)
                self._replace_soon()
                raise QueryTimeout(f"the query ran longer than {job.timeout:g} s and was stopped")
            status, payload = _decode_reply(worker.conn.recv_bytes())
        except (EOFError, OSError, BrokenPipeError) as err:
            self._discard(worker)
            code = worker.process.exitcode
            if worker.ready and code is not None and code < 0:
                # The engine crashed on this query (pyoxigraph aborts on some pathological
                # queries rather than raising); the server itself is fine.
                raise QueryError(
                    f"The query engine stopped while evaluating this query (signal {-code}): the query is "
                    "probably too deeply nested or has too long an expression; simplify it."
                ) from None
            raise EngineError(f"a query process failed ({type(err).__name__})") from None
        except (QueryTimeout, EngineError):
            if worker in self._all and not worker.ready:
                self._discard(worker)
            raise
        self._release(worker)
        if status == "ok":
            return payload
        if status == "query":
            raise QueryError(payload)
        raise EngineError(payload)

    def _replace_soon(self) -> None:
        """Start a fresh process in the background so the next query does not wait for it."""

        def start():
            worker = None
            try:
                with self._cond:
                    if len(self._all) >= self.size:
                        return
                    worker = self._spawn()
                worker.wait_ready(30)
                self._release(worker)
            except EngineError as err:
                log.error("could not replace a query process: %s", err)
                if worker is not None:
                    self._discard(worker)

        threading.Thread(target=start, daemon=True).start()

    def close(self) -> None:
        """Stop every child (only from the process that started them)."""
        if os.getpid() != self._pid:
            return
        with self._cond:
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
        for worker in workers:
            worker.kill()


class InlineRunner:
    """For engines that are not isolated (a remote store): evaluate in the calling thread."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.killed = 0
        engine.open()

    def warm(self, timeout: float = 10.0, count: int | None = None) -> None:
        pass

    def run(self, job: Job) -> object:
        if job.form is None:
            raise syntax_error(job.query)
        return self.engine.execute(job)

    def close(self) -> None:
        self.engine.close()
