"""GS1 Company Prefixes and GTIN delegations: registrars, overlap rules, transfers, revocations, delegation windows."""

from __future__ import annotations

import pytest

from chain.accounts import dev_account
from chain.errors import (
    RegistryArgumentError,
    RegistryConflictError,
    RegistryNotFoundError,
    RegistryPermissionError,
)
from chain.registry import ROLE_REGISTRAR, ROLE_REGULATOR, RegistryWriter
from supplychain.gs1 import gs1_check_digit, org_id_bytes32
from supplychain.registry import ReasonCode
from supplychain.registry import events as ev
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER, Deployed
from tests.contracts.test_registry_identity import expect, only

PREFIX = "6901234"
REQUEST = b"\x5a" * 32
LAPSED, ENDED = int(ReasonCode.LICENCE_LAPSED), int(ReasonCode.CONTRACT_ENDED)


def gtin(body: str, indicator: str = "0") -> str:
    """A GTIN-14 from its 12 digits after the indicator digit (the check digit computed)."""
    digits = indicator + body
    return digits + gs1_check_digit(digits)


G_A, G_B, G_C = gtin(PREFIX + "00991"), gtin(PREFIX + "00995"), gtin(PREFIX + "01000")


@pytest.fixture
def registrar(regulator: RegistryWriter, deployed: Deployed) -> RegistryWriter:
    """The GS1 registrar (Article Numbering Center), registered by the regulator inside the test."""
    regulator.register_registrar(dev_account("gs1-registrar").address)
    return deployed.writer("gs1-registrar")


def now(deployed: Deployed) -> int:
    return deployed.chain.block_timestamp()


# --- registrars ---


def test_the_regulator_registers_and_removes_registrars(
    deployed: Deployed, regulator: RegistryWriter, stranger: RegistryWriter
) -> None:
    account = dev_account("gs1-registrar").address
    (granted,) = only(regulator.register_registrar(account).events, ev.RoleGranted)
    assert (granted.role, granted.account) == (ROLE_REGISTRAR, account)
    assert regulator.register_registrar(account).events == ()  # already one: nothing changes
    assert deployed.registry.role_admin(ROLE_REGISTRAR) == ROLE_REGULATOR
    with expect(RegistryPermissionError, "AccessControlUnauthorizedAccount", account=stranger.address.lower()):
        stranger.register_registrar(stranger.address)
    (revoked,) = only(regulator.remove_registrar(account).events, ev.RoleRevoked)
    assert revoked.account == account
    with expect(RegistryNotFoundError, "RegistryUnknownRegistrar", account=account.lower()):
        regulator.remove_registrar(account)
    with expect(RegistryPermissionError, "AccessControlUnauthorizedAccount", neededRole=ROLE_REGISTRAR):
        deployed.writer("gs1-registrar").assign_prefix(PREFIX, MANUFACTURER)


@pytest.mark.parametrize("who", ["stranger", "provincial-certifier", "regulator"])
def test_only_registrars_change_prefixes_and_delegations(
    deployed: Deployed, registrar: RegistryWriter, who: str
) -> None:
    registrar.assign_prefix(PREFIX, MANUFACTURER)
    other = deployed.writer(who)
    calls = (
        lambda: other.assign_prefix("6902222", SUPPLIER),
        lambda: other.transfer_prefix(PREFIX, SUPPLIER),
        lambda: other.renew_prefix(PREFIX),
        lambda: other.revoke_prefix(PREFIX, LAPSED),
        lambda: other.delegate_gtins(G_A, SUPPLIER, request_hash=REQUEST),
        lambda: other.revoke_delegation(1, ENDED),
    )
    for call in calls:
        with expect(RegistryPermissionError, "AccessControlUnauthorizedAccount", neededRole=ROLE_REGISTRAR):
            call()


# --- prefixes ---


def test_assign_prefix_owns_its_gtins_from_then_on(deployed: Deployed, registrar: RegistryWriter) -> None:
    before = now(deployed)
    deployed.chain.increase_time(10)
    (assigned,) = only(registrar.assign_prefix(PREFIX, MANUFACTURER).events, ev.PrefixAssigned)
    assert (assigned.prefix, assigned.org_id, assigned.registrar, assigned.valid_until) == (
        PREFIX,
        MANUFACTURER,
        registrar.address,
        None,
    )
    t = assigned.timestamp
    registry = deployed.registry
    (holding,) = registry.prefix_history(PREFIX)
    assert (holding.org_id, holding.valid_from, holding.valid_until, holding.ended_at) == (MANUFACTURER, t, None, None)
    assert registry.prefix_holder_at(PREFIX, t) == MANUFACTURER
    assert registry.prefix_holder_at(PREFIX, before) is None
    owner = registry.gtin_owner_at(G_A, t)
    assert owner is not None and (owner.org_id, owner.prefix) == (MANUFACTURER, PREFIX)
    assert registry.gtin_owner_at(G_A[1:], t) == owner  # a GTIN-13 is its GTIN-14
    assert registry.gtin_owner_at(gtin(PREFIX + "00991", "3"), t) == owner  # any indicator digit
    assert registry.gtin_owner_at(gtin("690123500991"), t) is None
    assert registry.gtin_owner_at(G_A, before) is None


def test_leading_zeros_and_lengths_are_part_of_a_prefix(deployed: Deployed, registrar: RegistryWriter) -> None:
    registrar.assign_prefix("0690", MANUFACTURER)
    registrar.assign_prefix("690123456789", SUPPLIER)  # 12 digits: one GTIN-13
    registrar.assign_prefix("000006901234", RETAILER)  # a GTIN-8's: 00000 + its first seven digits
    t = now(deployed)
    gtin8 = "6901234" + gs1_check_digit("6901234")
    assert deployed.registry.gtin_owner_at(gtin8, t).org_id == RETAILER  # type: ignore[union-attr]
    assert deployed.registry.gtin_owner_at(gtin("069000000001"), t).org_id == MANUFACTURER  # type: ignore[union-attr]
    owner = deployed.registry.gtin_owner_at(gtin("690123456789"), t)
    assert owner is not None and (owner.org_id, owner.prefix) == (SUPPLIER, "690123456789")


def test_assign_prefix_errors(deployed: Deployed, registrar: RegistryWriter) -> None:
    for value, length in ((123, 3), (1, 13), (10_000, 4), (0, 0)):
        with expect(RegistryArgumentError, "RegistryInvalidPrefix", prefix=value, length=length):
            registrar.send("assignPrefix", value, length, org_id_bytes32(MANUFACTURER), 0)
    with expect(RegistryNotFoundError, "RegistryUnknownOrganisation"):
        registrar.assign_prefix(PREFIX, "6901234000054")
    t = now(deployed)
    with expect(RegistryArgumentError, "RegistryInvalidValidity", validUntil=t):
        registrar.assign_prefix(PREFIX, MANUFACTURER, valid_until=t)
    with pytest.raises(ValueError, match="GS1 Company Prefix"):  # our client refuses before sending
        registrar.assign_prefix("69a1", MANUFACTURER)


def test_live_prefixes_never_overlap_in_either_direction(deployed: Deployed, registrar: RegistryWriter) -> None:
    registrar.assign_prefix(PREFIX, MANUFACTURER)
    with expect(RegistryConflictError, "RegistryPrefixTaken", prefix=int(PREFIX), length=7):
        registrar.assign_prefix(PREFIX, SUPPLIER)
    with expect(RegistryConflictError, "RegistryPrefixOverlap", prefix=69012345, otherPrefix=6901234, otherLength=7):
        registrar.assign_prefix("69012345", SUPPLIER)  # longer: the live one is a prefix of it
    with expect(RegistryConflictError, "RegistryPrefixExtended", prefix=6901, length=4, liveExtensions=1):
        registrar.assign_prefix("6901", SUPPLIER)  # shorter: it is a prefix of the live one
    registrar.assign_prefix("6901235", SUPPLIER)  # a sibling is fine
    with expect(RegistryConflictError, "RegistryPrefixExtended", prefix=690123, liveExtensions=2):
        registrar.assign_prefix("690123", RETAILER)
    registrar.revoke_prefix(PREFIX, LAPSED)
    registrar.revoke_prefix("6901235", LAPSED)
    registrar.assign_prefix("690123", RETAILER)  # the counters went back to zero
    with expect(RegistryConflictError, "RegistryPrefixOverlap", otherPrefix=690123, otherLength=6):
        registrar.assign_prefix(PREFIX, MANUFACTURER)


def test_transfer_keeps_the_history(deployed: Deployed, registrar: RegistryWriter) -> None:
    assigned = only(registrar.assign_prefix(PREFIX, MANUFACTURER, valid_until=4_000_000_000).events, ev.PrefixAssigned)
    deployed.chain.increase_time(10)  # anvil may mine the next block in the same second
    (moved,) = only(registrar.transfer_prefix(PREFIX, SUPPLIER).events, ev.PrefixTransferred)
    assert (moved.prefix, moved.from_org, moved.to_org, moved.registrar) == (
        PREFIX,
        MANUFACTURER,
        SUPPLIER,
        registrar.address,
    )
    first, second = deployed.registry.prefix_history(PREFIX)
    assert (first.org_id, first.ended_at) == (MANUFACTURER, moved.timestamp)
    assert (second.org_id, second.valid_from, second.valid_until) == (SUPPLIER, moved.timestamp, 4_000_000_000)
    registry = deployed.registry
    assert registry.gtin_owner_at(G_A, assigned[0].timestamp).org_id == MANUFACTURER  # type: ignore[union-attr]
    assert registry.gtin_owner_at(G_A, moved.timestamp).org_id == SUPPLIER  # type: ignore[union-attr]
    assert registry.gtin_owner_at(G_A, 4_000_000_000) is None  # expired
    with expect(RegistryArgumentError, "RegistryPrefixSameHolder", orgId=org_id_bytes32(SUPPLIER)):
        registrar.transfer_prefix(PREFIX, SUPPLIER)
    with expect(RegistryNotFoundError, "RegistryUnknownOrganisation"):
        registrar.transfer_prefix(PREFIX, "6901234000054")
    with expect(RegistryNotFoundError, "RegistryPrefixNotHeld", prefix=6902222, length=7):
        registrar.transfer_prefix("6902222", SUPPLIER)


def test_renewal_starts_a_new_holding_and_keeps_a_lapse(deployed: Deployed, registrar: RegistryWriter) -> None:
    until = now(deployed) + 100
    registrar.assign_prefix(PREFIX, MANUFACTURER, valid_until=until)
    deployed.chain.increase_time(200)  # the licence lapses
    with expect(RegistryArgumentError, "RegistryInvalidValidity", validUntil=until):  # a lapsed one is not passed on
        registrar.transfer_prefix(PREFIX, SUPPLIER)
    with expect(RegistryArgumentError, "RegistryInvalidValidity", validUntil=until):
        registrar.renew_prefix(PREFIX, valid_until=until)
    (renewed,) = only(registrar.renew_prefix(PREFIX, valid_until=4_000_000_000).events, ev.PrefixRenewed)
    assert (renewed.prefix, renewed.org_id, renewed.registrar, renewed.valid_until) == (
        PREFIX,
        MANUFACTURER,
        registrar.address,
        4_000_000_000,
    )
    first, second = deployed.registry.prefix_history(PREFIX)
    assert (first.valid_until, first.ended_at) == (until, renewed.timestamp)
    assert (second.org_id, second.valid_from, second.valid_until) == (MANUFACTURER, renewed.timestamp, 4_000_000_000)
    holder_at = deployed.registry.prefix_holder_at
    assert [holder_at(PREFIX, t) for t in (until - 1, until, renewed.timestamp)] == [MANUFACTURER, None, MANUFACTURER]
    with expect(RegistryNotFoundError, "RegistryPrefixNotHeld"):
        registrar.renew_prefix("6902222")


def test_revoke_ends_the_holding_and_frees_the_numbers(deployed: Deployed, registrar: RegistryWriter) -> None:
    registrar.assign_prefix(PREFIX, MANUFACTURER)
    with expect(RegistryArgumentError, "RegistryMissingReason"):
        registrar.revoke_prefix(PREFIX, 0)
    deployed.chain.increase_time(10)
    (revoked,) = only(registrar.revoke_prefix(PREFIX, LAPSED).events, ev.PrefixRevoked)
    assert (revoked.prefix, revoked.org_id, revoked.reason) == (PREFIX, MANUFACTURER, LAPSED)
    assert deployed.registry.gtin_owner_at(G_A, revoked.timestamp) is None
    assert deployed.registry.gtin_owner_at(G_A, revoked.timestamp - 1).org_id == MANUFACTURER  # type: ignore[union-attr]
    with expect(RegistryNotFoundError, "RegistryPrefixNotHeld"):
        registrar.revoke_prefix(PREFIX, LAPSED)
    registrar.assign_prefix(PREFIX, RETAILER)
    assert [h.org_id for h in deployed.registry.prefix_history(PREFIX)] == [MANUFACTURER, RETAILER]


def test_an_expired_prefix_keeps_its_numbers_until_revoked(deployed: Deployed, registrar: RegistryWriter) -> None:
    until = now(deployed) + 1000
    registrar.assign_prefix(PREFIX, MANUFACTURER, valid_until=until)
    assert deployed.registry.prefix_holder_at(PREFIX, until - 1) == MANUFACTURER
    assert deployed.registry.prefix_holder_at(PREFIX, until) is None
    with expect(RegistryConflictError, "RegistryPrefixTaken"):
        registrar.assign_prefix(PREFIX, SUPPLIER)


# --- delegations ---


def test_delegation_of_one_gtin_and_its_window(deployed: Deployed, registrar: RegistryWriter) -> None:
    registrar.assign_prefix(PREFIX, MANUFACTURER)
    start = now(deployed) + 100
    delegation_id, result = registrar.delegate_gtins(
        G_A, SUPPLIER, request_hash=REQUEST, valid_from=start, valid_until=start + 500
    )
    (filed,) = only(result.events, ev.GtinsDelegated)
    assert delegation_id == filed.delegation_id == 1
    assert (filed.owner, filed.delegate, filed.prefix, filed.first_item, filed.last_item) == (
        MANUFACTURER,
        SUPPLIER,
        PREFIX,
        991,
        991,
    )
    assert (filed.valid_from, filed.valid_until, filed.request_hash) == (start, start + 500, REQUEST)
    info = deployed.registry.delegation(1)
    assert (info.owner, info.delegate, info.prefix, info.revoked_at) == (MANUFACTURER, SUPPLIER, PREFIX, None)
    assert deployed.registry.delegation_count() == 1
    delegate_at = deployed.registry.is_delegate_at
    assert not delegate_at(G_A, SUPPLIER, start - 1)
    assert delegate_at(G_A, SUPPLIER, start)
    assert delegate_at(gtin(PREFIX + "00991", "5"), SUPPLIER, start)  # every indicator digit
    assert not delegate_at(G_B, SUPPLIER, start)
    assert not delegate_at(G_A, RETAILER, start)
    assert not delegate_at(G_A, SUPPLIER, start + 500)
    assert not delegate_at(gtin("690123500991"), SUPPLIER, start)  # nobody owns it


def test_delegation_of_a_range_ends_when_revoked_or_when_the_owner_loses_the_prefix(
    deployed: Deployed, registrar: RegistryWriter
) -> None:
    registrar.assign_prefix(PREFIX, MANUFACTURER)
    delegation_id, result = registrar.delegate_gtins(G_A, SUPPLIER, last_gtin=G_C, request_hash=REQUEST)
    t = only(result.events, ev.GtinsDelegated)[0].valid_from
    assert all(deployed.registry.is_delegate_at(g, SUPPLIER, t) for g in (G_A, G_B, G_C))
    assert not deployed.registry.is_delegate_at(gtin(PREFIX + "01001"), SUPPLIER, t)
    second, _ = registrar.delegate_gtins(G_B, RETAILER, request_hash=REQUEST)
    deployed.chain.increase_time(10)
    (revoked,) = only(registrar.revoke_delegation(delegation_id, ENDED).events, ev.DelegationRevoked)
    assert (revoked.delegation_id, revoked.owner, revoked.delegate, revoked.reason) == (
        1,
        MANUFACTURER,
        SUPPLIER,
        ENDED,
    )
    assert deployed.registry.is_delegate_at(G_B, SUPPLIER, revoked.timestamp - 1)
    assert not deployed.registry.is_delegate_at(G_B, SUPPLIER, revoked.timestamp)
    assert deployed.registry.delegation(1).revoked_at == revoked.timestamp
    with expect(RegistryConflictError, "RegistryDelegationAlreadyRevoked", id=1, revokedAt=revoked.timestamp):
        registrar.revoke_delegation(1, ENDED)
    deployed.chain.increase_time(10)
    (moved,) = only(registrar.transfer_prefix(PREFIX, SUPPLIER).events, ev.PrefixTransferred)
    assert deployed.registry.is_delegate_at(G_B, RETAILER, moved.timestamp - 1)
    assert not deployed.registry.is_delegate_at(G_B, RETAILER, moved.timestamp)  # filed by the former owner
    mirror = deployed.registry.mirror()
    for at in (revoked.timestamp - 1, moved.timestamp):
        for org in (SUPPLIER, RETAILER):
            assert mirror.is_delegate_at(G_B, org, at) == deployed.registry.is_delegate_at(G_B, org, at), (org, at)
        assert mirror.gtin_owner_at(G_B, at) == deployed.registry.gtin_owner_at(G_B, at).org_id  # type: ignore[union-attr]
    assert second == 2


def test_delegation_errors(deployed: Deployed, registrar: RegistryWriter) -> None:
    registrar.assign_prefix(PREFIX, MANUFACTURER)
    registrar.assign_prefix("6901235", RETAILER)
    delegate = registrar.delegate_gtins
    with expect(RegistryNotFoundError, "RegistryGtinNotOwned", gtin=int(gtin("690222200001"))):
        delegate(gtin("690222200001"), SUPPLIER, request_hash=REQUEST)
    bad = int(G_A) + 1 if G_A[-1] != "9" else int(G_A) - 1
    with expect(RegistryArgumentError, "RegistryInvalidGtin", gtin=bad):
        registrar.send("delegateGtins", bad, bad, org_id_bytes32(SUPPLIER), 0, 0, REQUEST)
    with expect(RegistryArgumentError, "RegistryInvalidGtin", gtin=10**14):
        registrar.send("delegateGtins", int(G_A), 10**14, org_id_bytes32(SUPPLIER), 0, 0, REQUEST)
    with expect(RegistryArgumentError, "RegistryInvalidGtinRange", firstGtin=int(G_B), lastGtin=int(G_A)):
        delegate(G_B, SUPPLIER, last_gtin=G_A, request_hash=REQUEST)
    with expect(RegistryArgumentError, "RegistryInvalidGtinRange"):  # another prefix
        delegate(G_A, SUPPLIER, last_gtin=gtin("690123500001"), request_hash=REQUEST)
    with expect(RegistryArgumentError, "RegistryInvalidDelegate", delegate=org_id_bytes32(MANUFACTURER)):
        delegate(G_A, MANUFACTURER, request_hash=REQUEST)
    with expect(RegistryNotFoundError, "RegistryUnknownOrganisation"):
        delegate(G_A, "6901234000054", request_hash=REQUEST)
    with expect(RegistryArgumentError, "RegistryMissingRequest"):
        delegate(G_A, SUPPLIER, request_hash=bytes(32))
    t = now(deployed)
    with expect(RegistryArgumentError, "RegistryInvalidValidity", validFrom=t - 10):
        delegate(G_A, SUPPLIER, request_hash=REQUEST, valid_from=t - 10)  # no delegation in the past
    with expect(RegistryArgumentError, "RegistryInvalidValidity", validFrom=t + 10, validUntil=t + 10):
        delegate(G_A, SUPPLIER, request_hash=REQUEST, valid_from=t + 10, valid_until=t + 10)
    with expect(RegistryNotFoundError, "RegistryUnknownDelegation", id=7):
        registrar.revoke_delegation(7, ENDED)
    with expect(RegistryArgumentError, "RegistryMissingReason"):
        registrar.revoke_delegation(7, 0)
    with expect(RegistryNotFoundError, "RegistryUnknownDelegation", id=7):
        deployed.registry.delegation(7)
    with expect(RegistryArgumentError, "RegistryInvalidGtin", gtin=bad):  # the views check GTINs too
        deployed.registry._call("gtinOwnerAt", bad, t)
