"""The registry mirror folds events into "as at time T" answers, and refuses histories that cannot be."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplychain.errors import RegistryHistoryError
from supplychain.registry import (
    BusinessRole,
    Grade,
    Level,
    RecognitionKind,
    RecognitionStatus,
    RegistryMirror,
    Scope,
    bytes32_text,
    text_bytes32,
)
from supplychain.registry import events as ev

ORG, OTHER = "6901234000016", "91320200MA1MX7K3GD"
CERTIFIER, REGULATOR = "0x" + "c" * 40, "0x" + "r".replace("r", "a") * 40
KEY = b"\x01" * 32
ROLE = b"\x07" * 32


class Clock:
    """Hands out increasing log positions."""

    def __init__(self) -> None:
        self.n = 0

    def at(self) -> ev.LogPosition:
        self.n += 1
        return ev.LogPosition(self.n, 0, f"0x{self.n:064x}")


def terms(valid_from: int = 100, valid_until: int | None = 1000) -> ev.RecognitionTerms:
    return ev.RecognitionTerms(
        ORG,
        RecognitionKind.GREEN_FACTORY,
        Level.PROVINCIAL,
        Grade.NONE,
        Scope.FACILITY,
        "6901234000047",
        "GB/T 36132-2018",
        valid_from,
        valid_until,
        b"\x09" * 32,
    )


def history() -> list[ev.RegistryEvent]:
    c = Clock()
    return [
        ev.RoleGranted(c.at(), 10, ROLE, CERTIFIER, REGULATOR),
        ev.CertifierLevelChanged(c.at(), 10, CERTIFIER, 0, 2),
        ev.OrganisationRegistered(c.at(), 20, ORG, BusinessRole.MANUFACTURER, b"\x00" * 32, ""),
        ev.KeyAdded(c.at(), 30, ORG, KEY),
        ev.RecognitionIssued(c.at(), 40, 1, CERTIFIER, terms()),
        ev.OrganisationUpdated(c.at(), 50, ORG, BusinessRole.MANUFACTURER | BusinessRole.SUPPLIER, b"\x01" * 32, "u"),
        ev.RecognitionSuspended(c.at(), 200, 1, ORG, CERTIFIER, 1),
        ev.RecognitionReinstated(c.at(), 300, 1, ORG, REGULATOR, 11),
        ev.SpotCheckRecorded(c.at(), 310, 1, ORG, True, b"\x0a" * 32, 1),
        ev.SpotCheckRecorded(c.at(), 320, 1, ORG, True, b"\x0b" * 32, 2),
        ev.SpotCheckRecorded(c.at(), 330, 1, ORG, True, b"\x0c" * 32, 3),
        ev.SpotCheckExemptionGranted(c.at(), 330, 1, ORG, 330 + 5 * 365 * 86400),
        ev.OrganisationSuspended(c.at(), 400, ORG, 2),
        ev.OrganisationReinstated(c.at(), 450, ORG, 11),
        ev.KeyRevoked(c.at(), 500, ORG, KEY, 9),
        ev.RootAnchored(c.at(), 600, b"\x0f" * 32, 1, "0x" + "b" * 40, 42),
        ev.RecognitionRevoked(c.at(), 700, 1, ORG, REGULATOR, 2),
        ev.RoleRevoked(c.at(), 800, ROLE, CERTIFIER, REGULATOR),
        ev.CertifierLevelChanged(c.at(), 800, CERTIFIER, 2, 0),
    ]


def test_time_questions() -> None:
    m = RegistryMirror().apply_all(history())
    assert m.event_count == 19
    assert [m.key_valid_at(KEY, ORG, t) for t in (29, 30, 499, 500)] == [False, True, True, False]
    assert not m.key_valid_at(KEY, OTHER, 100)
    assert not m.key_valid_at(b"\x02" * 32, ORG, 100)
    assert m.keys[KEY].revoke_reason == 9
    assert m.roles_at(ORG, 19) == BusinessRole(0)
    assert m.roles_at(ORG, 20) == BusinessRole.MANUFACTURER
    assert m.roles_at(ORG, 50) == BusinessRole.MANUFACTURER | BusinessRole.SUPPLIER
    assert m.roles_at(OTHER, 50) == BusinessRole(0)
    assert m.organisations[ORG].roles == BusinessRole.MANUFACTURER | BusinessRole.SUPPLIER
    assert m.organisations[ORG].profile_uri == "u"
    assert [m.organisation_active_at(ORG, t) for t in (19, 20, 400, 449, 450)] == [False, True, False, False, True]
    assert not m.organisation_active_at(OTHER, 100)
    assert not m.organisations[ORG].suspended
    rec = m.recognitions[1]
    assert [m.recognition_in_force_at(1, t) for t in (99, 100, 199, 200, 300, 699, 700)] == [
        False,
        True,
        True,
        False,
        True,
        True,
        False,
    ]
    assert not m.recognition_in_force_at(2, 150)
    assert rec.status_at(39) is None  # before both its issue (40) and its validity (100)
    assert rec.status_at(40) is RecognitionStatus.ACTIVE
    assert rec.status is RecognitionStatus.REVOKED
    assert rec.lapsed_at() == 700
    assert rec.exempt_at(330) and not rec.exempt_at(329)
    assert m.recognitions_of(ORG) == [rec]
    assert m.recognitions_of(OTHER) == []
    assert m.anchors[b"\x0f" * 32].leaf_count == 42
    assert rec.exempt_until == 330 + 5 * 365 * 86400
    assert [m.certifier_level_at(CERTIFIER, t) for t in (9, 10, 799, 800)] == [0, 2, 2, 0]
    assert [m.has_role_at(ROLE, CERTIFIER, t) for t in (9, 10, 800)] == [False, True, False]


def test_what_a_citation_of_a_recognition_cites() -> None:
    m = RegistryMirror().apply_all(history())  # valid [100, 1000), suspended 200-300, revoked at 700
    cited = [m.citation_status(1, ORG, t) for t in (99, 100, 200, 300, 700)]
    assert cited == ["NOT_YET_VALID", "IN_FORCE", "SUSPENDED", "IN_FORCE", "REVOKED"]
    assert m.citation_status(1, OTHER, 150) == "NOT_HOLDER"
    assert m.citation_status(2, ORG, 150) == "UNKNOWN"
    c = Clock()
    ending = RegistryMirror().apply_all(
        [
            ev.OrganisationRegistered(c.at(), 20, ORG, BusinessRole.SUPPLIER, b"\x00" * 32, ""),
            ev.RecognitionIssued(c.at(), 50, 1, CERTIFIER, terms()),
        ]
    )
    assert [ending.citation_status(1, ORG, t) for t in (999, 1000)] == ["IN_FORCE", "EXPIRED"]


def test_status_before_anything_and_expiry() -> None:
    c = Clock()
    m = RegistryMirror().apply_all(
        [
            ev.OrganisationRegistered(c.at(), 20, ORG, BusinessRole.SUPPLIER, b"\x00" * 32, ""),
            ev.RecognitionIssued(c.at(), 500, 1, CERTIFIER, terms(valid_from=600, valid_until=900)),
            ev.RecognitionIssued(c.at(), 500, 2, CERTIFIER, terms(valid_from=600, valid_until=None)),
        ]
    )
    one, two = m.recognitions[1], m.recognitions[2]
    assert one.status_at(499) is None
    assert one.status_at(500) is RecognitionStatus.ACTIVE
    assert not one.in_force_at(550)  # issued, but its validity has not begun
    assert one.in_force_at(899) and not one.in_force_at(900)
    assert one.lapsed_at() == 900
    assert two.lapsed_at() is None and two.in_force_at(10**12)
    assert not one.exempt_at(1000)


def test_a_failed_spot_check_ends_the_exemption() -> None:
    c = Clock()
    m = RegistryMirror().apply_all(
        [
            ev.OrganisationRegistered(c.at(), 20, ORG, BusinessRole.SUPPLIER, b"\x00" * 32, ""),
            ev.RecognitionIssued(c.at(), 30, 1, CERTIFIER, terms()),
            ev.SpotCheckExemptionGranted(c.at(), 40, 1, ORG, 10_000),
            ev.SpotCheckRecorded(c.at(), 50, 1, ORG, False, b"\x01" * 32, 0),
        ]
    )
    rec = m.recognitions[1]
    assert rec.exempt_until == 50
    assert [rec.exempt_at(t) for t in (39, 40, 49, 50, 60)] == [False, True, True, False, False]
    assert rec.exempt_until == 50


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (["org", "org"], "registered twice"),
        (["key"], "referred to before it was registered"),
        (["org", "key", "key"], "added twice"),
        (["revoke"], "revoked before it was added"),
        (["issue"], "referred to before it was registered"),
        (["suspend"], "recognition 1 is referred to before it was issued"),
        (["update"], "referred to before it was registered"),
    ],
)
def test_impossible_histories_are_refused(events: list[str], message: str) -> None:
    c = Clock()
    make = {
        "org": lambda: ev.OrganisationRegistered(c.at(), 1, ORG, BusinessRole.SUPPLIER, b"\x00" * 32, ""),
        "key": lambda: ev.KeyAdded(c.at(), 1, ORG, KEY),
        "revoke": lambda: ev.KeyRevoked(c.at(), 1, ORG, KEY, 9),
        "issue": lambda: ev.RecognitionIssued(c.at(), 1, 1, CERTIFIER, terms()),
        "suspend": lambda: ev.RecognitionSuspended(c.at(), 1, 1, ORG, CERTIFIER, 1),
        "update": lambda: ev.OrganisationUpdated(c.at(), 1, ORG, BusinessRole.SUPPLIER, b"\x00" * 32, ""),
    }
    with pytest.raises(RegistryHistoryError, match=message):
        RegistryMirror().apply_all(make[name]() for name in events)


def test_events_out_of_chain_order_are_refused() -> None:
    m = RegistryMirror()
    m.apply(ev.OrganisationRegistered(ev.LogPosition(5, 1), 1, ORG, BusinessRole.SUPPLIER, b"\x00" * 32, ""))
    with pytest.raises(RegistryHistoryError, match="chain order"):
        m.apply(ev.KeyAdded(ev.LogPosition(5, 1), 1, ORG, KEY))
    with pytest.raises(RegistryHistoryError, match="chain order"):
        m.apply(ev.KeyAdded(ev.LogPosition(4, 9), 1, ORG, KEY))


def test_business_roles() -> None:
    assert BusinessRole.parse("manufacturer, Supplier") == BusinessRole.MANUFACTURER | BusinessRole.SUPPLIER
    assert (BusinessRole.LOGISTICS | BusinessRole.RETAILER).names() == ["logistics", "retailer"]
    with pytest.raises(ValueError, match="unknown business role 'farmer'"):
        BusinessRole.parse("manufacturer,farmer")
    with pytest.raises(ValueError, match="at least one"):
        BusinessRole.parse(" , ")
    assert RecognitionKind.GREEN_PARK.label_zh == "绿色园区"


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=32))
def test_bytes32_text_round_trip(text: str) -> None:
    assert bytes32_text(text_bytes32(text)) == text


@pytest.mark.parametrize("bad", ["", "é", "a\nb", "x" * 33])
def test_text_bytes32_refuses(bad: str) -> None:
    with pytest.raises(ValueError, match=r"printable ASCII|at most 32"):
        text_bytes32(bad)


def test_bytes32_text_refuses() -> None:
    assert bytes32_text(bytes(32)) == ""
    with pytest.raises(ValueError, match="expected 32 bytes"):
        bytes32_text(b"abc")
    with pytest.raises(ValueError, match="not left-aligned"):
        bytes32_text(b"a\0b".ljust(32, b"\0"))
    with pytest.raises(ValueError, match="not left-aligned"):
        bytes32_text("é".encode().ljust(32, b"\0"))
