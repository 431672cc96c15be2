"""``supplychain serve`` under fire: each kind of process is SIGKILLed while organisations capture over HTTP.

One service for the module (a supervisor, its server process with two signing processes, its anchoring worker, on an
anvil node). The tests run in order: the server is killed, then the worker, then a server with its signing
processes, and at the end the supervisor itself; after the worker's death every accepted event is anchored exactly
once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from backend.core.config import Settings
from backend.models import Batch, Event, EventLink
from backend.services.platform import Platform
from backend.services.signing_pool import SigningPool, verify_chunk
from chain.connection import connect
from chain.deploy import Deployment
from chain.registry import Registry
from supplychain.merkle import hash_id_to_bytes32
from supplychain.signing import SigningKey
from tests.backend.served import Capturer, Served, alive, children, comm, descendants, register, serve, wait_for
from tests.chains import Node, start

pytestmark = [pytest.mark.anvil, pytest.mark.xdist_group("served-supervision")]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Path]]:
    tmp = tmp_path_factory.mktemp("supervision")
    for running in start("anvil", tmp):
        yield running, tmp


@pytest.fixture(scope="module")
def served(node: tuple[Node, Path]) -> Iterator[tuple[Served, str]]:
    chain, tmp = node
    with serve(tmp, chain.url, batch_interval_seconds="0.3", capture_workers="2") as running:
        yield running, register(running)


@contextmanager
def _platform(service: Served) -> Iterator[Platform]:
    """The service's platform (its store), opened in the test process."""
    platform = Platform.open(Settings(data_dir=service.data, rpc_url=service.rpc, environment="test"))
    try:
        yield platform
    finally:
        platform.close()


def _restarted(served: Served, name: str, old: int) -> int:
    wait_for(lambda: served.child(name) not in (None, old), 30, f"the supervisor starts a new {name}")
    new = served.child(name)
    assert new is not None
    return new


def test_signing_processes_outlive_the_request_thread_that_started_them() -> None:
    """The parent-death signal comes when the *thread* that spawned a process ends: that alone must not end it."""
    pool = SigningPool(SigningKey.from_private_bytes(b"\x07" * 32), workers=1)
    try:
        starter = threading.Thread(target=pool.warm_up)
        starter.start()
        starter.join()
        (process,) = pool.executor()._processes.values()
        time.sleep(1.0)  # the watchdog polls every 0.5 s; the signal came when the thread ended
        assert process.pid is not None
        assert alive(process.pid)
        assert pool.executor().submit(verify_chunk, []).result(timeout=10) == []
    finally:
        pool.close()


def test_a_killed_server_process_is_restarted_and_capture_resumes(served: tuple[Served, str]) -> None:
    service, token = served
    server = service.child("sc-server-1")
    assert server is not None
    with Capturer(service, token, "S") as capturer:
        wait_for(lambda: len(capturer.answered_at) >= 3, 20, "captures are answered")
        os.kill(server, signal.SIGKILL)
        killed = time.monotonic()
        _restarted(service, "sc-server-1", server)
        wait_for(lambda: capturer.answers_after(killed) >= 3, 30, "capture resumes on the new server process")
    assert f"server 1 (pid {server}) was killed by SIGKILL" in service.log_text()
    assert not [f for f in capturer.failures if not f.startswith(("ConnectError", "RemoteProtocolError", "Read"))]
    with _platform(service) as platform, platform.session() as session:
        stored = set(session.exec(select(Event.hash_id).where(col(Event.hash_id).in_(capturer.accepted))).all())
    assert stored == set(capturer.accepted)  # every answered event is durable


def test_the_signing_processes_of_a_killed_server_die_with_it(served: tuple[Served, str]) -> None:
    service, token = served
    server = service.child("sc-server-1")
    assert server is not None

    def signing() -> list[int]:
        return [p for p in children(server) if comm(p) == "sc-signing"]

    wait_for(lambda: len(signing()) == 2, 30, "the server starts its two signing processes")
    below = descendants(server)
    with Capturer(service, token, "P") as capturer:
        wait_for(lambda: len(capturer.answered_at) >= 2, 20, "captures are answered")
        os.kill(server, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: not any(alive(p) for p in below), 5, f"the server's processes {below} end with it")
        _restarted(service, "sc-server-1", server)
        wait_for(lambda: capturer.answers_after(killed) >= 2, 30, "capture resumes on the new server process")


def test_a_killed_worker_is_restarted_and_every_accepted_event_is_anchored_exactly_once(
    served: tuple[Served, str],
) -> None:
    service, token = served
    worker = service.child("sc-anchoring")
    assert worker is not None
    with Capturer(service, token, "W") as capturer:
        wait_for(lambda: len(capturer.answered_at) >= 5, 20, "captures are answered")
        os.kill(worker, signal.SIGKILL)
        _restarted(service, "sc-anchoring", worker)
        time.sleep(1)
    assert not capturer.failures  # the server processes never noticed
    assert f"anchoring worker (pid {worker}) was killed by SIGKILL" in service.log_text()
    with _platform(service) as platform:

        def pending() -> int:
            with platform.session() as session:
                query = select(func.count()).select_from(Event).join(Batch, isouter=True)
                return session.exec(
                    query.where((col(Batch.status) != "anchored") | col(Event.batch_id).is_(None))
                ).one()

        wait_for(lambda: pending() == 0, 30, "the restarted worker anchors everything")
        with platform.session() as session:
            events = list(session.exec(select(Event)).all())
            batches = {b.id: b for b in session.exec(select(Batch)).all()}
            links = list(session.exec(select(EventLink)).all())
    hashes = [e.hash_id for e in events]
    assert len(hashes) == len(set(hashes))  # each event stored once...
    assert set(capturer.accepted) <= set(hashes)
    per_batch: dict[int | None, int] = {}
    for event in events:  # ...in exactly one batch
        assert event.batch_id in batches
        per_batch[event.batch_id] = per_batch.get(event.batch_id, 0) + 1
    for link in links:  # with its story links beside it
        assert link.batch_id == next(e.batch_id for e in events if e.id == link.event_id)
        per_batch[link.batch_id] += 1
    registry = Registry(connect(service.rpc), Deployment.load(service.data / "deployment.json"))
    roots = [b.root for b in batches.values()]
    assert len(roots) == len(set(roots))
    assert registry.anchor_count() == len(batches)  # each root anchored once on chain, nothing else anchored
    for batch_id, batch in batches.items():
        assert batch.status == "anchored"
        assert per_batch[batch_id] == batch.leaf_count
        assert registry.is_anchored(bytes.fromhex(batch.root[2:]))
    for event in random.Random(11).sample(events, 12):
        batch = batches[event.batch_id]
        proof = [bytes.fromhex(p[2:]) for p in json.loads(event.proof or "[]")]
        root = bytes.fromhex(batch.root[2:])
        assert registry.verify_event(root, proof, hash_id_to_bytes32(event.hash_id))


def test_a_killed_supervisor_leaves_no_process_behind(served: tuple[Served, str]) -> None:
    service, _ = served
    below = descendants(service.process.pid)
    names = sorted(comm(p) for p in below)
    assert {"sc-server-1", "sc-anchoring"} <= set(names)
    service.process.kill()
    service.process.wait(10)
    wait_for(lambda: not any(alive(p) for p in below), 5, f"the processes {names} end with the supervisor")
