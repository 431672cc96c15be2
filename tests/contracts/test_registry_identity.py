"""Governance, organisations and keys: every role check, every custom error, every event."""

from __future__ import annotations

from typing import Any, TypeVar

import pytest

from chain.accounts import dev_account
from chain.errors import (
    RegistryArgumentError,
    RegistryConflictError,
    RegistryError,
    RegistryNotFoundError,
    RegistryPermissionError,
    RegistryStateError,
)
from chain.registry import ROLE_ANCHORER, ROLE_CERTIFIER, ROLE_REGULATOR, RegistryWriter
from supplychain.gs1 import org_id_bytes32
from supplychain.registry import BusinessRole, ReasonCode
from supplychain.registry import events as ev
from tests.chains import MANUFACTURER, SUPPLIER, Deployed

NEW_ORG = "6901234000054"
KEY_A, KEY_B, KEY_C = b"\xa1" * 32, b"\xb2" * 32, b"\xc3" * 32
T = TypeVar("T")


def only(events: tuple[ev.RegistryEvent, ...], kind: type[T]) -> list[T]:
    return [e for e in events if isinstance(e, kind)]


def expect(exc_type: type[RegistryError], name: str, **args: object) -> Any:
    """pytest.raises for a registry error with this name and these decoded arguments."""

    def check(exc: RegistryError) -> bool:
        assert exc.name == name, f"expected {name}, got {exc.name}"
        for key, value in args.items():
            assert exc.args_by_name[key] == value, (key, exc.args_by_name)
        return True

    return pytest.raises(exc_type, check=check)


# --- governance ---


def test_the_regulator_governs_and_strangers_cannot(deployed: Deployed, stranger: RegistryWriter) -> None:
    reg = dev_account("regulator").address
    assert deployed.registry.has_role(ROLE_REGULATOR, reg)
    assert deployed.registry.has_role(bytes(32), reg)  # DEFAULT_ADMIN_ROLE
    assert not deployed.registry.has_role(ROLE_REGULATOR, stranger.address)
    with expect(RegistryPermissionError, "AccessControlUnauthorizedAccount", account=stranger.address.lower()):
        stranger.register_certifier(stranger.address, 1)


def test_register_certifier_sets_its_level_and_role(deployed: Deployed, regulator: RegistryWriter) -> None:
    account = dev_account("stranger").address
    result = regulator.register_certifier(account, 2)
    (changed,) = only(result.events, ev.CertifierLevelChanged)
    assert (changed.certifier, changed.previous_level, changed.new_level) == (account, 0, 2)
    assert only(result.events, ev.RoleGranted)[0].role == ROLE_CERTIFIER
    assert deployed.registry.certifier_level(account) == 2
    assert deployed.registry.has_role(ROLE_CERTIFIER, account)
    assert regulator.register_certifier(account, 2).events == ()  # nothing changed, nothing emitted
    (raised,) = only(regulator.register_certifier(account, 3).events, ev.CertifierLevelChanged)
    assert (raised.previous_level, raised.new_level) == (2, 3)


@pytest.mark.parametrize("level", [0, 4])
def test_register_certifier_refuses_levels_that_do_not_exist(regulator: RegistryWriter, level: int) -> None:
    with expect(RegistryArgumentError, "RegistryInvalidLevel", level=level):
        regulator.register_certifier(dev_account("stranger").address, level)


def test_certifier_role_only_comes_with_a_level(regulator: RegistryWriter) -> None:
    stranger = dev_account("stranger").address
    with expect(RegistryArgumentError, "RegistryCertifierLevelRequired", account=stranger.lower()):
        regulator.grant_role(ROLE_CERTIFIER, stranger)


def test_remove_certifier(deployed: Deployed, regulator: RegistryWriter) -> None:
    city = dev_account("city-certifier").address
    result = regulator.remove_certifier(city)
    assert only(result.events, ev.RoleRevoked)[0].account == city
    assert only(result.events, ev.CertifierLevelChanged)[0].new_level == 0
    assert deployed.registry.certifier_level(city) == 0
    with expect(RegistryNotFoundError, "RegistryUnknownCertifier", account=city.lower()):
        regulator.remove_certifier(city)


def test_anchorer_role_is_granted_by_the_regulator(deployed: Deployed, regulator: RegistryWriter) -> None:
    stranger = dev_account("stranger").address
    regulator.grant_role(ROLE_ANCHORER, stranger)
    assert deployed.registry.has_role(ROLE_ANCHORER, stranger)
    regulator.revoke_role(ROLE_ANCHORER, stranger)
    assert not deployed.registry.has_role(ROLE_ANCHORER, stranger)
    assert deployed.registry.role_admin(ROLE_ANCHORER) == ROLE_REGULATOR
    assert deployed.registry.role_admin(ROLE_CERTIFIER) == ROLE_REGULATOR


def test_an_anchorer_can_renounce_its_role(deployed: Deployed, anchorer: RegistryWriter) -> None:
    (revoked,) = only(anchorer.renounce_role(ROLE_ANCHORER).events, ev.RoleRevoked)
    assert revoked.account == anchorer.address
    with expect(RegistryPermissionError, "AccessControlUnauthorizedAccount"):
        anchorer.anchor_root(b"\x01" * 32, 1)


# --- organisations ---


def test_register_organisation(deployed: Deployed, regulator: RegistryWriter) -> None:
    roles = BusinessRole.LOGISTICS | BusinessRole.RETAILER
    result = regulator.register_organisation(NEW_ORG, roles, profile_hash=b"\x07" * 32, profile_uri="https://x.cn/o")
    (event,) = only(result.events, ev.OrganisationRegistered)
    assert (event.org_id, event.roles, event.profile_hash, event.profile_uri) == (
        NEW_ORG,
        roles,
        b"\x07" * 32,
        "https://x.cn/o",
    )
    org = deployed.registry.organisation(NEW_ORG)
    assert (org.roles, org.suspended, org.registered_at) == (roles, False, event.timestamp)
    assert deployed.registry.is_registered(NEW_ORG)


def test_register_organisation_errors(deployed: Deployed, regulator: RegistryWriter, stranger: RegistryWriter) -> None:
    with expect(RegistryConflictError, "RegistryOrganisationExists"):
        regulator.register_organisation(MANUFACTURER, BusinessRole.MANUFACTURER)
    for roles in (0, 16, 255):
        with expect(RegistryArgumentError, "RegistryInvalidRoles", roles=roles):
            regulator.send("registerOrganisation", org_id_bytes32(NEW_ORG), roles, bytes(32), "")
    with expect(RegistryArgumentError, "RegistryInvalidOrganisationId"):
        regulator.send("registerOrganisation", bytes(32), 1, bytes(32), "")
    with pytest.raises(RegistryPermissionError):
        stranger.register_organisation(NEW_ORG, BusinessRole.MANUFACTURER)
    with pytest.raises(ValueError, match="check digit"):  # our client refuses a malformed GLN before sending
        regulator.register_organisation("6901234000011", BusinessRole.MANUFACTURER)
    with expect(RegistryNotFoundError, "RegistryUnknownOrganisation"):
        deployed.registry.organisation(NEW_ORG)


def test_update_organisation(deployed: Deployed, regulator: RegistryWriter) -> None:
    roles = BusinessRole.MANUFACTURER | BusinessRole.LOGISTICS
    (event,) = only(regulator.update_organisation(MANUFACTURER, roles).events, ev.OrganisationUpdated)
    assert event.roles == roles
    assert deployed.registry.organisation(MANUFACTURER).roles == roles
    assert regulator.update_organisation(MANUFACTURER, roles).events == ()
    with expect(RegistryNotFoundError, "RegistryUnknownOrganisation"):
        regulator.update_organisation(NEW_ORG, roles)
    with expect(RegistryArgumentError, "RegistryInvalidRoles"):
        regulator.update_organisation(MANUFACTURER, BusinessRole(0))


def test_suspend_and_reinstate_organisation(deployed: Deployed, regulator: RegistryWriter) -> None:
    (s,) = only(regulator.suspend_organisation(SUPPLIER, ReasonCode.DATA_FALSIFIED).events, ev.OrganisationSuspended)
    assert (s.org_id, s.reason) == (SUPPLIER, ReasonCode.DATA_FALSIFIED)
    assert deployed.registry.organisation(SUPPLIER).suspended
    with expect(RegistryStateError, "RegistryOrganisationSuspended"):
        regulator.suspend_organisation(SUPPLIER, ReasonCode.DATA_FALSIFIED)
    (r,) = only(regulator.reinstate_organisation(SUPPLIER, ReasonCode.RECTIFIED).events, ev.OrganisationReinstated)
    assert r.timestamp >= s.timestamp
    assert not deployed.registry.organisation(SUPPLIER).suspended
    with expect(RegistryStateError, "RegistryOrganisationNotSuspended"):
        regulator.reinstate_organisation(SUPPLIER, ReasonCode.RECTIFIED)
    with expect(RegistryArgumentError, "RegistryMissingReason"):
        regulator.suspend_organisation(SUPPLIER, 0)


# --- keys ---


def test_add_key(deployed: Deployed, regulator: RegistryWriter) -> None:
    (added,) = only(regulator.add_key(MANUFACTURER, KEY_A).events, ev.KeyAdded)
    assert (added.org_id, added.key) == (MANUFACTURER, KEY_A)
    info = deployed.registry.key_info(KEY_A)
    assert (info.org_id, info.valid_from, info.revoked_at) == (MANUFACTURER, added.timestamp, None)
    assert deployed.registry.keys_of(MANUFACTURER) == [KEY_A]
    with expect(RegistryConflictError, "RegistryKeyAlreadyRegistered", key=KEY_A):
        regulator.add_key(SUPPLIER, KEY_A)  # a key belongs to one organisation only
    with expect(RegistryArgumentError, "RegistryInvalidKey"):
        regulator.add_key(MANUFACTURER, bytes(32))
    with expect(RegistryNotFoundError, "RegistryUnknownOrganisation"):
        regulator.add_key(NEW_ORG, KEY_B)
    with pytest.raises(ValueError, match="32 bytes"):
        regulator.add_key(MANUFACTURER, b"\x01" * 31)


def test_key_validity_over_time(deployed: Deployed, regulator: RegistryWriter, stranger: RegistryWriter) -> None:
    registry, chain = deployed.registry, deployed.chain
    before = chain.block_timestamp()
    added = regulator.add_key(MANUFACTURER, KEY_A).events[0].timestamp
    chain.increase_time(100)
    (revoked,) = only(regulator.revoke_key(KEY_A, ReasonCode.KEY_COMPROMISED).events, ev.KeyRevoked)
    assert revoked.reason == ReasonCode.KEY_COMPROMISED
    assert revoked.timestamp >= added + 100
    assert not registry.is_key_valid_at(KEY_A, MANUFACTURER, added - 1)
    assert registry.is_key_valid_at(KEY_A, MANUFACTURER, added)
    assert registry.is_key_valid_at(KEY_A, MANUFACTURER, revoked.timestamp - 1)
    assert not registry.is_key_valid_at(KEY_A, MANUFACTURER, revoked.timestamp)
    assert not registry.is_key_valid_at(KEY_A, SUPPLIER, added + 1)  # not that organisation's key
    assert not registry.is_key_valid_at(KEY_B, MANUFACTURER, added + 1)  # unknown key
    assert before <= added
    assert registry.key_info(KEY_A).revoked_at == revoked.timestamp
    with expect(RegistryConflictError, "RegistryKeyAlreadyRevoked", key=KEY_A, revokedAt=revoked.timestamp):
        regulator.revoke_key(KEY_A, ReasonCode.KEY_COMPROMISED)
    with expect(RegistryNotFoundError, "RegistryUnknownKey", key=KEY_B):
        regulator.revoke_key(KEY_B, ReasonCode.KEY_COMPROMISED)
    with expect(RegistryArgumentError, "RegistryMissingReason"):
        regulator.revoke_key(KEY_B, 0)
    with pytest.raises(RegistryPermissionError):
        stranger.add_key(MANUFACTURER, KEY_C)
    with expect(RegistryNotFoundError, "RegistryUnknownKey"):
        registry.key_info(KEY_C)


def test_rotate_key(deployed: Deployed, regulator: RegistryWriter) -> None:
    regulator.add_key(SUPPLIER, KEY_A)
    result = regulator.rotate_key(KEY_A, KEY_B, ReasonCode.KEY_ROTATION)
    (revoked,) = only(result.events, ev.KeyRevoked)
    (added,) = only(result.events, ev.KeyAdded)
    assert (revoked.key, added.key, added.org_id) == (KEY_A, KEY_B, SUPPLIER)
    assert revoked.timestamp == added.timestamp
    assert deployed.registry.keys_of(SUPPLIER) == [KEY_A, KEY_B]
    assert deployed.registry.is_key_valid_at(KEY_B, SUPPLIER, added.timestamp)
    assert not deployed.registry.is_key_valid_at(KEY_A, SUPPLIER, added.timestamp)
    with expect(RegistryConflictError, "RegistryKeyAlreadyRevoked"):
        regulator.rotate_key(KEY_A, KEY_C, ReasonCode.KEY_ROTATION)
    with expect(RegistryConflictError, "RegistryKeyAlreadyRegistered"):
        regulator.rotate_key(KEY_B, KEY_A, ReasonCode.KEY_ROTATION)
