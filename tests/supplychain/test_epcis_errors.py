"""Bad input: each rule refuses with the event's index and eventID, the field's path and what was expected."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from supplychain.epcis import (
    EpcisMediaTypeError,
    EpcisSyntaxError,
    EpcisValidationError,
    Problem,
    parse_document,
    parse_document_object,
    parse_event,
)
from supplychain.errors import TraceError

CTX = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"example": "https://ns.example.com/epcis/"}]
EVENT_ID = "urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8"


def _object_event() -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": "2024-03-01T10:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "eventID": EVENT_ID,
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1"],
        "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": 5, "uom": "KGM"}],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
    }


def _document(*events: Any) -> dict[str, Any]:
    return {
        "@context": CTX,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-01T10:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def _problems(doc: dict[str, Any]) -> list[Problem]:
    with pytest.raises(EpcisValidationError) as info:
        parse_document(json.dumps(doc).encode())
    return info.value.problems


def _only(doc: dict[str, Any]) -> Problem:
    problems = _problems(doc)
    assert len(problems) == 1, problems
    return problems[0]


def _bad_event(change: dict[str, Any], drop: tuple[str, ...] = (), *, position: int = 3) -> Problem:
    """One bad event at ``position`` among good ones; returns its single problem."""
    bad = _object_event() | change
    for key in drop:
        del bad[key]
    events = [_object_event() for _ in range(position)] + [bad, _object_event()]
    problem = _only(_document(*events))
    assert problem.index == position
    return problem


def test_valid_document_parses() -> None:
    doc = parse_document(json.dumps(_document(_object_event())).encode())
    assert doc.events[0].event_id == EVENT_ID


def test_unknown_event_type() -> None:
    problem = _bad_event({"type": "ObjectEvnt"})
    assert problem.event_id == EVENT_ID
    assert problem.path == "epcisBody.eventList[3].type"
    assert "unknown event type 'ObjectEvnt'" in problem.message
    assert "did you mean 'ObjectEvent'" in problem.message


def test_missing_type() -> None:
    problem = _bad_event({}, drop=("type",))
    assert problem.path == "epcisBody.eventList[3].type"
    assert "required field 'type' is missing" in problem.message


@pytest.mark.parametrize("field", ["eventTime", "eventTimeZoneOffset", "action"])
def test_missing_required_field(field: str) -> None:
    problem = _bad_event({}, drop=(field,))
    assert problem.event_id == EVENT_ID
    assert problem.path == f"epcisBody.eventList[3].{field}"
    assert problem.message == f"required field {field!r} is missing"


@pytest.mark.parametrize(
    "stamp",
    ["2024-03-01 10:00:00Z", "2024-03-01T10:00:00", "2024-02-30T10:00:00Z", "2024-03-01T10:00:00+15:00", "yesterday"],
)
def test_bad_timestamp(stamp: str) -> None:
    problem = _bad_event({"eventTime": stamp})
    assert problem.path == "epcisBody.eventList[3].eventTime"
    assert f"{stamp!r} is not a valid timestamp" in problem.message
    assert "expected YYYY-MM-DDThh:mm:ss" in problem.message


@pytest.mark.parametrize("offset", ["+1:00", "+14:30", "01:00", "+15:00", "Z"])
def test_bad_time_zone_offset(offset: str) -> None:
    problem = _bad_event({"eventTimeZoneOffset": offset})
    assert problem.path == "epcisBody.eventList[3].eventTimeZoneOffset"
    assert f"{offset!r} is not a valid time zone offset" in problem.message


def test_wrong_type() -> None:
    problem = _bad_event({"epcList": "urn:epc:id:sgtin:4012345.011111.1"})
    assert problem.path == "epcisBody.eventList[3].epcList"
    assert problem.message == "expected an array, got a string"
    assert _bad_event({"eventTime": 1700000000}).message == "expected a string, got a number"


def test_negative_quantity() -> None:
    bad = {"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": -5}]}
    problem = _bad_event(bad)
    assert problem.path == "epcisBody.eventList[3].quantityList[0].quantity"
    assert problem.message == "must not be negative, got -5"


def test_bad_uom_and_non_numeric_quantity() -> None:
    bad = {"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": "5", "uom": "kg"}]}
    problems = _problems(_document(_object_event() | bad))
    assert [(p.path, p.message) for p in problems] == [
        ("epcisBody.eventList[0].quantityList[0].quantity", "expected a number, got a string"),
        (
            "epcisBody.eventList[0].quantityList[0].uom",
            "'kg' is not a UN/ECE Rec. 20 unit code: expected 2-3 of A-Z, 0-9",
        ),
    ]


def test_action_on_transformation_event() -> None:
    event = {
        "type": "TransformationEvent",
        "eventTime": "2024-03-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "inputEPCList": ["urn:epc:id:sgtin:4012345.011111.1"],
        "outputEPCList": ["urn:epc:id:sgtin:4012345.011111.2"],
        "action": "ADD",
        "ilmd": {"example:batch": "B1"},
    }
    problem = _only(_document(_object_event(), event))
    assert (problem.index, problem.event_id) == (1, None)
    assert problem.path == "epcisBody.eventList[1].action"
    assert problem.message == "a TransformationEvent has no action"


def test_field_of_another_event_type() -> None:
    problem = _bad_event({"inputEPCList": []})
    assert problem.path == "epcisBody.eventList[3].inputEPCList"
    assert problem.message == "field 'inputEPCList' does not belong to a ObjectEvent"


@pytest.mark.parametrize(
    ("value", "hint"),
    [("shippin", "did you mean 'shipping'"), ("urn:epcglobal:cbv:bizstep:shipingg", "did you mean 'shipping'"),
     ("cbv:BizStep-nonsense", "expected a CBV 2.0 term"), ("just words", "expected a CBV 2.0 term")],
)  # fmt: skip
def test_unknown_biz_step(value: str, hint: str) -> None:
    problem = _bad_event({"bizStep": value})
    assert problem.path == "epcisBody.eventList[3].bizStep"
    assert f"unknown bizStep {value!r}" in problem.message
    assert hint in problem.message


def test_unknown_disposition_and_types() -> None:
    event = _object_event() | {
        "disposition": "lost_somewhere",
        "bizTransactionList": [{"type": "invoice", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:1"}],
        "sourceList": [{"type": "owner", "source": "urn:epc:id:pgln:4012345.00000"}],
    }
    problems = _problems(_document(event))
    assert [p.path for p in problems] == [
        "epcisBody.eventList[0].disposition",
        "epcisBody.eventList[0].bizTransactionList[0].type",
        "epcisBody.eventList[0].sourceList[0].type",
    ]
    assert "unknown disposition 'lost_somewhere'" in problems[0].message


@pytest.mark.parametrize("epc", ["4012345.011111.1", "", "urn epc", 42])
def test_epc_that_is_not_a_uri(epc: Any) -> None:
    problem = _bad_event({"epcList": ["urn:epc:id:sgtin:4012345.011111.1", epc]})
    assert problem.path == "epcisBody.eventList[3].epcList[1]"
    assert "EPC" in problem.message


def test_duplicate_epc() -> None:
    epc = "urn:epc:id:sgtin:4012345.011111.1"
    problem = _bad_event({"epcList": [epc, epc]})
    assert problem.path == "epcisBody.eventList[3].epcList[1]"
    assert problem.message == f"duplicate EPC {epc!r}"


def test_unknown_top_level_field() -> None:
    problem = _bad_event({"bizstep": "shipping"})
    assert problem.path == "epcisBody.eventList[3].bizstep"
    assert "unknown field 'bizstep' in ObjectEvent (did you mean 'bizStep'?)" in problem.message


def test_extension_with_undeclared_prefix() -> None:
    problem = _bad_event({"acme:batch": "B1"})
    assert problem.path == "epcisBody.eventList[3].acme:batch"
    assert problem.message == "extension field 'acme:batch' uses prefix 'acme', which @context does not declare"
    assert _bad_event({":batch": 1}).message == "malformed extension field name ':batch': expected prefix:name"


def test_declared_extensions_are_kept() -> None:
    event = _object_event() | {"example:batch": {"example:lot": ["L1"]}, "https://x.example/f": 1}
    doc = parse_document(json.dumps(_document(event)).encode())
    assert doc.events[0].extensions == {"example:batch": {"example:lot": ["L1"]}, "https://x.example/f": 1}


def test_all_problems_of_a_document_are_collected() -> None:
    first = _object_event() | {"bizStep": "shippin"}
    second = _object_event() | {"eventID": "ni:///sha-256;abc?ver=CBV2.0", "quantityList": [{"quantity": -1}]}
    problems = _problems(_document(first, _object_event(), second))
    assert [(p.index, p.event_id, p.path) for p in problems] == [
        (0, EVENT_ID, "epcisBody.eventList[0].bizStep"),
        (2, "ni:///sha-256;abc?ver=CBV2.0", "epcisBody.eventList[2].quantityList[0].epcClass"),
        (2, "ni:///sha-256;abc?ver=CBV2.0", "epcisBody.eventList[2].quantityList[0].quantity"),
    ]
    text = str(EpcisValidationError(problems))
    assert text.startswith("3 problem(s) in EPCIS input: event 0 (eventID urn:uuid:")


def test_problem_cap() -> None:
    events = [_object_event() | {"bizStep": "nope"} for _ in range(20)]
    with pytest.raises(EpcisValidationError) as info:
        parse_document(json.dumps(_document(*events)).encode(), limits=_limits(max_problems=7))
    assert len(info.value.problems) == 7
    assert info.value.truncated
    assert "(stopped at the cap)" in str(info.value)
    assert "and 2 more" in str(info.value)


def _limits(**kw: int) -> Any:
    from supplychain.epcis import Limits

    return Limits(**kw)


def test_type_specific_rules() -> None:
    aggregation = {
        "type": "AggregationEvent",
        "eventTime": "2024-03-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1"],
    }
    association = aggregation | {"type": "AssociationEvent", "action": "DELETE"}
    transaction = {
        "type": "TransactionEvent",
        "eventTime": "2024-03-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "epcList": [],
    }
    bad_action = _object_event() | {"action": "MOVE"}
    problems = _problems(_document(aggregation, association, transaction, bad_action))
    assert [(p.index, p.path, p.message) for p in problems] == [
        (0, "epcisBody.eventList[0].parentID", "required field 'parentID' is missing"),
        (1, "epcisBody.eventList[1].parentID", "required field 'parentID' is missing"),
        (2, "epcisBody.eventList[2].bizTransactionList", "a TransactionEvent needs a non-empty bizTransactionList"),
        (3, "epcisBody.eventList[3].action", "unknown action 'MOVE': expected ADD, OBSERVE or DELETE"),
    ]


def test_nested_structures_are_checked() -> None:
    event = _object_event() | {
        "readPoint": {"ident": "x"},
        "bizLocation": "urn:epc:id:sgln:4012345.00001.0",
        "errorDeclaration": {"reason": "bad_luck", "correctiveEventIDs": ["not a uri"]},
        "persistentDisposition": {"set": ["damaged", "smashed"], "later": []},
        "sensorElementList": [
            {"sensorReport": []},
            {"sensorMetadata": {"time": "noon"}, "sensorReport": [{"type": "Heat", "hexBinaryValue": "XYZ"}, 3]},
            "report",
            {},
            {"sensorReport": {"type": "Temperature"}},
        ],
        "destinationList": [{"type": "location"}, "x"],
        "bizTransactionList": [{"bizTransaction": "urn:t:1", "extra": 1}, None],
        "quantityList": [7],
        "certificationInfo": 5,
        "ilmd": {"lot": "L1"},
    }
    problems = {p.path: p.message for p in _problems(_document(event))}
    base = "epcisBody.eventList[0]."
    expected = {
        "errorDeclaration.declarationTime": "required field 'declarationTime' is missing",
        "readPoint.ident": "unknown field 'ident' in readPoint",
        "readPoint.id": "required field 'id' is missing",
        "bizLocation": "expected an object, got a string",
        "errorDeclaration.reason": "unknown error reason 'bad_luck'",
        "errorDeclaration.correctiveEventIDs[0]": "'not a uri' is not a valid eventID",
        "persistentDisposition.later": "unknown field 'later' in persistentDisposition",
        "persistentDisposition.set[1]": "unknown disposition 'smashed'",
        "sensorElementList[0].sensorReport": "a sensor element needs at least one sensorReport",
        "sensorElementList[1].sensorMetadata.time": "'noon' is not a valid timestamp",
        "sensorElementList[1].sensorReport[0].type": "unknown sensor measurement type 'Heat'",
        "sensorElementList[1].sensorReport[0].hexBinaryValue": "'XYZ' is not hexBinary",
        "sensorElementList[1].sensorReport[1]": "expected a sensorReport object, got a number",
        "sensorElementList[2]": "expected a sensor element object, got a string",
        "sensorElementList[3].sensorReport": "a sensor element needs at least one sensorReport",
        "sensorElementList[4].sensorReport": "expected an array, got an object",
        "destinationList[0].destination": "required field 'destination' is missing",
        "destinationList[1]": "expected a destination object, got a string",
        "bizTransactionList[0].extra": "unknown field 'extra' in a bizTransaction",
        "bizTransactionList[1]": "expected a bizTransaction object, got null",
        "quantityList[0]": "expected a quantity element object, got a number",
        "certificationInfo": "expected certificationInfo URI as a string, got a number",
        "ilmd.lot": "unknown field 'lot' in ilmd",
    }
    for path, message in expected.items():
        assert message in problems.get(base + path, ""), (path, problems.get(base + path))
    assert len(problems) == len(expected)


def test_sensor_report_value_types() -> None:
    report = {"type": "Temperature", "value": True, "booleanValue": "yes", "stringValue": 1, "uriValue": "x"}
    event = _object_event() | {"sensorElementList": [{"sensorReport": [report]}]}
    problems = {p.path.rsplit(".", 1)[1]: p.message for p in _problems(_document(event))}
    assert problems == {
        "value": "expected a number, got a boolean",
        "booleanValue": "expected a boolean, got a string",
        "stringValue": "expected a string, got a number",
        "uriValue": "'x' is not a valid uriValue: expected a URN (urn:...) or an absolute URI",
    }


def test_event_that_is_not_an_object() -> None:
    problem = _only(_document(_object_event(), [1, 2]))
    assert (problem.index, problem.event_id, problem.path) == (1, None, "epcisBody.eventList[1]")
    assert problem.message == "expected an event object, got an array"


# --- document level ---------------------------------------------------------------------------------------


def test_document_level_problems() -> None:
    doc = _document(_object_event())
    doc["schemaVersion"] = "1.2"
    doc["creationDate"] = "today"
    doc["note"] = "x"
    doc["epcisHeader"] = {"masterData": {}}
    doc["id"] = "doc 1"
    problems = [(p.index, p.path, p.message.split(":")[0]) for p in _problems(doc)]
    assert problems == [
        (None, "note", "unknown field 'note' in EPCISDocument"),
        (None, "schemaVersion", "schemaVersion '1.2' is not supported"),
        (None, "creationDate", "'today' is not a valid timestamp"),
        (None, "epcisHeader.masterData", "unknown field 'masterData' in epcisHeader"),
        (None, "id", "'doc 1' is not a valid document id"),
    ]


def test_document_type_and_context_are_required() -> None:
    assert _only({"epcisBody": {}}).message == (
        "expected document type EPCISDocument or EPCISQueryDocument, got nothing"
    )
    assert "got 'Document'" in _only(_document() | {"type": "Document"}).message
    no_context = _document(_object_event())
    del no_context["@context"]
    assert _only(no_context).message == "required field '@context' is missing"
    other_context = _document(_object_event()) | {"@context": ["https://example.com/ctx.jsonld", 5]}
    problems = [(p.path, p.message) for p in _problems(other_context)]
    assert problems[0] == ("@context[1]", "expected a context URL or object, got a number")
    assert problems[1][1].startswith("@context must include the EPCIS 2.0 context")
    first = _problems(_document() | {"@context": "not a url"})[0]
    assert (first.path, first.message.split(":")[0]) == ("@context", "'not a url' is not a valid context URL")


def test_body_structure() -> None:
    no_body = _document()
    del no_body["epcisBody"]
    assert _only(no_body).message == "required field 'epcisBody' is missing"
    assert _only(_document() | {"epcisBody": {}}).path == "epcisBody.eventList"
    assert _only(_document() | {"epcisBody": {"eventList": {}}}).message == "expected an array, got an object"
    assert _only(_document() | {"epcisBody": []}).message == "expected an object, got an array"
    extra = _only(_document() | {"epcisBody": {"eventList": [], "vocabularyList": []}})
    assert extra.path == "epcisBody.vocabularyList"


def test_query_document_structure() -> None:
    base = {"@context": CTX, "type": "EPCISQueryDocument"}
    assert _only(base | {"epcisBody": {}}).path == "epcisBody.queryResults"
    assert _only(base | {"epcisBody": {"queryResults": {"queryName": "Q"}}}).path == (
        "epcisBody.queryResults.resultsBody"
    )
    problems = _problems(base | {"epcisBody": {"queryResults": {"resultsBody": {"eventList": [{}]}}}})
    assert [p.path for p in problems] == [
        "epcisBody.queryResults.queryName",
        "epcisBody.queryResults.resultsBody.eventList[0].type",
    ]
    ok = parse_document_object(
        base | {"epcisBody": {"queryResults": {"queryName": "Q", "resultsBody": {"eventList": []}}}}
    )
    assert (ok.type, ok.query_name, ok.creation_date, ok.events) == ("EPCISQueryDocument", "Q", None, ())


# --- syntax and media types ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "neither '{' (JSON) nor '<' (XML)"),
        (b"hello", "neither '{' (JSON) nor '<' (XML)"),
        (b"{", "Expecting property name"),
        (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b"\xef\xbb\xbf[1]", "expected a document object at the top, got an array"),
        (b'{"a": "\xff"}', "utf-8"),
        (b"<a><b></a>", "XML"),
        (b"<html/>", "not EPCISDocument"),
    ],
)
def test_syntax_errors(data: bytes, fragment: str) -> None:
    with pytest.raises(EpcisSyntaxError) as info:
        parse_document(data)
    assert fragment in str(info.value)
    assert isinstance(info.value, TraceError)
    assert isinstance(info.value, ValueError)


def test_unsupported_media_type() -> None:
    with pytest.raises(EpcisMediaTypeError) as info:
        parse_document(b"{}", media_type="text/plain")
    assert str(info.value).startswith("unsupported media type 'text/plain': expected one of application/ld+json")
    with pytest.raises(EpcisSyntaxError):
        parse_document(b"{}", media_type="application/epcis+xml")
    with pytest.raises(EpcisValidationError):
        parse_document(b"{}", media_type="application/vnd.x+json")


# --- single events --------------------------------------------------------------------------------------------


def test_parse_event_paths_are_relative_and_carry_the_index() -> None:
    bad = _object_event() | {"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": -2}]}
    with pytest.raises(EpcisValidationError) as info:
        parse_event(bad, index=9)
    (problem,) = info.value.problems
    assert (problem.index, problem.event_id, problem.path) == (9, EVENT_ID, "quantityList[0].quantity")
    assert str(problem) == f"event 9 (eventID {EVENT_ID}) at quantityList[0].quantity: must not be negative, got -2"


def test_parse_event_context() -> None:
    event = _object_event() | {"acme:lot": "L1"}
    with pytest.raises(EpcisValidationError):
        parse_event(event)
    assert parse_event(event, context={"acme": "https://acme.example/"}).extensions == {"acme:lot": "L1"}
    own = copy.deepcopy(event) | {"@context": [CTX[0], {"acme": "https://acme.example/"}]}
    parsed = parse_event(own)
    assert parsed.context == own["@context"]
    with pytest.raises(EpcisValidationError) as info:
        parse_event(event, context=[7])
    assert info.value.problems[0].path == "@context[0]"
    with pytest.raises(EpcisValidationError) as info:
        parse_event("event")  # type: ignore[arg-type]
    assert info.value.problems[0].message == "expected an event object, got a string"


def test_problem_rendering_for_the_document() -> None:
    assert str(Problem(None, None, "", "empty")) == "document at <root>: empty"


def test_non_finite_number_and_non_string_term() -> None:
    event = _object_event() | {"persistentDisposition": {"set": [5]}}
    text = json.dumps(_document(event)).replace('"quantity": 5', '"quantity": 1e999')
    with pytest.raises(EpcisValidationError) as info:
        parse_document(text.encode())
    assert [(p.path, p.message) for p in info.value.problems] == [
        ("epcisBody.eventList[0].persistentDisposition.set[0]", "expected a disposition string, got a number"),
        ("epcisBody.eventList[0].quantityList[0].quantity", "expected a finite number, got inf"),
    ]


def test_context_keywords_are_not_prefixes() -> None:
    context = [CTX[0], {"@version": 1.1, "@vocab": "https://ns.example.com/v/", "example": {"@id": "https://e/"}}]
    doc = parse_document(json.dumps(_document(_object_event() | {"example:a": 1}) | {"@context": context}).encode())
    assert doc.namespaces == {}
    assert doc.events[0].extensions == {"example:a": 1}
    with pytest.raises(EpcisValidationError) as info:
        parse_document(json.dumps(_document(_object_event() | {"@vocab:a": 1}) | {"@context": context}).encode())
    assert (
        info.value.problems[0].message
        == "extension field '@vocab:a' uses prefix '@vocab', which @context does not declare"
    )
