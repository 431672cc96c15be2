"""A mirror of the registry rebuilt from its events, answering "as at time T" questions.

The scanner and the audit trust the chain, not the platform: they replay the registry's logs (through :mod:`chain`)
and fold them here, in chain order. Every question takes a time ``t`` (seconds, UTC) and answers as the registry stood
then: a key is valid on ``[valid_from, revoked_at)``, a recognition is in force inside its validity period while its
status is active, an organisation holds the roles of its latest registration or update at ``t``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from supplychain.errors import RegistryHistoryError
from supplychain.registry.events import (
    CertifierLevelChanged,
    DelegationRevoked,
    GtinsDelegated,
    KeyAdded,
    KeyRevoked,
    LogPosition,
    OrganisationRegistered,
    OrganisationReinstated,
    OrganisationSuspended,
    OrganisationUpdated,
    PrefixAssigned,
    PrefixRenewed,
    PrefixRevoked,
    PrefixTransferred,
    RecognitionIssued,
    RecognitionReinstated,
    RecognitionRevoked,
    RecognitionSuspended,
    RecognitionTerms,
    RegistryEvent,
    RoleGranted,
    RoleRevoked,
    RootAnchored,
    SpotCheckExemptionGranted,
    SpotCheckRecorded,
)
from supplychain.registry.prefixes import (
    DelegationState,
    PrefixHolding,
    item_reference,
    prefix_candidates,
)
from supplychain.registry.types import BusinessRole, RecognitionStatus

T = TypeVar("T")

__all__ = [
    "AnchorState",
    "KeyState",
    "OrganisationState",
    "RecognitionState",
    "RegistryMirror",
    "StatusChange",
]


def _value_at(timeline: list[tuple[int, T]], t: int, default: T) -> T:
    """The value of the last ``(time, value)`` entry with time <= t (entries are in time order)."""
    i = bisect.bisect_right(timeline, t, key=lambda entry: entry[0])
    return timeline[i - 1][1] if i else default


@dataclass(slots=True)
class OrganisationState:
    """An organisation and the timelines of its roles and suspensions."""

    org_id: str
    registered_at: int
    profile_hash: bytes
    profile_uri: str
    roles_timeline: list[tuple[int, BusinessRole]] = field(default_factory=list)
    suspended_timeline: list[tuple[int, bool]] = field(default_factory=list)

    @property
    def roles(self) -> BusinessRole:
        """Current roles."""
        return self.roles_timeline[-1][1]

    @property
    def suspended(self) -> bool:
        """Whether it is suspended now."""
        return _value_at(self.suspended_timeline, 2**63, False)

    def roles_at(self, t: int) -> BusinessRole:
        """Roles held at ``t`` (none before registration)."""
        return _value_at(self.roles_timeline, t, BusinessRole(0))

    def active_at(self, t: int) -> bool:
        """Registered at ``t`` and not suspended then."""
        return t >= self.registered_at and not _value_at(self.suspended_timeline, t, False)


@dataclass(slots=True)
class KeyState:
    """An Ed25519 event-signing key and its validity interval."""

    key: bytes
    org_id: str
    valid_from: int
    revoked_at: int | None = None
    revoke_reason: int | None = None

    def valid_at(self, t: int) -> bool:
        """Whether the key was valid at ``t``: ``valid_from <= t < revoked_at``."""
        return self.valid_from <= t and (self.revoked_at is None or t < self.revoked_at)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A status change of a recognition, with who made it and why."""

    timestamp: int
    status: RecognitionStatus
    reason: int
    by: str


@dataclass(frozen=True, slots=True)
class SpotCheck:
    """One recorded spot check."""

    timestamp: int
    passed: bool
    report_hash: bytes


@dataclass(slots=True)
class RecognitionState:
    """A recognition, its status changes and its spot checks."""

    recognition_id: int
    issuer: str
    issued_at: int
    terms: RecognitionTerms
    changes: list[StatusChange] = field(default_factory=list)
    spot_checks: list[SpotCheck] = field(default_factory=list)
    exemptions: list[tuple[int, int]] = field(default_factory=list)

    @property
    def status(self) -> RecognitionStatus:
        """Current status."""
        return self.changes[-1].status if self.changes else RecognitionStatus.ACTIVE

    def status_at(self, t: int) -> RecognitionStatus | None:
        """Status at ``t``; ``None`` before both its issue and the start of its validity."""
        if t < self.issued_at and t < self.terms.valid_from:
            return None
        timeline = [(c.timestamp, c.status) for c in self.changes]
        return _value_at(timeline, t, RecognitionStatus.ACTIVE)

    def in_force_at(self, t: int) -> bool:
        """Within the validity period at ``t`` and active then."""
        terms = self.terms
        if t < terms.valid_from or (terms.valid_until is not None and t >= terms.valid_until):
            return False
        return self.status_at(t) is RecognitionStatus.ACTIVE

    def lapsed_at(self) -> int | None:
        """When it last stopped being in force (suspension, revocation or expiry), or ``None`` if it is in force."""
        if self.changes and self.status is not RecognitionStatus.ACTIVE:
            return self.changes[-1].timestamp
        return self.terms.valid_until

    @property
    def exempt_until(self) -> int:
        """End of the latest spot-check exemption (cut short by a failed check), 0 when there was none."""
        return self.exemptions[-1][1] if self.exemptions else 0

    def exempt_at(self, t: int) -> bool:
        """Whether the recognition was exempt from spot checks at ``t``: ``[granted, until)`` of an exemption."""
        return any(start <= t < end for start, end in self.exemptions)


@dataclass(frozen=True, slots=True)
class AnchorState:
    """An anchored Merkle root."""

    root: bytes
    sequence: int
    anchorer: str
    leaf_count: int
    anchored_at: int
    position: LogPosition


class RegistryMirror:
    """The registry's state folded from its events; see the module docstring."""

    def __init__(self) -> None:
        self.organisations: dict[str, OrganisationState] = {}
        self.keys: dict[bytes, KeyState] = {}
        self.recognitions: dict[int, RecognitionState] = {}
        self.anchors: dict[bytes, AnchorState] = {}
        self.certifier_levels: dict[str, list[tuple[int, int]]] = {}
        self.role_members: dict[bytes, dict[str, list[tuple[int, bool]]]] = {}
        self.prefixes: dict[str, list[PrefixHolding]] = {}
        self.delegations: dict[int, DelegationState] = {}
        self.last_position: LogPosition | None = None
        self.event_count = 0

    # --- folding ---

    def apply_all(self, events: Iterable[RegistryEvent]) -> RegistryMirror:
        """Apply events in chain order; returns ``self``."""
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: RegistryEvent) -> None:  # noqa: PLR0912, PLR0915 - one branch per event type
        """Apply one event; events must come in chain order, and refer to what earlier events created.

        Raises:
            RegistryHistoryError: out of order, or inconsistent with the history so far.
        """
        if self.last_position is not None and event.position <= self.last_position:
            raise RegistryHistoryError(
                f"event at block {event.position.block_number} log {event.position.log_index} comes after block "
                f"{self.last_position.block_number} log {self.last_position.log_index}: history must be in chain order"
            )
        t = event.timestamp
        match event:
            case RoleGranted() | RoleRevoked():
                members = self.role_members.setdefault(event.role, {})
                members.setdefault(event.account, []).append((t, isinstance(event, RoleGranted)))
            case CertifierLevelChanged():
                self.certifier_levels.setdefault(event.certifier, []).append((t, event.new_level))
            case OrganisationRegistered():
                if event.org_id in self.organisations:
                    raise RegistryHistoryError(f"organisation {event.org_id} registered twice")
                self.organisations[event.org_id] = OrganisationState(
                    event.org_id, t, event.profile_hash, event.profile_uri, [(t, event.roles)], []
                )
            case OrganisationUpdated():
                org = self._organisation(event.org_id)
                org.roles_timeline.append((t, event.roles))
                org.profile_hash, org.profile_uri = event.profile_hash, event.profile_uri
            case OrganisationSuspended() | OrganisationReinstated():
                org = self._organisation(event.org_id)
                org.suspended_timeline.append((t, isinstance(event, OrganisationSuspended)))
            case KeyAdded():
                self._organisation(event.org_id)
                if event.key in self.keys:
                    raise RegistryHistoryError(f"key 0x{event.key.hex()} added twice")
                self.keys[event.key] = KeyState(event.key, event.org_id, t)
            case KeyRevoked():
                key = self.keys.get(event.key)
                if key is None:
                    raise RegistryHistoryError(f"key 0x{event.key.hex()} revoked before it was added")
                key.revoked_at, key.revoke_reason = t, event.reason
            case RecognitionIssued():
                self._organisation(event.terms.holder)
                self.recognitions[event.recognition_id] = RecognitionState(
                    event.recognition_id, event.issuer, t, event.terms
                )
            case RecognitionSuspended() | RecognitionReinstated() | RecognitionRevoked():
                status = {
                    RecognitionSuspended: RecognitionStatus.SUSPENDED,
                    RecognitionReinstated: RecognitionStatus.ACTIVE,
                    RecognitionRevoked: RecognitionStatus.REVOKED,
                }[type(event)]
                rec = self._recognition(event.recognition_id)
                rec.changes.append(StatusChange(t, status, event.reason, event.by))
            case SpotCheckRecorded():
                rec = self._recognition(event.recognition_id)
                rec.spot_checks.append(SpotCheck(t, event.passed, event.report_hash))
                if not event.passed and rec.exempt_at(t):
                    rec.exemptions[-1] = (rec.exemptions[-1][0], t)
            case SpotCheckExemptionGranted():
                self._recognition(event.recognition_id).exemptions.append((t, event.exempt_until))
            case RootAnchored():
                self.anchors[event.root] = AnchorState(
                    event.root, event.sequence, event.anchorer, event.leaf_count, t, event.position
                )
            case PrefixAssigned():
                self._organisation(event.org_id)
                holding = PrefixHolding(event.org_id, t, event.valid_until, event.registrar)
                self.prefixes.setdefault(event.prefix, []).append(holding)
            case PrefixTransferred():
                current = self._live_holding(event.prefix)
                self._organisation(event.to_org)
                current.ended_at = t
                self.prefixes[event.prefix].append(PrefixHolding(event.to_org, t, current.valid_until, event.registrar))
            case PrefixRenewed():
                current = self._live_holding(event.prefix)
                current.ended_at = t
                self.prefixes[event.prefix].append(PrefixHolding(current.org_id, t, event.valid_until, event.registrar))
            case PrefixRevoked():
                current = self._live_holding(event.prefix)
                current.ended_at, current.end_reason = t, event.reason
            case GtinsDelegated():
                self._organisation(event.delegate)
                self.delegations[event.delegation_id] = DelegationState(
                    event.delegation_id,
                    event.owner,
                    event.delegate,
                    event.prefix,
                    event.first_item,
                    event.last_item,
                    event.valid_from,
                    event.valid_until,
                    event.request_hash,
                    event.registrar,
                )
            case DelegationRevoked():
                delegation = self.delegations.get(event.delegation_id)
                if delegation is None:
                    raise RegistryHistoryError(f"delegation {event.delegation_id} revoked before it was filed")
                delegation.revoked_at, delegation.revoke_reason = t, event.reason
        self.last_position = event.position
        self.event_count += 1

    def _organisation(self, org_id: str) -> OrganisationState:
        org = self.organisations.get(org_id)
        if org is None:
            raise RegistryHistoryError(f"organisation {org_id} is referred to before it was registered")
        return org

    def _recognition(self, recognition_id: int) -> RecognitionState:
        rec = self.recognitions.get(recognition_id)
        if rec is None:
            raise RegistryHistoryError(f"recognition {recognition_id} is referred to before it was issued")
        return rec

    def _live_holding(self, prefix: str) -> PrefixHolding:
        holdings = self.prefixes.get(prefix)
        if not holdings or not holdings[-1].live:
            raise RegistryHistoryError(f"prefix {prefix} is transferred, renewed or revoked while nobody holds it")
        return holdings[-1]

    # --- questions ---

    def key_valid_at(self, key: bytes, org_id: str, t: int) -> bool:
        """Whether ``key`` was a valid signing key of ``org_id`` at ``t``."""
        state = self.keys.get(key)
        return state is not None and state.org_id == org_id and state.valid_at(t)

    def roles_at(self, org_id: str, t: int) -> BusinessRole:
        """Roles ``org_id`` held at ``t`` (none when unknown or not yet registered)."""
        org = self.organisations.get(org_id)
        return org.roles_at(t) if org else BusinessRole(0)

    def organisation_active_at(self, org_id: str, t: int) -> bool:
        """Whether ``org_id`` was registered and not suspended at ``t``."""
        org = self.organisations.get(org_id)
        return org is not None and org.active_at(t)

    def recognition_in_force_at(self, recognition_id: int, t: int) -> bool:
        """Whether the recognition was in force at ``t`` (``False`` when unknown)."""
        rec = self.recognitions.get(recognition_id)
        return rec is not None and rec.in_force_at(t)

    def citation_status(self, recognition_id: int, org_id: str, t: int) -> str:
        """What an event of ``org_id`` at ``t`` citing ``recognition_id`` cites: ``IN_FORCE``, ``SUSPENDED``,
        ``REVOKED``, ``EXPIRED``, ``NOT_YET_VALID``, ``NOT_HOLDER`` (another organisation's) or ``UNKNOWN``."""
        rec = self.recognitions.get(recognition_id)
        if rec is None:
            return "UNKNOWN"
        if rec.terms.holder != org_id:
            return "NOT_HOLDER"
        if t < rec.terms.valid_from:
            return "NOT_YET_VALID"
        if rec.terms.valid_until is not None and t >= rec.terms.valid_until:
            return "EXPIRED"
        status = rec.status_at(t)
        if status is RecognitionStatus.SUSPENDED:
            return "SUSPENDED"
        return "REVOKED" if status is RecognitionStatus.REVOKED else "IN_FORCE"

    def recognitions_of(self, org_id: str) -> list[RecognitionState]:
        """Every recognition ever issued to ``org_id``, oldest first."""
        return [r for r in self.recognitions.values() if r.terms.holder == org_id]

    def certifier_level_at(self, certifier: str, t: int) -> int:
        """The highest level ``certifier`` could grant at ``t`` (0: not a certifier then)."""
        return _value_at(self.certifier_levels.get(certifier, []), t, 0)

    def has_role_at(self, role: bytes, account: str, t: int) -> bool:
        """Whether ``account`` held the AccessControl ``role`` at ``t``."""
        return _value_at(self.role_members.get(role, {}).get(account, []), t, False)

    # --- company prefixes and delegations ---

    def prefix_holder_at(self, prefix: str, t: int) -> str | None:
        """The organisation that held ``prefix`` (digits), valid, at ``t``."""
        for holding in self.prefixes.get(prefix, []):
            if holding.holds_at(t):
                return holding.org_id
        return None

    def company_prefix_at(self, gtin: str, t: int) -> str | None:
        """The company prefix, held and valid at ``t``, that a GTIN (8, 12, 13 or 14 digits) falls under.

        Raises:
            InvalidGs1KeyError: ``gtin`` is not a GTIN.
        """
        for prefix in prefix_candidates(gtin):
            if prefix in self.prefixes and self.prefix_holder_at(prefix, t) is not None:
                return prefix
        return None

    def gtin_owner_at(self, gtin: str, t: int) -> str | None:
        """The organisation that owned a GTIN at ``t``: the holder of its company prefix then (``None``: nobody).

        Raises:
            InvalidGs1KeyError: ``gtin`` is not a GTIN.
        """
        prefix = self.company_prefix_at(gtin, t)
        return None if prefix is None else self.prefix_holder_at(prefix, t)

    def delegates_at(self, gtin: str, t: int) -> list[str]:
        """The organisations the GTIN's owner had delegated it to at ``t``, in the order of their delegations.

        Raises:
            InvalidGs1KeyError: ``gtin`` is not a GTIN.
        """
        prefix = self.company_prefix_at(gtin, t)
        if prefix is None:
            return []
        owner, item = self.prefix_holder_at(prefix, t), item_reference(gtin, prefix)
        found = [
            d.delegate
            for d in self.delegations.values()
            if d.prefix == prefix and d.owner == owner and d.covers_at(item, t)
        ]
        return list(dict.fromkeys(found))

    def is_delegate_at(self, gtin: str, org_id: str, t: int) -> bool:
        """Whether ``org_id`` could make the GTIN for its owner at ``t`` (a delegation of the owner then)."""
        return org_id in self.delegates_at(gtin, t)

    def may_speak_for_gtin_at(self, gtin: str, org_id: str, t: int) -> bool:
        """Whether ``org_id`` owned the GTIN at ``t`` or was a delegate of its owner then."""
        return self.gtin_owner_at(gtin, t) == org_id or self.is_delegate_at(gtin, org_id, t)

    def prefixes_of(self, org_id: str, t: int) -> list[str]:
        """The prefixes ``org_id`` held, valid, at ``t``, sorted."""
        return sorted(p for p in self.prefixes if self.prefix_holder_at(p, t) == org_id)
