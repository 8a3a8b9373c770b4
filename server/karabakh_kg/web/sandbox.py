"""The query processes' sandbox: no network (seccomp) and bounded memory, enforced by the kernel.

The checks in `safety` read a query before any engine does, but a second reader in front of the
engine can always disagree with it somewhere. So the processes that evaluate queries cannot reach
the network at all, whatever a query asks: right after fork, before the engine opens its store or
any thread starts, the process installs a seccomp filter that makes `socket()` and `socketpair()`
fail with EACCES for every address family but AF_UNIX (the pipe to the web worker is a Unix
socket pair, made before the fork), refuses `connect()` altogether (so no Unix socket can reach a
local resolver such as nscd or systemd-resolved either: a host name looked up there is a DNS query
leaving the host), and refuses io_uring (which can create sockets without `socket()`) and any
system call from another ABI (x32, or 32-bit calls via `int 0x80`, which have their own numbers).

The filter is a hand-assembled classic BPF program installed with `seccomp(2)`
(SECCOMP_FILTER_FLAG_TSYNC: every thread of the process), after `PR_SET_NO_NEW_PRIVS`, so it
works as root and as an ordinary user, and inside Docker's default profile (which allows
seccomp but refuses `unshare`). A filter can never be removed, and children inherit it.

Memory: the store is memory-mapped, so an address-space limit (RLIMIT_AS) would count the mapped
files; RLIMIT_DATA counts what a query can grow (heap, anonymous mappings) and not the mapped
store. The limit is what the process holds at the fork (its web worker's heap, shared) plus
QUERY_MEMORY_MB. An allocation past it fails, and the engine aborts with "memory allocation of … failed"
on its standard error, which the pool reads to tell the client what happened.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import socket
import struct
from dataclasses import dataclass

# <linux/audit.h>, <linux/seccomp.h>, <linux/filter.h>
AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_AARCH64 = 0xC00000B7
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
PR_SET_NO_NEW_PRIVS = 38
X32_SYSCALL_BIT = 0x40000000

# Per architecture: the seccomp call itself, socket and socketpair, and the calls refused outright:
# connect, then io_uring_setup, io_uring_enter, io_uring_register.
SYSCALLS = {
    "x86_64": {"arch": AUDIT_ARCH_X86_64, "seccomp": 317, "socket": (41, 53), "refused": (42, 425, 426, 427)},
    "aarch64": {"arch": AUDIT_ARCH_AARCH64, "seccomp": 277, "socket": (198, 199), "refused": (203, 425, 426, 427)},
}

_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (args[0]'s low half on little-endian)


class SandboxError(Exception):
    """The sandbox could not be set up (the server must not start without it)."""


def _assemble(program: list[tuple]) -> bytes:
    """Classic BPF from (code, k, jump-if-true label, jump-if-false label) rows and label strings."""
    labels, rows = {}, []
    for item in program:
        if isinstance(item, str):
            labels[item] = len(rows)
        else:
            rows.append(item)
    out = []
    for index, (code, k, *jumps) in enumerate(rows):
        jt, jf = ((labels[j] - index - 1) if isinstance(j, str) else 0 for j in (jumps + [0, 0])[:2])
        if not (0 <= jt < 256 and 0 <= jf < 256):
            raise SandboxError("seccomp program: jump out of range")
        out.append(struct.pack("=HBBI", code, jt, jf, k))
    return b"".join(out)


def program() -> bytes:
    """The filter: AF_UNIX sockets only, no io_uring, no foreign ABI; everything else allowed."""
    deny = SECCOMP_RET_ERRNO | errno.EACCES
    rows: list = [(_LD_W_ABS, _ARCH)]
    for name, calls in SYSCALLS.items():
        rows.append((_JEQ_K, calls["arch"], name, 0))
    rows.append((_RET_K, deny))  # an ABI this filter does not know: refuse every call
    for name, calls in SYSCALLS.items():
        rows += [name, (_LD_W_ABS, _NR), (_JGE_K, X32_SYSCALL_BIT, "deny", 0)]
        rows += [(_JEQ_K, nr, "domain", 0) for nr in calls["socket"]]
        rows += [(_JEQ_K, nr, "deny", 0) for nr in calls["refused"]]
        rows.append((_RET_K, SECCOMP_RET_ALLOW))
    rows += [
        "domain",
        (_LD_W_ABS, _ARG0),
        (_JEQ_K, socket.AF_UNIX, "allow", "deny"),
        "allow",
        (_RET_K, SECCOMP_RET_ALLOW),
        "deny",
        (_RET_K, deny),
    ]
    return _assemble(rows)


def _arch() -> dict:
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if machine not in SYSCALLS or platform.system() != "Linux":
        raise SandboxError(f"no seccomp filter for {platform.system()} on {machine}")
    return SYSCALLS[machine]


def deny_network() -> None:
    """Install the filter in this process (all its threads); raise SandboxError if it cannot be."""
    calls = _arch()
    libc = ctypes.CDLL(None, use_errno=True)
    code = program()

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    prog = SockFprog(len(code) // 8, code)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SandboxError(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(
        ctypes.c_long(calls["seccomp"]),
        ctypes.c_ulong(SECCOMP_SET_MODE_FILTER),
        ctypes.c_ulong(SECCOMP_FILTER_FLAG_TSYNC),
        ctypes.byref(prog),
    )
    if result != 0:
        raise SandboxError(f"seccomp(SECCOMP_SET_MODE_FILTER) failed: {os.strerror(ctypes.get_errno())}")
    try:  # prove it: an Internet socket must now be refused
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except PermissionError:
        return
    raise SandboxError("the seccomp filter was installed but an Internet socket could still be created")


def limit_memory(megabytes: int) -> None:
    """Let this process's data (heap and private mappings) grow by at most `megabytes`; 0: no limit.

    Counted from what the process holds now: a forked child inherits its parent's heap (shared,
    copy-on-write, but counted in its data size), and the query may then add `megabytes` to it.
    """
    if megabytes > 0:
        size = _data_bytes() + megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (size, size))


def _data_bytes() -> int:
    """This process's data size as the kernel counts it for RLIMIT_DATA (VmData)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    raise SandboxError("cannot read the process's data size from /proc/self/status")


@dataclass(frozen=True)
class Limits:
    """What a query process is allowed: network (only with the logged override), memory, answer bytes."""

    allow_network: bool = False
    memory_mb: int = 0  # 0: no limit
    answer_bytes: int = 0  # the largest answer sent (MAX_RESULT_BYTES), checked where it is written; 0: no limit

    @classmethod
    def from_settings(cls, settings: dict) -> Limits:
        return cls(
            bool(settings.get("ALLOW_NETWORK", False)),
            int(settings.get("QUERY_MEMORY_MB", 0)),
            int(settings.get("MAX_RESULT_BYTES", 0)),
        )


def enter(limits: Limits) -> None:
    """In a fresh query process, before the engine opens or any thread starts: apply `limits`."""
    limit_memory(limits.memory_mb)
    if not limits.allow_network:
        deny_network()


def check_budget(settings: dict) -> None:
    """Refuse settings whose query processes could together use more than QUERY_MEMORY_TOTAL_MB."""
    per_process, total = settings["QUERY_MEMORY_MB"], settings["QUERY_MEMORY_TOTAL_MB"]
    count = max(1, settings["WORKERS"]) * max(1, settings["QUERY_PROCESSES"])
    if per_process <= 0 and total > 0:
        raise ValueError("QUERY_MEMORY_MB is 0 (no limit) but QUERY_MEMORY_TOTAL_MB is set: give each process a limit")
    if total > 0 and per_process * count > total:
        raise ValueError(
            f"{count} query processes (WORKERS x QUERY_PROCESSES) x QUERY_MEMORY_MB {per_process} = "
            f"{per_process * count} MB, more than QUERY_MEMORY_TOTAL_MB {total}: lower one of them"
        )
