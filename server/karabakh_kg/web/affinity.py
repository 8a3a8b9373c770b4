"""Each web worker, with its threads and query processes, on its own share of the CPUs.

Every cache miss crosses from a web worker's thread to one of its query processes and back. When
the two run on different CPUs each crossing wakes the other CPU (an inter-processor interrupt, and
on a virtual machine an exit to the hypervisor): a ping-pong over the socket pair cost 20 µs of CPU
a side across two CPUs and 4.5 µs on one (docs/benchmarks.md). Pinning a web worker and everything
it starts to one share keeps those hand-offs on one CPU, and the workers apart from each other.

Only `sched_setaffinity`: the kernel enforces it, and every thread and process started later
inherits the share of the thread that starts it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence


def allowed() -> list[int]:
    """The CPUs this process may run on (a container's cpuset, `taskset`), in order."""
    return sorted(os.sched_getaffinity(0))


def share(cpus: Sequence[int], index: int, count: int) -> set[int]:
    """The CPUs of worker `index` of `count`: `cpus` split into `count` runs of nearly equal length,
    in order; with more workers than CPUs, one CPU each, round robin."""
    if count <= 0 or not cpus:
        raise ValueError("no CPUs or no workers to share them among")
    if count >= len(cpus):
        return {cpus[index % len(cpus)]}
    index %= count
    size, extra = divmod(len(cpus), count)
    start = index * size + min(index, extra)
    return set(cpus[start : start + size + (index < extra)])


def pin(cpus: set[int]) -> None:
    """Move every thread of this process to `cpus` (a thread started meanwhile is caught by the
    second pass; one started later inherits the share from the thread that starts it)."""
    done: set[int] = set()
    while True:
        threads = {int(name) for name in os.listdir("/proc/self/task")} - done
        if not threads:
            return
        for tid in threads:
            try:
                os.sched_setaffinity(tid, cpus)
            except ProcessLookupError:  # the thread ended meanwhile
                pass
        done |= threads
