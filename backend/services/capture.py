"""Capture: an EPCIS 2.0 document of signed events in, per-event outcomes and signed receipts out.

Signatures travel beside the events, so that they do not change the events' hashes. Either

- an EPCIS 2.0 document (JSON-LD or XML) whose header carries them as an extension in the namespace
  ``https://ns.supplychain.dev/epcis/`` (any prefix)::

      "epcisHeader": {"sc:signatures": [{"eventHashId": "ni:///…", "keyId": "0x…", "signature": "…"}, …]}

  (in XML: ``<sc:signatures><sc:signature><sc:eventHashId>…</sc:eventHashId><sc:keyId>…</sc:keyId>
  <sc:signature>…</sc:signature></sc:signature>…</sc:signatures>`` in the ``EPCISHeader``); or
- a JSON array of signed envelopes (``application/vnd.supplychain.signed-events+json``), as
  ``supplychain keys sign`` writes them.

Per event, in this order (the first failure is the reason code): a signature for its Event Hash ID
(``missing_signature``, ``malformed_signature``), the key on chain (``unknown_key``, ``key_of_another_organisation``,
``key_revoked``: revoked by now, ``key_not_valid_at_event_time``), the organisation (``organisation_not_registered``,
``organisation_suspended``), the Ed25519 signature (``bad_signature``), the bizStep against the organisation's roles
(``biz_step_not_allowed``), the event time (``event_in_future``: beyond the allowed clock skew), and who may speak for
the product: an event that commissions or makes trade items of a GTIN (ObjectEvent ``ADD`` or ``commissioning``, a
TransformationEvent's outputs) must come from the GTIN's owner on chain or an organisation it delegated the GTIN to,
at the event time (``not_gtin_owner``; ``gtin_owner_unknown`` when nobody held its company prefix then; see
:mod:`supplychain.registry.speakers`). Shipping, receiving, selling or using another's item stays open. An event already
stored, or twice in the document, is a ``DUPLICATE``, not stored again. Under the error behaviour ``rollback`` (the
EPCIS REST binding's default, ``GS1-Capture-Error-Behaviour``) one refusal stores nothing; under ``proceed`` the valid
events are stored.

One bare event (the binding's ``POST /events``, :func:`capture_event`) goes through the same checks, as the one-event
document :func:`supplychain.epcis.single.single_event_document` makes of it; its signature travels in the
``SC-Event-Signature`` header (:func:`parse_signature_header`), the same three values as an ``sc:signatures`` entry::

    SC-Event-Signature: keyId="0x…", eventHashId="ni:///sha-256;…?ver=CBV2.0", signature="…"

An event may cite the recognition its submitter holds for what it ships (a supplier's green-factory recognition) with
the extension ``"sc:recognition": <recognition id>`` (``sc`` bound to the namespace above). A reference that is not a
recognition id refuses the event (``malformed_recognition_reference``); otherwise the platform records, with the event,
whether that recognition was in force for the submitter at the event time as on chain at capture: ``IN_FORCE``,
``SUSPENDED``, ``REVOKED``, ``EXPIRED``, ``NOT_YET_VALID``, ``NOT_HOLDER`` (another organisation's) or ``UNKNOWN``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from backend.core.errors import P_, PROBLEM_BASE, BadParameterError, ProblemError, Text, quoted
from backend.core.integers import INT64_MAX
from backend.models import Capture, Event, EventIdentifier, table_of
from backend.services.ownership import fresher_mirror, request_mirror
from backend.services.platform import Platform, now_ms
from backend.services.signing_pool import SigningPool
from supplychain.epcis import DEFAULT_LIMITS, EpcisDocument, Limits, parse_document, parse_document_object
from supplychain.epcis import Event as EpcisEventType
from supplychain.epcis.cbv import allowed_biz_step
from supplychain.epcis.columns import canonical_place, indexed_columns
from supplychain.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    EpcisEvent,
    ObjectEvent,
    TransactionEvent,
    TransformationEvent,
)
from supplychain.epcis.single import parse_single_event
from supplychain.errors import EpcisSyntaxError, MerkleError, NestingTooDeepError, SignatureError
from supplychain.eventhash import document_context, event_hash_id
from supplychain.gs1 import identifier_node
from supplychain.jsondepth import nesting_depth, within_depth
from supplychain.receipt import unsigned_receipt
from supplychain.registry import RegistryMirror
from supplychain.registry.speakers import speaker_refusal
from supplychain.signing import (
    SIGNATURE_NAMESPACE,
    citation_id,
    decode_signature,
    header_signatures,
    is_key_id,
    parse_envelope,
    recognition_citation,
)
from supplychain.trace import lots_of

__all__ = [
    "DEFAULT_JOBS_PER_PAGE",
    "ERROR_BEHAVIOURS",
    "MAX_JOBS_PER_PAGE",
    "MAX_LISTED_PROBLEMS",
    "PROCEED",
    "ROLLBACK",
    "SIGNATURE_HEADER",
    "SIGNATURE_NS",
    "SIGNED_EVENTS_MEDIA_TYPE",
    "CaptureResult",
    "EventOutcome",
    "capture",
    "capture_event",
    "capture_limits",
    "event_identifiers",
    "iso_time",
    "job_errors",
    "job_fields",
    "list_captures",
    "parse_signature_header",
    "refusal_problem",
]

ROLLBACK, PROCEED = "rollback", "proceed"
ERROR_BEHAVIOURS = (ROLLBACK, PROCEED)
"""The REST binding's ``GS1-Capture-Error-Behaviour`` values; the first is its default (and the platform's)."""
SIGNATURE_HEADER = "SC-Event-Signature"
"""The request header carrying the signature of the one event of ``POST /events``."""

SIGNATURE_NS = SIGNATURE_NAMESPACE
SIGNED_EVENTS_MEDIA_TYPE = "application/vnd.supplychain.signed-events+json"
MAX_LISTED_PROBLEMS = 100
"""Refused events that a capture's outcome lists one by one; the others are counted by reason."""
# Envelopes nest a level or two deeper than the events they carry; the document's own checks then count exactly.
_JSON_EXTRA_DEPTH = 16


@dataclass
class EventOutcome:
    """What happened to one event of a capture."""

    index: int
    event_id: str | None
    hash_id: str | None
    status: str  # ACCEPTED | DUPLICATE | REJECTED
    reason: str | None = None
    detail: str | None = None
    receipt: dict[str, Any] | None = None
    recognition: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The outcome as the API shows it."""
        out: dict[str, Any] = {"index": self.index, "eventID": self.event_id, "eventHashId": self.hash_id}
        out["status"] = self.status
        if self.reason:
            out["reason"], out["detail"] = self.reason, self.detail
        if self.recognition:
            out["recognition"] = self.recognition
        if self.receipt:
            out["receipt"] = self.receipt
        return out


def iso_time(ms: object) -> str | None:
    """Milliseconds since the epoch as RFC 3339 UTC with milliseconds (the binding's ``date-time``); ``None`` for a
    value that is no time (a damaged column, see :mod:`backend.services.damage`)."""
    if not isinstance(ms, int) or isinstance(ms, bool):
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    except (OverflowError, ValueError, OSError):
        return None


def refusal_problem(outcome: Mapping[str, Any]) -> dict[str, Any]:
    """A refused event of a capture as the REST binding's capture job lists errors: an RFC 7807 problem (``type``,
    ``title``, ``status``, ``detail``) with the event's ``index``, ``eventHashId`` and our ``reason`` code."""
    reason = outcome.get("reason") or "rejected"
    return {
        "type": PROBLEM_BASE + "event-refused",
        "title": "Event refused",
        "status": 400,
        "detail": f"event {outcome.get('index')}: {reason}: {outcome.get('detail') or ''}".rstrip(": "),
        "index": outcome.get("index"),
        "eventHashId": outcome.get("eventHashId"),
        "reason": reason,
    }


def job_errors(outcome: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The binding's ``errors`` of a capture job, from its outcome (:meth:`CaptureResult.to_json`): a problem per
    listed refused event (:func:`refusal_problem`) but those rolled back (the consequence, not an error), and one
    counting the refusals ``unlisted`` counts by reason."""
    events = outcome.get("events")
    listed = [e for e in events if isinstance(e, Mapping)] if isinstance(events, list) else []
    errors = [refusal_problem(e) for e in listed if e.get("status") == "REJECTED" and e.get("reason") != "rolled_back"]
    unlisted = outcome.get("unlisted")
    by_reason = unlisted.get("byReason") if isinstance(unlisted, Mapping) else None
    if isinstance(by_reason, Mapping):
        count = sum(n for reason, n in by_reason.items() if reason != "rolled_back" and isinstance(n, int))
        if count:
            errors.append(
                {
                    "type": PROBLEM_BASE + "events-refused",
                    "title": "More events refused",
                    "status": 400,
                    "detail": f"{count} more refused events, counted by reason in 'unlisted'",
                }
            )
    return errors


def job_fields(
    capture_id: str,
    *,
    received_at: object,
    finished_at: object,
    behaviour: object,
    rejected: object,
    rolled_back: bool,
) -> dict[str, Any]:
    """The REST binding's capture-job fields (``CaptureJob``) but ``errors``: a capture runs to its end within
    ``POST /capture``, so a job is never ``running``; ``success`` is false when any event was refused. A job stored
    before the platform recorded its error behaviour (``None``) ran under ``proceed`` unless it rolled back."""
    return {
        "captureID": capture_id,
        "createdAt": iso_time(received_at),
        "finishedAt": iso_time(finished_at if finished_at is not None else received_at),
        "running": False,
        "success": rejected == 0,
        "captureErrorBehaviour": behaviour if behaviour in ERROR_BEHAVIOURS else ROLLBACK if rolled_back else PROCEED,
    }


@dataclass
class CaptureResult:
    """The outcome of one capture."""

    capture_id: str
    org_id: str
    received_at: int
    outcomes: list[EventOutcome] = field(default_factory=list)
    rolled_back: bool = False
    error_behaviour: str = ROLLBACK
    finished_at: int | None = None

    def count(self, status: str) -> int:
        """How many events ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def status(self) -> str:
        """ACCEPTED (nothing refused), PARTIALLY_ACCEPTED, or REJECTED (nothing stored)."""
        stored = self.count("ACCEPTED") + self.count("DUPLICATE")
        if self.count("REJECTED") == 0:
            return "ACCEPTED"
        return "REJECTED" if self.rolled_back or stored == 0 else "PARTIALLY_ACCEPTED"

    def to_json(self, *, max_listed_problems: int = MAX_LISTED_PROBLEMS, errors: bool = True) -> dict[str, Any]:
        """The capture as ``GET /capture/{id}`` shows it: the REST binding's capture-job fields (:func:`job_fields`,
        and ``errors``: a problem per listed refused event, those rolled back excepted), then ours: every accepted
        event (with its receipt) and duplicate, and ``max_listed_problems`` refused events, in document order (those
        refused for what they are before those rolled back because of them); the other
        refusals are counted by reason in ``unlisted``, so that a document of refusals costs a few kilobytes to
        store, not megabytes. ``errors=False`` leaves ``errors`` out (the stored form: :func:`job_errors` derives them
        from the listed events when the job is read)."""
        # The refusals listed: the events refused for what they are first, then those rolled back because of them,
        # so that a rolled-back document of 100,000 events still names the one that was wrong.
        refused = [o for o in self.outcomes if o.status == "REJECTED"]
        causes = [o for o in refused if o.reason != "rolled_back"][:max_listed_problems]
        rolled = [o for o in refused if o.reason == "rolled_back"][: max_listed_problems - len(causes)]
        shown = {id(o) for o in (*causes, *rolled)}
        listed: list[dict[str, Any]] = []
        unlisted: dict[str, int] = {}
        for o in self.outcomes:
            if o.status == "REJECTED" and id(o) not in shown:
                reason = o.reason or "rejected"
                unlisted[reason] = unlisted.get(reason, 0) + 1
                continue
            listed.append(o.to_json())
        rejected = self.count("REJECTED")
        out = job_fields(
            self.capture_id,
            received_at=self.received_at,
            finished_at=self.finished_at,
            behaviour=self.error_behaviour,
            rejected=rejected,
            rolled_back=self.rolled_back,
        )
        out |= {
            "organisationId": self.org_id,
            "receivedAt": self.received_at,
            "status": self.status,
            "rolledBack": self.rolled_back,
            "totalCount": len(self.outcomes),
            "acceptedCount": self.count("ACCEPTED"),
            "duplicateCount": self.count("DUPLICATE"),
            "rejectedCount": rejected,
            "events": listed,
        }
        if unlisted:
            out["unlisted"] = {"count": sum(unlisted.values()), "byReason": unlisted}
        if errors:
            out["errors"] = job_errors(out)
        return out


@dataclass(frozen=True)
class _Signed:
    key: bytes
    key_id: str
    signature: bytes
    text: str


class _RefusedError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _ms(event: EpcisEvent) -> int:
    return int(event.event_time.timestamp() * 1000)


def _documents(data: bytes, media_type: str | None, limits: Limits) -> tuple[EpcisDocument, list[dict[str, Any]]]:
    """The parsed document and its signature entries (from the header, or from the envelopes)."""
    base = (media_type or "").split(";")[0].strip().lower()
    if base != SIGNED_EVENTS_MEDIA_TYPE:
        document = parse_document(data, media_type=media_type, limits=limits)
        return document, header_signatures(document.raw or {})
    bound = limits.max_depth + _JSON_EXTRA_DEPTH  # the decoder recurses per bracket (see supplychain.jsondepth)
    if not within_depth(data, bound) and (depth := nesting_depth(data)) > bound:
        raise NestingTooDeepError("max_depth", limits.max_depth, depth)
    try:
        envelopes = json.loads(data)
    except ValueError as exc:
        raise EpcisSyntaxError("JSON", f"not a JSON array of signed envelopes: {exc}") from None
    if not isinstance(envelopes, list):
        raise EpcisSyntaxError("JSON", "a signed-events document is a JSON array of signed envelopes")
    events, signatures = [], []
    for i, raw in enumerate(envelopes):
        try:
            envelope = parse_envelope(raw)
        except SignatureError as exc:
            raise EpcisSyntaxError("JSON", f"envelope {i}: {exc}") from None
        events.append(envelope.event)
        signatures.append(
            {"eventHashId": envelope.event_hash_id, "keyId": envelope.key_id, "signature": envelope.signature}
        )
    document_object = {
        "@context": "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "1970-01-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    }
    return parse_document_object(document_object, limits=limits), signatures


def capture_limits(max_document_bytes: int) -> Limits:
    """The EPCIS limits of a capture: the core's defaults, with the document size the settings allow."""
    if max_document_bytes == DEFAULT_LIMITS.max_document_bytes:
        return DEFAULT_LIMITS
    return dataclasses.replace(DEFAULT_LIMITS, max_document_bytes=max_document_bytes)


def event_identifiers(event: EpcisEvent) -> set[tuple[str, str]]:
    """The ``event_identifier`` rows of an event: (identifier node, role) for everything it names, and the lots its
    ILMD names for the serials it makes (role ``lot``)."""
    named: list[tuple[str, str]] = []
    if isinstance(event, ObjectEvent | TransactionEvent):
        named += [(e, "epc") for e in event.epc_list] + [(q.epc_class, "class") for q in event.quantity_list]
    if isinstance(event, AggregationEvent | AssociationEvent | TransactionEvent) and event.parent_id:
        named.append((event.parent_id, "parent"))
    if isinstance(event, AggregationEvent | AssociationEvent):
        named += [(e, "child") for e in event.child_epcs] + [(q.epc_class, "child") for q in event.child_quantity_list]
    if isinstance(event, TransformationEvent):
        named += [(e, "input") for e in event.input_epc_list] + [(e, "output") for e in event.output_epc_list]
        named += [(q.epc_class, "input_class") for q in event.input_quantity_list]
        named += [(q.epc_class, "output_class") for q in event.output_quantity_list]
    if isinstance(event, ObjectEvent | TransformationEvent) and event.ilmd:
        made = event.epc_list if isinstance(event, ObjectEvent) else event.output_epc_list
        named += [(lot, "lot") for lot in lots_of(made, event.ilmd)]
    return {(identifier_node(identifier), role) for identifier, role in named}


@functools.lru_cache(maxsize=16_384)
def _canonical_place(uri: str) -> str:
    # the same few places recur in every event of a document: canonicalise each once
    return canonical_place(uri)


@dataclass
class _Validator:
    """The per-event checks of one capture, against the registry mirror as it is now."""

    org_id: str
    mirror: RegistryMirror
    signed: dict[str, _Signed]
    malformed: dict[str, str]
    now: int
    skew_ms: int
    namespaces: Mapping[str, str] = field(default_factory=dict)
    fresher: Callable[[], RegistryMirror | None] | None = None
    """Reads the blocks mined since the mirror was read, once, before an ownership refusal stands
    (``ownership.fresher_mirror``)."""

    def recognition(self, event: EpcisEvent) -> dict[str, Any] | None:
        """The recognition the event cites and its status at the event time; refuses a malformed reference."""
        found = recognition_citation(event.extensions, self.namespaces)
        if found is None:
            return None
        key, value = found
        cited = citation_id(value)
        if cited is None or cited > INT64_MAX:  # the database holds ids up to 2**63 - 1 (the registry counts from 1)
            raise _RefusedError(
                "malformed_recognition_reference",
                f"{key} must be a recognition id (an integer 1..{INT64_MAX}), got {value!r:.40}",
            )
        return {"id": cited, "status": self.mirror.citation_status(cited, self.org_id, _ms(event) // 1000)}

    def check_before_signature(self, event: EpcisEvent, hash_id: str) -> _Signed:
        """The checks before the Ed25519 signature itself: its presence and form, the key, the organisation.

        Raises:
            _RefusedError: with the first reason the event cannot be accepted.
        """
        if hash_id in self.malformed:
            raise _RefusedError("malformed_signature", self.malformed[hash_id])
        signed = self.signed.get(hash_id)
        if signed is None:
            raise _RefusedError("missing_signature", f"no signature for {hash_id} in the document")
        self._check_key(signed, _ms(event) // 1000)
        org = self.mirror.organisations.get(self.org_id)
        if org is None:
            raise _RefusedError("organisation_not_registered", f"organisation {self.org_id} is not registered on chain")
        if org.suspended:  # as on chain now (the chain's clock, not ours, says when things happened)
            raise _RefusedError("organisation_suspended", f"organisation {self.org_id} is suspended")
        return signed

    def check_after_signature(self, event: EpcisEvent) -> None:
        """The checks after a good signature: the bizStep against the roles, the event time against the clock, the
        GTINs the event commissions or makes against their owners and delegates at the event time.

        Raises:
            _RefusedError: with the first reason the event cannot be accepted.
        """
        roles = self.mirror.organisations[self.org_id].roles.names()
        if event.biz_step and not _allowed(tuple(roles), event.biz_step):
            raise _RefusedError("biz_step_not_allowed", f"bizStep {event.biz_step!r} is not allowed for roles {roles}")
        if _ms(event) > self.now + self.skew_ms:
            raise _RefusedError(
                "event_in_future", f"event time is over {self.skew_ms // 1000} s after the time received"
            )
        refused = speaker_refusal(self.mirror, self.org_id, event.raw or {}, _ms(event) // 1000)
        if refused is not None and self.fresher is not None:  # a prefix or delegation filed a moment ago counts
            fresher, self.fresher = self.fresher(), None
            if fresher is not None:
                self.mirror = fresher
                refused = speaker_refusal(self.mirror, self.org_id, event.raw or {}, _ms(event) // 1000)
        if refused is not None:
            raise _RefusedError(refused.reason, refused.detail)

    def _check_key(self, signed: _Signed, event_s: int) -> None:
        key = self.mirror.keys.get(signed.key)
        if key is None:
            raise _RefusedError("unknown_key", f"key {signed.key_id} is not registered on chain")
        if key.org_id != self.org_id:
            raise _RefusedError(
                "key_of_another_organisation", f"key {signed.key_id} belongs to {key.org_id}, not to {self.org_id}"
            )
        if key.revoked_at is not None:
            raise _RefusedError("key_revoked", f"key {signed.key_id} was revoked at {key.revoked_at}")
        if not key.valid_at(event_s):
            raise _RefusedError(
                "key_not_valid_at_event_time", f"key {signed.key_id} was not valid at the event time ({event_s} s)"
            )


@functools.lru_cache(maxsize=4_096)
def _allowed(roles: tuple[str, ...], biz_step: str) -> bool:
    return allowed_biz_step(roles, biz_step)


def _signatures_by_hash(entries: Sequence[Mapping[str, Any]]) -> tuple[dict[str, _Signed], dict[str, str]]:
    good: dict[str, _Signed] = {}
    bad: dict[str, str] = {}
    for entry in entries:
        hash_id, key_id, text = entry.get("eventHashId"), entry.get("keyId"), entry.get("signature")
        if not isinstance(hash_id, str):
            continue
        if not (isinstance(key_id, str) and is_key_id(key_id)) or not isinstance(text, str):
            bad[hash_id] = "keyId must be 0x + 64 hex digits and signature base64url text"
            continue
        try:
            good[hash_id] = _Signed(bytes.fromhex(key_id[2:]), key_id, decode_signature(text), text)
        except SignatureError as exc:
            bad[hash_id] = str(exc)
    return good, bad


def capture(
    platform: Platform, org_id: str, data: bytes, media_type: str | None, *, error_behaviour: str = ROLLBACK
) -> CaptureResult:
    """Validate, store and receipt a captured document (see the module docstring).

    Raises:
        EpcisError: the document is malformed, outside the standard, or beyond a limit (nothing is stored).
        UnavailableError: the registry was never read since start-up (the chain is unreachable).
    """
    document, entries = _documents(data, media_type, capture_limits(platform.settings.max_capture_bytes))
    return _capture(platform, org_id, document, entries, error_behaviour)


def parse_signature_header(value: str) -> dict[str, str]:
    """The ``keyId``, ``eventHashId`` and ``signature`` of an ``SC-Event-Signature`` header: comma-separated
    ``name="value"`` pairs (RFC 8941 dictionary syntax, each member a string), each exactly once, no other.

    Raises:
        ProblemError: ``invalid-header`` (400) naming what is wrong.
    """
    members: dict[str, str] = {}
    for part in value.split(","):
        match = _HEADER_MEMBER.fullmatch(part.strip())
        if match is None:
            raise _bad_header(P_('expected name="value" members, got {value}', value=quoted(part.strip(), 80)))
        name, text = match.group(1), match.group(2)
        if name not in _HEADER_NAMES:
            raise _bad_header(
                P_("unknown member {name}; expected {choices}", name=quoted(name, 40), choices=", ".join(_HEADER_NAMES))
            )
        if name in members:
            raise _bad_header(P_("member {name} given twice", name=repr(name)))
        members[name] = text
    missing = [n for n in _HEADER_NAMES if n not in members]
    if missing:
        raise _bad_header(P_("missing {names}", names=", ".join(missing)))
    return members


_HEADER_NAMES = ("keyId", "eventHashId", "signature")
_HEADER_MEMBER = re.compile(r'([A-Za-z]+)="([\x20-\x21\x23-\x5b\x5d-\x7e]*)"')


def _bad_header(reason: Text) -> ProblemError:
    return ProblemError(
        P_("{parameter}: {reason}", parameter=SIGNATURE_HEADER, reason=reason),
        code="invalid-header",
        header=SIGNATURE_HEADER,
    )


def capture_event(platform: Platform, org_id: str, data: bytes, signature: str | None) -> CaptureResult:
    """Capture one bare JSON-LD event (``POST /events``) signed in the ``SC-Event-Signature`` header; the same checks
    as a document's events, stored as a capture of one event (its outcome at ``GET /capture/{id}``).

    Raises:
        ProblemError: no or a malformed signature header (400 ``invalid-header``), or one signing another Event Hash
            ID than the event's (400 ``signature-hash-mismatch``: both are named).
        EpcisError: the event is malformed, outside the standard, or beyond a limit (nothing is stored).
        UnavailableError: the registry was never read since start-up (the chain is unreachable).
    """
    if signature is None:
        raise _bad_header(P_("the header is required: the event's signature travels in it"))
    entry = parse_signature_header(signature)
    limits = dataclasses.replace(
        capture_limits(platform.settings.max_capture_bytes), max_events=1
    )  # one event, within the body's own bound
    document = parse_single_event(data, limits=limits)
    try:
        computed: str | None = event_hash_id(dict(document.events[0].raw or {}), document_context(document.raw or {}))
    except (ValueError, MerkleError):
        computed = None  # refused below as unhashable_event, with the hasher's reason
    if computed is not None and entry["eventHashId"] != computed:
        raise ProblemError(
            P_(
                "{header}: the signature is for {signed}, but the event's Event Hash ID is {computed}",
                header=SIGNATURE_HEADER,
                signed=quoted(entry["eventHashId"], 100),
                computed=computed,
            ),
            code="signature-hash-mismatch",
            header=SIGNATURE_HEADER,
            eventHashId=computed,
        )
    return _capture(platform, org_id, document, [entry], ROLLBACK)


def _capture(
    platform: Platform, org_id: str, document: EpcisDocument, entries: list[dict[str, Any]], error_behaviour: str
) -> CaptureResult:
    if error_behaviour not in ERROR_BEHAVIOURS:
        raise ValueError(f"error behaviour must be one of {ERROR_BEHAVIOURS}, not {error_behaviour!r}")
    settings = platform.settings
    received = now_ms()
    signed, malformed = _signatures_by_hash(entries)
    mirror = request_mirror(platform, (s.key for s in signed.values()))  # a node that is down is not waited for
    validator = _Validator(
        org_id,
        mirror,
        signed,
        malformed,
        received,
        settings.clock_skew_seconds * 1000,
        document.namespaces,
        functools.partial(fresher_mirror, platform),
    )
    result = CaptureResult(uuid.uuid4().hex, org_id, received, error_behaviour=error_behaviour)
    rows = _validate(document, validator, result, platform.signing_pool)
    if error_behaviour == ROLLBACK and result.count("REJECTED"):
        result.rolled_back = True
        rows = []
        for o in result.outcomes:
            if o.status == "ACCEPTED":
                o.status, o.reason, o.detail = "REJECTED", "rolled_back", "another event of the document was refused"
    _store(platform, result, rows, anchor_by=received + settings.anchor_deadline_seconds * 1000)
    for status in ("ACCEPTED", "DUPLICATE", "REJECTED"):
        platform.metrics.captured.labels(status).inc(result.count(status))
    return result


@dataclass
class _Candidate:
    outcome: EventOutcome
    event: EpcisEventType
    raw: dict[str, Any]
    signed: _Signed


def _validate(document: EpcisDocument, validator: _Validator, result: CaptureResult, pool: SigningPool) -> list[_Row]:
    doc_raw = document.raw or {}
    ctx = document_context(doc_raw)  # its namespaces and ignoreFields, as `supplychain hash` reads them
    candidates: list[_Candidate] = []
    verifier = pool.verifier(len(document.events))  # workers verify while this loop goes on
    seen: set[str] = set()
    for position, event in enumerate(document.events):
        raw = ctx.without_ignored(event.raw or {})  # stored so: verification hashes it alike on its own
        outcome = EventOutcome(event.index if event.index is not None else position, event.event_id, None, "REJECTED")
        result.outcomes.append(outcome)
        try:
            outcome.hash_id = hash_id = event_hash_id(raw, ctx)
        except (ValueError, MerkleError) as exc:
            outcome.reason, outcome.detail = "unhashable_event", str(exc)
            continue
        if hash_id in seen:
            outcome.status = "DUPLICATE"
            continue
        seen.add(hash_id)
        try:
            signed = validator.check_before_signature(event, hash_id)
        except _RefusedError as refused:
            outcome.reason, outcome.detail = refused.reason, refused.detail
            continue
        candidates.append(_Candidate(outcome, event, raw, signed))
        verifier.add((signed.key, hash_id, signed.signature))
    failures = verifier.results()
    rows: list[_Row] = []
    for candidate, failure in zip(candidates, failures, strict=True):
        outcome, event, raw = candidate.outcome, candidate.event, candidate.raw
        try:
            if failure is not None:
                raise _RefusedError("bad_signature", failure)
            validator.check_after_signature(event)
            outcome.recognition = validator.recognition(event)
        except _RefusedError as refused:
            outcome.reason, outcome.detail = refused.reason, refused.detail
            continue
        outcome.status = "ACCEPTED"
        if "@context" not in raw and "@context" in doc_raw:
            raw["@context"] = doc_raw["@context"]  # stored with the namespaces its hash needs
        derived = indexed_columns(raw, canonical=_canonical_place)  # the audit derives them alike
        columns = {
            "hash_id": outcome.hash_id,
            "org_id": validator.org_id,
            "key_id": candidate.signed.key_id,
            "signature": candidate.signed.text,
            "event_type": derived.event_type or type(event).__name__,
            "event_time": _ms(event) if derived.event_time is None else derived.event_time,
            "biz_step": derived.biz_step,
            "biz_location": derived.biz_location,
            "read_point": derived.read_point,
            "received_at": validator.now,
            "capture_id": result.capture_id,
            "document": json.dumps(raw, ensure_ascii=False, separators=(",", ":")),
            "recognition_id": outcome.recognition["id"] if outcome.recognition else None,
            "recognition_status": outcome.recognition["status"] if outcome.recognition else None,
        }
        identifiers = event_identifiers(event)
        columns["identifier_count"] = len(identifiers)  # pages reference an event naming many (services.custody)
        rows.append(_Row(columns, identifiers))
    return rows


@dataclass(frozen=True)
class _Row:
    columns: dict[str, Any]
    identifiers: set[tuple[str, str]]


def _store(platform: Platform, result: CaptureResult, rows: list[_Row], *, anchor_by: int) -> None:
    # Receipts are signed (by the workers, for bulk) while the events are written; a duplicate's is dropped.
    signer = platform.signing_pool.receipt_signer(len(rows))
    receipts: list[EventOutcome] = []
    for o in result.outcomes:
        if o.status == "ACCEPTED" and o.hash_id is not None:
            o.receipt = unsigned_receipt(
                platform.receipt_key.key_id,
                event_hash_id=o.hash_id,
                organisation_id=result.org_id,
                received_at=result.received_at,
                anchor_by=anchor_by,
            )
            receipts.append(o)
            signer.add(o.receipt)
    with platform.session() as session:
        stored: set[str] = set()
        if rows:
            ids = _insert_new(session, [r.columns for r in rows])
            stored = {r.columns["hash_id"] for r in rows} - set(ids)  # already there: duplicates, not stored again
            links = [
                {"event_id": ids[r.columns["hash_id"]], "identifier": identifier, "role": role}
                for r in rows
                if r.columns["hash_id"] in ids
                for identifier, role in r.identifiers
            ]
            if links:
                session.execute(insert(table_of(EventIdentifier)), links)
        for o, signature in zip(receipts, signer.results(), strict=True):
            assert o.receipt is not None  # noqa: S101 - set above
            if o.hash_id in stored:
                o.status, o.receipt = "DUPLICATE", None
            else:
                o.receipt["signature"] = signature
        result.finished_at = now_ms()
        session.add(
            Capture(
                id=result.capture_id,
                org_id=result.org_id,
                received_at=result.received_at,
                status=result.status,
                total=len(result.outcomes),
                accepted=result.count("ACCEPTED"),
                duplicates=result.count("DUPLICATE"),
                rejected=result.count("REJECTED"),
                outcome=json.dumps(result.to_json(errors=False), ensure_ascii=False),
                error_behaviour=result.error_behaviour,
                finished_at=result.finished_at,
            )
        )
        session.commit()  # events, their identifiers and the capture: all or nothing, durable at commit


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the events, skipping any hash already stored (earlier, or by a concurrent capture); returns the new
    ids by hash. One statement decides what is a duplicate, so no race between a look-up and the insert."""
    events = table_of(Event)
    dialect_insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    statement: Any = dialect_insert(events).on_conflict_do_nothing(index_elements=["hash_id"])
    returned = session.execute(statement.returning(events.c.id, events.c.hash_id), rows).all()
    return {hash_id: event_id for event_id, hash_id in returned}


DEFAULT_JOBS_PER_PAGE = 30
"""Capture jobs per page of ``GET /capture`` (the binding's ``perPage`` default)."""
MAX_JOBS_PER_PAGE = 100
_JOB_TOKEN_DOMAIN = b"supplychain/capture-jobs-page/v1\n"
_JOB_TOKEN = re.compile(r"([0-9]{1,19})\.([0-9a-f]{32})\.([0-9a-f]{32})")


def _job_token_mac(key: bytes, org_id: str, received_at: int, capture_id: str) -> str:
    message = _JOB_TOKEN_DOMAIN + f"{org_id}\n{received_at}\n{capture_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def list_captures(
    session: Session, org_id: str, *, key: bytes, per_page: int = DEFAULT_JOBS_PER_PAGE, token: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of an organisation's capture jobs, newest first, as the binding's ``CaptureJob`` (:func:`job_fields`,
    ``errors`` holding one problem that counts the refused events, the job's outcome naming them) with our counts;
    and the token of the next page (``None``: the last). Read from the ``capture`` columns, never the outcomes.

    Raises:
        BadParameterError: ``perPage`` out of range, or a token this platform did not issue to this organisation.
    """
    if not 1 <= per_page <= MAX_JOBS_PER_PAGE:
        raise BadParameterError(
            "perPage", P_("expected 1..{maximum}, got {value}", maximum=MAX_JOBS_PER_PAGE, value=per_page)
        )
    table = table_of(Capture)
    columns = [table.c[n] for n in ("id", "received_at", "finished_at", "error_behaviour", "status", "total")]
    columns += [table.c[n] for n in ("accepted", "duplicates", "rejected")]
    statement = select(*columns).where(table.c.org_id == org_id)
    if token is not None:
        match = _JOB_TOKEN.fullmatch(token)
        if match is None or not hmac.compare_digest(
            match.group(3), _job_token_mac(key, org_id, int(match.group(1)), match.group(2))
        ):
            raise BadParameterError("nextPageToken", P_("not a token this service issued for your capture jobs"))

        after, after_id = int(match.group(1)), match.group(2)
        statement = statement.where(
            or_(table.c.received_at < after, and_(table.c.received_at == after, table.c.id < after_id))
        )
    rows = list(session.execute(statement.order_by(table.c.received_at.desc(), table.c.id.desc()).limit(per_page + 1)))
    next_token = None
    if len(rows) > per_page:
        last = rows[per_page - 1]
        next_token = f"{last.received_at}.{last.id}.{_job_token_mac(key, org_id, last.received_at, last.id)}"
    jobs = []
    for row in rows[:per_page]:
        job = job_fields(
            row.id,
            received_at=row.received_at,
            finished_at=row.finished_at,
            behaviour=row.error_behaviour,
            rejected=row.rejected,
            rolled_back=row.status == "REJECTED" and row.accepted == 0,
        )
        errors = []
        if row.rejected != 0:
            errors.append(
                {
                    "type": PROBLEM_BASE + "events-refused",
                    "title": "Events refused",
                    "status": 400,
                    "detail": f"{row.rejected} of {row.total} events refused; GET /capture/{row.id} names each",
                }
            )
        job |= {
            "errors": errors,
            "status": row.status,
            "totalCount": row.total,
            "acceptedCount": row.accepted,
            "duplicateCount": row.duplicates,
            "rejectedCount": row.rejected,
        }
        jobs.append(job)
    return jobs, next_token
