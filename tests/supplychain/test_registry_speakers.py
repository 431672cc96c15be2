"""Who may speak for a product: which events only a GTIN's owner (or its delegate) may sign, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest

from supplychain.registry.speakers import (
    NOT_GTIN_OWNER,
    UNKNOWN_GTIN_OWNER,
    created_gtins,
    gtin_named,
    speaker_refusal,
)
from supplychain.trace import gtin_of, node_id
from tests.supplychain.test_registry_prefixes import G_991, G_995, G_OTHER, MAKER, OEM, SUPPLIER, mirror

LOT_CLASS = f"urn:epc:class:lgtin:6901234.{G_995[0]}{G_995[8:13]}.L1"
SERIAL_991 = f"https://id.gs1.org/01/{G_991}/21/S1"
URN_991 = f"urn:epc:id:sgtin:6901234.{G_991[0]}{G_991[8:13]}.S9"
SERIAL_OTHER = f"https://example.com/01/{G_OTHER}/21/S2"
SSCC = "urn:epc:id:sscc:6901234.0000000011"

COMMISSIONING: dict[str, Any] = {
    "type": "ObjectEvent",
    "action": "ADD",
    "bizStep": "commissioning",
    "epcList": [SERIAL_991, URN_991, SSCC, 7],
    "quantityList": [{"epcClass": LOT_CLASS, "quantity": 5}, {"quantity": 1}, "junk"],
}


def test_creation_events_name_the_gtins_they_bring_into_being() -> None:
    assert created_gtins(COMMISSIONING) == (G_991, G_995)  # once each (a link and a URN); the SSCC is no trade item
    for step in (
        "commissioning",
        "https://ref.gs1.org/cbv/BizStep-commissioning",
        "urn:epcglobal:cbv:bizstep:creating_class_instance",
    ):
        observed = {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": step, "epcList": [SERIAL_OTHER]}
        assert created_gtins(observed) == (G_OTHER,)
    making = {
        "type": "TransformationEvent",
        "inputEPCList": [SERIAL_OTHER],
        "outputEPCList": [SERIAL_991],
        "outputQuantityList": [{"epcClass": LOT_CLASS, "quantity": 1}],
    }
    assert created_gtins(making) == (G_991, G_995)  # the input is not the maker's to speak for


@pytest.mark.parametrize(
    "event",
    [
        {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "epcList": [SERIAL_991]},
        {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "ex:own-step", "epcList": [SERIAL_991]},
        {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": 5, "epcList": [SERIAL_991]},
        {"type": "ObjectEvent", "action": "DELETE", "bizStep": "decommissioning", "epcList": [SERIAL_991]},
        {"type": "ObjectEvent", "action": "ADD", "epcList": SERIAL_991, "quantityList": {"epcClass": LOT_CLASS}},
        {"type": "AggregationEvent", "action": "ADD", "parentID": SSCC, "childEPCs": [SERIAL_991]},
        {"type": "TransformationEvent", "inputEPCList": [SERIAL_991], "outputEPCList": ["urn:epc:id:giai:6901234.X1"]},
    ],
)
def test_custody_events_speak_for_no_gtin(event: dict[str, Any]) -> None:
    assert created_gtins(event) == ()
    assert speaker_refusal(mirror(), OEM, event, 50) is None  # anyone may ship, pack, use or scrap an item


def test_the_owner_and_its_delegates_may_commission_at_the_event_time() -> None:
    m = mirror()
    assert speaker_refusal(m, MAKER, COMMISSIONING, 300) is None
    assert speaker_refusal(m, OEM, COMMISSIONING, 300) is None  # delegated 991-995 from 200 to 400
    refused = speaker_refusal(m, OEM, COMMISSIONING, 450)  # 991 is still delegated, 992-995 ended at 400
    assert refused is not None and refused.reason == NOT_GTIN_OWNER
    assert (refused.gtin, refused.owner) == (G_995, MAKER)
    assert f"GTIN {G_995} belongs to organisation {MAKER} (GS1 Company Prefix 6901234)" in refused.detail
    assert f"not delegated to {OEM}" in refused.detail
    refused = speaker_refusal(m, MAKER, COMMISSIONING, 600)  # transferred to the supplier at 500
    assert refused is not None and refused.owner == SUPPLIER


def test_nobody_may_commission_a_gtin_whose_prefix_nobody_holds() -> None:
    refused = speaker_refusal(mirror(), MAKER, COMMISSIONING, 50)  # before the prefix was assigned
    assert refused is not None and refused.reason == UNKNOWN_GTIN_OWNER and refused.owner is None
    assert f"GTIN {G_991}: no organisation held its GS1 Company Prefix on chain" in refused.detail


@pytest.mark.parametrize(
    "identifier",
    [
        SERIAL_991,
        URN_991,
        SERIAL_OTHER,
        LOT_CLASS,
        f"https://id.gs1.org/01/{G_991[1:]}/10/L1",  # a GTIN-13 in a Digital Link
        "urn:epc:id:sgtin:0614141.812345.6789",
        "urn:epc:id:sgtin:061414.1812345.6789",  # 6 + 7 digits
        "urn:epc:id:sgtin:0614141.81234.6789",  # 12 digits: not an SGTIN, left to the parser
        "urn:epc:id:sscc:0614141.1234567890",
        "https://id.gs1.org/00/106141412345678908",
        "urn:uuid:00000000-0000-4000-8000-000000000000",
    ],
)
def test_the_gtin_an_identifier_names_reads_fast_as_its_trace_node(identifier: str) -> None:
    assert gtin_named(identifier) == gtin_of(node_id(identifier))


def test_a_wrong_check_digit_is_no_gtin_anyone_owns() -> None:
    wrong = G_991[:-1] + str((int(G_991[-1]) + 1) % 10)
    event = {"type": "ObjectEvent", "action": "ADD", "epcList": [f"https://id.gs1.org/01/{wrong}/21/1"]}
    refused = speaker_refusal(mirror(), MAKER, event, 300)
    assert refused is not None and refused.reason == UNKNOWN_GTIN_OWNER
    assert refused.detail == f"GTIN {wrong} has a wrong check digit: it is no GTIN, so no organisation owns it"
