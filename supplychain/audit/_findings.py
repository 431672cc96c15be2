"""Findings: a stable code, a severity, the organisation concerned, the evidence and a message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from supplychain.eventhash.short import short_hash_id

__all__ = ["CODES", "Finding", "Severity", "event_label", "finding", "iso_ms", "iso_s"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Severity(StrEnum):
    """How serious a finding is; ``critical`` and ``high`` make the audit fail (exit code 1)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most serious."""
        return _RANKS[self]

    @property
    def serious(self) -> bool:
        """Whether findings of this severity fail the audit."""
        return self in (Severity.CRITICAL, Severity.HIGH)


_RANKS = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.INFO: 3}

CODES: Mapping[str, tuple[Severity, str]] = {
    # one stored event
    # high, not critical: no signed data is shown false, but the platform cannot serve what its pages and queries
    # need from this record (an event left out of a story hides it as surely as a deletion would)
    "record_unreadable": (
        Severity.HIGH,
        "a record of the export cannot be read (missing or malformed fields), or the platform flags stored columns of "
        "it as unreadable (damaged storage): the platform's fault, whoever signed the event",
    ),
    "hash_mismatch": (Severity.CRITICAL, "the Event Hash ID recomputed from the stored document is not the stored one"),
    "bad_signature": (Severity.CRITICAL, "the signature does not verify over the Event Hash ID with its key"),
    "key_not_registered": (Severity.CRITICAL, "the signing key is not registered on chain for that organisation"),
    "key_not_valid_at_event_time": (Severity.CRITICAL, "the signing key was not valid at the event time"),
    "signed_after_key_compromise": (
        Severity.CRITICAL,
        "signed with a key revoked as compromised before the signature was anchored (or received): whoever stole the "
        "key could have made it, whatever time the event claims",
    ),
    "biz_step_not_allowed": (Severity.HIGH, "the bizStep is not allowed for the organisation's roles at that time"),
    "not_gtin_owner": (
        Severity.HIGH,
        "the event commissions or makes items of a GTIN that another organisation owned then, without its delegation",
    ),
    "column_mismatch": (
        Severity.HIGH,
        "the platform's record of an event (an indexed column its queries and pages use, or the recognition cited and "
        "its status) is not what the signed document and the chain say",
    ),
    "proof_invalid": (Severity.CRITICAL, "the Merkle proof does not lead to the event's root"),
    # story links (supplychain.links): what makes a dropped event visible to a scanner
    "link_missing": (Severity.CRITICAL, "an anchored event names an identifier, and no story link commits it"),
    "link_wrong": (
        Severity.CRITICAL,
        "a committed story link is not the one the events give (value, proof, identifier or the event before it)",
    ),
    "root_not_on_chain": (Severity.CRITICAL, "the event's root is neither on chain nor a batch the platform lists"),
    "anchored_late": (Severity.MEDIUM, "anchored after the deadline the platform promised in its receipt"),
    "anchored_before_event_time": (
        Severity.HIGH,
        "anchored (so it existed) well before the time the signed event claims: the signer post-dated it",
    ),
    "received_after_anchor": (
        Severity.HIGH,
        "the platform's receipt time of an event is after the event was anchored: its record of the receipt is false",
    ),
    "not_anchored": (Severity.HIGH, "not anchored although its deadline has passed"),
    # what an earlier run audited (supplychain.audit._seal)
    "audited_event_changed": (Severity.CRITICAL, "an event's record is no longer the one an earlier run audited"),
    "audited_event_missing": (Severity.CRITICAL, "an event an earlier run audited is no longer in the export"),
    "event_inserted_into_audited_range": (
        Severity.CRITICAL,
        "an event appeared below the last id an earlier run audited (stored behind the audit's back)",
    ),
    # batches and roots
    "batch_not_on_chain": (Severity.CRITICAL, "a batch the platform lists as anchored is not on chain"),
    "leaf_withheld": (Severity.CRITICAL, "an anchored root has leaves the platform's records do not hold"),
    "leaf_count_mismatch": (Severity.HIGH, "the platform's leaf count of a batch is not the on-chain leafCount"),
    "root_unknown_to_platform": (Severity.CRITICAL, "a root the platform's anchorer anchored is not in its export"),
    "root_unattributed": (
        Severity.INFO,
        "a root on chain, anchored by an account none of the platform's exported roots shows, is not in its export",
    ),
    "anchor_remade": (Severity.INFO, "the batch's anchor was re-made after a dev-chain reset"),
    "batch_anchor_mismatch": (
        Severity.HIGH,
        "the platform's record of a batch's anchor (block, sequence, transaction) is missing or not the chain's: every "
        "proof bundle of the batch then fails for consumers",
    ),
    # product master data
    "master_data_invalid": (
        Severity.HIGH,
        "product master data whose hash, signature, signer's key or authority over the GTIN does not hold",
    ),
    # green claims
    "green_claim_while_lapsed": (Severity.HIGH, "the event cites a recognition suspended, revoked or expired then"),
    "green_claim_unfounded": (Severity.HIGH, "the event cites an unknown recognition, another's, or one not yet valid"),
    # chronology
    "chronology_shipped_before_produced": (Severity.MEDIUM, "shipped before it was produced (commissioned)"),
    "chronology_sold_before_received": (Severity.MEDIUM, "sold by a retailer before that retailer received it"),
    "chronology_sold_before_produced": (Severity.HIGH, "sold before it was produced (commissioned): impossible"),
    "chronology_two_places_at_once": (
        Severity.MEDIUM,
        "one serial at two places within the time window, with no recorded arrival at the later one",
    ),
}
"""Every finding code: its severity and what it means."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the audit found.

    Attributes:
        code: A key of :data:`CODES` (stable: tooling may match on it).
        severity: The code's severity.
        organisation: The organisation concerned (the event's signer), or ``None`` for the platform's own records.
        message: What was found, with the values that show it.
        event_hash: The Event Hash ID concerned.
        event_id: The platform's record id of the event.
        batch_root: The Merkle root concerned (``0x`` hex).
        block: The block of the anchor concerned.
        tx: The transaction of the anchor concerned.
        item: The item concerned (a serial's or a lot's identifier, as the event names it).
    """

    code: str
    severity: Severity
    organisation: str | None
    message: str
    event_hash: str | None = None
    event_id: int | None = None
    batch_root: str | None = None
    block: int | None = None
    tx: str | None = None
    item: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON data (evidence members left out when unknown)."""
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "organisation": self.organisation,
            "message": self.message,
        }
        evidence = {
            "eventHash": self.event_hash,
            "eventId": self.event_id,
            "batchRoot": self.batch_root,
            "block": self.block,
            "tx": self.tx,
            "item": self.item,
        }
        out["evidence"] = {k: v for k, v in evidence.items() if v is not None}
        return out


def finding(code: str, organisation: str | None, message: str, **evidence: Any) -> Finding:
    """A finding of ``code`` with its severity from :data:`CODES`.

    Raises:
        KeyError: ``code`` is not a known code.
    """
    return Finding(code, CODES[code][0], organisation, message, **evidence)


def iso_ms(ms: int) -> str:
    """A time in milliseconds since the epoch as ISO 8601 in UTC, with its zone (``2026-01-01T08:00:00.250Z``)."""
    when = _EPOCH + timedelta(milliseconds=ms)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def iso_s(seconds: int) -> str:
    """A time in seconds since the epoch (a block time) as ISO 8601 in UTC, with its zone (``2026-01-01T08:00:00Z``)."""
    return (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_label(hash_id: str, event_id: int | None = None) -> str:
    """How a finding names an event: ``event 3f9a1c2b7d0e`` (the Event Hash ID's short form, as the scanner shows it),
    with the platform's record id when known (``event 3f9a1c2b7d0e (record 17)``)."""
    label = f"event {short_hash_id(hash_id)}"
    return label if event_id is None else f"{label} (record {event_id})"
