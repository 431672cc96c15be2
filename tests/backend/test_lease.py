"""The anchoring lease on a real SQLite file: one holder at a time, hand-over on expiry or release, and a fenced
write of a holder that lost the lease rolled back. (PostgreSQL: tests/backend/test_postgres.py.)

Leases last 30 s here and run out when a test says so (:func:`run_out`), so a slow machine cannot expire one early.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from backend.core.db import make_engine, migrate
from backend.services.lease import Lease, LeaseLostError, lease_status


def run_out(engine: Engine) -> None:
    """The holder stopped renewing and its lease ran out (the database's clock passed its expiry)."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE worker_lease SET expires_ms = expires_ms - 60000"))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    made = make_engine(f"sqlite:///{tmp_path / 'platform.db'}")
    migrate(made)
    return made


def test_one_holder_at_a_time_and_the_epoch_rises_at_each_hand_over(engine: Engine) -> None:
    first, second, third = (Lease(engine, holder=h, ttl_seconds=30) for h in ("host-a", "host-b", "host-c"))
    assert first.acquire() and first.epoch == 1
    assert not second.acquire() and not third.acquire()
    assert first.acquire() and first.epoch == 1  # renewing keeps the epoch
    with engine.connect() as connection:
        status = lease_status(connection)
    assert status is not None and status.holder == "host-a" and status.epoch == 1 and status.live
    assert 29_000 < status.expires_in_ms <= 30_000
    run_out(engine)
    assert second.acquire() and second.epoch == 2
    assert not first.acquire() and not first.held
    second.release()
    assert third.acquire() and third.epoch == 3  # a released lease is taken at once


def test_a_holder_that_lost_the_lease_cannot_write(engine: Engine) -> None:
    stale, fresh = Lease(engine, holder="paused", ttl_seconds=30), Lease(engine, holder="other", ttl_seconds=30)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE work (what TEXT)"))
    assert stale.acquire()
    with engine.begin() as connection:  # a fenced write while the lease holds
        stale.fence(connection)
        connection.execute(text("INSERT INTO work VALUES ('first batch')"))
    run_out(engine)  # the holder pauses past its lease (a GC pause, a stopped VM) ...
    assert fresh.acquire()  # ... and another host takes over

    def second_batch() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO work VALUES ('second batch')"))
            stale.fence(connection)

    with pytest.raises(LeaseLostError, match=r"paused lost the 'anchorer' lease \(epoch 1\)"):
        second_batch()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT what FROM work")).scalars().all() == ["first batch"]
    with pytest.raises(LeaseLostError, match="does not hold"), engine.begin() as connection:
        stale.fence(connection)
    stale.release()  # releasing a lease one does not hold changes nothing
    with engine.connect() as connection:
        status = lease_status(connection)
    assert status is not None and status.holder == "other" and status.epoch == 2 and status.live


def test_an_expired_lease_left_alone_is_renewed_with_its_epoch(engine: Engine) -> None:
    lease = Lease(engine, holder="alone", ttl_seconds=30)
    assert lease.acquire() and lease.epoch == 1
    run_out(engine)
    with engine.connect() as connection:
        status = lease_status(connection)
    assert status is not None and not status.live
    assert lease.acquire() and lease.epoch == 1  # nobody else wrote meanwhile: the same epoch stays valid


def test_no_lease_before_anyone_asked_and_bad_durations_refused(engine: Engine) -> None:
    with engine.connect() as connection:
        assert lease_status(connection) is None
    for ttl in (0, -1, 3601):
        with pytest.raises(ValueError, match="a lease lasts more than 0 s and at most an hour"):
            Lease(engine, ttl_seconds=ttl)


def test_leases_run_out_by_the_databases_clock(engine: Engine) -> None:
    short = Lease(engine, holder="short", ttl_seconds=0.05)
    assert short.acquire()
    time.sleep(0.2)
    with engine.connect() as connection:
        status = lease_status(connection)
    assert status is not None and not status.live and status.expires_in_ms <= -150
    assert Lease(engine, holder="next", ttl_seconds=30).acquire()


def test_a_restarted_holder_takes_its_dead_predecessors_lease_at_once(engine: Engine) -> None:
    """A supervisor restarts its worker only after the old process exited: the new process, under the slot's holder
    name, takes the lease at once with a new epoch; other holders still wait for it to run out."""
    dead = Lease(engine, holder="host-a:100:sc-anchoring", ttl_seconds=30)
    assert dead.acquire() and dead.epoch == 1
    assert not Lease(engine, holder="host-b:7:x", ttl_seconds=30).acquire()
    assert not Lease(engine, holder="host-a:100:sc-anchoring", ttl_seconds=30).acquire()  # not said restarted
    restarted = Lease(engine, holder="host-a:100:sc-anchoring", ttl_seconds=30, restarted=True)
    assert restarted.acquire() and restarted.epoch == 2 and not restarted.restarted
    with pytest.raises(LeaseLostError), engine.begin() as connection:
        dead.fence(connection)  # whatever the dead process left cannot write
    assert restarted.acquire() and restarted.epoch == 2  # renewed as an ordinary holder
