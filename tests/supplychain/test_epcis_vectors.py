"""Every EPCIS 2.0 document of GS1's reference examples parses; XML and JSON-LD forms give equal models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from supplychain.epcis import (
    AggregationEvent,
    EpcisDocument,
    Event,
    ObjectEvent,
    TransformationEvent,
    document_to_jsonld,
    parse_document,
    to_jsonld,
)
from supplychain.epcis.parse import parse_event


def _examples(vectors_dir: Path) -> list[Path]:
    folder = vectors_dir / "epcis-event-hash" / "examples"
    return sorted(p for p in folder.iterdir() if p.suffix in (".jsonld", ".xml"))


def _expand(value: Any, namespaces: dict[str, str]) -> Any:
    """Extension keys as full IRIs, so ``https:x`` and ``example:x`` bound to one namespace compare equal."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            prefix, colon, local = key.partition(":")
            out[namespaces[prefix] + local if colon and prefix in namespaces else key] = _expand(item, namespaces)
        return out
    if isinstance(value, list):
        return [_expand(v, namespaces) for v in value]
    return value


def _comparable(doc: EpcisDocument) -> list[dict[str, Any]]:
    return [_expand(to_jsonld(event), dict(doc.namespaces)) for event in doc.events]


def test_every_example_document_parses(vectors_dir: Path) -> None:
    tested = 0
    for path in _examples(vectors_dir):
        doc = parse_document(path.read_bytes())
        hashes = path.with_suffix(".hashes").read_text(encoding="utf-8").split()
        assert len(doc.events) == len(hashes), path.name
        assert doc.schema_version == "2.0"
        for i, event in enumerate(doc.events):
            assert event.index == i
            assert event.raw is not None
            assert event.event_time.tzinfo is not None
        tested += 1
    assert tested >= 26


def test_media_type_is_honoured(vectors_dir: Path) -> None:
    folder = vectors_dir / "epcis-event-hash" / "examples"
    as_json = parse_document(
        (folder / "epcisDocWithSingleEvent.jsonld").read_bytes(), media_type="application/ld+json; charset=utf-8"
    )
    as_xml = parse_document((folder / "epcisEventWithCURIEs.xml").read_bytes(), media_type="text/xml")
    assert as_json.events[0].biz_step == "shipping"
    assert as_xml.events[0].biz_step == "receiving"


def test_raw_is_the_object_exactly_as_received(vectors_dir: Path) -> None:
    path = vectors_dir / "epcis-event-hash" / "examples" / "epcisDocWithVariousEventTypes.jsonld"
    received = json.loads(path.read_bytes())
    doc = parse_document(path.read_bytes())
    assert [e.raw for e in doc.events] == received["epcisBody"]["eventList"]
    assert doc.raw == received


def test_xml_and_jsonld_forms_give_equal_models(vectors_dir: Path) -> None:
    tested = 0
    for xml_path in _examples(vectors_dir):
        json_path = xml_path.with_suffix(".jsonld")
        if xml_path.suffix != ".xml" or not json_path.exists():
            continue
        from_xml = parse_document(xml_path.read_bytes())
        from_json = parse_document(json_path.read_bytes())
        assert _comparable(from_xml) == _comparable(from_json), xml_path.name
        tested += 1
    assert tested >= 7


def test_xml_and_jsonld_events_are_equal_objects(vectors_dir: Path) -> None:
    folder = vectors_dir / "epcis-event-hash" / "examples"
    from_xml = parse_document((folder / "epcisDocWithVariousEventTypes.xml").read_bytes())
    from_json = parse_document((folder / "epcisDocWithVariousEventTypes.jsonld").read_bytes())
    assert from_xml.events == from_json.events
    assert from_xml.events[0].raw != from_json.events[0].raw  # raw keeps each syntax's own form


def test_emit_then_parse_round_trips_every_example(vectors_dir: Path) -> None:
    tested = 0
    for path in _examples(vectors_dir):
        doc = parse_document(path.read_bytes())
        emitted = document_to_jsonld(doc)
        again = parse_document(json.dumps(emitted).encode(), media_type="application/ld+json")
        assert again == doc, path.name
        for event in doc.events:
            assert parse_event(to_jsonld(event), index=event.index or 0, context=emitted["@context"]) == event
        tested += 1
    assert tested >= 26


def test_models_hold_what_the_documents_say(vectors_dir: Path) -> None:
    folder = vectors_dir / "epcis-event-hash" / "examples"
    doc = parse_document((folder / "epcisDocWithVariousEventTypes.jsonld").read_bytes())
    first: Event = doc.events[0]
    assert isinstance(first, ObjectEvent)
    assert first.biz_step == "departing"
    assert next((bt.type, bt.biz_transaction) for bt in first.biz_transaction_list) == (
        "desadv",
        "urn:epcglobal:cbv:bt:5200001000008:4711",
    )
    assert first.destination_list[1].type == "location"
    commissioning = doc.events[3]
    assert isinstance(commissioning, ObjectEvent)
    assert commissioning.quantity_list[0].quantity == 600
    assert commissioning.quantity_list[0].uom == "KGM"
    assert commissioning.ilmd == {"cbvmda:bestBeforeDate": "2019-10-21"}
    unpacking = doc.events[6]
    assert isinstance(unpacking, AggregationEvent)
    assert unpacking.parent_id == "urn:epc:id:sscc:4012344.0111111144"
    assert unpacking.child_epcs == ()
    custom = doc.events[12]
    assert isinstance(custom, TransformationEvent)
    assert custom.biz_step == "http://epcis.example.com/user/vocab/bizstep/exampling"
    assert doc.namespaces == {
        "gs1": "https://gs1.org/voc/",
        "example": "https://ns.example.com/epcis/",
        "cbvmda": "urn:epcglobal:cbv:mda:",
    }


def test_sensor_and_error_declaration_examples(vectors_dir: Path) -> None:
    folder = vectors_dir / "epcis-event-hash" / "examples"
    sensor = parse_document((folder / "epcisDocWithSensorComponent.xml").read_bytes()).events[0]
    report = sensor.sensor_element_list[0].reports[0]
    assert (report.type, report.component, report.uom, report.value) == ("Angle", "latitude", "DD", 42.698334)
    data = parse_document((folder / "epcisDocWithSensorDataObjectEvent.jsonld").read_bytes()).events[0]
    meta = data.sensor_element_list[0].metadata
    assert meta is not None
    assert meta.device_id == "urn:epc:id:giai:4000001.111"
    assert meta.time is not None
    assert meta.time.isoformat() == "2022-02-16T14:05:00+01:00"
    declared = parse_document((folder / "epcisDocWithXMLstartTagAndErrorDeclaration.xml").read_bytes()).events[0]
    assert declared.error_declaration is not None
    assert declared.error_declaration.reason == "incorrect_data"
    assert declared.error_declaration.extensions == {"example:vendorExtension": "Test1"}


@pytest.mark.parametrize("name", ["epcisQueryDocHavingEventWithIgnoreFields.jsonld"])
def test_query_document_events_come_from_results_body(vectors_dir: Path, name: str) -> None:
    doc = parse_document((vectors_dir / "epcis-event-hash" / "examples" / name).read_bytes())
    assert doc.type == "EPCISQueryDocument"
    assert doc.query_name == "SimpleEventQuery"
    assert doc.subscription_id == "32d2aec1-a6d2-46d9-900a-24124288cce1"
    assert doc.events[0].extensions == {
        "repository-x:hash": "ni:///sha-256;b3d481c5590757ab8361a6cb0e924820feb3b61eb568e7d7703f21a96f76f51d?ver=CBV2.0",
        "example:captureID": "cc90bbe4-7f3a-4abd-b150-d4371c72a64f",
    }
