"""The result of verifying a credential: checks with stable reason codes, validity, and the current status."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from supplychain.credentials._build import iso_time
from supplychain.credentials._vocab import reason_label
from supplychain.registry import ReasonCode

__all__ = ["FAILURE_CODES", "STATUS_CODES", "CredentialCheck", "CredentialStatus", "CredentialVerdict", "StatusReason"]

FAILURE_CODES = frozenset(
    {
        "malformed",
        "bad_signature",
        "key_not_issuer",
        "other_chain",
        "other_registry",
        "unknown_recognition",
        "issuer_mismatch",
        "issuer_not_certifier",
        "claims_mismatch",
        "evidence_mismatch",
    }
)
"""Stable codes of failed checks that make a credential invalid (``CredentialCheck.code``)."""


class CredentialStatus(StrEnum):
    """The recognition's status at the time of the check; ``unknown`` when no recognition could be looked up."""

    IN_FORCE = "in_force"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    UNKNOWN = "unknown"


STATUS_CODES = frozenset(s.value for s in CredentialStatus if s is not CredentialStatus.IN_FORCE)
"""Codes of the ``status`` check when the recognition is not in force."""


@dataclass(frozen=True, slots=True)
class CredentialCheck:
    """One check and its outcome.

    Attributes:
        name: What was checked (stable): ``format``, ``signature``, ``key``, ``chain``, ``registry``,
            ``recognition``, ``issuer``, ``certifier``, ``claims``, ``evidence``, ``status``.
        passed: True, False, or None when it could not be made (``evidence`` without a document).
        detail: What was found, for people.
        code: A stable code when not passed (:data:`FAILURE_CODES`, or for ``status`` :data:`STATUS_CODES`).
    """

    name: str
    passed: bool | None
    detail: str
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"name", "passed", "code", "detail"}``."""
        return {"name": self.name, "passed": self.passed, "code": self.code, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class StatusReason:
    """The reason code of the recognition's last status change (the registry's ``ReasonCode``)."""

    code: int

    @property
    def name(self) -> str | None:
        """The enum name (``SPOT_CHECK_FAILED``), ``None`` for a code the registry does not define."""
        try:
            return ReasonCode(self.code).name
        except ValueError:
            return None

    def label(self, lang: str = "en") -> str:
        """``spot check failed`` / ``抽查不合格``; ``reason 42`` for an undefined code."""
        labels = reason_label(self.code)
        if labels is None:
            return f"reason {self.code}"
        return labels[0] if lang == "zh" else labels[1]

    def to_json(self) -> dict[str, Any]:
        """``{"code", "name", "en", "zh"}``."""
        return {"code": self.code, "name": self.name, "en": self.label("en"), "zh": self.label("zh")}


@dataclass(frozen=True, slots=True)
class CredentialVerdict:
    """What a verifier concludes about a credential, against the chain at ``checked_at``.

    Attributes:
        valid: The signature, the issuer's authority and every attested claim check against the chain.
        in_force: Valid, and the recognition is in force at ``checked_at``.
        status: The recognition's status at ``checked_at`` (``unknown`` when it could not be looked up).
        status_since: When that status began (Unix seconds): the suspension or revocation, the expiry, the start of
            validity or the last reinstatement; ``None`` when unknown or not yet valid.
        status_reason: The reason code of the last status change (suspension, revocation or reinstatement).
        reason: The first failure code, else the status code when not in force, else ``None``.
        checks: Every check made, in order.
        checked_at: The time of the check (Unix seconds, the chain's clock).
        recognition_id: The recognition the credential refers to, when readable.
        issuer: The issuer's did:pkh, when readable.
        holder: The holder the chain records (or, when the recognition is unknown, the one the credential names).
        mismatched_fields: The attested fields that differ from the chain (``holder``, ``kind``, ``level``...).
        recognition: The recognition as on chain (JSON form), when found.
    """

    valid: bool
    in_force: bool
    status: CredentialStatus
    status_since: int | None
    status_reason: StatusReason | None
    reason: str | None
    checks: tuple[CredentialCheck, ...]
    checked_at: int
    recognition_id: int | None = None
    issuer: str | None = None
    holder: str | None = None
    mismatched_fields: tuple[str, ...] = ()
    recognition: dict[str, Any] | None = field(default=None, hash=False, compare=False)

    @property
    def reasons(self) -> list[str]:
        """Every failure code, in check order (status codes included when valid but not in force)."""
        return [c.code for c in self.checks if c.passed is False and c.code is not None]

    @property
    def message(self) -> str:
        """One line for people: the outcome and why."""
        if not self.valid:
            failed = next(c for c in self.checks if c.passed is False and c.code in FAILURE_CODES)
            return f"invalid credential ({failed.code}): {failed.detail}"
        what = f"recognition {self.recognition_id} of {self.holder}"
        if self.in_force:
            return f"valid credential; {what} is in force"
        status = next(c for c in self.checks if c.name == "status")
        return f"valid credential, but {what} is not in force: {status.detail}"

    def to_json(self) -> dict[str, Any]:
        """JSON form (times as RFC 3339 UTC and as Unix seconds)."""
        return {
            "valid": self.valid,
            "inForce": self.in_force,
            "status": self.status.value,
            "statusSince": iso_time(self.status_since) if self.status_since is not None else None,
            "statusSinceTimestamp": self.status_since,
            "statusReason": self.status_reason.to_json() if self.status_reason else None,
            "reason": self.reason,
            "reasons": self.reasons,
            "message": self.message,
            "mismatchedFields": list(self.mismatched_fields),
            "checkedAt": iso_time(self.checked_at),
            "checkedAtTimestamp": self.checked_at,
            "recognitionId": self.recognition_id,
            "issuer": self.issuer,
            "holder": self.holder,
            "recognition": self.recognition,
            "checks": [c.to_json() for c in self.checks],
        }
