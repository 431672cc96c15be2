"""The anchoring worker under the lease, on a real SQLite file and the in-process chain: only the holder anchors, a
worker that lost the lease writes and sends nothing, and the next holder finishes its predecessor's batch with the
same transaction. (Three worker processes on PostgreSQL and anvil: tests/backend/test_anchoring_failover.py.)

A second host is a second :class:`Platform` on the same database and chain: its own lease holder, as a second process
would be.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from backend.models import Batch, Event
from backend.services.anchoring import AnchoringWorker
from backend.services.lease import Lease, LeaseLostError, lease_status
from backend.services.platform import Platform
from chain.registry import ANCHOR_GAS
from supplychain.signing import SigningKey
from tests.backend.test_anchoring import assert_all_anchored_once, batches, capture
from tests.chains import MANUFACTURER


def other_host(platform: Platform) -> Platform:
    """Another host on the same database and chain (its own lease holder)."""
    return dataclasses.replace(platform)


def holder_dies(platform: Platform) -> None:
    """The holder stopped renewing and its lease ran out (the database's clock passed its expiry)."""
    with platform.engine.begin() as connection:
        connection.execute(text("UPDATE worker_lease SET expires_ms = expires_ms - 3600000"))


class Pausable:
    """Every use of one holder's lease (its loop's acquire and fences, its heartbeat's renewals) passes a door that
    :meth:`paused` closes, as a process stopped by SIGSTOP or a long pause would: while it is closed and no call is
    under way, the holder's threads touch nothing, so that another host can find its lease run out and take it."""

    def __init__(self, lease: Lease):
        self._door = threading.Condition()
        self._open = True
        self._inside = 0
        for name in ("acquire", "fence", "renew"):
            setattr(lease, name, self._gated(getattr(lease, name)))

    def _gated(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def gated(*args: Any, **kwargs: Any) -> Any:
            with self._door:
                self._door.wait_for(lambda: self._open)
                self._inside += 1
            try:
                return call(*args, **kwargs)
            finally:
                with self._door:
                    self._inside -= 1
                    self._door.notify_all()

        return gated

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Close the door once no call is under way; open it on leaving."""
        with self._door:
            self._open = False
            self._door.wait_for(lambda: self._inside == 0)
        try:
            yield
        finally:
            with self._door:
                self._open = True
                self._door.notify_all()


def sent_count(platform: Platform) -> int:
    """Transactions the anchoring account has had mined or pending."""
    writer = platform.registry.writer
    return int(writer.tx.chain.w3.eth.get_transaction_count(writer.address, "pending"))


def test_only_the_holder_anchors_and_the_next_one_finishes_the_batch_in_flight(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 3)
    first, second = AnchoringWorker(platform), AnchoringWorker(other_host(platform))
    assert first.hold()
    assert second.run_once(force=True) == 0 and batches(platform) == []  # standing by
    batch = first._prepare(force=True)
    assert batch is not None
    writer = platform.registry.writer
    pending = writer.tx.sign(
        writer.registry.address,
        writer.registry.encode("anchorRoot", bytes.fromhex(batch.root[2:]), batch.leaf_count),
        gas=ANCHOR_GAS,
        action="anchorRoot",
    )
    first._set(batch, status="sent", tx_hash=pending.tx_hash, raw_tx=pending.raw, nonce=pending.nonce)
    writer.tx.broadcast(pending)
    holder_dies(platform)  # SIGKILL here: sent, not recorded
    assert second.run_once(force=True) == 3
    (done,) = batches(platform)
    assert (done.status, done.tx_hash, done.nonce) == ("anchored", pending.tx_hash, pending.nonce)  # not a second one
    assert_all_anchored_once(platform, hashes)
    with platform.session() as session:
        status = lease_status(session)
    assert status is not None and status.holder == second.lease.holder and status.epoch == 2


def test_a_worker_that_lost_the_lease_writes_nothing_and_sends_nothing(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 2)
    paused, other = AnchoringWorker(platform), AnchoringWorker(other_host(platform))
    assert paused.hold()
    holder_dies(platform)  # paused past its lease ...
    assert other.hold()  # ... and another host took over
    with pytest.raises(LeaseLostError, match=r"lost the 'anchorer' lease \(epoch 1\)"):
        paused._prepare(force=True)
    assert batches(platform) == []
    with platform.session() as session:
        assert all(e.batch_id is None for e in session.exec(select(Event)).all())

    batch = other._prepare(force=True)  # the new holder prepares; then it pauses in turn before sending
    assert batch is not None
    holder_dies(platform)
    assert paused.hold() and paused.lease.epoch == 3
    before = sent_count(platform)
    with pytest.raises(LeaseLostError, match=r"lost the 'anchorer' lease \(epoch 2\)"):
        other._finish(batch)  # its "sent" write is fenced out before anything reaches the node
    assert sent_count(platform) == before
    (still,) = batches(platform)
    assert (still.status, still.tx_hash) == ("prepared", None)
    assert paused.run_once(force=True) == 2  # the holder finishes the prepared batch, once
    assert_all_anchored_once(platform, hashes)


def test_a_stopped_worker_releases_the_lease_and_the_loop_stands_by_meanwhile(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    first, second = AnchoringWorker(platform), AnchoringWorker(other_host(platform))
    assert first.hold()
    second.start()  # its loop finds the lease held: it stands by
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 2)
    assert first.run_once(force=True) == 2
    first.stop()  # a clean stop releases the lease: no waiting for it to run out
    hashes += capture(client, tokens["manufacturer"], keys[MANUFACTURER], 2, prefix="X")
    second.interval_ms = 0
    for _ in range(400):  # bounded: the second worker's loop anchors them
        with platform.session() as session:
            if session.exec(select(Batch).where(Batch.status == "anchored")).all().__len__() == 2:
                break
        second._stop.wait(0.05)
    second.stop()
    assert [b.status for b in batches(platform)] == ["anchored", "anchored"]
    assert_all_anchored_once(platform, hashes)
    with platform.session() as session:
        status = lease_status(session)
    assert status is not None and status.epoch == 2 and not status.live  # taken over, then released


def test_a_running_worker_whose_lease_was_taken_stands_by(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    """A worker paused past its lease (simulated: its lease run out and taken) finds out at its next renewal or
    fenced write, stops its cycle and stands by; the new holder anchors what comes next, once."""
    platform.settings = platform.settings.model_copy(update={"anchor_lease_seconds": 1.5})
    paused = AnchoringWorker(platform)
    pausable = Pausable(paused.lease)
    paused.interval_ms = 0
    paused.start()
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 2)
    for _ in range(400):  # bounded: its loop anchors them
        if [b.status for b in batches(platform)] == ["anchored"]:
            break
        paused._stop.wait(0.05)
    other = AnchoringWorker(other_host(platform))
    with pausable.paused():  # unpaused, its loop or heartbeat would extend the run-out lease before the other took it
        holder_dies(platform)
        assert other.hold()
    for _ in range(400):  # bounded: its heartbeat or its next cycle finds the lease gone
        if not paused.lease.held:
            break
        paused._stop.wait(0.05)
    hashes += capture(client, tokens["manufacturer"], keys[MANUFACTURER], 2, prefix="N")
    paused._stop.wait(0.5)  # a few of its cycles: standing by, it anchors nothing
    assert [b.status for b in batches(platform)] == ["anchored"]
    assert other.run_once(force=True) == 2
    paused.stop()
    assert [b.status for b in batches(platform)] == ["anchored", "anchored"]
    assert_all_anchored_once(platform, hashes)
    with platform.session() as session:
        status = lease_status(session)
    assert status is not None and status.holder == other.lease.holder and status.live  # the stale stop released nothing
