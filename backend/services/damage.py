"""Damaged storage: records that cannot be read as stored, reported where they are met instead of failing a request.

A database restored from an old backup while the chain kept its roots, a disk error or a hand edit can leave a row
that no longer reads: an event document or proof that is not JSON, a batch stored ``anchored`` without its
transaction or of a status the platform never gives, a time that is not a number, an event naming no stored batch,
identifier rows that are not those the event's signed document gives (or name no stored event), an issued code
whose lot or serial is no GS1 value. The platform never answers 500 for such a row: each reader checks what it
needs with the functions here, leaves the record out (or shows it without what is damaged), says so in its answer
(a page notice listing them, the bundle's ``Supplychain-Bundle-Damaged-Records`` header, an export record's
``unreadable``), and reports it to the platform's :class:`DamageLog` — counted in the Prometheus metric
``supplychain_damaged_records`` and listed by ``/ready``. Damage no request meets by itself (a code or scan found by
the very column that is damaged) is found by the sweep of :mod:`backend.services.storage_check`
(``supplychain check-storage``).

The log reaches the readers through the database session (``session.info["damage"]``, set by
:meth:`backend.services.platform.Platform.session`), so services need no new parameter.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Set
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from backend.services.qr import CodeKey
from supplychain.epcis import parse_event
from supplychain.errors import DigitalLinkError
from supplychain.verify import AnchorClaim

__all__ = [
    "BATCH_STATUSES",
    "MAX_LISTED",
    "DamageLog",
    "Damaged",
    "anchored_batch_problem",
    "as_int",
    "batch_damage",
    "dangling_links",
    "event_damage",
    "event_row_problem",
    "identifier_problem",
    "issued_code_problem",
    "met_in",
    "parsed_proof",
    "report",
    "stored_anchor",
    "stored_document",
]

MAX_LISTED = 100  # the damaged records /ready lists (the metric counts them all)
BATCH_STATUSES = frozenset({"prepared", "sent", "anchored"})
"""The statuses a batch goes through (:mod:`backend.services.anchoring`); any other is damage."""
_SHOWN = 3  # identifiers named in a report
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class Damaged:
    """A stored record that cannot be read: its table, its key (row id, Event Hash ID...), the column and why."""

    table: str
    key: str
    column: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"table": self.table, "key": self.key, "column": self.column, "reason": self.reason}


class DamageLog:
    """The damaged records one platform met since it started (distinct; the latest ``MAX_LISTED`` kept listed).

    ``on_new`` is called once per new record (the platform counts it in its metrics).
    """

    def __init__(self, on_new: Callable[[Damaged], None] | None = None) -> None:
        self._seen: OrderedDict[tuple[str, str, str], Damaged] = OrderedDict()
        self._count = 0
        self._lock = threading.Lock()
        self._on_new = on_new

    def report(self, record: Damaged) -> None:
        """Note a damaged record (again: no double count)."""
        key = (record.table, record.key, record.column)
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return
            self._seen[key] = record
            self._count += 1
            if len(self._seen) > MAX_LISTED:
                self._seen.popitem(last=False)
        if self._on_new is not None:
            self._on_new(record)

    @property
    def count(self) -> int:
        """How many distinct damaged records were met (including those no longer listed)."""
        return self._count

    def records(self) -> list[Damaged]:
        """The latest damaged records met (at most ``MAX_LISTED``), oldest first."""
        with self._lock:
            return list(self._seen.values())

    def json(self) -> dict[str, Any]:
        """For ``/ready``: the count and the latest records."""
        return {"count": self.count, "records": [r.to_json() for r in self.records()]}


def report(session: Session, table: str, key: object, column: str, reason: str) -> Damaged:
    """Report a damaged record to the log of the session's platform (if any); returns the record."""
    record = Damaged(table, str(key), column, reason[:300])
    here = session.info.setdefault("damaged", [])  # what this session met: a page says so (met_in)
    if record not in here:
        here.append(record)
    log = session.info.get("damage")
    if isinstance(log, DamageLog):
        log.report(record)
    return record


def as_int(value: object) -> int | None:
    """A stored integer column's value, or ``None`` when it holds something else (SQLite keeps any value)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parsed_proof(text: object) -> tuple[bytes, ...] | None:
    """A stored Merkle proof (JSON list of 0x-hex 32-byte hashes) as bytes, or ``None`` when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        items = json.loads(text)
    except ValueError:
        return None
    if not isinstance(items, list) or not all(isinstance(p, str) and _HEX32.fullmatch(p) for p in items):
        return None
    return tuple(bytes.fromhex(p[2:]) for p in items)


def anchored_batch_problem(batch: Any) -> str | None:
    """What is missing or malformed in a batch stored as ``anchored`` (``None``: it reads as a complete anchor)."""
    if not (isinstance(batch.root, str) and _HEX32.fullmatch(batch.root)):
        return "root: not a 0x-hex 32-byte hash"
    if not (isinstance(batch.tx_hash, str) and _HEX32.fullmatch(batch.tx_hash)):
        return "tx_hash: an anchored batch without its transaction hash"
    for column in ("sequence", "block_number", "block_time"):
        if as_int(getattr(batch, column)) is None:
            return f"{column}: an anchored batch without a whole number here"
    return None


def batch_damage(session: Session, rows: list[Any], batches: dict[int, Any]) -> None:
    """Report what the batches of these event rows show of damage: an event whose ``batch_id`` names no stored batch
    (read as not batched yet), a batch whose status is none the platform gives (read as not anchored)."""
    for row in rows:
        batch_id = as_int(row.batch_id)
        if batch_id is not None and batch_id not in batches:
            report(session, "event", row.hash_id, "batch_id", f"names batch {batch_id}, which is not stored")
    for batch in batches.values():
        if batch.status not in BATCH_STATUSES:
            report(session, "batch", batch.id, "status", f"{batch.status!r:.40} is not a batch status")


def dangling_links(session: Session, event_id: object, named: list[tuple[str, str]]) -> list[Damaged]:
    """Report ``event_identifier`` rows (identifier, role) naming an event row that is not stored: a deleted or
    restored event left its links behind (the views leave them out)."""
    return [
        report(
            session,
            "event_identifier",
            identifier,
            "event_id",
            f"its {role!r:.20} row names event row {event_id!r:.30}, which is not stored",
        )
        for identifier, role in named[:_SHOWN]
    ]


def _listed(pairs: Set[tuple[str, str]]) -> str:
    shown = ", ".join(f"{identifier!r:.120} ({role!r:.20})" for identifier, role in sorted(pairs)[:_SHOWN])
    return shown + (f" and {len(pairs) - _SHOWN} more" if len(pairs) > _SHOWN else "")


def identifier_problem(stored: Set[tuple[str, str]], derived: Set[tuple[str, str]]) -> str | None:
    """How an event's stored ``event_identifier`` rows differ from those its signed document gives (``None``: they
    do not): rows missing hide the event from what it names, rows added show it where it never was."""
    parts = []
    if missing := derived - stored:
        parts.append(f"missing {_listed(missing)}")
    if added := stored - derived:
        parts.append(f"not named by the signed document: {_listed(added)}")
    return "; ".join(parts) or None


def issued_code_problem(gtin: object, lot: object, serial: object) -> tuple[str, str] | None:
    """The first part of a stored code (``gtin``, ``lot``, ``serial``, as in ``issued_code`` and ``scan``) that does
    not read as what the platform issues: (column, reason), or ``None`` when the code reads."""
    parts = (("gtin", gtin, False), ("lot", lot, True), ("serial", serial, True))
    for column, value, optional in parts:
        if value is None and optional:
            continue
        if not isinstance(value, str):
            return column, f"{type(value).__name__}, not text"
    try:
        CodeKey(str(gtin))
    except (DigitalLinkError, ValueError) as exc:
        return "gtin", str(exc)
    for column, value in (("lot", lot), ("serial", serial)):
        if value is not None:
            try:
                CodeKey(str(gtin), **{column: str(value)})
            except (DigitalLinkError, ValueError) as exc:
                return column, str(exc)
    return None


_EVENT_INTEGERS = ("event_time", "received_at")
_EVENT_OPTIONAL_INTEGERS = ("batch_id", "leaf_index", "identifier_count", "recognition_id")


def event_row_problem(row: Any) -> tuple[str, str] | None:
    """The first column of a stored event row (whichever columns it has) that does not read: (column, reason)."""
    fields = row._fields if hasattr(row, "_fields") else ()
    for column in _EVENT_INTEGERS:
        if column in fields and as_int(getattr(row, column)) is None:
            return column, "not a whole number"
    for column in _EVENT_OPTIONAL_INTEGERS:
        if column in fields and getattr(row, column) is not None and as_int(getattr(row, column)) is None:
            return column, "not a whole number"
    return None


def event_damage(session: Session, row: Any) -> Damaged | None:
    """Report an event row whose columns do not read (see :func:`event_row_problem`); ``None`` when they do."""
    problem = event_row_problem(row)
    if problem is None:
        return None
    return report(session, "event", row.hash_id, *problem)


def stored_anchor(
    session: Session, row: Any, batch: Any, *, table: str = "event"
) -> tuple[tuple[bytes, ...], bytes, AnchorClaim] | None:
    """The proof, root and anchor of a row in an ``anchored`` batch; ``None`` (reported) when the row's proof or the
    batch's anchor does not read. ``row`` is an event's (keyed by Event Hash ID) or master data's (by row id)."""
    problem = anchored_batch_problem(batch)
    if problem is not None:
        column, reason = problem.split(": ", 1)
        report(session, "batch", batch.id, column, reason)
        return None
    proof = parsed_proof(row.proof)
    if proof is None:
        report(session, table, row.hash_id if table == "event" else row.id, "proof", "not a JSON list of 0x-hex hashes")
        return None
    confirmations = getattr(batch, "confirmations", None)
    claim = AnchorClaim(
        batch.sequence,
        batch.block_number,
        batch.tx_hash.lower(),
        batch.block_time,
        confirmations=confirmations if isinstance(confirmations, int) and confirmations > 0 else None,
        final=getattr(batch, "final_at", None) is not None,
    )
    return proof, bytes.fromhex(batch.root[2:]), claim


def stored_document(session: Session, row: Any) -> dict[str, Any] | None:
    """A stored event's document (JSON-LD as received), or ``None`` (reported) when the row's columns or the
    document do not read: not JSON, or not an EPCIS event."""
    if event_damage(session, row) is not None:
        return None
    try:
        document = json.loads(row.document)
        parse_event(document)
    except (ValueError, TypeError, AttributeError) as exc:
        report(session, "event", row.hash_id, "document", f"not a readable event: {exc}")
        return None
    return dict(document)


def met_in(session: Session) -> tuple[Damaged, ...]:
    """The damaged records reported through this session so far (a page notices them)."""
    return tuple(session.info.get("damaged", ()))
