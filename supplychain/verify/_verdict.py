"""The result of verifying a proof bundle: checks with stable codes, per event and for the bundle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from supplychain.registry import Grade, Level, RecognitionKind, Scope

__all__ = [
    "FAILURE_CODES",
    "INCOMPLETE_CODES",
    "Check",
    "EventVerdict",
    "GreenInfo",
    "MasterDataVerdict",
    "RecognitionInfo",
    "ReferenceVerdict",
    "Verdict",
    "VerdictStatus",
]

FAILURE_CODES = frozenset(
    {
        "other_chain",
        "other_registry",
        "other_product",
        "malformed_envelope",
        "malformed_event",
        "hash_mismatch",
        "bad_signature",
        "key_not_registered",
        "key_not_yet_valid",
        "key_revoked",
        "key_compromised",
        "organisation_not_registered",
        "organisation_suspended",
        "role_not_allowed",
        "proof_invalid",
        "root_not_anchored",
        "anchor_mismatch",
        "event_after_anchor",
        "event_in_future",
        "malformed_master_data",
        "master_data_other_product",
        "master_data_hash_mismatch",
        "not_gtin_owner",
        "recognition_not_held",
        "published_after_anchor",
        "received_before_event",
        "received_after_anchor",
        "duplicate_event",
        "unrelated_event",
        "event_before_origin",
        "unpacked_never_packed",
        "link_invalid",
        "event_dropped",
        "citation_not_in_force",
        "malformed_citation",
        "link_missing",
    }
)
"""Stable codes of failed checks (``Check.code`` when ``passed`` is False)."""

INCOMPLETE_CODES = frozenset(
    {
        "not_anchored",
        "no_events",
        "product_not_found",
        "registry_not_pinned",
        "received_not_shipped",
        "sold_without_receipt",
        "origin_missing",
        "event_not_shown",
        "links_not_covered",
        "completeness_unproven",
    }
)
"""Stable codes of checks that could not be made yet (``Check.code`` when ``passed`` is None)."""


class VerdictStatus(StrEnum):
    """Overall outcome: all checks passed; one failed; none failed but some could not be made yet."""

    VERIFIED = "verified"
    FAILED = "failed"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class Check:
    """One check and its outcome.

    Attributes:
        name: What was checked (stable): ``chain``, ``registry``, ``envelope``, ``event``, ``event_hash``,
            ``signature``, ``key``, ``organisation``, ``role``, ``clock``, ``proof``, ``anchor``,
            ``chronology``, ``receipt``, and for the bundle ``requested``, ``events``, ``product``, then the story's
            ``duplicates``, ``story``, ``chronology``, ``custody``, ``origins`` (:mod:`supplychain.verify._story`) and
            ``links`` (:mod:`supplychain.verify._links`).
        passed: True, False (failed), or None (could not be made yet: e.g. the event is not anchored).
        detail: What was found, for people.
        code: A stable code when not passed (see :data:`FAILURE_CODES`, :data:`INCOMPLETE_CODES`).
    """

    name: str
    passed: bool | None
    detail: str
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"name", "passed", "code", "detail"}``."""
        return {"name": self.name, "passed": self.passed, "code": self.code, "detail": self.detail}


def _status(checks: tuple[Check, ...]) -> VerdictStatus:
    if any(c.passed is False for c in checks):
        return VerdictStatus.FAILED
    if any(c.passed is None for c in checks):
        return VerdictStatus.INCOMPLETE
    return VerdictStatus.VERIFIED


@dataclass(frozen=True, slots=True)
class RecognitionInfo:
    """A green recognition as it stood (information shown with an event, never a failure)."""

    recognition_id: int
    kind: RecognitionKind
    level: Level
    grade: Grade
    scope: Scope
    subject: str
    standard_ref: str
    in_force_now: bool | None

    def to_json(self) -> dict[str, Any]:
        """JSON form; enums by name."""
        return {
            "recognitionId": self.recognition_id,
            "kind": self.kind.name,
            "level": self.level.name,
            "grade": self.grade.name,
            "scope": self.scope.name,
            "subject": self.subject,
            "standardRef": self.standard_ref,
            "inForceNow": self.in_force_now,
        }


@dataclass(frozen=True, slots=True)
class GreenInfo:
    """The recognitions an event's organisation held, in force at the event's time.

    Attributes:
        organisation_id: The organisation.
        at: The event time (seconds).
        recognitions: Those in force then (``in_force_now`` filled when the verifier was given ``now``).
    """

    organisation_id: str
    at: int
    recognitions: tuple[RecognitionInfo, ...]

    @property
    def green_factory(self) -> bool:
        """Whether a green-factory recognition was in force."""
        return any(r.kind == RecognitionKind.GREEN_FACTORY for r in self.recognitions)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "organisationId": self.organisation_id,
            "at": self.at,
            "recognitions": [r.to_json() for r in self.recognitions],
        }


@dataclass(frozen=True, slots=True)
class EventVerdict:
    """The checks of one event of the bundle.

    Attributes:
        index: Its position in the bundle.
        hash_id: Its claimed Event Hash ID (``None`` if the envelope is unreadable).
        organisation_id: The claimed signer.
        event_time: When it happened (``None`` if the event is unreadable).
        biz_step: Its bizStep.
        checks: Every check made, in order.
        green: The organisation's green status at the event's time (information only).
    """

    index: int
    hash_id: str | None
    organisation_id: str | None
    event_time: datetime | None
    biz_step: str | None
    checks: tuple[Check, ...]
    green: GreenInfo | None = None

    @property
    def status(self) -> VerdictStatus:
        """Failed if a check failed, incomplete if one could not be made, else verified."""
        return _status(self.checks)

    @property
    def failures(self) -> tuple[str, ...]:
        """Codes of the failed checks."""
        return tuple(c.code or c.name for c in self.checks if c.passed is False)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "index": self.index,
            "eventHashId": self.hash_id,
            "organisationId": self.organisation_id,
            "eventTime": None if self.event_time is None else self.event_time.isoformat(),
            "bizStep": self.biz_step,
            "status": self.status.value,
            "checks": [c.to_json() for c in self.checks],
            "green": None if self.green is None else self.green.to_json(),
        }


@dataclass(frozen=True, slots=True)
class MasterDataVerdict:
    """The checks of a bundle's product master data (its signature, its signer's key and authority, its anchor).

    Attributes:
        gtin: The GTIN it is about (``None`` when the envelope is unreadable).
        organisation_id: The signer.
        version: Its version.
        names: The product's name by language (``zh-CN``, ``en``).
        valid_from: When it was published (s), the time its signer is judged at.
        checks: Every check made, in order.
        recognition: The green product (绿色设计产品) recognition it cites, if any.
        recognition_in_force_now: Whether that recognition is in force now (when the verifier was given ``now``).
    """

    gtin: str | None
    organisation_id: str | None
    version: int | None
    names: dict[str, str]
    valid_from: int | None
    checks: tuple[Check, ...]
    recognition: int | None = None
    recognition_in_force_now: bool | None = None

    @property
    def status(self) -> VerdictStatus:
        """Failed if a check failed, incomplete if one could not be made, else verified."""
        return _status(self.checks)

    def name(self, lang: str) -> str | None:
        """The product's name in ``lang`` (``zh``/``zh-CN`` or ``en``), else in the other language."""
        wanted = "en" if lang.lower().startswith("en") else "zh-CN"
        return self.names.get(wanted) or next(iter(self.names.values()), None)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "gtin": self.gtin,
            "organisationId": self.organisation_id,
            "version": self.version,
            "names": self.names,
            "validFrom": self.valid_from,
            "greenProductRecognition": self.recognition,
            "recognitionInForceNow": self.recognition_in_force_now,
            "status": self.status.value,
            "checks": [c.to_json() for c in self.checks],
        }


@dataclass(frozen=True, slots=True)
class ReferenceVerdict:
    """The checks of an event the bundle names by reference only (``summarised``): its signature, its key and its
    anchor. Its content was not in the bundle, so the rest is the platform's word and is not checked.

    Attributes:
        index: Its position in ``summarised.events``.
        hash_id: Its Event Hash ID.
        organisation_id: The signer.
        reason: Why it is only referenced (``outside_custody``, ``too_many_identifiers``).
        event_type: Its type, as the platform says.
        event_time: Its event time (seconds), as the platform says.
        biz_step: Its bizStep, as the platform says.
        identifier_count: How many identifiers it names, as the platform says.
        checks: ``signature``, ``key``, then ``proof`` and ``anchor`` (or ``anchor`` not made: ``not_anchored``).
    """

    index: int
    hash_id: str
    organisation_id: str
    reason: str
    event_type: str
    event_time: int
    biz_step: str | None
    identifier_count: int
    checks: tuple[Check, ...]

    @property
    def failures(self) -> tuple[str, ...]:
        """Codes of the failed checks."""
        return tuple(c.code or c.name for c in self.checks if c.passed is False)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "index": self.index,
            "eventHashId": self.hash_id,
            "organisationId": self.organisation_id,
            "reason": self.reason,
            "eventType": self.event_type,
            "eventTime": self.event_time,
            "bizStep": self.biz_step,
            "identifierCount": self.identifier_count,
            "status": _status(self.checks).value,
            "checks": [c.to_json() for c in self.checks],
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The verification of a proof bundle.

    Attributes:
        product: The bundle's product identifier.
        chain_id: The chain the verifier was asked to trust.
        registry_address: The registry the verifier was asked to trust.
        checks: Bundle-level checks (chain, registry, events present, product found).
        events: One verdict per event, in bundle order.
        master_data: The verdict of the product's master data, when the bundle carries some.
        summarised: One verdict per event the bundle names by reference only, in bundle order.
        summarised_counts: How many events the platform says it summarised, by reason (listed or not).
    """

    product: str
    chain_id: int
    registry_address: str
    checks: tuple[Check, ...]
    events: tuple[EventVerdict, ...]
    master_data: MasterDataVerdict | None = None
    summarised: tuple[ReferenceVerdict, ...] = ()
    summarised_counts: Mapping[str, int] = field(default_factory=dict)

    def _all_checks(self) -> tuple[Check, ...]:
        extra = self.master_data.checks if self.master_data is not None else ()
        return self.checks + tuple(c for e in self.events for c in e.checks) + extra

    @property
    def status(self) -> VerdictStatus:
        """Failed if any check failed anywhere (a summarised event's included), incomplete if one of the bundle's,
        its events' or its master data's checks could not be made, else verified. A summarised event not anchored
        yet leaves the verdict as it is: it is not part of what the bundle shows."""
        if any(r.failures for r in self.summarised):
            return VerdictStatus.FAILED
        return _status(self._all_checks())

    @property
    def failures(self) -> tuple[str, ...]:
        """Every failure code, each once, in order met."""
        codes = [c.code or c.name for c in self.checks if c.passed is False]
        codes += [code for e in self.events for code in e.failures]
        if self.master_data is not None:
            codes += [c.code or c.name for c in self.master_data.checks if c.passed is False]
        codes += [code for r in self.summarised for code in r.failures]
        return tuple(dict.fromkeys(codes))

    @property
    def pending(self) -> tuple[str, ...]:
        """Every code of a check that could not be made (a gap in the story, an event not anchored...), each once."""
        return tuple(dict.fromkeys(c.code or c.name for c in self._all_checks() if c.passed is None))

    def to_json(self) -> dict[str, Any]:
        """JSON form, for the scanner's and the audit's reports."""
        return {
            "status": self.status.value,
            "product": self.product,
            "chainId": self.chain_id,
            "registryAddress": self.registry_address,
            "checks": [c.to_json() for c in self.checks],
            "events": [e.to_json() for e in self.events],
            "masterData": None if self.master_data is None else self.master_data.to_json(),
            "summarised": {
                "counts": dict(self.summarised_counts),
                "events": [r.to_json() for r in self.summarised],
            },
        }
