"""One holder at a time for a singleton job among the hosts sharing a database: a lease row with a fencing epoch.

Several platform hosts may each run an anchoring worker on one PostgreSQL database; only the holder of the
``anchorer`` lease anchors. The lease is a row of ``worker_lease``:

- **Acquire** is one conditional ``UPDATE``: take the row when its lease has expired (raising ``epoch`` by one), or
  extend it when this holder still has it (same epoch). PostgreSQL locks the row for the update, so of two hosts
  racing for an expired lease the second re-reads the row after the first commits and finds it taken; SQLite runs one
  writer at a time. The first acquire ever creates the row (``INSERT ... ON CONFLICT DO NOTHING``).
- **Fence**: every transaction in which the holder writes what only the holder may write also runs
  :meth:`Lease.fence`, an ``UPDATE`` of the row that matches only while this holder's epoch is current and unexpired
  (and extends it). If it matches nothing the lease was lost - the worker paused past its expiry, say, and another
  host took over - and :class:`LeaseLostError` rolls the whole transaction back. A stale holder therefore never
  writes: the epoch is the fencing token.
- **Release** ends the lease at once (a clean shutdown), so another host takes over on its next try instead of
  after the expiry.

Every time is the database's clock (milliseconds since the epoch), never a host's: hosts whose clocks disagree still
agree on when a lease expires.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from backend.models import WorkerLease, table_of

__all__ = ["ANCHORER", "Lease", "LeaseLostError", "LeaseStatus", "lease_status"]

ANCHORER = "anchorer"
_T = table_of(WorkerLease)


class LeaseLostError(RuntimeError):
    """This holder's lease expired or passed to another holder: what it was writing is rolled back."""


def _db_now_ms(dialect: str) -> ColumnElement[Any]:
    """The database's clock in milliseconds since the epoch, as an SQL expression."""
    if dialect == "postgresql":
        return literal_column("CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)")
    return literal_column("CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)")


def default_holder() -> str:
    """This process's name as a holder: host, process id and a random tag (a restarted process is a new holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class LeaseStatus:
    """A lease as stored: who holds it, its epoch, and how long it still runs (negative: expired)."""

    name: str
    holder: str
    epoch: int
    acquired_ms: int
    expires_in_ms: int

    @property
    def live(self) -> bool:
        """Whether the lease is held now."""
        return self.expires_in_ms >= 0


def lease_status(connection: Connection | Session, name: str = ANCHORER) -> LeaseStatus | None:
    """The lease ``name`` as stored now, or ``None`` before anyone asked for it (for ``/ready`` and metrics)."""
    dialect = (connection.get_bind() if isinstance(connection, Session) else connection).dialect.name
    row = connection.execute(
        select(_T.c.holder, _T.c.epoch, _T.c.acquired_ms, _T.c.expires_ms - _db_now_ms(dialect)).where(
            _T.c.name == name
        )
    ).one_or_none()
    if row is None:
        return None
    return LeaseStatus(name, str(row[0]), int(row[1]), int(row[2]), int(row[3]))


class Lease:
    """One holder's view of the lease ``name`` (see the module docstring).

    Args:
        engine: The shared database.
        name: The job the lease is for.
        holder: This holder's name (default :func:`default_holder`).
        ttl_seconds: How long an acquire or a fence keeps the lease; a holder renews well within it.
        restarted: ``holder`` names a process slot whose previous process is known to be dead (a supervisor restarts
            its worker only after it exited): until this holder first holds the lease, it may take a lease still
            held under its own name at once, with a new epoch, instead of waiting for it to run out.
    """

    def __init__(
        self,
        engine: Engine,
        name: str = ANCHORER,
        *,
        holder: str | None = None,
        ttl_seconds: float = 10.0,
        restarted: bool = False,
    ):
        if not 0 < ttl_seconds <= 3600:
            raise ValueError(f"a lease lasts more than 0 s and at most an hour, not {ttl_seconds} s")
        self.engine = engine
        self.name = name
        self.holder = holder or default_holder()
        self.ttl_ms = int(ttl_seconds * 1000)
        self.epoch: int | None = None
        self.restarted = restarted
        self._now = _db_now_ms(engine.dialect.name)

    @property
    def held(self) -> bool:
        """Whether the last acquire or fence succeeded (the lease may have expired since: :meth:`fence` tells)."""
        return self.epoch is not None

    def _create(self, connection: Connection) -> None:
        values = {"name": self.name, "holder": "", "epoch": 0, "acquired_ms": 0, "expires_ms": 0}
        dialect = self.engine.dialect.name
        insert = postgresql.insert(_T) if dialect == "postgresql" else sqlite.insert(_T)
        connection.execute(insert.values(**values).on_conflict_do_nothing(index_elements=["name"]))

    def acquire(self) -> bool:
        """Take the lease if it is free or expired, or extend it if this holder has it; whether it is held now."""
        mine = and_(_T.c.holder == self.holder, _T.c.epoch == (self.epoch if self.epoch is not None else -1))
        free = or_(_T.c.expires_ms < self._now, mine)
        if self.restarted and self.epoch is None:  # the dead predecessor's lease, under this holder's own name
            free = or_(free, _T.c.holder == self.holder)
        with self.engine.begin() as connection:
            self._create(connection)
            row = connection.execute(
                update(_T)
                .where(_T.c.name == self.name, free)
                .values(
                    holder=self.holder,
                    epoch=case((mine, _T.c.epoch), else_=_T.c.epoch + 1),
                    acquired_ms=case((mine, _T.c.acquired_ms), else_=self._now),
                    expires_ms=self._now + self.ttl_ms,
                )
                .returning(_T.c.epoch)
            ).one_or_none()
        self.epoch = None if row is None else int(row[0])
        if self.epoch is not None:
            self.restarted = False  # from now on an ordinary holder
        return self.epoch is not None

    def fence(self, connection: Connection | Session) -> None:
        """Check, inside the caller's own transaction, that this holder still has the lease, and extend it.

        Raises:
            LeaseLostError: the lease expired or another holder took it; the caller's transaction must roll back
                (raising from inside ``engine.begin()`` / a session block does that).
        """
        if self.epoch is None:
            raise LeaseLostError(f"{self.holder} does not hold the {self.name!r} lease")
        result = connection.execute(
            update(_T)
            .where(
                _T.c.name == self.name,
                _T.c.holder == self.holder,
                _T.c.epoch == self.epoch,
                _T.c.expires_ms >= self._now,
            )
            .values(expires_ms=self._now + self.ttl_ms)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            lost, self.epoch = self.epoch, None
            raise LeaseLostError(f"{self.holder} lost the {self.name!r} lease (epoch {lost}) to another holder")

    def renew(self) -> bool:
        """Extend the lease if this holder still has it (its epoch is current, expired or not: nobody took it), never
        taking it; whether it is held now (a heartbeat beside long waits, such as a receipt's)."""
        if self.epoch is None:
            return False
        with self.engine.begin() as connection:
            result = connection.execute(
                update(_T)
                .where(_T.c.name == self.name, _T.c.holder == self.holder, _T.c.epoch == self.epoch)
                .values(expires_ms=self._now + self.ttl_ms)
            )
        if result.rowcount != 1:
            self.epoch = None
        return self.epoch is not None

    def release(self) -> None:
        """End the lease now if this holder has it, so that another holder takes over at its next try."""
        if self.epoch is None:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(_T)
                .where(_T.c.name == self.name, _T.c.holder == self.holder, _T.c.epoch == self.epoch)
                .values(expires_ms=0)
            )
        self.epoch = None
