"""The checks of one stored event that need nothing but the event and the registry mirror.

They are independent from one event to the next, so a runner may fan chunks of events out to processes, each with
its own :class:`EventChecker`; what they return (:class:`Checked`) is small and goes to the one
:class:`~supplychain.audit.Auditor` that keeps the state across events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from supplychain.audit._facts import Fact, event_facts
from supplychain.audit._findings import Finding, event_label, finding, iso_ms, iso_s
from supplychain.audit._proof import ProofChecker
from supplychain.epcis.cbv import BIZ_STEP_VOCAB, allowed_biz_step, canonical_term
from supplychain.epcis.columns import IndexedColumns, indexed_columns
from supplychain.errors import TraceError, UnknownCbvTermError
from supplychain.eventhash import HashContext, event_hash_id, hash_context, hashes_to
from supplychain.gs1 import identifier_node
from supplychain.links import document_identifiers, link_value
from supplychain.merkle import hash_id_to_bytes32
from supplychain.registry import BusinessRole, KeyState, ReasonCode, RegistryMirror
from supplychain.registry.speakers import NOT_GTIN_OWNER, speaker_refusal
from supplychain.signing import (
    SIGNATURE_DOMAIN,
    cited_recognition,
    context_namespaces,
    decode_signature,
    is_key_id,
    verify_message,
)

__all__ = ["Checked", "EventChecker"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_CACHE_SIZE = 4096
_LAPSED = frozenset({"SUSPENDED", "REVOKED", "EXPIRED"})


class Checked(NamedTuple):
    """What the checks of one event found and what the auditor keeps of it.

    Attributes:
        event_id: The platform's record id (``None`` when the record has none).
        hash_id: The stored Event Hash ID.
        organisation: The signer.
        received_at: When the platform received it (ms).
        event_time: The event time (ms), ``None`` when the document is not the signed one.
        root: The root of its batch (``0x`` hex), ``None`` when it is in none yet.
        proof_ok: Whether its proof leads to ``root`` (``None`` without a root, or when the platform flags its
            proof unreadable: reported as ``record_unreadable``, not judged).
        findings: What the checks found.
        facts: Its chronology facts (:mod:`supplychain.audit._facts`).
        readable: Whether the record could be read as an event record at all (``False``: only its
            ``record_unreadable`` finding counts; the auditor neither settles nor counts it).
        links: Its story links as exported (identifier, previous digest or ``None``, its digest), each checked
            (value, proof, identifier named): the auditor checks their order across events.
        link_count: How many links the record carries (leaves of its root besides the event's own).
        expects_links: Whether it is anchored and names identifiers (and so must carry links once the platform
            commits them).
    """

    event_id: int | None
    hash_id: str
    organisation: str
    received_at: int
    event_time: int | None
    root: str | None
    proof_ok: bool | None
    findings: tuple[Finding, ...] = ()
    facts: tuple[Fact, ...] = ()
    links: tuple[tuple[str, bytes | None, bytes], ...] = ()
    link_count: int = 0
    expects_links: bool = False
    readable: bool = True


_FLAGGED_FIELDS = {"event_time": "eventTime", "recognition_id": "recognition"}
"""The record's members that hold a stored column the platform may flag as unreadable (not compared then)."""


def _flagged(record: Mapping[str, Any]) -> tuple[str, ...]:
    """The stored columns the platform flags as unreadable in its record (``unreadable``: damaged storage); a flag
    that is not a list of column names is reported as such."""
    flags = record.get("unreadable")
    if flags is None:
        return ()
    if isinstance(flags, list) and flags and all(isinstance(f, str) for f in flags):
        return tuple(f[:40] for f in flags[:20])
    return (f"unreadable: not a list of column names ({flags!r:.60})",)


def _flags(record: Mapping[str, Any], evidence: dict[str, Any]) -> tuple[list[Finding], Mapping[str, Any]]:
    """``record_unreadable`` for the columns the platform flags (its own storage: blamed on the platform, whoever
    signed the event), and the record without the members holding them (not compared with the document)."""
    flagged = _flagged(record)
    if not flagged:
        return [], record
    message = (
        f"the platform flags stored columns of its record as unreadable (damaged storage): {', '.join(flagged)}; "
        "the rest of the record is checked without them"
    )
    left_out = {_FLAGGED_FIELDS.get(f) for f in flagged}
    return [finding("record_unreadable", None, message, **evidence)], {
        k: v for k, v in record.items() if k not in left_out
    }


def _unreadable(record: Mapping[str, Any], reason: str) -> Checked:
    """A record that cannot be read as an event record: its export is the platform's, so the finding is the
    platform's (whoever signed the event)."""
    event_id = record.get("id")
    event_id = event_id if type(event_id) is int else None
    hash_id = record.get("hashId")
    hash_id = hash_id if isinstance(hash_id, str) else ""
    org = record.get("organisationId")
    org = org if isinstance(org, str) else ""
    flagged = _flagged(record)
    also = f" (the platform flags its stored columns {', '.join(flagged)} as unreadable)" if flagged else ""
    message = f"record {event_id if event_id is not None else '?'} of the export cannot be read: {reason}{also}"
    found = finding("record_unreadable", None, message, event_hash=hash_id or None, event_id=event_id)
    return Checked(event_id, hash_id, org, 0, None, None, None, (found,), readable=False)


_TEXT = ("hashId", "organisationId", "keyId", "signature")


def _fields(record: Mapping[str, Any]) -> str | None:
    """Why the record cannot be read, or ``None`` when its fields have the expected types."""
    get = record.get
    if (
        type(get("id")) is int
        and type(get("receivedAt")) is int
        and all(type(get(name)) is str for name in _TEXT)
        and type(get("document")) in (dict, str)
    ):
        root = get("root")
        proof_read = type(get("proof")) is list or "proof" in _flagged(record)  # flagged: reported, not judged
        if root is None or (type(root) is str and proof_read):
            return None
        return "root must be hex text with a proof list"
    for name, types in (("id", int), ("receivedAt", int), *((n, str) for n in _TEXT)):
        if type(get(name)) is not types:
            return f"{name} is missing or not of type {types.__name__}"
    return "document is missing or not of type dict or str"


def _bytes32(text: object) -> bytes | None:
    if isinstance(text, str) and len(text) == 66 and text[:2] == "0x":
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            return None
    return None


def _linked_root(root: str | None, proof_ok: bool | None) -> str | None:
    """The root the event's story links are checked against: its batch's, unless its own proof leads elsewhere (then
    its finding says what is wrong with its batch); a proof the platform flags unreadable is not judged, and the
    links, proven apart, still are."""
    return None if proof_ok is False else root


def _leaf_value(hash_id: str) -> bytes | None:
    """The event's leaf value (its Event Hash ID's digest), ``None`` for a malformed ID."""
    try:
        return hash_id_to_bytes32(hash_id)
    except TraceError:
        return None


class EventChecker:
    """Checks stored events against the registry mirror (see :meth:`check`); keeps small caches between events."""

    def __init__(self, mirror: RegistryMirror) -> None:
        self.mirror = mirror
        self._proofs = ProofChecker()
        self._contexts: dict[str, tuple[HashContext, dict[str, str]]] = {}
        self._steps: dict[str, str] = {}
        self._allowed: dict[tuple[int, str], bool] = {}
        self._places: dict[str, str] = {}
        self._keys: dict[str, bytes] = {}
        self._last_context: tuple[object, tuple[HashContext, dict[str, str]]] = (object(), (hash_context(), {}))
        self._last_root: tuple[str, bytes | None] = ("", None)

    def check(self, record: Mapping[str, Any], *, anchoring_only: bool = False) -> Checked:
        """Check one record of the platform's event export.

        Args:
            record: The record (``GET /export/events``): ``id``, ``hashId``, ``organisationId``, ``keyId``,
                ``signature``, ``document`` (the stored JSON-LD, or its text when it is not JSON), ``receivedAt`` (ms),
                ``root`` and ``proof`` (or ``null``); compared with the document when present: ``recognition``
                (``{"id": ..., "statusAtCapture": ...}`` or ``null``), ``eventType``, ``eventTime`` (ms),
                ``bizStep``, ``bizLocation``, ``readPoint``.
            anchoring_only: Only check the proof (an event seen by an earlier run, not anchored then).

        Returns:
            The findings (``hash_mismatch``, ``bad_signature``, ``key_not_registered``,
            ``key_not_valid_at_event_time``, ``biz_step_not_allowed``, ``not_gtin_owner``, ``green_claim_*``,
            ``column_mismatch``, ``record_unreadable``),
            whether the proof leads to the root, and the event's chronology facts.
        """
        problem = _fields(record)
        if problem is not None:
            return _unreadable(record, problem)
        event_id: int = record["id"]
        hash_id: str = record["hashId"]
        org: str = record["organisationId"]
        received: int = record["receivedAt"]
        root: str | None = record.get("root")
        value = _leaf_value(hash_id)
        proof = record["proof"]
        proof_ok = None if root is None or type(proof) is not list else self._proof(root, proof, value)
        evidence = {"event_hash": hash_id, "event_id": event_id}
        # columns the platform flags unreadable: reported, the rest checked (an unsettled event: by the earlier run)
        found, record = ([], record) if anchoring_only else _flags(record, evidence)
        document = None if anchoring_only else self._document(record, hash_id, org, found, evidence)
        # the document as signed: checked now, or by the earlier run that left the event unsettled
        signed = record.get("document") if anchoring_only else document
        linked = self._links(record, signed, _linked_root(root, proof_ok), value, found, evidence)
        if anchoring_only:
            return Checked(event_id, hash_id, org, received, None, root, proof_ok, _named(found, hash_id, event_id),
                           (), *linked)  # fmt: skip
        if value is not None:
            self._signature(record, hash_id, org, found, evidence)
        key = self._key(record, document, root, found, evidence)
        if document is None:
            return Checked(event_id, hash_id, org, received, None, root, proof_ok, _named(found, hash_id, event_id),
                           (), *linked)  # fmt: skip
        columns = indexed_columns(document, canonical=self._place, step=self._step)
        event_ms = self._event_ms(document, record) if columns.event_time is None else columns.event_time
        at_s = event_ms // 1000
        if key is not None and key.org_id == org and not key.valid_at(at_s):
            until = "" if key.revoked_at is None else f", revoked at {iso_s(key.revoked_at)}"
            message = (
                f"key {record['keyId']} was not valid at the event time {iso_ms(event_ms)} "
                f"(valid from {iso_s(key.valid_from)}{until})"
            )
            found.append(finding("key_not_valid_at_event_time", org, message, **evidence))
        roles = self._roles_at(org, at_s)
        step = document.get("bizStep")
        if isinstance(step, str) and not self._step_allowed(roles, step):
            message = f"bizStep {step!r} is not allowed for {org}'s roles {roles.names()} at {iso_ms(event_ms)}"
            found.append(finding("biz_step_not_allowed", org, message, **evidence))
        refused = speaker_refusal(self.mirror, org, document, at_s)
        if refused is not None and refused.reason == NOT_GTIN_OWNER:  # nobody owning it then is no one's wrong
            found.append(finding("not_gtin_owner", org, refused.detail, **evidence))
        cited = cited_recognition(document)
        status = self.mirror.citation_status(cited, org, at_s) if isinstance(cited, int) else None
        found += _green_claim(cited, status, org, event_ms, evidence)
        differences = _column_differences(record, columns, cited, status)
        if differences:
            message = "the platform's record contradicts the signed document and the chain: " + "; ".join(differences)
            found.append(finding("column_mismatch", None, message, **evidence))
        facts = event_facts(
            document, columns.biz_step, org, retailer=BusinessRole.RETAILER in roles, place=columns.biz_location
        )
        named = _named(found, hash_id, event_id)
        return Checked(event_id, hash_id, org, received, event_ms, root, proof_ok, named, tuple(facts), *linked)

    # --- the parts ---

    def _links(  # noqa: PLR0917
        self,
        record: Mapping[str, Any],
        document: object,
        root: str | None,
        value: bytes | None,
        found: list[Finding],
        evidence: Mapping[str, Any],
    ) -> tuple[tuple[tuple[str, bytes | None, bytes], ...], int, bool]:
        """Check the story links an anchored event's record carries (``links``: ``identifier``, ``previous``,
        ``value``, ``proof``): each is the value :func:`~supplychain.links.link_value` gives, its proof leads to the
        event's root, and it names an identifier the event names (``link_wrong``); once one is given, every
        identifier the event names has one (``link_missing``). Returns the links read, how many there are, and
        whether the event must carry links. ``document``: the event as signed (``None`` when it is not: its
        identifiers are then not compared); ``root``: ``None`` unless the event's own proof leads to it (the event's
        finding then says what is wrong with its batch)."""
        raw = record.get("links", [])  # absent: none
        if root is None or value is None:
            return (), 0, False
        expected = document_identifiers(document) if isinstance(document, Mapping) else None
        if not isinstance(raw, list):
            found.append(finding("link_wrong", None, f"the record's links are not a list: {raw!r:.60}", **evidence))
            return (), 0, bool(expected)
        root_bytes = _bytes32(root)
        read: list[tuple[str, bytes | None, bytes]] = []
        for i, entry in enumerate(raw):
            try:
                identifier, previous, proof = entry["identifier"], entry["previous"], entry["proof"]
                if not isinstance(identifier, str) or not isinstance(proof, list):
                    raise TypeError("identifier must be text and proof a list")
                before = None if previous is None else hash_id_to_bytes32(previous)
            except (KeyError, TypeError, TraceError) as exc:
                message = f"story link {i} of the event's record cannot be read: {exc}"
                found.append(finding("link_wrong", None, message, **evidence))
                continue
            made = link_value(identifier, before, value)
            problems = []
            if entry.get("value") != "0x" + made.hex():
                problems.append("its value is not sha256(domain, identifier, previous, event)")
            if root_bytes is None or not self._proofs.verify(root_bytes, proof, made):
                problems.append(f"its proof does not lead to the event's root {root}")
            if expected is not None and identifier not in expected:
                problems.append("the event does not name that identifier")
            if problems:
                message = f"the story link of {identifier:.300} (after {previous}): " + "; ".join(problems)
                found.append(finding("link_wrong", None, message, **evidence))
            read.append((identifier, before, value))  # followed even when wrong: the next link is judged on its own
        if raw and expected is not None:
            given = {str(entry.get("identifier")) for entry in raw if isinstance(entry, Mapping)}
            for identifier in expected:
                if identifier not in given:
                    message = f"the event names {identifier:.300}, and no story link of its batch commits it"
                    found.append(finding("link_missing", None, message, **evidence))
        return tuple(read), len(raw), bool(expected)

    def _proof(self, root: str, proof: list[Any], value: bytes | None) -> bool:
        if root != self._last_root[0]:  # events come batch by batch: one root after the other
            self._last_root = (root, _bytes32(root))
        root_bytes = self._last_root[1]
        if root_bytes is None or value is None:
            return False
        return self._proofs.verify(root_bytes, proof, value)

    def _roles_at(self, org: str, at_s: int) -> BusinessRole:
        """``mirror.roles_at``, without the search for an organisation whose roles never changed."""
        state = self.mirror.organisations.get(org)
        if state is not None and len(state.roles_timeline) == 1:
            since, roles = state.roles_timeline[0]
            return roles if at_s >= since else BusinessRole(0)
        return self.mirror.roles_at(org, at_s)

    def _context(self, raw: object) -> tuple[HashContext, dict[str, str]]:
        if raw == self._last_context[0]:  # the common case: every event of the store has the same @context
            return self._last_context[1]
        cache_key = repr(raw)
        cached = self._contexts.get(cache_key)
        if cached is None:
            if len(self._contexts) >= _CACHE_SIZE:
                self._contexts.clear()
            cached = self._contexts[cache_key] = (hash_context(raw), context_namespaces(raw))
        self._last_context = (raw, cached)
        return cached

    def _document(
        self, record: Mapping[str, Any], hash_id: str, org: str, found: list[Finding], evidence: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The stored document when its Event Hash ID is the stored one (``@context`` moved aside), else ``None``."""
        document = record["document"]
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError:
                message = f"the stored document of {hash_id} is not JSON"
                found.append(finding("hash_mismatch", org, message, **evidence))
                return None
        if not isinstance(document, dict):
            found.append(finding("hash_mismatch", org, f"the stored document of {hash_id} is no object", **evidence))
            return None
        ctx, prefixes = self._context(document.pop("@context", None))
        try:
            computed = event_hash_id(document, ctx)
            if computed != hash_id and hashes_to(document, ctx, hash_id) == "legacy":
                computed = hash_id  # stored under the hashing rules before the reference's current source
        except (TraceError, ValueError, TypeError) as exc:
            computed = f"unhashable ({exc})"
        if computed != hash_id:
            message = f"the stored document hashes to {computed}, not to the stored {hash_id}"
            found.append(finding("hash_mismatch", org, message, **evidence))
            return None
        document["@context"] = prefixes  # the declared prefixes, for the extensions read later
        return document

    def _key(
        self,
        record: Mapping[str, Any],
        document: Mapping[str, Any] | None,
        root: str | None,
        found: list[Finding],
        evidence: dict[str, Any],
    ) -> KeyState | None:
        """The signing key as on chain: ``key_not_registered`` when it is not the organisation's, and
        ``signed_after_key_compromise`` when it was revoked as compromised before the event was anchored (or, not
        anchored yet, received): a signature is proven to exist only from then, so whoever stole the key could have
        made it, whatever time the event claims. (An event dated after the revocation is
        ``key_not_valid_at_event_time`` instead.)"""
        org: str = record["organisationId"]
        key = self.mirror.keys.get(self._key_bytes(record["keyId"]) or b"")
        if key is None or key.org_id != org:
            owner = "" if key is None else f" (it is {key.org_id}'s)"
            message = f"key {record['keyId']:.66} is not registered on chain for {org}{owner}"
            found.append(finding("key_not_registered", org, message, **evidence))
            return key
        if key.revoked_at is None or key.revoke_reason != ReasonCode.KEY_COMPROMISED:
            return key
        if document is not None and self._event_ms(document, record) >= key.revoked_at * 1000:
            return key
        anchor = self.mirror.anchors.get(_bytes32(root) or b"") if root is not None else None
        proven_ms = anchor.anchored_at * 1000 if anchor is not None else record["receivedAt"]
        if proven_ms >= key.revoked_at * 1000:
            how = (
                f"anchored at {iso_s(anchor.anchored_at)}" if anchor is not None else f"received at {iso_ms(proven_ms)}"
            )
            message = (
                f"key {record['keyId']:.66} was revoked as compromised at {iso_s(key.revoked_at)}, and this signature "
                f"exists only from when it was {how}: whoever stole the key could have made it"
            )
            found.append(finding("signed_after_key_compromise", None, message, **evidence))
        return key

    def _key_bytes(self, key_id: str) -> bytes | None:
        key = self._keys.get(key_id)
        if key is None and is_key_id(key_id):
            if len(self._keys) >= _CACHE_SIZE:
                self._keys.clear()
            key = self._keys[key_id] = bytes.fromhex(key_id[2:])
        return key

    def _signature(
        self, record: Mapping[str, Any], hash_id: str, org: str, found: list[Finding], evidence: dict[str, Any]
    ) -> None:
        key = self._key_bytes(record["keyId"])
        try:
            if key is None:
                raise ValueError(f"keyId {record['keyId']!r:.80} is not 0x + 64 lowercase hex digits")
            # the signed message of supplychain.signing.signature_message (hash_id is well formed: checked above)
            verify_message(
                key, SIGNATURE_DOMAIN + hash_id.encode(), decode_signature(record["signature"]), what=hash_id
            )
        except (TraceError, ValueError) as exc:  # the message names the Event Hash ID and the key
            found.append(finding("bad_signature", org, f"bad signature: {exc}", **evidence))

    @staticmethod
    def _event_ms(document: Mapping[str, Any], record: Mapping[str, Any]) -> int:
        text = document.get("eventTime")
        try:
            parsed = datetime.fromisoformat(text)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            fallback = record.get("eventTime")
            return fallback if type(fallback) is int else 0
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return (parsed - _EPOCH) // _MS

    def _step(self, step: object) -> str | None:
        if not isinstance(step, str):
            return None
        short = self._steps.get(step)
        if short is None:
            try:
                short = canonical_term(BIZ_STEP_VOCAB, step)
            except UnknownCbvTermError:
                short = step
            if len(self._steps) >= _CACHE_SIZE:
                self._steps.clear()
            self._steps[step] = short
        return short

    def _step_allowed(self, roles: BusinessRole, step: str) -> bool:
        cache_key = (int(roles), step)
        allowed = self._allowed.get(cache_key)
        if allowed is None:
            if len(self._allowed) >= _CACHE_SIZE:
                self._allowed.clear()
            allowed = self._allowed[cache_key] = allowed_biz_step(roles.names(), step)
        return allowed

    def _place(self, place: str) -> str:
        canonical = self._places.get(place)
        if canonical is None:
            if len(self._places) >= _CACHE_SIZE:
                self._places.clear()
            canonical = self._places[place] = identifier_node(place)
        return canonical


def _named(found: list[Finding], hash_id: str, event_id: int) -> tuple[Finding, ...]:
    """The findings, each message led by the event's name (:func:`~supplychain.audit.event_label`)."""
    if not found:
        return ()
    label = event_label(hash_id, event_id)
    return tuple(replace(f, message=f"{label}: {f.message}") for f in found)


def _green_claim(
    cited: int | str | None, status: str | None, org: str, event_ms: int, evidence: dict[str, Any]
) -> list[Finding]:
    """The finding on the recognition the signed document cites, by its status at the event time on chain."""
    if cited is None or status == "IN_FORCE":
        return []
    if isinstance(cited, str):
        return [finding("green_claim_unfounded", org, f"the event's {cited} names no recognition", **evidence)]
    code = "green_claim_while_lapsed" if status in _LAPSED else "green_claim_unfounded"
    message = f"the event cites recognition {cited}, which was {status} for {org} at the event time {iso_ms(event_ms)}"
    return [finding(code, org, message, **evidence)]


_COLUMNS = (("eventType", 0), ("eventTime", 1), ("bizStep", 2), ("bizLocation", 3), ("readPoint", 4))


def _column_differences(
    record: Mapping[str, Any], columns: IndexedColumns, cited: int | str | None, status: str | None
) -> list[str]:
    """What the platform's record says otherwise than the signed document (its indexed columns, the recognition it
    cites) and the chain (that recognition's status at the event time); a column the record leaves out is not
    compared."""
    out = []
    for name, index in _COLUMNS:
        if name in record and record[name] != columns[index]:
            stored, derived = record[name], columns[index]
            if name == "eventTime":  # as times people read
                stored = iso_ms(stored) if type(stored) is int else stored
                derived = None if derived is None else iso_ms(int(derived))
            out.append(f"{name} {stored!r:.80}, signed {derived!r:.80}")
    if "recognition" not in record:
        return out
    recorded = record["recognition"]
    stored_id = recorded.get("id") if isinstance(recorded, dict) else None
    cited_id = cited if isinstance(cited, int) else None
    if stored_id != cited_id:
        out.append(f"recognition {stored_id!r:.40}, signed {cited_id!r}")
    elif cited_id is not None and isinstance(recorded, dict):
        stored_status = recorded.get("statusAtCapture")
        if stored_status is not None and stored_status != status:
            out.append(f"recognition {cited_id} status at the event time {stored_status!r:.40}, on chain {status!r}")
    return out
