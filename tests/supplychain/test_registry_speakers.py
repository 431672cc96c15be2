"""Who may speak for a product: which events only a GTIN's owner (or its delegate) may sign, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from supplychain.epcis import parse_document_object
from supplychain.epcis.model import EpcisEvent
from supplychain.registry.speakers import NOT_GTIN_OWNER, UNKNOWN_GTIN_OWNER, created_gtins, speaker_refusal
from tests.supplychain.test_registry_prefixes import G_991, G_995, G_OTHER, MAKER, OEM, SUPPLIER, mirror

LOT_CLASS = f"urn:epc:class:lgtin:6901234.{G_995[0]}{G_995[8:13]}.L1"
SERIAL_991 = f"https://id.gs1.org/01/{G_991}/21/S1"
SERIAL_OTHER = f"https://example.com/01/{G_OTHER}/21/S2"


def parsed(**fields: Any) -> EpcisEvent:
    event = {"eventTime": datetime.fromtimestamp(300, UTC).isoformat(), "eventTimeZoneOffset": "+08:00", **fields}
    document = {
        "@context": "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"eventList": [event]},
    }
    return parse_document_object(document).events[0]


COMMISSIONING = parsed(
    type="ObjectEvent",
    action="ADD",
    bizStep="commissioning",
    epcList=[SERIAL_991, f"urn:epc:id:sgtin:6901234.{G_991[0]}{G_991[8:13]}.S9", "urn:epc:id:sscc:6901234.0000000011"],
    quantityList=[{"epcClass": LOT_CLASS, "quantity": 5}],
)


def test_creation_events_name_the_gtins_they_bring_into_being() -> None:
    assert created_gtins(COMMISSIONING) == (G_991, G_995)  # once each (a URN and a link); the SSCC is no trade item
    observe_commissioning = parsed(
        type="ObjectEvent", action="OBSERVE", bizStep="commissioning", epcList=[SERIAL_OTHER]
    )
    assert created_gtins(observe_commissioning) == (G_OTHER,)
    making = parsed(
        type="TransformationEvent",
        inputEPCList=[SERIAL_OTHER],
        outputEPCList=[SERIAL_991],
        outputQuantityList=[{"epcClass": LOT_CLASS, "quantity": 1}],
    )
    assert created_gtins(making) == (G_991, G_995)  # the input is not the maker's to speak for


@pytest.mark.parametrize(
    "event",
    [
        parsed(type="ObjectEvent", action="OBSERVE", bizStep="shipping", epcList=[SERIAL_991]),
        parsed(type="ObjectEvent", action="DELETE", bizStep="decommissioning", epcList=[SERIAL_991]),
        parsed(
            type="AggregationEvent", action="ADD", parentID="urn:epc:id:sscc:6901234.0000000011", childEPCs=[SERIAL_991]
        ),
        parsed(type="TransformationEvent", inputEPCList=[SERIAL_991], outputEPCList=["urn:epc:id:giai:6901234.X1"]),
    ],
)
def test_custody_events_speak_for_no_gtin(event: EpcisEvent) -> None:
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
