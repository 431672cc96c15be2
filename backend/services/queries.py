"""EPCIS-style event queries and single-event lookups over the stored events (indexed, paginated).

Filters follow the EPCIS 2.0 REST query parameter names (all given filters must match; repeating a parameter
means "any of these values"):

* ``MATCH_anyEPC`` - an identifier named as EPC, parent, child, input or output (EPC URN or Digital Link);
  ``MATCH_epc`` (in ``epcList`` or ``childEPCs``), ``MATCH_parentID``, ``MATCH_inputEPC``, ``MATCH_outputEPC``;
* ``MATCH_anyEPCClass`` - a class or lot named in any quantity list (plain, child, input or output);
  ``MATCH_epcClass`` (``quantityList`` or ``childQuantityList``), ``MATCH_inputEPCClass``, ``MATCH_outputEPCClass``;
* ``EQ_bizStep`` (short, CURIE, URN or web URI form), ``EQ_bizLocation``, ``EQ_readPoint``, ``eventType``;
* ``organisation`` (the signer's GLN or USCC), ``GE_eventTime`` / ``LT_eventTime`` (RFC 3339), ``GE_recordTime`` /
  ``LT_recordTime`` (the record time is when the platform received the event).

Identifiers go through :func:`supplychain.gs1.identifier_node` (the form ``event_identifier`` holds), so an EPC
URN finds the events that wrote its Digital Link and the reverse. Pages are in storage order (``event.id``);
``nextPageToken`` is opaque (the last id seen, bound to the query's filters).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Table, and_, select
from sqlmodel import Session

from backend.core.errors import P_, BadParameterError, NotFoundError, quoted
from backend.core.integers import INT64_MAX
from backend.models import Batch, Event, EventIdentifier, table_of
from backend.services.damage import anchored_batch_problem, as_int, batch_damage, parsed_proof, stored_document
from supplychain.epcis.cbv import BIZ_STEP_VOCAB, canonical_term, is_uri, term_uri
from supplychain.epcis.columns import indexed_columns
from supplychain.errors import UnknownCbvTermError
from supplychain.gs1 import identifier_node
from supplychain.registry import RegistryMirror
from supplychain.signing import ENVELOPE_TYPE, ENVELOPE_VERSION, cited_recognition, is_organisation_id

__all__ = [
    "ANY_EPC_ROLES",
    "CLASS_ROLES",
    "DEFAULT_PER_PAGE",
    "EPCIS_CONTEXT",
    "EVENT_TYPES",
    "MATCH_ROLES",
    "MAX_PER_PAGE",
    "BadParameterError",
    "EventPage",
    "EventQuery",
    "anchor_json",
    "batches_of",
    "cited_json",
    "envelope_of",
    "event_detail",
    "find_event",
    "iso_ms",
    "normalise_identifier",
    "page_key",
    "query_document",
    "query_events",
]

EV: Table = table_of(Event)
EI: Table = table_of(EventIdentifier)
BA: Table = table_of(Batch)

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
SC_NS = "https://supplychain.dev/ns#"
ANY_EPC_ROLES = ("epc", "parent", "child", "input", "output")
CLASS_ROLES = ("class", "child", "input_class", "output_class")  # child quantities are stored as "child"
MATCH_ROLES: Mapping[str, tuple[str, ...]] = {
    "MATCH_epc": ("epc", "child"),
    "MATCH_parentID": ("parent",),
    "MATCH_inputEPC": ("input",),
    "MATCH_outputEPC": ("output",),
    "MATCH_anyEPC": ANY_EPC_ROLES,
    "MATCH_epcClass": ("class", "child"),
    "MATCH_inputEPCClass": ("input_class",),
    "MATCH_outputEPCClass": ("output_class",),
    "MATCH_anyEPCClass": CLASS_ROLES,
}
"""The REST binding's ``MATCH_`` parameters and the ``event_identifier`` roles each looks in (section 8.2.7.1 of
EPCIS 2.0; ``child`` holds both ``childEPCs`` and ``childQuantityList`` classes, which differ in form)."""
EVENT_TYPES = frozenset(
    {"ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"}
)
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
_MAX_TOKEN_CHARS = 512  # an issued token is about 130
_DIGEST = re.compile(r"(?:ni:///sha-256;)?([0-9a-fA-F]{64})(?:\?ver=CBV2\.0)?")
_EVENT_COLUMNS = (
    "id", "hash_id", "org_id", "key_id", "signature", "event_type", "event_time", "biz_step", "biz_location",
    "read_point", "received_at", "capture_id", "document", "batch_id", "leaf_index", "proof", "recognition_id",
    "recognition_status",
)  # fmt: skip
_BATCH_COLUMNS = (
    "id",
    "root",
    "status",
    "chain_id",
    "tx_hash",
    "sequence",
    "block_number",
    "block_time",
    "remade_at",
    "confirmations",
    "final_at",
)


def iso_ms(ms: int | None) -> str | None:
    """Milliseconds since the epoch as RFC 3339 UTC with milliseconds (``None`` stays ``None``)."""
    if not isinstance(ms, int):  # None, or a damaged column (reported where the row is read)
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def normalise_identifier(value: str, parameter: str) -> str:
    """The stored form of an identifier (canonical Digital Link, else the URI as written).

    Raises:
        BadParameterError: ``value`` is no URI.
    """
    value = value.strip()
    node = identifier_node(value)
    if node == value and not is_uri(value):
        raise BadParameterError(
            parameter, P_("expected an EPC URN or a GS1 Digital Link URI, got {value}", value=quoted(value, 120))
        )
    return node


def _time(value: str | None, parameter: str) -> int | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise BadParameterError(
            parameter, P_("expected an RFC 3339 date-time, got {value}", value=quoted(value, 60))
        ) from None
    if parsed.tzinfo is None:
        raise BadParameterError(
            parameter, P_("the date-time {value} needs a time zone (Z or +hh:mm)", value=quoted(value, 60))
        )
    return int(parsed.timestamp() * 1000)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True)
class EventQuery:
    """Validated, normalised filters of ``GET /events`` (empty tuples and ``None`` mean "no filter").

    Build with :meth:`from_params`; each value tuple is already expanded to every stored spelling.
    """

    identifiers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Per ``MATCH_`` parameter given: its name and the identifiers (any of them, in that parameter's roles)."""
    biz_steps: tuple[str, ...] = ()
    biz_locations: tuple[str, ...] = ()
    read_points: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    ge_time: int | None = None
    lt_time: int | None = None
    ge_record_time: int | None = None
    lt_record_time: int | None = None

    @classmethod
    def from_params(
        cls,
        *,
        any_epc: Sequence[str] = (),
        epc_class: Sequence[str] = (),
        matches: Mapping[str, Sequence[str]] | None = None,
        biz_step: Sequence[str] = (),
        biz_location: Sequence[str] = (),
        read_point: Sequence[str] = (),
        organisation: Sequence[str] = (),
        event_type: Sequence[str] = (),
        ge_event_time: str | None = None,
        lt_event_time: str | None = None,
        ge_record_time: str | None = None,
        lt_record_time: str | None = None,
    ) -> EventQuery:
        """Validate and normalise the parameters (``matches``: ``MATCH_`` parameters by name, see
        :data:`MATCH_ROLES`; ``any_epc`` and ``epc_class`` are ``MATCH_anyEPC`` and ``MATCH_epcClass``).

        Raises:
            BadParameterError: A value is malformed (the problem names the parameter).
        """
        steps: list[str] = []
        for value in biz_step:
            try:
                short = canonical_term(BIZ_STEP_VOCAB, value.strip())
            except UnknownCbvTermError as exc:
                raise BadParameterError("EQ_bizStep", str(exc)) from None
            steps += [short, term_uri(BIZ_STEP_VOCAB, short)]
        for value in organisation:
            if not is_organisation_id(value):
                raise BadParameterError(
                    "organisation", P_("expected a GLN (13 digits) or a USCC, got {value}", value=quoted(value, 40))
                )
        for value in event_type:
            if value not in EVENT_TYPES:
                raise BadParameterError(
                    "eventType",
                    P_(
                        "unknown event type {value}; expected {choices}",
                        value=quoted(value, 40),
                        choices=sorted(EVENT_TYPES),
                    ),
                )
        ge, lt = _time(ge_event_time, "GE_eventTime"), _time(lt_event_time, "LT_eventTime")
        given = {"MATCH_anyEPC": list(any_epc), "MATCH_epcClass": list(epc_class)}
        for name, values in (matches or {}).items():
            if name not in MATCH_ROLES:
                raise BadParameterError(
                    name, P_("not a MATCH_ parameter; expected one of {choices}", choices=sorted(MATCH_ROLES))
                )
            given.setdefault(name, []).extend(values)
        identifiers = tuple(
            (name, _unique(normalise_identifier(v, name) for v in given[name]))
            for name in MATCH_ROLES
            if given.get(name)
        )
        return cls(
            identifiers=identifiers,
            biz_steps=_unique(steps),
            biz_locations=_places(biz_location, "EQ_bizLocation"),
            read_points=_places(read_point, "EQ_readPoint"),
            organisations=_unique(organisation),
            event_types=_unique(event_type),
            ge_time=ge,
            lt_time=lt,
            ge_record_time=_time(ge_record_time, "GE_recordTime"),
            lt_record_time=_time(lt_record_time, "LT_recordTime"),
        )

    def digest(self) -> str:
        """A short fingerprint of the filters (binds a page token to its query)."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:16]

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions on ``event`` (identifier filters as indexed sub-selects of ``event_identifier``)."""
        where: list[ColumnElement[bool]] = []
        for name, identifiers in self.identifiers:
            ids = select(EI.c.event_id).where(EI.c.identifier.in_(identifiers), EI.c.role.in_(MATCH_ROLES[name]))
            where.append(EV.c.id.in_(ids))
        # With an identifier filter (the most selective), the other columns must not drive the plan: "x || ''"
        # and "t + 0" keep SQLite from walking e.g. every 'shipping' event through ix_event_biz_step.
        driven = bool(where)
        for column, values in (
            (EV.c.biz_step, self.biz_steps),
            (EV.c.biz_location, self.biz_locations),
            (EV.c.read_point, self.read_points),
            (EV.c.org_id, self.organisations),
            (EV.c.event_type, self.event_types),
        ):
            if values:
                where.append((column.concat("") if driven else column).in_(values))
        time = EV.c.event_time + 0 if driven else EV.c.event_time
        if self.ge_time is not None:
            where.append(time >= self.ge_time)
        if self.lt_time is not None:
            where.append(time < self.lt_time)
        received = EV.c.received_at + 0 if driven else EV.c.received_at  # recordTime: when the platform received it
        if self.ge_record_time is not None:
            where.append(received >= self.ge_record_time)
        if self.lt_record_time is not None:
            where.append(received < self.lt_record_time)
        return where

    def statement(self, *, after: int = 0, limit: int = DEFAULT_PER_PAGE) -> Select[Any]:
        """The page query: events after id ``after`` in id order, at most ``limit``."""
        columns = [EV.c[name] for name in _EVENT_COLUMNS]
        return select(*columns).where(and_(EV.c.id > after, *self.conditions())).order_by(EV.c.id).limit(limit)


def _places(values: Sequence[str], parameter: str) -> tuple[str, ...]:
    """A location as written and as its canonical Digital Link (either may be the stored form)."""
    out: list[str] = []
    for written in values:
        value = written.strip()
        if not is_uri(value):
            raise BadParameterError(
                parameter,
                P_("expected a location URI (SGLN URN or Digital Link), got {value}", value=quoted(value, 80)),
            )
        out += (value, identifier_node(value))
    return _unique(out)


def page_key(platform_secret: bytes) -> bytes:
    """The HMAC key of page tokens, derived from a platform secret (its receipt key's seed)."""
    return hmac.new(platform_secret, b"supplychain page token v1", hashlib.sha256).digest()


def _token_mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:16]


def _encode_token(query: EventQuery, after: int, key: bytes) -> str:
    """``after`` and the query's digest, with an HMAC: a client can hand it back, not forge it."""
    payload = json.dumps({"after": after, "q": query.digest()}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload + _token_mac(key, payload)).decode().rstrip("=")


def _decode_token(query: EventQuery, token: str, key: bytes) -> int:
    forged = BadParameterError("nextPageToken", P_("not a token this service issued"))
    if len(token) > _MAX_TOKEN_CHARS or not token.isascii():
        raise forged
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raise forged from None
    payload, mac = raw[:-16], raw[-16:]
    if len(raw) <= 16 or not hmac.compare_digest(mac, _token_mac(key, payload)):
        raise forged
    try:
        data = json.loads(payload)
        after, digest = data["after"], data["q"]
    except (ValueError, TypeError, KeyError):
        raise forged from None
    if type(after) is not int or not 0 <= after <= INT64_MAX:
        raise forged
    if digest != query.digest():
        raise BadParameterError("nextPageToken", P_("the token belongs to a query with other filters"))
    return after


@dataclass
class EventPage:
    """One page of events: the rows, their batches by id, and the token of the next page (``None``: last page)."""

    rows: list[Row[Any]]
    batches: dict[int, Row[Any]] = field(default_factory=dict)
    next_token: str | None = None
    session: Session | None = None  # to report damaged rows (backend.services.damage)


def batches_of(session: Session, rows: Iterable[Row[Any]]) -> dict[int, Row[Any]]:
    """The batches of these event rows, by id (one query); a ``batch_id`` naming no stored batch and a status the
    platform never gives are reported (:func:`backend.services.damage.batch_damage`)."""
    rows = list(rows)
    ids = {r.batch_id for r in rows if as_int(r.batch_id) is not None}
    if not ids:
        return {}
    columns = [BA.c[name] for name in _BATCH_COLUMNS]
    batches = {b.id: b for b in session.execute(select(*columns).where(BA.c.id.in_(ids)))}
    batch_damage(session, rows, batches)
    return batches


def query_events(
    session: Session,
    query: EventQuery,
    *,
    key: bytes,
    per_page: int = DEFAULT_PER_PAGE,
    token: str | None = None,
) -> EventPage:
    """Run ``query`` for one page; page tokens are signed and checked with ``key`` (:func:`page_key`).

    Raises:
        BadParameterError: ``perPage`` out of 1..1000, or a token not issued (by this platform) for this query.
    """
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadParameterError(
            "perPage", P_("expected 1..{maximum}, got {value}", maximum=MAX_PER_PAGE, value=per_page)
        )
    after = _decode_token(query, token, key) if token else 0
    rows = list(session.execute(query.statement(after=after, limit=per_page + 1)))
    next_token = _encode_token(query, rows[per_page - 1].id, key) if len(rows) > per_page else None
    rows = rows[:per_page]
    return EventPage(rows, batches_of(session, rows), next_token, session)


def anchor_json(row: Row[Any] | Any, batch: Row[Any] | Any | None) -> dict[str, Any]:
    """An event's anchor: root, proof, sequence, transaction, block and its time, or ``{"status": "pending"}``.

    ``status`` is ``anchored`` once the batch's transaction is mined, else ``pending`` (with ``batchStatus``
    ``prepared`` / ``sent`` when the event is already in a batch on its way to the chain). ``confirmations`` is the
    depth of the anchor's block as the anchoring worker last counted it (1: the newest block; ``None`` for batches
    anchored before confirmations were counted), ``final`` whether it reached the ``confirmations`` setting (until
    then a reorg may drop the block, and the worker anchors the batch again: the root and proof stay, the block,
    sequence and transaction may change).
    """
    if batch is None or batch.status != "anchored" or row.proof is None:
        out: dict[str, Any] = {"status": "pending"}
        if batch is not None:
            out["batchStatus"] = batch.status
        return out
    problem = anchored_batch_problem(batch) or (None if parsed_proof(row.proof) is not None else "proof: does not read")
    if problem is not None:  # a damaged record (see backend.services.damage): said, never a 500
        return {"status": "damaged", "detail": f"the stored anchor does not read ({problem})"}
    return {
        "status": "anchored",
        "root": batch.root,
        "proof": json.loads(row.proof),
        "leafIndex": row.leaf_index,
        "sequence": batch.sequence,
        "txHash": batch.tx_hash,
        "blockNumber": batch.block_number,
        "blockTime": batch.block_time,
        "chainId": batch.chain_id,
        "remade": batch.remade_at is not None,
        "confirmations": batch.confirmations if isinstance(batch.confirmations, int) else None,
        "final": batch.final_at is not None,
    }


def envelope_of(row: Row[Any] | Any, document: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The signed envelope (version 1, see :mod:`supplychain.signing`) rebuilt from a stored event row."""
    return {
        "type": ENVELOPE_TYPE,
        "version": ENVELOPE_VERSION,
        "event": dict(document) if document is not None else json.loads(row.document),
        "eventHashId": row.hash_id,
        "organisationId": row.org_id,
        "keyId": row.key_id,
        "signature": row.signature,
    }


def metadata_json(row: Row[Any], batch: Row[Any] | None) -> dict[str, Any]:
    """The platform's metadata of one stored event (what ``GET /events`` lists beside the events)."""
    return {
        "eventHashId": row.hash_id,
        "organisationId": row.org_id,
        "keyId": row.key_id,
        "eventTime": iso_ms(row.event_time),
        "receivedAt": iso_ms(row.received_at),
        "captureId": row.capture_id,
        "anchor": anchor_json(row, batch),
    }


def query_document(page: EventPage, *, created: datetime | None = None) -> dict[str, Any]:
    """The EPCIS 2.0 query document of a page: events as received, our metadata in a parallel namespaced list.

    ``sc:eventMetadata[i]`` describes ``eventList[i]`` (hash, signer, receipt time, anchor); ``sc:nextPageToken``
    repeats the ``Link`` header's token.
    """
    events, meta, damaged = [], [], []
    for r in page.rows:
        document = stored_document(page.session, r) if page.session is not None else json.loads(r.document)
        if document is None:  # reported; the rest of the page is served
            damaged.append({"eventHashId": r.hash_id, "detail": "the stored event does not read"})
            continue
        events.append(document)
        meta.append(metadata_json(r, page.batches.get(r.batch_id) if as_int(r.batch_id) is not None else None))
    now = created or datetime.now(UTC)
    return {
        "@context": [EPCIS_CONTEXT, {"sc": SC_NS}],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}},
        "sc:eventMetadata": meta,
        "sc:nextPageToken": page.next_token,
        **({"sc:damaged": damaged} if damaged else {}),
    }


def find_event(session: Session, hash_id: str) -> Row[Any]:
    """The stored event of an Event Hash ID (``ni:///sha-256;<hex>?ver=CBV2.0`` or the bare 64-hex digest).

    Raises:
        BadParameterError: Not an Event Hash ID.
        NotFoundError: No such event is stored.
    """
    match = _DIGEST.fullmatch(hash_id.strip())
    if match is None:
        raise BadParameterError(
            "hashId",
            P_("expected ni:///sha-256;<64 hex>?ver=CBV2.0 or 64 hex digits, got {value}", value=quoted(hash_id, 100)),
        )
    canonical = f"ni:///sha-256;{match.group(1).lower()}?ver=CBV2.0"
    columns = [EV.c[name] for name in _EVENT_COLUMNS]
    row = session.execute(select(*columns).where(EV.c.hash_id == canonical)).first()
    if row is None:
        raise NotFoundError(P_("no event {event} is stored here", event=canonical), eventHashId=canonical)

    return row


def cited_json(document: Mapping[str, Any], org_id: str, mirror: RegistryMirror | None) -> dict[str, Any] | None:
    """The recognition a stored event's signed document cites and its status at the event time from the registry's
    history (``None`` without a mirror), derived as the audit derives them (never from the stored
    ``recognition_*`` columns, which the audit compares with this: ``column_mismatch``)."""
    cited = cited_recognition(document)
    if not isinstance(cited, int):  # none, or one naming no recognition (capture refuses those)
        return None
    at_ms = indexed_columns(document).event_time
    status = None if mirror is None or at_ms is None else mirror.citation_status(cited, org_id, at_ms // 1000)
    return {"id": cited, "statusAtCapture": status}


def event_detail(
    session: Session,
    row: Row[Any],
    *,
    receipt: Mapping[str, Any] | None = None,
    mirror: RegistryMirror | None = None,
) -> dict[str, Any]:
    """``GET /events/{hashId}``: the event as received, its signed envelope, receipt and anchor, and the recognition
    it cites (:func:`cited_json`: from the signed document, its status from ``mirror``)."""
    batch = batches_of(session, [row]).get(row.batch_id) if as_int(row.batch_id) is not None else None
    document = stored_document(session, row)
    if document is None:  # reported: what the columns say, and that the stored event does not read
        return {
            "eventHashId": row.hash_id,
            "organisationId": row.org_id,
            "eventType": row.event_type,
            "receivedAt": iso_ms(row.received_at),
            "captureId": row.capture_id,
            "event": None,
            "damaged": [{"table": "event", "key": row.hash_id, "reason": "the stored event does not read"}],
        }
    return {
        "eventHashId": row.hash_id,
        "organisationId": row.org_id,
        "eventType": row.event_type,
        "eventTime": iso_ms(row.event_time),
        "bizStep": row.biz_step,
        "bizLocation": row.biz_location,
        "receivedAt": iso_ms(row.received_at),
        "captureId": row.capture_id,
        "event": document,
        "envelope": envelope_of(row, document),
        "receipt": dict(receipt) if receipt is not None else None,
        "anchor": anchor_json(row, batch),
        "recognition": cited_json(document, row.org_id, mirror),
    }
