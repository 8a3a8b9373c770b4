"""Open-loop load: requests sent on a fixed schedule, latency counted from each scheduled start.

wrk is closed-loop: a connection sends its next request only when the previous answer arrived, so
a server that stalls is sent less and its stall is hidden (coordinated omission). Here request i
is due at `start + i / rate` whether or not earlier answers came back; it goes out on an idle
kept-alive connection, or a new one (up to `max_connections`, then it waits for one, and that
wait counts), and its latency runs from the time it was due, as wrk2 measures. wrk2 is not
packaged for Debian, hence this asyncio generator: its own cost (about 0.1 ms a request on one
core) is in every figure, ours and the reference's alike, so compare them side by side.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> tuple[int, bool]:
        """Send one request, read its whole response; return the status and whether the connection
        may carry another request (not after `Connection: close`, which a server may send any time)."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers.get("connection", "").lower() != "close"

    def close(self) -> None:
        self.writer.close()


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(round(q / 100 * (len(sorted_values) - 1))))]


async def _run(port: int, make_request: Callable[[int], bytes], rate: float, duration: float, max_connections: int):
    idle: list[_Connection] = []
    opened = 0
    freed = asyncio.Condition()
    latencies: list[float] = []
    errors = 0
    tasks = []

    async def connection() -> _Connection:
        nonlocal opened
        async with freed:
            while not idle and opened >= max_connections:
                await freed.wait()
            if idle:
                return idle.pop()
            opened += 1
        try:
            return _Connection(*await asyncio.open_connection("127.0.0.1", port))
        except OSError:
            async with freed:
                opened -= 1
                freed.notify()
            raise

    async def one(i: int, due: float) -> None:
        nonlocal errors, opened
        try:
            conn = await connection()
        except OSError:
            errors += 1
            return
        try:
            status, reusable = await asyncio.wait_for(conn.exchange(make_request(i)), timeout=30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            status, reusable = None, False
        if status is not None:
            latencies.append(time.perf_counter() - due)
        if status is None or not 200 <= status < 400:
            errors += 1
        async with freed:
            if reusable:
                idle.append(conn)
            else:
                conn.close()
                opened -= 1
            freed.notify()

    count = int(rate * duration)
    start = time.perf_counter() + 0.05
    behind = 0.0
    for i in range(count):
        due = start + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        else:
            behind = max(behind, -wait)
        tasks.append(asyncio.ensure_future(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for conn in idle:
        conn.close()
    ordered = sorted(latencies)
    return {
        "rate": rate,
        "sent": count,
        "completed_rps": round(len(latencies) / elapsed, 1),
        "errors": errors,
        "connections": opened,
        "generator_behind_ms": round(behind * 1000, 2),
        **{f"p{q}_ms": _ms(_percentile(ordered, q)) for q in (50, 90, 99, 99.9)},
        "max_ms": _ms(ordered[-1] if ordered else None),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def open_loop(
    port: int, make_request: Callable[[int], bytes], rate: float, duration: float, max_connections: int = 64
) -> dict:
    """Send `rate` requests a second for `duration` seconds on schedule; latency percentiles from
    each request's due time. `make_request(i)` gives request i's bytes (HTTP/1.1, kept alive)."""
    return asyncio.run(_run(port, make_request, rate, duration, max_connections))


def get_request(path: str, accept: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n\r\n".encode("latin-1")
