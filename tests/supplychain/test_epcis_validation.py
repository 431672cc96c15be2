"""Rules the GS1 schemas set that the validator enforces: what an ObjectEvent names, the XSD's element order in XML,
``bizRules`` in a sensor report, and bare events (JSON-LD or XML) read with a document's checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from supplychain.epcis import ObjectEvent, parse_document, to_jsonld
from supplychain.epcis.parse import parse_document_or_event, parse_event
from supplychain.epcis.xmldoc import xml_to_jsonld
from supplychain.errors import DocumentError, EpcisValidationError

CONTEXT = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
EPC = "urn:epc:id:sgtin:4012345.011111.1"
WHEN = {"eventTime": "2024-03-01T10:00:00Z", "eventTimeZoneOffset": "+00:00"}


def _document(*events: dict[str, Any]) -> bytes:
    body = {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-01T10:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }
    return json.dumps(body).encode()


def _problems(data: bytes) -> list[tuple[int | None, str, str]]:
    with pytest.raises(EpcisValidationError) as caught:
        parse_document_or_event(data)
    return [(p.index, p.path, p.message) for p in caught.value.problems]


def _xml(events: str, prefix: str = "") -> bytes:
    return (
        f'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" {prefix} schemaVersion="2.0" '
        f'creationDate="2024-03-01T10:00:00Z"><EPCISBody><EventList>{events}</EventList></EPCISBody>'
        "</epcis:EPCISDocument>"
    ).encode()


_XML_TIME = "<eventTime>2024-03-01T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>"
_REPORT = {"type": "Temperature", "value": 4.5, "uom": "CEL"}
_SENSORS = [{"sensorReport": [_REPORT]}]


# --- what an ObjectEvent is about -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "what",
    [
        {"epcList": []},
        {"epcList": [EPC]},
        {"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": 2}]},
        {"sensorElementList": _SENSORS, "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"}},
    ],
)
def test_an_object_event_names_its_objects_or_its_sensor_data_with_a_place(what: dict[str, Any]) -> None:
    doc = parse_document(_document({"type": "ObjectEvent", "action": "OBSERVE", **WHEN, **what}))
    assert isinstance(doc.events[0], ObjectEvent)


@pytest.mark.parametrize(
    "what",
    [
        {},
        {"quantityList": []},
        {"sensorElementList": _SENSORS},
        {"readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"}},
    ],
)
def test_an_object_event_about_nothing_is_refused_naming_the_field(what: dict[str, Any]) -> None:
    data = _document({"type": "ObjectEvent", "action": "OBSERVE", **WHEN, **what})
    assert _problems(data) == [
        (
            0,
            "epcisBody.eventList[0].epcList",
            "an ObjectEvent needs what it observes: epcList, a non-empty quantityList, or a non-empty "
            "sensorElementList with a readPoint",
        )
    ]


def test_an_object_event_without_objects_emits_an_empty_epc_list() -> None:
    (parsed,) = parse_document(_document({**_plain(), "epcList": []})).events
    emitted = to_jsonld(parsed)
    assert emitted["epcList"] == []
    assert parse_document(_document(emitted)).events[0] == parsed


def _plain() -> dict[str, Any]:
    return {"type": "ObjectEvent", "action": "OBSERVE", "epcList": [EPC], **WHEN}


# --- what the other event types are about ----------------------------------------------------------------

PARENT = "urn:epc:id:sscc:4012345.0000000001"
CLASS = "urn:epc:class:lgtin:4012345.011111.L1"
TRANSACTION = [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO1"}]


@pytest.mark.parametrize(
    "event",
    [
        {"type": "TransactionEvent", "action": "ADD", "bizTransactionList": TRANSACTION, "epcList": []},
        {"type": "TransactionEvent", "action": "DELETE", "bizTransactionList": TRANSACTION},
        {"type": "AggregationEvent", "action": "ADD", "parentID": PARENT, "childEPCs": [EPC]},
        {"type": "AggregationEvent", "action": "DELETE", "parentID": PARENT},
        {"type": "AssociationEvent", "action": "ADD", "parentID": PARENT, "childQuantityList": [{"epcClass": CLASS}]},
        {"type": "TransformationEvent", "inputEPCList": [EPC], "outputQuantityList": [{"epcClass": CLASS}]},
        {"type": "TransformationEvent", "inputEPCList": [EPC], "transformationID": "urn:uuid:1"},
    ],
)
def test_every_event_type_names_what_it_is_about(event: dict[str, Any]) -> None:
    assert len(parse_document(_document({**event, **WHEN})).events) == 1


@pytest.mark.parametrize(
    ("event", "field", "message"),
    [
        (
            {"type": "TransactionEvent", "action": "ADD", "bizTransactionList": TRANSACTION, "quantityList": []},
            "epcList",
            "a TransactionEvent needs epcList or a non-empty quantityList (unless DELETE)",
        ),
        (
            {"type": "AggregationEvent", "action": "ADD", "parentID": PARENT, "childEPCs": []},
            "childEPCs",
            "an AggregationEvent needs a non-empty childEPCs or childQuantityList (unless DELETE)",
        ),
        (
            {"type": "AssociationEvent", "action": "OBSERVE", "parentID": PARENT},
            "childEPCs",
            "an AssociationEvent needs a non-empty childEPCs or childQuantityList (unless DELETE)",
        ),
        ({"type": "TransformationEvent", "inputEPCList": [EPC]}, "outputEPCList", None),
        ({"type": "TransformationEvent", "outputEPCList": [EPC], "inputQuantityList": []}, "inputEPCList", None),
        ({"type": "TransformationEvent", "transformationID": "urn:uuid:1"}, "inputEPCList", None),
    ],
)
def test_an_event_about_nothing_is_refused_naming_the_field(
    event: dict[str, Any], field: str, message: str | None
) -> None:
    ((index, path, said),) = _problems(_document({**event, **WHEN}))
    assert (index, path) == (0, f"epcisBody.eventList[0].{field}")
    assert said == (
        message
        or "a TransformationEvent needs inputs (a non-empty inputEPCList or inputQuantityList) and outputs (a "
        "non-empty outputEPCList or outputQuantityList), or one of them and a transformationID"
    )


@pytest.mark.parametrize(
    ("value", "path", "message"),
    [
        ({}, "persistentDisposition", "persistentDisposition needs set or unset"),
        (
            {"set": [], "unset": ["active"]},
            "persistentDisposition.set",
            "persistentDisposition.set must not be empty: leave it out instead",
        ),
    ],
)
def test_a_persistent_disposition_sets_or_unsets_something(value: dict[str, Any], path: str, message: str) -> None:
    assert _problems(_document({**_plain(), "persistentDisposition": value})) == [
        (0, f"epcisBody.eventList[0].{path}", message)
    ]


def test_events_stored_before_the_input_rules_still_read() -> None:
    stored = {
        "type": "AggregationEvent",
        "action": "ADD",
        "parentID": PARENT,
        "persistentDisposition": {"set": []},
        **WHEN,
    }
    assert parse_event(stored).parent_id == PARENT
    problems = _problems(_document(stored))
    assert sorted(path for _, path, _ in problems) == [
        "epcisBody.eventList[0].childEPCs",
        "epcisBody.eventList[0].persistentDisposition.set",
    ]
    assert len(_problems(json.dumps({"@context": CONTEXT, **stored}).encode())) == 2


# --- bizRules in a sensor report --------------------------------------------------------------------------


def test_biz_rules_in_a_sensor_report_is_read_and_emitted() -> None:
    rules = "https://example.com/rules/cold-chain"
    event = {**_plain(), "sensorElementList": [{"sensorReport": [{**_REPORT, "bizRules": rules}]}]}
    (parsed,) = parse_document(_document(event)).events
    assert parsed.sensor_element_list[0].reports[0].biz_rules == rules
    assert to_jsonld(parsed)["sensorElementList"][0]["sensorReport"][0]["bizRules"] == rules


def test_biz_rules_in_a_sensor_report_must_be_a_uri() -> None:
    event = {**_plain(), "sensorElementList": [{"sensorReport": [{**_REPORT, "bizRules": "cold chain"}]}]}
    ((_, path, message),) = _problems(_document(event))
    assert path == "epcisBody.eventList[0].sensorElementList[0].sensorReport[0].bizRules"
    assert "is not a valid bizRules" in message


# --- the XSD's order, in XML only -------------------------------------------------------------------------


def test_xml_elements_out_of_the_xsd_order_are_refused_each_named() -> None:
    event = (
        "<ObjectEvent><action>OBSERVE</action>" + _XML_TIME + "<epcList><epc>" + EPC + "</epc></epcList></ObjectEvent>"
    )
    assert _problems(_xml(event)) == [
        (
            0,
            f"epcisBody.eventList[0].{name}",
            f"element <{name}> is out of order: the EPCIS 2.0 XSD's ObjectEvent puts it before <action>",
        )
        for name in ("eventTime", "eventTimeZoneOffset", "epcList")
    ]


def test_the_same_fields_in_any_order_are_fine_in_json() -> None:
    event = {"epcList": [EPC], "action": "OBSERVE", "type": "ObjectEvent", **WHEN}
    assert parse_document(_document(event)).events[0].epc_list == (EPC,)


@pytest.mark.parametrize(
    ("inner", "path", "element", "late", "early"),
    [
        (
            "<epcList/><action>OBSERVE</action><quantityList><quantityElement><quantity>2</quantity>"
            "<epcClass>urn:epc:class:lgtin:4012345.011111.L1</epcClass></quantityElement></quantityList>",
            "quantityList[0].epcClass",
            "quantityElement",
            "epcClass",
            "quantity",
        ),
        (
            "<errorDeclaration><reason>incorrect_data</reason><declarationTime>2024-03-02T10:00:00Z"
            "</declarationTime></errorDeclaration><epcList/><action>OBSERVE</action>",
            "errorDeclaration.declarationTime",
            "errorDeclaration",
            "declarationTime",
            "reason",
        ),
        (
            "<epcList/><action>OBSERVE</action><readPoint><id>urn:epc:id:sgln:4012345.00001.0</id></readPoint>"
            '<sensorElementList><sensorElement><sensorReport type="Temperature" value="4" uom="CEL"/>'
            '<sensorMetadata time="2024-03-01T10:00:00Z"/></sensorElement></sensorElementList>',
            "sensorElementList[0].sensorMetadata",
            "sensorElement",
            "sensorMetadata",
            "sensorReport",
        ),
    ],
)
def test_nested_xml_elements_follow_the_xsd_order(inner: str, path: str, element: str, late: str, early: str) -> None:
    problems = _problems(_xml("<ObjectEvent>" + _XML_TIME + inner + "</ObjectEvent>"))
    assert problems == [
        (
            0,
            f"epcisBody.eventList[0].{path}",
            f"element <{late}> is out of order: the EPCIS 2.0 XSD's {element} puts it before <{early}>",
        )
    ]


def test_extension_elements_are_not_ranked() -> None:
    event = "<ObjectEvent>" + _XML_TIME + "<ex:note>first</ex:note><epcList/><action>OBSERVE</action></ObjectEvent>"
    doc = parse_document(_xml(event, prefix='xmlns:ex="https://example.com/ns/"'))
    assert doc.events[0].extensions == {"ex:note": "first"}


# --- bare events --------------------------------------------------------------------------------------------


def test_a_bare_json_event_is_read_with_its_own_context() -> None:
    event = {"@context": [CONTEXT, {"ex": "https://example.com/ns/"}], **_plain(), "ex:note": "x"}
    parsed = parse_document_or_event(json.dumps(event).encode())
    assert isinstance(parsed, ObjectEvent)
    assert (parsed.index, parsed.extensions) == (0, {"ex:note": "x"})


def test_a_bare_json_event_needs_the_epcis_context() -> None:
    assert _problems(json.dumps(_plain()).encode()) == [
        (0, "@context", "required field '@context' is missing: a bare event carries the EPCIS 2.0 context")
    ]
    other = {"@context": "https://example.com/context.jsonld", **_plain()}
    assert _problems(json.dumps(other).encode()) == [
        (
            0,
            "@context",
            "@context must include the EPCIS 2.0 context https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        )
    ]


def test_a_bare_json_event_gets_a_documents_checks() -> None:
    event = {"@context": CONTEXT, "type": "ObjectEvent", "action": "CREATE", "epcList": [EPC], **WHEN}
    assert _problems(json.dumps(event).encode()) == [
        (0, "action", "unknown action 'CREATE': expected ADD, OBSERVE or DELETE")
    ]


def test_a_bare_xml_event_drops_the_document_attributes_and_keeps_its_prefixes() -> None:
    data = (
        b'<ObjectEvent xmlns:ex="https://example.com/ns/" schemaVersion="2.0" creationDate="2024-03-01T10:00:00Z">'
        + _XML_TIME.encode()
        + b"<epcList><epc>"
        + EPC.encode()
        + b"</epc></epcList><action>OBSERVE</action><ex:note>x</ex:note>"
        b"</ObjectEvent>"
    )
    parsed = parse_document_or_event(data, media_type="application/xml")
    assert isinstance(parsed, ObjectEvent)
    assert parsed.extensions == {"ex:note": "x"}
    tree = xml_to_jsonld(data, bare_event=True)
    assert tree["@context"][1] == {"ex": "https://example.com/ns/"}
    assert "schemaVersion" not in tree


def test_a_bare_xml_event_without_extensions_has_the_epcis_context_only() -> None:
    data = ("<ObjectEvent>" + _XML_TIME + "<epcList/><action>ADD</action></ObjectEvent>").encode()
    assert xml_to_jsonld(data, bare_event=True)["@context"] == [
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    ]


def test_a_bare_xml_event_is_checked_for_order_too() -> None:
    data = ("<ObjectEvent><action>ADD</action>" + _XML_TIME + "</ObjectEvent>").encode()
    assert (
        0,
        "eventTime",
        "element <eventTime> is out of order: the EPCIS 2.0 XSD's ObjectEvent puts it before <action>",
    ) in _problems(data)


def test_documents_still_refuse_a_bare_event() -> None:
    data = ("<ObjectEvent>" + _XML_TIME + "<epcList/><action>ADD</action></ObjectEvent>").encode()
    with pytest.raises(DocumentError, match="root element is 'ObjectEvent', not EPCISDocument or EPCISQueryDocument"):
        xml_to_jsonld(data, bare_event=False)
    assert xml_to_jsonld(data)["type"] == "ObjectEvent"  # supplychain hash reads bare events
    with pytest.raises(EpcisValidationError, match="expected document type EPCISDocument"):
        parse_document(json.dumps({"@context": CONTEXT, **_plain()}).encode())


def test_documents_read_the_same_through_either_entry_point() -> None:
    data = _document(_plain())
    assert parse_document_or_event(data) == parse_document(data)
