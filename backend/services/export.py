"""The regulator's export: every stored event, batch and product master data version, as stored, in keyset pages.

The audit (``supplychain audit``) trusts neither the platform's database nor its word: it reads the chain itself and
asks the platform only for its records. Those records are given as they are stored: the event's JSON-LD document is
written into the record byte for byte as it was stored (it was written as JSON at capture; a document that is no longer
JSON is given as a JSON string, so the record stays readable and the audit can say so), its proof likewise; beside it
the indexed columns the platform's queries use (``eventType``, ``eventTime``, ``bizStep``, ``bizLocation``,
``readPoint``), which the audit derives again from the signed document
(:func:`supplychain.epcis.columns.indexed_columns`) and compares; and ``links``, the story links its batch commits
for it (:mod:`supplychain.links`: ``identifier``, ``previous``, ``value``, ``proof``; absent while it is pending or
when its batch committed none, so that records audited before story links are served byte for byte as before), which
the audit recomputes and follows from event to event. A record whose stored columns do not read (damaged
storage, :mod:`backend.services.damage`) also carries ``unreadable``: the names of those columns (``document``,
``proof``, ``event_time``..., ``batch_id`` naming no stored batch, ``event_identifier`` when the event's stored
identifier rows are not as many as capture counted); it is reported to the platform too. A batch
whose status is none the platform gives carries ``"unreadable": ["status"]``.

Pages are keyset pages on the integer id (``WHERE id > :after ORDER BY id LIMIT :limit``): no OFFSET, so the cost of a
page does not grow with the store. A record is one JSON object whose first member is ``id`` (a reader can find the id
of a line it cannot parse). ``application/x-ndjson`` gives one record per line; ``application/json`` an object with
``items`` and ``nextAfter``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Row, Table, func, select
from sqlmodel import Session

from backend.core.integers import parse_int
from backend.models import Batch, Event, EventIdentifier, EventLink, MasterData, table_of
from backend.services.damage import BATCH_STATUSES, as_int, event_row_problem, parsed_proof, report

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "batch_lines",
    "event_lines",
    "export_status",
    "json_page",
    "master_data_lines",
    "page_parameters",
]

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
EV: Table = table_of(Event)
BA: Table = table_of(Batch)
MD: Table = table_of(MasterData)
EI: Table = table_of(EventIdentifier)
EL: Table = table_of(EventLink)


def page_parameters(after: str | None, limit: str | None) -> tuple[int, int]:
    """``after`` (default 0) and ``limit`` (default :data:`DEFAULT_LIMIT`) as integers.

    Raises:
        BadParameterError: Not a non-negative integer, or ``limit`` outside 1..:data:`MAX_LIMIT`.
    """
    start = 0 if after is None else parse_int(after, "after")
    size = DEFAULT_LIMIT if limit is None else parse_int(limit, "limit", minimum=1, maximum=MAX_LIMIT)
    return start, size


def _json_text(text: str | None) -> bytes:
    """Stored JSON text as it is, when it is JSON; else the text as a JSON string (``null`` for none)."""
    if text is None:
        return b"null"
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        try:  # what orjson refuses and Python's json reads (integers beyond 64 bits)
            json.loads(text)
        except ValueError:
            return orjson.dumps(text)
    return text.encode()


def _unreadable(session: Session, row: Row[Any], links: int) -> list[str]:
    """The columns of an exported event that do not read (damaged storage), reported to the platform: the record
    is still exported as stored, flagged so that the audit reports it (``record_unreadable``).

    Besides its own columns: ``batch_id`` naming no stored batch, and ``event_identifier`` when the event's stored
    identifier rows are not as many as capture counted (``identifier_count``: rows deleted, moved to another event
    row, or added). Counting is what the export can afford (one indexed count per page): deriving the rows again
    from each signed document would cost about as much as the audit's own checks; the product pages compare the
    rows of the events they read with their documents (:mod:`backend.services.tracing`)."""
    columns = []
    problem = event_row_problem(row)
    if problem is not None:
        columns.append(problem[0])
    try:
        if not isinstance(json.loads(row.document), dict):
            raise ValueError("not a JSON object")
    except (ValueError, TypeError):
        columns.append("document")
    if row.proof is not None and parsed_proof(row.proof) is None:
        columns.append("proof")
    if as_int(row.batch_id) is not None and row.batch_found is None:
        columns.append("batch_id")
    for column in columns:
        report(session, "event", row.hash_id, column, "does not read (flagged in the export)")
    count = as_int(row.identifier_count)
    if count is not None and count != links:
        columns.append("event_identifier")
        reason = f"{links} stored rows, while capture counted {count} (flagged in the export)"
        report(session, "event_identifier", row.hash_id, "identifier", reason)
    return columns


def _identifier_counts(session: Session, rows: Sequence[Row[Any]]) -> dict[int, int]:
    """How many identifier rows each of these events has (one indexed count)."""
    if not rows:
        return {}
    stmt = select(EI.c.event_id, func.count()).where(EI.c.event_id.in_([r.id for r in rows])).group_by(EI.c.event_id)
    return {event_id: count for event_id, count in session.execute(stmt)}


def _links_of(session: Session, rows: Sequence[Row[Any]]) -> dict[int, list[dict[str, Any]]]:
    """The story links of these events (one range query), by event id, in anchoring order: ``identifier``,
    ``previous`` (the Event Hash ID of the identifier's event before, ``null`` for its first), ``value`` and
    ``proof`` (as the event's own: ``0x`` hex nodes)."""
    ids = [r.id for r in rows if r.batch_id is not None]
    if not ids:
        return {}
    before = EV.alias("before")
    statement = (
        select(EL.c.event_id, EL.c.identifier, before.c.hash_id, EL.c.value, EL.c.proof)
        .select_from(EL.outerjoin(before, before.c.id == EL.c.previous_event_id))
        .where(EL.c.event_id.between(min(ids), max(ids)))
        .order_by(EL.c.id)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for event_id, identifier, previous, value, proof in session.execute(statement):
        nodes = ["0x" + bytes(proof[i : i + 32]).hex() for i in range(0, len(proof or b""), 32)]
        found.setdefault(event_id, []).append(
            {"identifier": identifier, "previous": previous, "value": value, "proof": nodes}
        )
    return found


def _event_line(row: Row[Any], unreadable: list[str] | None = None, links: list[dict[str, Any]] | None = None) -> bytes:
    recognition = (
        {"id": row.recognition_id, "statusAtCapture": row.recognition_status}
        if row.recognition_id is not None
        else None
    )
    head = orjson.dumps(
        {
            "id": row.id,
            "hashId": row.hash_id,
            "organisationId": row.org_id,
            "keyId": row.key_id,
            "signature": row.signature,
            "eventType": row.event_type,
            "eventTime": row.event_time,
            "bizStep": row.biz_step,
            "bizLocation": row.biz_location,
            "readPoint": row.read_point,
            "receivedAt": row.received_at,
            "captureId": row.capture_id,
            "batchId": row.batch_id,
            "root": row.root,
            "leafIndex": row.leaf_index,
            "recognition": recognition,
            **({"unreadable": unreadable} if unreadable else {}),
            **({"links": links} if links else {}),  # absent when none: records of earlier exports read the same
        }
    )
    return head[:-1] + b',"proof":' + _json_text(row.proof) + b',"document":' + _json_text(row.document) + b"}"


def event_lines(session: Session, *, after: int, limit: int) -> tuple[list[bytes], int | None]:
    """The export records of the events after id ``after`` (at most ``limit``), one JSON object each, in id order,
    and the id of the last one (``None`` when there is none)."""
    columns = [
        EV.c.id, EV.c.hash_id, EV.c.org_id, EV.c.key_id, EV.c.signature, EV.c.event_type, EV.c.event_time,
        EV.c.biz_step, EV.c.biz_location, EV.c.read_point, EV.c.received_at, EV.c.capture_id, EV.c.batch_id,
        EV.c.leaf_index, EV.c.proof, EV.c.recognition_id, EV.c.recognition_status, EV.c.document, BA.c.root,
        EV.c.identifier_count, BA.c.id.label("batch_found"),
    ]  # fmt: skip
    statement = (
        select(*columns)
        .select_from(EV.outerjoin(BA, BA.c.id == EV.c.batch_id))
        .where(EV.c.id > after)
        .order_by(EV.c.id)
        .limit(limit)
    )
    rows = session.execute(statement).all()
    counts, links = _identifier_counts(session, rows), _links_of(session, rows)
    lines = [_event_line(row, _unreadable(session, row, counts.get(row.id, 0)), links.get(row.id)) for row in rows]
    return lines, rows[-1].id if rows else None


def batch_lines(session: Session, *, after: int, limit: int) -> tuple[list[bytes], int | None]:
    """The export records of the batches after id ``after`` (at most ``limit``), in id order, and the last id."""
    statement = select(BA).where(BA.c.id > after).order_by(BA.c.id).limit(limit)
    rows = session.execute(statement).all()
    lines = [
        orjson.dumps(
            {
                "id": row.id,
                "root": row.root,
                "leafCount": row.leaf_count,
                "status": row.status,
                "chainId": row.chain_id,
                "txHash": row.tx_hash,
                "nonce": row.nonce,
                "sequence": row.sequence,
                "blockNumber": row.block_number,
                "blockTime": row.block_time,
                "createdAt": row.created_at,
                "anchoredAt": row.anchored_at,
                "remadeAt": row.remade_at,
                **({"unreadable": ["status"]} if _batch_status_damaged(session, row) else {}),
            }
        )
        for row in rows
    ]
    return lines, rows[-1].id if rows else None


def _batch_status_damaged(session: Session, row: Row[Any]) -> bool:
    """Whether a batch's status is none the platform gives (reported, and flagged in the export)."""
    if row.status in BATCH_STATUSES:
        return False
    report(session, "batch", row.id, "status", f"{row.status!r:.40} is not a batch status (flagged in the export)")
    return True


def master_data_lines(session: Session, *, after: int, limit: int) -> tuple[list[bytes], int | None]:
    """The export records of the product master data versions after id ``after`` (at most ``limit``), in id order,
    and the last id: each with its signed envelope as stored and its leaf's batch, root and proof."""
    columns = [
        MD.c.id, MD.c.gtin, MD.c.version, MD.c.org_id, MD.c.key_id, MD.c.document_hash, MD.c.valid_from,
        MD.c.received_at, MD.c.batch_id, MD.c.leaf_index, MD.c.proof, MD.c.envelope, BA.c.root,
    ]  # fmt: skip
    statement = (
        select(*columns)
        .select_from(MD.outerjoin(BA, BA.c.id == MD.c.batch_id))
        .where(MD.c.id > after)
        .order_by(MD.c.id)
        .limit(limit)
    )
    rows = session.execute(statement).all()
    lines = []
    for row in rows:
        head = orjson.dumps(
            {
                "id": row.id,
                "gtin": row.gtin,
                "version": row.version,
                "organisationId": row.org_id,
                "keyId": row.key_id,
                "documentHash": row.document_hash,
                "validFrom": row.valid_from,
                "receivedAt": row.received_at,
                "batchId": row.batch_id,
                "root": row.root,
                "leafIndex": row.leaf_index,
            }
        )
        lines.append(head[:-1] + b',"proof":' + _json_text(row.proof) + b',"signed":' + _json_text(row.envelope) + b"}")
    return lines, rows[-1].id if rows else None


def json_page(lines: Sequence[bytes], next_after: int | None) -> bytes:
    """A page as one JSON object: ``items`` and ``nextAfter`` (the id to ask after, ``null`` on the last page)."""
    return b'{"items":[' + b",".join(lines) + b'],"nextAfter":' + orjson.dumps(next_after) + b"}"


def export_status(session: Session, *, deadline_seconds: int) -> dict[str, Any]:
    """What the export holds now: the last event and batch ids (an audit reads up to them), how many of each."""
    last_event, events = session.execute(select(func.max(EV.c.id), func.count(EV.c.id))).one()
    last_batch, batches = session.execute(select(func.max(BA.c.id), func.count(BA.c.id))).one()
    last_master, masters = session.execute(select(func.max(MD.c.id), func.count(MD.c.id))).one()
    return {
        "lastEventId": last_event or 0,
        "lastBatchId": last_batch or 0,
        "lastMasterDataId": last_master or 0,
        "events": events,
        "batches": batches,
        "masterData": masters,
        "anchorDeadlineSeconds": deadline_seconds,
    }
