"""The mirror's company prefixes and GTIN delegations: who owned a GTIN at T, who could make it for its owner."""

from __future__ import annotations

import json

import pytest

from supplychain.audit import history_from_json, history_to_json
from supplychain.errors import InvalidGs1KeyError, RegistryHistoryError
from supplychain.gs1 import gs1_check_digit
from supplychain.registry import (
    BusinessRole,
    PrefixHolding,
    RegistryMirror,
    gtin14,
    parse_prefix,
    prefix_candidates,
)
from supplychain.registry import events as ev
from supplychain.registry.prefixes import item_reference
from tests.supplychain.test_registry_mirror import Clock

MAKER, SUPPLIER, OEM = "6901234000016", "91320200MA1MX7K3GD", "6901234000030"
REGISTRAR = "0x" + "9" * 40
REQUEST = b"\x5a" * 32


def gtin(body: str, indicator: str = "0") -> str:
    digits = indicator + body
    return digits + gs1_check_digit(digits)


G_991, G_995, G_OTHER = gtin("690123400991"), gtin("690123400995"), gtin("690123500991")


def history() -> list[ev.RegistryEvent]:
    """The maker holds 6901234 from 100 (transferred to the supplier at 500); the OEM makes 00991-00995 for the
    maker from 200 to 400 (revoked at 300 for the supplier's part); 0690 is revoked at 250."""
    c = Clock()
    roles = BusinessRole.MANUFACTURER
    return [
        ev.OrganisationRegistered(c.at(), 10, MAKER, roles, bytes(32), ""),
        ev.OrganisationRegistered(c.at(), 10, SUPPLIER, roles, bytes(32), ""),
        ev.OrganisationRegistered(c.at(), 10, OEM, roles, bytes(32), ""),
        ev.PrefixAssigned(c.at(), 100, "6901234", MAKER, REGISTRAR, None),
        ev.PrefixAssigned(c.at(), 100, "0690", SUPPLIER, REGISTRAR, 900),
        ev.GtinsDelegated(c.at(), 150, 1, MAKER, OEM, "6901234", 991, 995, 200, 400, REQUEST, REGISTRAR),
        ev.GtinsDelegated(c.at(), 150, 2, MAKER, SUPPLIER, "6901234", 991, 991, 150, None, REQUEST, REGISTRAR),
        ev.GtinsDelegated(c.at(), 160, 3, MAKER, OEM, "6901234", 991, 991, 160, None, REQUEST, REGISTRAR),
        ev.PrefixRevoked(c.at(), 250, "0690", SUPPLIER, REGISTRAR, 13),
        ev.DelegationRevoked(c.at(), 300, 2, MAKER, SUPPLIER, REGISTRAR, 14),
        ev.PrefixTransferred(c.at(), 500, "6901234", MAKER, SUPPLIER, REGISTRAR),
        ev.PrefixAssigned(c.at(), 600, "6902", OEM, REGISTRAR, 700),
        ev.PrefixRenewed(c.at(), 800, "6902", OEM, REGISTRAR, None),  # after a lapse from 700
    ]


def mirror() -> RegistryMirror:
    return RegistryMirror().apply_all(history())


def test_prefix_history_round_trips_through_the_audits_json() -> None:
    events = history()
    assert history_from_json(json.loads(json.dumps(history_to_json(events)))) == events


def test_the_owner_of_a_gtin_at_a_time() -> None:
    m = mirror()
    assert [m.gtin_owner_at(G_991, t) for t in (99, 100, 499, 500)] == [None, MAKER, MAKER, SUPPLIER]
    assert m.gtin_owner_at(G_991[1:], 100) == MAKER  # GTIN-13
    assert m.gtin_owner_at(gtin("690123400991", "7"), 100) == MAKER  # another indicator digit
    assert m.gtin_owner_at(G_OTHER, 100) is None
    assert m.company_prefix_at(G_991, 100) == "6901234"
    assert m.company_prefix_at(G_OTHER, 100) is None
    assert m.gtin_owner_at(gtin("069000000001"), 249) == SUPPLIER
    assert m.gtin_owner_at(gtin("069000000001"), 250) is None  # revoked
    assert m.prefixes_of(MAKER, 100) == ["6901234"]
    assert m.prefixes_of(SUPPLIER, 100) == ["0690"]
    assert m.prefixes_of(SUPPLIER, 500) == ["6901234"]
    first, second = m.prefixes["6901234"]
    assert (first.ended_at, first.end_reason, second.valid_from, second.live) == (500, None, 500, True)
    assert m.prefixes["0690"][0].end_reason == 13
    assert [m.prefix_holder_at("6902", t) for t in (699, 700, 799, 800, 10**9)] == [OEM, None, None, OEM, OEM]
    assert [(h.valid_from, h.valid_until, h.ended_at) for h in m.prefixes["6902"]] == [
        (600, 700, 800),
        (800, None, None),
    ]
    with pytest.raises(InvalidGs1KeyError):
        m.gtin_owner_at("06901234009911", 100)  # wrong check digit


def test_delegates_at_a_time() -> None:
    m = mirror()
    assert m.delegates_at(G_991, 155) == [SUPPLIER]
    assert m.delegates_at(G_995, 199) == []  # the OEM's range starts at 200
    assert m.delegates_at(G_991, 200) == [OEM, SUPPLIER]  # once each, in the order of their delegations
    assert m.delegates_at(G_995, 200) == [OEM]
    assert m.delegates_at(G_991, 300) == [OEM]  # the supplier's was revoked
    assert m.delegates_at(G_995, 400) == []  # the OEM's range ended
    assert m.delegates_at(G_991, 500) == []  # filed by the former owner
    assert m.delegates_at(G_OTHER, 200) == []
    assert m.is_delegate_at(G_991, OEM, 250)
    assert not m.is_delegate_at(G_991, OEM, 155)
    assert m.may_speak_for_gtin_at(G_991, MAKER, 250)
    assert m.may_speak_for_gtin_at(G_991, OEM, 250)
    assert not m.may_speak_for_gtin_at(G_991, OEM, 500)
    assert m.delegations[2].revoke_reason == 14


def test_gtin_8_and_gtin_12_are_read_as_gtin_14() -> None:
    c = Clock()
    m = RegistryMirror().apply_all(
        [
            ev.OrganisationRegistered(c.at(), 10, OEM, BusinessRole.MANUFACTURER, bytes(32), ""),
            ev.PrefixAssigned(c.at(), 100, "000006901234", OEM, REGISTRAR, None),  # one GTIN-8
            ev.PrefixAssigned(c.at(), 100, "0012345", OEM, REGISTRAR, None),  # a U.P.C. prefix with its leading 0
        ]
    )
    assert m.gtin_owner_at("6901234" + gs1_check_digit("6901234"), 100) == OEM
    upc = "01234500001" + gs1_check_digit("01234500001")
    assert m.company_prefix_at(upc, 100) == "0012345"


def test_an_expired_holding_owns_nothing_but_stays_live() -> None:
    holding = PrefixHolding(MAKER, 100, 200, REGISTRAR)
    assert holding.live and holding.holds_at(199) and not holding.holds_at(200) and not holding.holds_at(99)
    assert RegistryMirror().prefix_holder_at("6901234", 100) is None


def test_gtin_helpers() -> None:
    assert gtin14(G_991[1:]) == G_991  # a GTIN-13 as its GTIN-14
    assert prefix_candidates(G_991) == (
        "690123400991",
        "69012340099",
        "6901234009",
        "690123400",
        "69012340",
        "6901234",
        "690123",
        "69012",
        "6901",
    )
    assert item_reference(G_991, "6901234") == 991
    assert item_reference(G_991, "690123400991") == 0
    assert parse_prefix("0690") == "0690"
    for bad in ("690", "6901234567890", "69a1", "６９０１"):
        with pytest.raises(ValueError, match="GS1 Company Prefix"):
            parse_prefix(bad)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (ev.PrefixAssigned(ev.LogPosition(1, 0), 1, "6901", MAKER, REGISTRAR, None), "before it was registered"),
        (ev.PrefixTransferred(ev.LogPosition(1, 0), 1, "6901", MAKER, OEM, REGISTRAR), "while nobody holds it"),
        (ev.PrefixRevoked(ev.LogPosition(1, 0), 1, "6901", MAKER, REGISTRAR, 13), "while nobody holds it"),
        (ev.PrefixRenewed(ev.LogPosition(1, 0), 1, "6901", MAKER, REGISTRAR, None), "while nobody holds it"),
        (ev.DelegationRevoked(ev.LogPosition(1, 0), 1, 9, MAKER, OEM, REGISTRAR, 14), "revoked before it was filed"),
        (
            ev.GtinsDelegated(ev.LogPosition(1, 0), 1, 9, MAKER, OEM, "6901", 0, 1, 1, None, REQUEST, REGISTRAR),
            "before it was registered",
        ),
    ],
)
def test_impossible_prefix_histories_are_refused(event: ev.RegistryEvent, message: str) -> None:
    with pytest.raises(RegistryHistoryError, match=message):
        RegistryMirror().apply(event)


def test_a_revoked_prefix_cannot_be_transferred() -> None:
    m = mirror()
    with pytest.raises(RegistryHistoryError, match="while nobody holds it"):
        m.apply(ev.PrefixTransferred(ev.LogPosition(99, 0), 600, "0690", SUPPLIER, OEM, REGISTRAR))
