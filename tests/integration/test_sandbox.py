"""The query processes' sandbox: no network, whatever a query asks, enforced by the kernel.

A SERVICE query is sent straight to a query process (past every check in front of it) against a
live listener on 127.0.0.1: no connection arrives, and the client gets a clear error. The same
query with the logged `ALLOW_NETWORK` override does connect, so the test can fail. The filter is
also tried directly (as root and as an ordinary user): Internet sockets refused, Unix sockets and
socket pairs allowed. A host where the sandbox cannot be set up does not serve without the
override, and the memory budget of all query processes together is checked before serving.
"""

from __future__ import annotations

import os
import socket

import pytest

from karabakh_kg import config, releases
from karabakh_kg.web import engines, sandbox, server
from karabakh_kg.web.engines import EngineError, Job, QueryError
from karabakh_kg.web.query_pool import NETWORK_REFUSED, QueryPool


def _service_queries(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}/internal"
    return [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"PREFIX ex: <http://e/>\nSELECT ?x WHERE {{ BIND(ex:a\\# AS ?z) SERVICE <{url}> {{ ?x ?y ?w }}\n}}",
        f"SELECT * WHERE {{ ?s ?p ?o SERVICE SILENT <{url}> {{ ?a ?b ?c }} }} LIMIT 1",
    ]


def _pool(release_dir, engine_name: str, allow_network: bool) -> QueryPool:
    settings = config.load({"BUILD_DIR": str(release_dir), "ENGINE": engine_name})
    engine = engines.create(engine_name, releases.open_current(release_dir), settings)
    engine.prepare()
    return QueryPool(engine, 1, sandbox.Limits(allow_network=allow_network, memory_mb=0))


def _run(pool: QueryPool, query: str) -> str:
    try:
        pool.run(Job(query=query, form="SELECT", format="json", timeout=10))
    except (QueryError, EngineError) as err:
        return str(err)
    return "answered"


@pytest.mark.parametrize("engine_name", ["oxigraph", "rdflib"])
def test_a_service_query_sent_straight_to_a_query_process_connects_nowhere(release_dir, listener, engine_name):
    pool = _pool(release_dir, engine_name, allow_network=False)
    try:
        outcomes = [_run(pool, query) for query in _service_queries(listener.port)]
    finally:
        pool.close()
    assert listener.connections == []
    if engine_name == "oxigraph":  # rdflib refuses SERVICE itself, before any socket
        assert outcomes[0] == NETWORK_REFUSED
        assert outcomes[1] == NETWORK_REFUSED
        assert outcomes[2] == "answered"  # SILENT: the refused call counts as an empty answer


def test_the_same_query_with_the_network_override_does_connect(release_dir, listener):
    pool = _pool(release_dir, "oxigraph", allow_network=True)
    try:
        _run(pool, _service_queries(listener.port)[0])
    finally:
        pool.close()
    assert len(listener.connections) == 1
    assert b"/internal" in listener.connections[0]


def _in_child(action) -> str:
    """Run `action()` in a forked child; its return value (or error) as text."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            message = action()
        except BaseException as err:  # noqa: BLE001 - report anything to the parent
            message = f"{type(err).__name__}: {err}"
        os.write(write, message.encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as pipe:
        return pipe.read().decode()


def _families_after_filter(as_user: int | None, listening: str):
    def action() -> str:
        if as_user is not None:
            os.setgid(as_user)
            os.setuid(as_user)
        sandbox.deny_network()
        found = []
        for name in ("AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET"):
            try:
                socket.socket(getattr(socket, name), socket.SOCK_DGRAM if name != "AF_PACKET" else socket.SOCK_RAW)
                found.append(f"{name} allowed")
            except PermissionError:
                found.append(f"{name} refused")
        local = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            local.connect(listening)  # a local daemon (nscd, systemd-resolved) would resolve names
            found.append("unix connect allowed")
        except PermissionError:
            found.append("unix connect refused")
        local.close()
        a, b = socket.socketpair()
        a.sendall(b"x")
        assert b.recv(1) == b"x"
        a.close(), b.close()
        found.append("socketpair ok")
        status = [line for line in open("/proc/self/status") if line.startswith("Seccomp:")]
        found.append(status[0].split()[1])
        return " ".join(found)

    return action


@pytest.mark.parametrize("as_user", [None, 65534], ids=["same user", "ordinary user"])
def test_the_filter_refuses_every_socket_family_but_unix_and_every_connect(as_user, tmp_path):
    if as_user is not None and os.getuid() != 0:
        as_user = None  # already an ordinary user
    os.chmod(tmp_path, 0o777)
    daemon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    daemon.bind(str(tmp_path / "daemon.sock"))
    os.chmod(tmp_path / "daemon.sock", 0o777)
    daemon.listen(1)
    try:
        outcome = _in_child(_families_after_filter(as_user, str(tmp_path / "daemon.sock")))
    finally:
        daemon.close()
    assert outcome == (
        "AF_INET refused AF_INET6 refused AF_NETLINK refused AF_PACKET refused unix connect refused socketpair ok 2"
    )


def test_the_filter_program_covers_both_architectures():
    code = sandbox.program()
    assert len(code) % 8 == 0 and len(code) // 8 < 64
    for arch in (sandbox.AUDIT_ARCH_X86_64, sandbox.AUDIT_ARCH_AARCH64):
        assert arch.to_bytes(4, "little") in code


def test_serve_refuses_to_start_when_the_sandbox_cannot_be_set_up(release_dir, monkeypatch):
    def unavailable():
        raise sandbox.SandboxError("seccomp(SECCOMP_SET_MODE_FILTER) failed: Invalid argument")

    monkeypatch.setattr(sandbox, "deny_network", unavailable)
    settings = config.load({"BUILD_DIR": str(release_dir)})
    with pytest.raises(releases.ReleaseError, match="--allow-network"):
        server.verify_release(settings)
    assert server.verify_release({**settings, "ALLOW_NETWORK": True}).path.is_dir()


def test_serve_refuses_query_processes_that_could_use_more_than_the_memory_total(release_dir):
    settings = config.load({"BUILD_DIR": str(release_dir), "WORKERS": 4, "QUERY_PROCESSES": 4})
    with pytest.raises(ValueError, match="QUERY_MEMORY_TOTAL_MB"):
        server.verify_release({**settings, "QUERY_MEMORY_MB": 512, "QUERY_MEMORY_TOTAL_MB": 4096})
    assert server.verify_release({**settings, "QUERY_MEMORY_MB": 256, "QUERY_MEMORY_TOTAL_MB": 4096})
