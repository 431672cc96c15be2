"""A sweep of the whole store for the damage no reader meets by itself (``supplychain check-storage``).

Readers report what they meet (:mod:`backend.services.damage`), but some damage hides the very row it is in: codes
and scans are found by their GTIN and serial, so an issued code or a scan whose GTIN, lot or serial no longer reads
is found by no request (its serial just looks never issued, its scans never made); an ``event_identifier`` row
naming an event row that is not stored is met only by a page of what it names. This sweep walks each such table once,
in keyset chunks (no OFFSET: the cost of a chunk does not grow with the store), and reports every damaged row to the
session's platform like any reader does (counted in ``supplychain_damaged_records``, listed by ``/ready`` in that
process).

What it checks:

* ``issued_code`` and ``scan``: GTIN, lot and serial as the platform issues them
  (:func:`~backend.services.damage.issued_code_problem`), and their time a whole number;
* ``event_identifier``: rows naming an event row that is not stored, rows whose identifier is not in the one form
  capture stores (:func:`supplychain.gs1.identifier_node`) or whose role is none capture writes;
* ``event``: a ``batch_id`` naming no stored batch;
* ``batch``: a status the platform never gives.

The events' own columns, documents, proofs and identifier rows are checked by the regulator's export (each record
flagged ``unreadable``, :mod:`backend.services.export`) and by the audit that reads it.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Table, select, tuple_
from sqlmodel import Session

from backend.models import Batch, Event, EventIdentifier, IssuedCode, Scan, table_of
from backend.services.custody import ROLES
from backend.services.damage import BATCH_STATUSES, Damaged, as_int, issued_code_problem, report
from supplychain.epcis.cbv import is_uri
from supplychain.gs1 import identifier_node

__all__ = ["CHUNK", "check_storage"]

CHUNK = 5000
"""Rows read per query."""
_CODES: Table = table_of(IssuedCode)
_SCANS: Table = table_of(Scan)
_LINKS: Table = table_of(EventIdentifier)
_EVENTS: Table = table_of(Event)
_BATCHES: Table = table_of(Batch)


def _codes(session: Session, table: Table, time_column: str, chunk: int) -> Iterator[Damaged]:
    """Issued codes or scans whose GTIN, lot, serial or time do not read."""
    after = None
    columns = (table.c.id, table.c.gtin, table.c.lot, table.c.serial, table.c[time_column])
    while True:
        stmt = select(*columns).order_by(table.c.id).limit(chunk)
        if after is not None:
            stmt = stmt.where(table.c.id > after)
        rows = session.execute(stmt).all()
        for row_id, gtin, lot, serial, when in rows:
            problem = issued_code_problem(gtin, lot, serial)
            if problem is None and as_int(when) is None:
                problem = (time_column, "not a whole number")
            if problem is not None:
                yield report(session, table.name, row_id, *problem)
        if len(rows) < chunk:
            return
        after = rows[-1][0]


def _garbage_links(session: Session, chunk: int) -> Iterator[Damaged]:
    """``event_identifier`` rows whose identifier is no identifier node (a URI in the one form capture stores) or
    whose role is none capture writes: such a row finds its event for nothing (one pass, in index order)."""
    after: tuple[str, str, int] | None = None
    columns = (_LINKS.c.identifier, _LINKS.c.role, _LINKS.c.event_id)
    while True:
        stmt = select(*columns).order_by(*columns).limit(chunk)
        if after is not None:
            stmt = stmt.where(tuple_(*columns) > tuple_(*after))
        rows = session.execute(stmt).all()
        for identifier, role, event_id in rows:
            if role not in ROLES:
                yield report(
                    session,
                    "event_identifier",
                    identifier,
                    "role",
                    f"{role!r:.20} is no role (event row {event_id!r:.30})",
                )
            elif not (isinstance(identifier, str) and is_uri(identifier) and identifier_node(identifier) == identifier):
                reason = f"not an identifier in the form capture stores (event row {event_id!r:.30})"
                yield report(session, "event_identifier", identifier, "identifier", reason)
        if len(rows) < chunk:
            return
        after = tuple(rows[-1])


def _dangling_links(session: Session, chunk: int) -> Iterator[Damaged]:
    """``event_identifier`` rows naming an event row that is not stored (one pass, by event row id)."""
    after = -1
    while True:
        ids = [
            i
            for (i,) in session.execute(
                select(_LINKS.c.event_id)
                .where(_LINKS.c.event_id > after)
                .group_by(_LINKS.c.event_id)
                .order_by(_LINKS.c.event_id)
                .limit(chunk)
            )
        ]
        if not ids:
            return
        stored = {i for (i,) in session.execute(select(_EVENTS.c.id).where(_EVENTS.c.id.in_(ids)))}
        for event_id in ids:
            if event_id not in stored:
                named = session.execute(
                    select(_LINKS.c.identifier, _LINKS.c.role).where(_LINKS.c.event_id == event_id).limit(3)
                ).all()
                for identifier, role in named:
                    reason = f"its {role!r:.20} row names event row {event_id!r:.30}, which is not stored"
                    yield report(session, "event_identifier", identifier, "event_id", reason)
        if len(ids) < chunk:
            return
        after = ids[-1]


def _batches(session: Session) -> Iterator[Damaged]:
    """Events naming no stored batch, and batches of a status the platform never gives."""
    known = select(_BATCHES.c.id)
    orphans = select(_EVENTS.c.hash_id, _EVENTS.c.batch_id).where(
        _EVENTS.c.batch_id.is_not(None), _EVENTS.c.batch_id.not_in(known)
    )
    for hash_id, batch_id in session.execute(orphans):
        yield report(session, "event", hash_id, "batch_id", f"names batch {batch_id!r:.30}, which is not stored")
    statuses = select(_BATCHES.c.id, _BATCHES.c.status).where(_BATCHES.c.status.not_in(sorted(BATCH_STATUSES)))
    for batch_id, status in session.execute(statuses):
        yield report(session, "batch", batch_id, "status", f"{status!r:.40} is not a batch status")


def check_storage(session: Session, *, chunk: int = CHUNK) -> Iterator[Damaged]:
    """Every damaged row the sweep finds (see the module docstring), each reported as it is found."""
    yield from _codes(session, _CODES, "created_at", chunk)
    yield from _codes(session, _SCANS, "scanned_at", chunk)
    yield from _garbage_links(session, chunk)
    yield from _dangling_links(session, chunk)
    yield from _batches(session)
