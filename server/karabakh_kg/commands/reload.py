"""`karabakh-kg reload`: make a running server serve the current build, with no downtime.

It sends SIGHUP to the server whose process id `karabakh-kg serve` wrote to its pid file (by
default `<BUILD_DIR>/serve-<PORT>.pid`). The server checks the new build first; a broken one is
refused with a log line and the last good build stays served.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from karabakh_kg import config
from karabakh_kg.commands.serve import pid_file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = config.load()
    parser.add_argument("--port", type=int, default=defaults["PORT"], help="the server's port (default %(default)s)")
    parser.add_argument(
        "--build-dir", default=defaults["BUILD_DIR"], help="build folder the server serves (default %(default)s)"
    )
    parser.add_argument("--pid-file", default=defaults["PID_FILE"], help="the server's pid file (default: by port)")


def run(args: argparse.Namespace) -> int:
    settings = {"PORT": args.port, "BUILD_DIR": args.build_dir, "PID_FILE": args.pid_file}
    path = pid_file(settings)
    hint = "start one with `karabakh-kg serve`, or name its pid file with --pid-file"
    if path is None or not path.is_file():
        print(f"karabakh-kg reload: no server found: no pid file {path}; {hint}", file=sys.stderr)
        return 1
    try:
        pid = int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        print(f"karabakh-kg reload: {path} does not hold a process id; {hint}", file=sys.stderr)
        return 1
    if not _is_server(pid):
        print(
            f"karabakh-kg reload: process {pid} (from {path}) is not a running karabakh-kg server; {hint}",
            file=sys.stderr,
        )
        return 1
    os.kill(pid, signal.SIGHUP)
    print(
        f"reload sent to the server with process id {pid}: it checks {Path(args.build_dir) / 'current'} and serves it"
    )
    return 0


def _is_server(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc to ask: trust the pid file
    return b"karabakh" in cmdline or b"gunicorn" in cmdline
