"""Green recognitions: issue within the certifier's level, suspend / reinstate / revoke, time travel, spot checks."""

from __future__ import annotations

import dataclasses

import pytest

from chain.errors import RegistryArgumentError, RegistryNotFoundError, RegistryPermissionError, RegistryStateError
from chain.registry import RegistryWriter, terms_to_abi
from supplychain.registry import Grade, Level, ReasonCode, RecognitionKind, RecognitionStatus, Scope
from supplychain.registry import events as ev
from tests.chains import MANUFACTURER, SUPPLIER, Deployed
from tests.contracts.test_registry_identity import NEW_ORG, expect, only

YEAR = 365 * 86_400
FACILITY = "6901234000047"


def factory_terms(deployed: Deployed, **changes: object) -> ev.RecognitionTerms:
    now = deployed.chain.block_timestamp()
    terms = ev.RecognitionTerms(
        holder=SUPPLIER,
        kind=RecognitionKind.GREEN_FACTORY,
        level=Level.PROVINCIAL,
        grade=Grade.NONE,
        scope=Scope.FACILITY,
        subject=FACILITY,
        standard_ref="GB/T 36132-2018",
        valid_from=now,
        valid_until=now + 3 * YEAR,
        evidence_hash=b"\xee" * 32,
    )
    return dataclasses.replace(terms, **changes)  # type: ignore[arg-type]


def test_issue_recognition(deployed: Deployed, certifier: RegistryWriter) -> None:
    terms = factory_terms(deployed)
    rid, result = certifier.issue_recognition(terms)
    (issued,) = only(result.events, ev.RecognitionIssued)
    assert (issued.recognition_id, issued.issuer, issued.terms) == (rid, certifier.address, terms)
    info = deployed.registry.recognition(rid)
    assert (info.terms, info.issuer, info.status, info.issued_at) == (
        terms,
        certifier.address,
        RecognitionStatus.ACTIVE,
        issued.timestamp,
    )
    assert deployed.registry.recognition_count() == rid == 1


def test_a_certifier_issues_at_most_at_its_own_level(
    deployed: Deployed, certifier: RegistryWriter, national_certifier: RegistryWriter
) -> None:
    with expect(RegistryPermissionError, "RegistryLevelAboveCertifier", requested=3, allowed=2):
        certifier.issue_recognition(factory_terms(deployed, level=Level.NATIONAL))
    city = deployed.writer("city-certifier")
    with expect(RegistryPermissionError, "RegistryLevelAboveCertifier", requested=2, allowed=1):
        city.issue_recognition(factory_terms(deployed))
    city.issue_recognition(factory_terms(deployed, level=Level.CITY))
    rid, _ = national_certifier.issue_recognition(factory_terms(deployed, level=Level.NATIONAL, grade=Grade.A_PLUS))
    assert deployed.registry.recognition(rid).terms.grade == Grade.A_PLUS


def test_only_certifiers_issue(deployed: Deployed, regulator: RegistryWriter, stranger: RegistryWriter) -> None:
    for writer in (regulator, stranger):
        with expect(RegistryPermissionError, "AccessControlUnauthorizedAccount"):
            writer.issue_recognition(factory_terms(deployed))


def test_issue_refuses_bad_terms(deployed: Deployed, certifier: RegistryWriter) -> None:
    now = deployed.chain.block_timestamp()
    with expect(RegistryNotFoundError, "RegistryUnknownOrganisation"):
        certifier.issue_recognition(factory_terms(deployed, holder=NEW_ORG))
    with expect(RegistryArgumentError, "RegistryGradeNotApplicable", kind=1, level=2, grade=2):
        certifier.issue_recognition(factory_terms(deployed, grade=Grade.A))
    with expect(RegistryArgumentError, "RegistryInvalidScope"):  # a green product is always product-scoped
        certifier.issue_recognition(factory_terms(deployed, kind=RecognitionKind.GREEN_PRODUCT))
    with expect(RegistryArgumentError, "RegistryInvalidScope"):  # the enterprise scope has no subject
        certifier.issue_recognition(factory_terms(deployed, scope=Scope.ENTERPRISE))
    with expect(RegistryArgumentError, "RegistryInvalidScope"):  # a facility scope needs one
        certifier.issue_recognition(factory_terms(deployed, subject=""))
    with expect(RegistryArgumentError, "RegistryInvalidValidity", validFrom=now, validUntil=now):
        certifier.issue_recognition(factory_terms(deployed, valid_from=now, valid_until=now))
    with expect(RegistryArgumentError, "RegistryInvalidValidity"):  # already over
        certifier.issue_recognition(factory_terms(deployed, valid_from=now - 2 * YEAR, valid_until=now - YEAR))
    with expect(RegistryArgumentError, "RegistryMissingEvidence"):
        certifier.issue_recognition(factory_terms(deployed, evidence_hash=bytes(32)))
    green_product = factory_terms(
        deployed, kind=RecognitionKind.GREEN_PRODUCT, scope=Scope.PRODUCT, subject="06901234000108"
    )
    rid, _ = certifier.issue_recognition(green_product)
    assert deployed.registry.recognition(rid).terms.subject == "06901234000108"
    for field, value, error in (
        (1, 0, "RegistryInvalidKind"),
        (1, 5, "RegistryInvalidKind"),
        (2, 0, "RegistryInvalidLevel"),
        (2, 4, "RegistryInvalidLevel"),
        (4, 3, "RegistryInvalidScope"),
    ):
        raw = list(_raw_terms(deployed))
        raw[field] = value
        with expect(RegistryArgumentError, error):
            certifier.send("issueRecognition", tuple(raw))


def _raw_terms(deployed: Deployed) -> tuple[object, ...]:
    return terms_to_abi(factory_terms(deployed))


def test_unknown_recognition(deployed: Deployed, certifier: RegistryWriter) -> None:
    with expect(RegistryNotFoundError, "RegistryUnknownRecognition", id=7):
        deployed.registry.recognition(7)
    with expect(RegistryNotFoundError, "RegistryUnknownRecognition", id=7):
        certifier.suspend_recognition(7, ReasonCode.SPOT_CHECK_FAILED)


def test_suspend_reinstate_revoke_and_who_may(
    deployed: Deployed, certifier: RegistryWriter, national_certifier: RegistryWriter, regulator: RegistryWriter
) -> None:
    rid, _ = certifier.issue_recognition(factory_terms(deployed))
    with expect(RegistryPermissionError, "RegistryNotIssuerOrRegulator", id=rid):
        national_certifier.suspend_recognition(rid, ReasonCode.SPOT_CHECK_FAILED)
    (s,) = only(certifier.suspend_recognition(rid, ReasonCode.SPOT_CHECK_FAILED).events, ev.RecognitionSuspended)
    assert (s.recognition_id, s.holder, s.by, s.reason) == (rid, SUPPLIER, certifier.address, 1)
    with expect(RegistryStateError, "RegistryInvalidRecognitionStatus", id=rid, status=2):
        certifier.suspend_recognition(rid, ReasonCode.SPOT_CHECK_FAILED)
    (r,) = only(regulator.reinstate_recognition(rid, ReasonCode.RECTIFIED).events, ev.RecognitionReinstated)
    assert r.by == regulator.address
    with expect(RegistryStateError, "RegistryInvalidRecognitionStatus", status=1):
        regulator.reinstate_recognition(rid, ReasonCode.RECTIFIED)
    with expect(RegistryArgumentError, "RegistryMissingReason"):
        regulator.revoke_recognition(rid, 0)
    (v,) = only(regulator.revoke_recognition(rid, ReasonCode.DATA_FALSIFIED).events, ev.RecognitionRevoked)
    assert v.reason == ReasonCode.DATA_FALSIFIED
    assert deployed.registry.recognition(rid).status == RecognitionStatus.REVOKED
    for change in (regulator.revoke_recognition, regulator.reinstate_recognition, regulator.suspend_recognition):
        with expect(RegistryStateError, "RegistryInvalidRecognitionStatus", status=3):  # revocation is final
            change(rid, ReasonCode.RECTIFIED)
    history = deployed.registry.status_history(rid)
    assert [(status, reason) for _, status, reason in history] == [
        (RecognitionStatus.SUSPENDED, 1),
        (RecognitionStatus.ACTIVE, 11),
        (RecognitionStatus.REVOKED, 2),
    ]


def test_in_force_at_time(deployed: Deployed, certifier: RegistryWriter) -> None:
    chain, registry = deployed.chain, deployed.registry
    start = chain.block_timestamp() + 10
    rid, result = certifier.issue_recognition(factory_terms(deployed, valid_from=start, valid_until=start + YEAR))
    issued_at = result.events[0].timestamp
    chain.increase_time(1000)
    suspended = certifier.suspend_recognition(rid, ReasonCode.SPOT_CHECK_FAILED).events[0].timestamp
    chain.increase_time(1000)
    reinstated = certifier.reinstate_recognition(rid, ReasonCode.RECTIFIED).events[0].timestamp
    assert registry.status_at(rid, min(issued_at, start) - 1) is None
    assert not registry.is_in_force_at(rid, start - 1)  # validity not begun
    assert registry.is_in_force_at(rid, start)
    assert registry.is_in_force_at(rid, suspended - 1)
    assert not registry.is_in_force_at(rid, suspended)
    assert registry.status_at(rid, suspended) == RecognitionStatus.SUSPENDED
    assert not registry.is_in_force_at(rid, reinstated - 1)
    assert registry.is_in_force_at(rid, reinstated)
    assert registry.is_in_force_at(rid, start + YEAR - 1)
    assert not registry.is_in_force_at(rid, start + YEAR)  # expired
    chain.increase_time(2 * YEAR)
    assert not registry.is_in_force_at(rid, chain.block_timestamp())
    assert registry.is_in_force_at(rid, reinstated)  # the past does not change


def test_open_ended_recognition(deployed: Deployed, national_certifier: RegistryWriter) -> None:
    terms = factory_terms(
        deployed,
        holder=MANUFACTURER,
        kind=RecognitionKind.GREEN_SUPPLY_CHAIN,
        level=Level.NATIONAL,
        scope=Scope.ENTERPRISE,
        subject="",
        valid_until=None,
        standard_ref="GB/T 33635-2017",
    )
    rid, _ = national_certifier.issue_recognition(terms)
    assert deployed.registry.recognition(rid).terms.valid_until is None
    assert deployed.registry.is_in_force_at(rid, terms.valid_from + 50 * YEAR)


def test_three_passed_spot_checks_in_a_row_exempt_for_five_years(
    deployed: Deployed, certifier: RegistryWriter, regulator: RegistryWriter
) -> None:
    registry, chain = deployed.registry, deployed.chain
    rid, _ = certifier.issue_recognition(factory_terms(deployed, valid_until=None))
    regulator.record_spot_check(rid, passed=True, report_hash=b"\x01" * 32)
    failed = regulator.record_spot_check(rid, passed=False, report_hash=b"\x02" * 32)
    (recorded,) = only(failed.events, ev.SpotCheckRecorded)
    assert (recorded.passed, recorded.consecutive_passes, recorded.report_hash) == (False, 0, b"\x02" * 32)
    regulator.record_spot_check(rid, passed=True, report_hash=b"\x03" * 32)
    second = regulator.record_spot_check(rid, passed=True, report_hash=b"\x04" * 32)
    assert only(second.events, ev.SpotCheckExemptionGranted) == []
    assert not registry.is_spot_check_exempt(rid)
    third = regulator.record_spot_check(rid, passed=True, report_hash=b"\x05" * 32)
    assert only(third.events, ev.SpotCheckRecorded)[0].consecutive_passes == 3
    (granted,) = only(third.events, ev.SpotCheckExemptionGranted)
    checked_at = only(third.events, ev.SpotCheckRecorded)[0].timestamp
    assert granted.exempt_until == checked_at + 5 * YEAR
    assert registry.is_spot_check_exempt(rid)
    state = registry.spot_check_state(rid)
    assert (state.checks, state.consecutive_passes, state.exempt_until) == (5, 0, granted.exempt_until)
    chain.increase_time(5 * YEAR - 100)
    assert registry.is_spot_check_exempt(rid)
    chain.increase_time(200)
    assert not registry.is_spot_check_exempt(rid)


def test_a_failed_spot_check_ends_the_exemption(
    deployed: Deployed, certifier: RegistryWriter, regulator: RegistryWriter, stranger: RegistryWriter
) -> None:
    rid, _ = certifier.issue_recognition(factory_terms(deployed))
    for i in range(3):
        regulator.record_spot_check(rid, passed=True, report_hash=bytes([i + 1]) * 32)
    assert deployed.registry.is_spot_check_exempt(rid)
    regulator.record_spot_check(rid, passed=False, report_hash=b"\x09" * 32)
    assert not deployed.registry.is_spot_check_exempt(rid)
    with expect(RegistryPermissionError, "AccessControlUnauthorizedAccount"):
        certifier.record_spot_check(rid, passed=True, report_hash=b"\x01" * 32)  # spot checks are the regulator's
    with pytest.raises(RegistryPermissionError):
        stranger.record_spot_check(rid, passed=True, report_hash=b"\x01" * 32)
    regulator.revoke_recognition(rid, ReasonCode.SPOT_CHECK_FAILED)
    with expect(RegistryStateError, "RegistryInvalidRecognitionStatus", status=3):
        regulator.record_spot_check(rid, passed=True, report_hash=b"\x01" * 32)
