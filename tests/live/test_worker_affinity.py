"""`PIN_WORKERS` on the default front (granian): each web worker and its query processes on their own CPUs."""

from __future__ import annotations

import os
import time
import urllib.request
from urllib.parse import urlencode

import pytest

from karabakh_kg.web import affinity
from support.sec import children_of

pytestmark = [pytest.mark.live]

WORKERS = 2


def _cpus(pid: int) -> set[int]:
    return os.sched_getaffinity(pid)


def _workers_with_query_processes(server, count: int) -> dict[int, list[int]]:
    """Query both web workers until each has started a query process (the shared socket hands
    requests to either); {worker pid: its query processes}."""
    deadline = time.monotonic() + 20
    tree: dict[int, list[int]] = {}
    while time.monotonic() < deadline:
        tree = {w: children_of(w) for w in children_of(server.process.pid)}
        if len(tree) == count and all(tree.values()):
            return tree
        with urllib.request.urlopen(server.url + "/sparql?" + urlencode({"query": "ASK {}"}), timeout=10) as answer:
            answer.read()
    raise AssertionError(f"not every web worker started a query process: {tree}")


def _threads(pid: int) -> list[int]:
    return [int(t) for t in os.listdir(f"/proc/{pid}/task")]


@pytest.mark.skipif(len(affinity.allowed()) < WORKERS, reason="fewer CPUs than web workers: shares overlap")
def test_each_worker_with_its_threads_and_query_processes_runs_on_its_own_share(live_server_factory, release_dir):
    server = live_server_factory(release_dir, workers=WORKERS)
    tree = _workers_with_query_processes(server, WORKERS)
    expected = [affinity.share(affinity.allowed(), i, WORKERS) for i in range(WORKERS)]
    shares = []
    for worker, query_processes in tree.items():
        share = _cpus(worker)
        assert share in expected, f"worker {worker} runs on {share}, not on one of the shares {expected}"
        for tid in _threads(worker):
            assert os.sched_getaffinity(tid) == share, f"thread {tid} of worker {worker} is not on its share"
        for child in query_processes:
            assert _cpus(child) == share, f"query process {child} is not on its worker's CPUs {share}"
        shares.append(share)
    assert sorted(map(sorted, shares)) == sorted(map(sorted, expected)), "two workers share their CPUs"


def test_with_pin_workers_off_every_worker_may_run_anywhere(live_server_factory, release_dir):
    server = live_server_factory(release_dir, workers=WORKERS, env={"KARABAKH_KG_PIN_WORKERS": "false"})
    tree = _workers_with_query_processes(server, WORKERS)
    everywhere = set(affinity.allowed())
    for worker, query_processes in tree.items():
        assert _cpus(worker) == everywhere
        assert all(_cpus(child) == everywhere for child in query_processes)
