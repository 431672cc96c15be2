"""The registry's events as plain typed records, the unit of its history.

:mod:`chain` decodes the registry's logs into these records; :class:`~supplychain.registry.mirror.RegistryMirror`
folds them, in chain order, into a state that answers "as at time T" questions. Nothing here talks to a node.
Times are block timestamps (seconds since the epoch, UTC); ids are the registry's text ids (GLN or USCC).
"""

from __future__ import annotations

from dataclasses import dataclass

from supplychain.registry.types import BusinessRole, Grade, Level, RecognitionKind, Scope

__all__ = [
    "CertifierLevelChanged",
    "DelegationRevoked",
    "GtinsDelegated",
    "KeyAdded",
    "KeyRevoked",
    "LogPosition",
    "OrganisationRegistered",
    "OrganisationReinstated",
    "OrganisationSuspended",
    "OrganisationUpdated",
    "PrefixAssigned",
    "PrefixRenewed",
    "PrefixRevoked",
    "PrefixTransferred",
    "RecognitionIssued",
    "RecognitionReinstated",
    "RecognitionRevoked",
    "RecognitionSuspended",
    "RecognitionTerms",
    "RegistryEvent",
    "RoleGranted",
    "RoleRevoked",
    "RootAnchored",
    "SpotCheckExemptionGranted",
    "SpotCheckRecorded",
]


@dataclass(frozen=True, slots=True, order=True)
class LogPosition:
    """Where a log sits in the chain: its block, its index in the block, its transaction."""

    block_number: int
    log_index: int
    tx_hash: str = ""


@dataclass(frozen=True, slots=True)
class _Event:
    position: LogPosition
    timestamp: int


@dataclass(frozen=True, slots=True)
class RoleGranted(_Event):
    """OpenZeppelin ``RoleGranted``: ``account`` got ``role`` (keccak256 of e.g. ``ANCHORER_ROLE``)."""

    role: bytes
    account: str
    sender: str


@dataclass(frozen=True, slots=True)
class RoleRevoked(_Event):
    """OpenZeppelin ``RoleRevoked``."""

    role: bytes
    account: str
    sender: str


@dataclass(frozen=True, slots=True)
class CertifierLevelChanged(_Event):
    """A certifier's highest grantable level changed (0 = removed)."""

    certifier: str
    previous_level: int
    new_level: int


@dataclass(frozen=True, slots=True)
class OrganisationRegistered(_Event):
    """An organisation was registered."""

    org_id: str
    roles: BusinessRole
    profile_hash: bytes
    profile_uri: str


@dataclass(frozen=True, slots=True)
class OrganisationUpdated(_Event):
    """An organisation's roles or profile changed."""

    org_id: str
    roles: BusinessRole
    profile_hash: bytes
    profile_uri: str


@dataclass(frozen=True, slots=True)
class OrganisationSuspended(_Event):
    """An organisation was suspended."""

    org_id: str
    reason: int


@dataclass(frozen=True, slots=True)
class OrganisationReinstated(_Event):
    """An organisation's suspension was lifted."""

    org_id: str
    reason: int


@dataclass(frozen=True, slots=True)
class KeyAdded(_Event):
    """An Ed25519 event-signing key became valid for an organisation."""

    org_id: str
    key: bytes


@dataclass(frozen=True, slots=True)
class KeyRevoked(_Event):
    """An event-signing key stopped being valid."""

    org_id: str
    key: bytes
    reason: int


@dataclass(frozen=True, slots=True)
class RecognitionTerms:
    """What a certifier stated when it issued a recognition.

    Attributes:
        holder: The recognised organisation's id.
        subject: GLN of the facility or GTIN of the product; ``""`` for the whole enterprise.
        standard_ref: The evaluation standard, e.g. ``GB/T 36132-2018``.
        valid_until: End of validity (exclusive), or ``None`` when valid until revoked.
        evidence_hash: SHA-256 of the evaluation report's bytes (``sha256sum`` checks it); the report stays with
            its owner.
    """

    holder: str
    kind: RecognitionKind
    level: Level
    grade: Grade
    scope: Scope
    subject: str
    standard_ref: str
    valid_from: int
    valid_until: int | None
    evidence_hash: bytes


@dataclass(frozen=True, slots=True)
class RecognitionIssued(_Event):
    """A certifier issued a recognition."""

    recognition_id: int
    issuer: str
    terms: RecognitionTerms


@dataclass(frozen=True, slots=True)
class RecognitionSuspended(_Event):
    """A recognition was suspended by its issuer or the regulator."""

    recognition_id: int
    holder: str
    by: str
    reason: int


@dataclass(frozen=True, slots=True)
class RecognitionReinstated(_Event):
    """A suspended recognition was reinstated."""

    recognition_id: int
    holder: str
    by: str
    reason: int


@dataclass(frozen=True, slots=True)
class RecognitionRevoked(_Event):
    """A recognition was revoked for good (摘牌)."""

    recognition_id: int
    holder: str
    by: str
    reason: int


@dataclass(frozen=True, slots=True)
class SpotCheckRecorded(_Event):
    """The regulator recorded a spot check (抽查) of a recognition."""

    recognition_id: int
    holder: str
    passed: bool
    report_hash: bytes
    consecutive_passes: int


@dataclass(frozen=True, slots=True)
class SpotCheckExemptionGranted(_Event):
    """Three passes in a row: the recognition is exempt from spot checks until ``exempt_until``."""

    recognition_id: int
    holder: str
    exempt_until: int


@dataclass(frozen=True, slots=True)
class RootAnchored(_Event):
    """A Merkle root of a batch of Event Hash IDs was anchored."""

    root: bytes
    sequence: int
    anchorer: str
    leaf_count: int


@dataclass(frozen=True, slots=True)
class PrefixAssigned(_Event):
    """A GS1 registrar assigned a GS1 Company Prefix to an organisation, held from the event's time.

    Attributes:
        prefix: The prefix's digits (4 to 12, leading zeros kept).
        valid_until: End of validity (exclusive), or ``None`` when open.
    """

    prefix: str
    org_id: str
    registrar: str
    valid_until: int | None


@dataclass(frozen=True, slots=True)
class PrefixTransferred(_Event):
    """A GS1 registrar transferred a live prefix: ``from_org``'s holding ends and ``to_org``'s starts now."""

    prefix: str
    from_org: str
    to_org: str
    registrar: str


@dataclass(frozen=True, slots=True)
class PrefixRenewed(_Event):
    """A GS1 registrar renewed the licence of a live prefix: the holding ends and a new one of the same organisation
    starts now, until ``valid_until`` (``None``: open)."""

    prefix: str
    org_id: str
    registrar: str
    valid_until: int | None


@dataclass(frozen=True, slots=True)
class PrefixRevoked(_Event):
    """A GS1 registrar revoked a live prefix of ``org_id``; its numbers may be assigned again."""

    prefix: str
    org_id: str
    registrar: str
    reason: int


@dataclass(frozen=True, slots=True)
class GtinsDelegated(_Event):
    """A GS1 registrar filed, on ``owner``'s signed request, the delegation of GTINs to a contract manufacturer.

    Attributes:
        prefix: The owner's prefix the GTINs are under.
        first_item: First item reference covered (the digits after the prefix, before the check digit, as a number).
        last_item: Last item reference covered (inclusive); every indicator digit is covered.
        valid_from: Start of the delegation.
        valid_until: End (exclusive), or ``None`` until revoked.
        request_hash: SHA-256 of the owner's signed request.
    """

    delegation_id: int
    owner: str
    delegate: str
    prefix: str
    first_item: int
    last_item: int
    valid_from: int
    valid_until: int | None
    request_hash: bytes
    registrar: str


@dataclass(frozen=True, slots=True)
class DelegationRevoked(_Event):
    """A GS1 registrar revoked a delegation from the event's time on."""

    delegation_id: int
    owner: str
    delegate: str
    registrar: str
    reason: int


RegistryEvent = (
    RoleGranted
    | RoleRevoked
    | CertifierLevelChanged
    | OrganisationRegistered
    | OrganisationUpdated
    | OrganisationSuspended
    | OrganisationReinstated
    | KeyAdded
    | KeyRevoked
    | RecognitionIssued
    | RecognitionSuspended
    | RecognitionReinstated
    | RecognitionRevoked
    | SpotCheckRecorded
    | SpotCheckExemptionGranted
    | RootAnchored
    | PrefixAssigned
    | PrefixTransferred
    | PrefixRenewed
    | PrefixRevoked
    | GtinsDelegated
    | DelegationRevoked
)
