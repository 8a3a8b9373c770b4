"""Query processes: evaluation that a deadline can really stop, in a sandbox.

pyoxigraph and rdflib cannot be interrupted from Python, so each web worker keeps a few child
processes, each with the engine open read-only. A query is sent to an idle child; if no answer
comes by the deadline the child is killed (SIGKILL), a fresh one is started in its place, and the
client is told the query timed out. Other requests keep being served by the other children and
web workers throughout.

Each child enters its sandbox (`sandbox.enter`: no network socket, a data-size limit) first
thing after the fork, before the engine opens or any thread starts; a child that cannot is never
used. The child's standard error goes to a file the pool reads when the child dies, so a crash is
explained: out of memory (the client's query needed too much), a stack overflow (too deeply
nested), or killed from outside (the server's failure, 503).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import tempfile
import threading
import time
from collections import deque

from karabakh_kg.web import sandbox
from karabakh_kg.web.engines import Engine, EngineError, Job, QueryError, QueryTimeout
from karabakh_kg.web.fork_gate import GATE
from karabakh_kg.web.results import Rendered

log = logging.getLogger("karabakh_kg.web.query_pool")

_CONTEXT = multiprocessing.get_context("fork")


# --- the socket pair between a web worker and a query process -----------------------------------
# Frames of bytes with an 8-byte length. The web worker's wait for an answer is one blocking
# `recv` bounded by the kernel (SO_RCVTIMEO) instead of poll + read + read: each blocking call
# hands the GIL to another thread and back, which under load cost more than the calls themselves.
_LENGTH = struct.Struct("!Q")
_FIRST_READ = 1 << 16
_TIMEVAL = struct.Struct("@ll")  # struct timeval


class ChannelTimeout(Exception):
    """No whole frame arrived before the deadline."""


class Channel:
    """One end of a query process's Unix socket pair: length-prefixed frames.

    Frames of up to 64 KiB (every cheap query's job and answer) are read into one buffer kept for
    the channel's life, instead of a fresh 64 KiB buffer per frame, zeroed and copied (memset and
    memmove in perf, a few per cent of a query process's time on trivial queries). So the view
    `recv` returns is valid until the next `recv`; both ends use each frame before reading the next.
    """

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buffer = bytearray(_FIRST_READ)
        self._start = self._end = 0  # bytes of the next frame already read: self._buffer[start:end]

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, *parts: bytes) -> None:
        """Send the concatenation of `parts` as one frame (gathered by the kernel, not copied here)."""
        pending = [memoryview(_LENGTH.pack(sum(len(p) for p in parts)))] + [memoryview(p) for p in parts if p]
        while pending:
            sent = self.sock.sendmsg(pending)
            while sent and pending:
                if sent >= len(pending[0]):
                    sent -= len(pending.pop(0))
                else:
                    pending[0], sent = pending[0][sent:], 0

    def recv(self, deadline: float | None = None) -> memoryview:
        """The next frame, as a view valid until the next `recv`; ChannelTimeout when `deadline`
        (time.monotonic) passes first, EOFError when the other end is closed (the process died)."""
        buffer = self._buffer
        have = self._end - self._start
        if self._start:  # the start of this frame came with the last one: move it to the front
            buffer[:have] = buffer[self._start : self._end]
        self._start = self._end = 0
        while have < _LENGTH.size:
            have += self._read_into(memoryview(buffer)[have:], deadline)
        total = _LENGTH.size + _LENGTH.unpack_from(buffer)[0]
        if total > len(buffer):  # a large frame gets a buffer of its own; this one stays small
            buffer = bytearray(total)
            buffer[:have] = self._buffer[:have]
        while have < total:
            have += self._read_into(memoryview(buffer)[have:], deadline)
        if have > total:  # the start of the next frame, if it came in the same read
            self._start, self._end = total, have
        return memoryview(buffer)[_LENGTH.size : total]

    def _read_into(self, view: memoryview, deadline: float | None) -> int:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChannelTimeout
            seconds, fraction = divmod(remaining, 1.0)
            micros = max(1, int(fraction * 1_000_000))  # 0 s 0 µs would mean "wait for ever"
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _TIMEVAL.pack(int(seconds), micros))
        try:
            count = self.sock.recv_into(view)
        except (BlockingIOError, TimeoutError):  # SO_RCVTIMEO passed: EAGAIN
            raise ChannelTimeout from None
        if count == 0:
            raise EOFError
        return count

    def close(self) -> None:
        self.sock.close()


def _socket_pair() -> tuple[Channel, Channel]:
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    return Channel(parent), Channel(child)


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


def _serve(conn: Channel, engine: Engine, limits: sandbox.Limits, stderr_fd: int) -> None:
    """Child process: enter the sandbox, open the engine, then answer jobs until the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.dup2(stderr_fd, 2)  # an engine's last words (an abort message) go where the pool reads them
    os.environ["RUST_BACKTRACE"] = "0"  # one line, not a backtrace, when the engine aborts
    try:
        sandbox.enter(limits)  # before the engine opens its store or starts a thread
    except (sandbox.SandboxError, OSError) as err:
        conn.send(*_encode_reply("engine", f"the query process sandbox cannot be set up: {err}"))
        return
    _detach(conn)
    try:
        engine.open()
    except EngineError as err:
        conn.send(*_encode_reply("engine", str(err)))
        return
    conn.send(*_encode_reply("ready", None))
    while True:
        try:
            job = pickle.loads(conn.recv())  # from the web worker that forked this process
        except (EOFError, OSError):
            return
        try:
            if job.form is None:
                raise engine.syntax_error(job.query)
            reply = ("ok", check_answer(engine.execute(job), job, limits))
        except MemoryError:
            reply = ("memory", None)
        except (QueryError, EngineError) as err:
            kind = "query" if isinstance(err, QueryError) else "engine"
            reply = ("network", None) if _network_refused(err, limits) else (kind, str(err))
        except Exception as err:  # noqa: BLE001 - never let a child die silently: report and carry on
            reply = ("engine", f"{type(err).__name__}: {err}")
        try:
            conn.send(*_encode_reply(*reply))
        except (OSError, ValueError):
            return


def _network_refused(err: Exception, limits: sandbox.Limits) -> bool:
    """Did the engine fail because the sandbox refused it a socket (EACCES, as the filter answers)?"""
    text = str(err)
    return not limits.allow_network and ("os error 13" in text or "Errno 13" in text)


ENGINE_FAILED = "an internal error, logged on the server"
REMOTE_FAILED = "the remote store could not be reached or failed; the details are logged on the server"
NETWORK_REFUSED = (
    "The query tried to open a network connection (SERVICE or a remote IRI), and query processes "
    "here have no network access: this endpoint answers from its own data only."
)


class AnswerTooLarge(QueryError):
    """The whole answer is more than this endpoint sends at once (never a cut answer: a 400)."""


def check_answer(rendered, job: Job, limits: sandbox.Limits):
    """Return `rendered` if it is whole and within the byte limit; raise AnswerTooLarge otherwise.

    A cut answer is refused rather than sent: clients that read only the body (SPARQLWrapper,
    pandas, YASR) could not tell it from a whole one.
    """
    if rendered.truncated:
        raise AnswerTooLarge(
            f"The answer has more than {job.max_rows} rows or triples (MAX_RESULT_ROWS), more than this endpoint "
            f"sends at once: add LIMIT {job.max_rows} (and OFFSET to page through it) or make the query more "
            "selective; the whole dataset is under /dumps/."
        )
    if limits.answer_bytes and len(rendered.body) > limits.answer_bytes:
        raise AnswerTooLarge(
            f"The answer is {len(rendered.body):,} bytes ({rendered.rows} rows or triples), more than the "
            f"{limits.answer_bytes:,} bytes (MAX_RESULT_BYTES) this endpoint sends at once: add a LIMIT or "
            "select fewer or shorter values; the whole dataset is under /dumps/."
        )
    return rendered


# --- the answer on the socket: one frame of bytes, not a pickle ----------------------------------
# A small fixed header (status, rows, truncated) then the answer's bytes as the engine wrote them,
# or an error message in UTF-8: no pickling of the answer, one copy on the receiving side.
_REPLY = struct.Struct("!cQ?")
_STATUS = {"ok": b"o", "query": b"q", "engine": b"e", "memory": b"m", "network": b"n", "ready": b"r"}
_STATUS_NAME = {code: name for name, code in _STATUS.items()}


def _encode_reply(status: str, payload) -> tuple[bytes, bytes]:
    if status == "ok":
        return _REPLY.pack(b"o", payload.rows, payload.truncated), payload.body
    return _REPLY.pack(_STATUS[status], 0, False), (payload or "").encode("utf-8", "replace")


def _decode_reply(frame) -> tuple[str, object]:
    code, rows, truncated = _REPLY.unpack_from(frame)
    body = bytes(frame[_REPLY.size :])
    if code == b"o":
        return "ok", Rendered(body, rows, truncated)
    return _STATUS_NAME[code], body.decode("utf-8")


class StartTimeout(EngineError):
    """A query process was still starting when the time allowed ran out."""


class TooMuchMemory(QueryError):
    """The query needed more memory than a query process may use (the client's query, a 400)."""


class Unavailable(EngineError):
    """The server cannot answer now, through no fault of the query: a 503 with Retry-After."""

    status = 503


class ProcessLost(Unavailable):
    """The query process died for a reason outside the query (killed from outside)."""


class Busy(Unavailable):
    """The wait queue is full and every query process has been on its query for STALLED seconds: refused, not queued."""


BUSY = "Every query process is busy and more queries are waiting: the server is overloaded, try again in a moment."
# Past the queue, a query waits only while the query processes keep changing hands: a burst of cheap
# queries (8 clients on one worker, each query a fraction of a millisecond, or the competency
# mix's few milliseconds) is then answered, not refused, while queries arriving when every process
# has been on its query this long (held by runaways) are refused at once and give their thread back.
STALLED = 0.25


def _crash(code: int | None, last_words: str, limits: sandbox.Limits) -> Exception:
    """The error to raise when a query process died while evaluating a query."""
    if "memory allocation of" in last_words or "MemoryError" in last_words:
        return TooMuchMemory(_memory_message(limits))
    if "overflowed its stack" in last_words or code in (-signal.SIGSEGV, -signal.SIGBUS):
        return QueryError(
            "The query engine ran out of stack while evaluating this query: the query is too deeply "
            "nested or has too long an expression; simplify it."
        )
    if code in (-signal.SIGKILL, -signal.SIGTERM):
        return ProcessLost(
            f"The process evaluating this query was stopped from outside (signal {-code}), for example by "
            "the system running short of memory; this is the server's failure, not the query's: try again."
        )
    tail = last_words.strip().splitlines()[-3:]  # for the log only (EngineError messages never reach clients)
    return EngineError(f"the query engine stopped while evaluating a query (exit code {code}): {' | '.join(tail)}")


def _memory_message(limits: sandbox.Limits) -> str:
    return (
        f"The query needed more memory than a query process may use here ({limits.memory_mb} MB) and was "
        "stopped: make it more selective, or add a LIMIT (sorting or grouping a large result holds it all)."
    )


class _Worker:
    def __init__(self, engine: Engine, limits: sandbox.Limits):
        parent, child = _socket_pair()
        self.stderr = tempfile.TemporaryFile()  # the child's standard error, read if it dies
        self.process = _CONTEXT.Process(
            target=_serve, args=(child, engine, limits, self.stderr.fileno()), daemon=True, name="karabakh-kg-query"
        )
        with GATE.forking():  # no thread of this worker inside the engine (pattern lane) meanwhile
            self.process.start()
        child.close()
        self.conn = parent
        self.ready = False

    def last_words(self) -> str:
        """The end of what the (dead) child wrote on its standard error (an abort message is last)."""
        try:
            self.stderr.seek(max(0, os.fstat(self.stderr.fileno()).st_size - 8192))
            return self.stderr.read(8192).decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        try:
            status, message = _decode_reply(self.conn.recv(time.monotonic() + timeout))
        except ChannelTimeout:
            raise StartTimeout("a query process did not start in time") from None
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
        self.stderr.close()


class QueryPool:
    """A fixed number of query processes shared by the threads of one web worker."""

    def __init__(self, engine: Engine, size: int, limits: sandbox.Limits | None = None, queue: int = 1_000_000):
        self.engine = engine
        self.size = max(1, size)
        self.limits = limits or sandbox.Limits()
        if self.limits.allow_network:  # never silently: every web worker says so once
            log.warning("ALLOW_NETWORK: query processes start without the no-network sandbox")
        self.queue = max(0, queue)  # requests allowed to wait for a busy pool; more are refused at once
        self._waiting = 0
        self.refused = 0  # how many were refused that way (for /health)
        self._idle: deque[_Worker] = deque()
        self._all: set[_Worker] = set()
        self._cond = threading.Condition()
        self._last_change = time.monotonic()  # when a query process last took a query or came free (_acquire)
        self._pid = os.getpid()
        self.killed = 0  # how many runaway queries were stopped (for /health)

    def _spawn(self) -> _Worker:
        worker = _Worker(self.engine, self.limits)
        self._all.add(worker)
        return worker

    def _acquire(self, deadline: float) -> _Worker:
        """An idle query process, waited for until the deadline. A query that finds `queue` others
        waiting already waits too while the processes keep changing hands, and is refused (Busy)
        once every one has been on its query for STALLED seconds: they are held by runaways."""
        with self._cond:
            overflow = not self._idle and len(self._all) >= self.size and self._waiting >= self.queue
            self._waiting += 1
            try:
                while True:
                    if self._idle or len(self._all) < self.size:
                        self._last_change = time.monotonic()
                        return self._idle.pop() if self._idle else self._spawn()
                    now = time.monotonic()
                    if overflow and now - self._last_change >= STALLED:
                        raise Busy(BUSY)
                    remaining = deadline - now
                    if remaining <= 0:
                        raise QueryTimeout("every query process stayed busy until the deadline")
                    self._cond.wait(min(remaining, STALLED) if overflow else remaining)
            finally:
                self._waiting -= 1

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            self._last_change = time.monotonic()
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
        """Evaluate a job in a child process; raise QueryError, QueryTimeout or EngineError.

        An engine's own failure (a path, a storage message) is logged, never shown to the client.
        """
        try:
            return self._evaluate(job)
        except Busy:
            self.refused += 1
            raise
        except Unavailable:
            raise
        except EngineError as err:
            log.error("query engine failure: %s", err)
            raise EngineError(ENGINE_FAILED) from None

    def _evaluate(self, job: Job) -> object:
        deadline = time.monotonic() + job.timeout
        worker = self._acquire(deadline)
        try:
            worker.wait_ready(max(0.05, deadline - time.monotonic()))
        except StartTimeout:  # a fresh process got late in the deadline: a timeout, and the process is kept
            self._release(worker)
            raise QueryTimeout("no query process was ready before the deadline") from None
        try:
            worker.conn.send(pickle.dumps(job, pickle.HIGHEST_PROTOCOL))
            try:
                status, payload = _decode_reply(worker.conn.recv(deadline))
            except ChannelTimeout:
                self.killed += 1
                self._discard(worker)
                self._replace_soon()
                raise QueryTimeout(f"the query ran longer than {job.timeout:g} s and was stopped") from None
        except (EOFError, OSError) as err:
            last_words = worker.last_words()
            self._discard(worker)  # joins the dead child, so its exit code is known
            if worker.ready and worker.process.exitcode is not None:
                raise _crash(worker.process.exitcode, last_words, self.limits) from None
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
        if status == "network":
            raise QueryError(NETWORK_REFUSED)
        if status == "memory":
            raise TooMuchMemory(_memory_message(self.limits))
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
    """For engines that are not isolated (a remote store): evaluate in the calling thread.

    Admission control as in QueryPool: `concurrency` queries in flight; one more waits while the
    ones in flight keep finishing, and is refused (Busy) once none has started or ended for
    STALLED seconds."""

    def __init__(self, engine: Engine, limits: sandbox.Limits | None = None, concurrency: int = 1_000_000):
        self.engine = engine
        self.limits = limits or sandbox.Limits()
        self.killed = 0
        self.refused = 0
        self._limit = max(1, concurrency)
        self._running = 0
        self._last_change = time.monotonic()
        self._cond = threading.Condition()
        engine.open()

    def warm(self, timeout: float = 10.0, count: int | None = None) -> None:
        pass

    def _enter(self, deadline: float) -> None:
        with self._cond:
            while self._running >= self._limit:
                now = time.monotonic()
                if now - self._last_change >= STALLED:
                    self.refused += 1
                    raise Busy(BUSY)
                if now >= deadline:
                    raise QueryTimeout("every slot for the remote store stayed busy until the deadline")
                self._cond.wait(min(STALLED, deadline - now))
            self._running += 1
            self._last_change = time.monotonic()

    def _leave(self) -> None:
        with self._cond:
            self._running -= 1
            self._last_change = time.monotonic()
            self._cond.notify()

    def run(self, job: Job) -> object:
        if job.form is None:
            raise self.engine.syntax_error(job.query)
        self._enter(time.monotonic() + job.timeout)
        try:
            return check_answer(self.engine.execute(job), job, self.limits)
        except Unavailable:
            raise
        except EngineError as err:  # the store's address and its own messages stay in the log
            log.error("remote store failure: %s", err)
            raise EngineError(REMOTE_FAILED) from None
        finally:
            self._leave()

    def close(self) -> None:
        self.engine.close()
