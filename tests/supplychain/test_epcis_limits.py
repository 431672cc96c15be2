"""Resource limits: each has its own error naming the limit, its value and the value found."""

from __future__ import annotations

import json
from typing import Any

import pytest

from supplychain.epcis import (
    DEFAULT_LIMITS,
    DocumentTooLargeError,
    EpcisLimitError,
    Limits,
    ListTooLongError,
    NestingTooDeepError,
    StringTooLongError,
    TooManyEventsError,
    parse_document,
    parse_document_object,
    parse_event,
)
from supplychain.jsondepth import nesting_depth as json_nesting_depth

CTX = [
    "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
    {"example": "https://ns.example.com/epcis/"},
]


def _event(**extra: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": "2024-03-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1"],
        **extra,
    }


def _doc(*events: dict[str, Any]) -> bytes:
    body = {"eventList": list(events)}
    doc = {
        "@context": CTX,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-01T10:00:00Z",
    }
    return json.dumps(doc | {"epcisBody": body}).encode()


def test_defaults() -> None:
    assert (
        Limits(
            max_document_bytes=32 * 1024 * 1024,
            max_events=100_000,
            max_depth=32,
            max_list_length=100_000,
            max_string_length=8192,
            max_problems=1000,
        )
        == DEFAULT_LIMITS
    )


def test_document_too_large() -> None:
    data = _doc(_event())
    with pytest.raises(DocumentTooLargeError) as info:
        parse_document(data, limits=Limits(max_document_bytes=100))
    err = info.value
    assert (err.limit_name, err.limit, err.actual) == ("max_document_bytes", 100, len(data))
    assert str(err) == f"document size in bytes {len(data)} exceeds the limit max_document_bytes=100"
    assert isinstance(err, EpcisLimitError)
    assert isinstance(err, ValueError)


def test_too_many_events() -> None:
    with pytest.raises(TooManyEventsError) as info:
        parse_document(_doc(_event(), _event(), _event()), limits=Limits(max_events=2))
    assert (info.value.limit, info.value.actual, info.value.path) == (2, 3, "epcisBody.eventList")
    assert str(info.value) == "number of events 3 at epcisBody.eventList exceeds the limit max_events=2"


def test_nesting_too_deep() -> None:
    deep: Any = "x"
    for _ in range(40):
        deep = {"example:n": deep}
    with pytest.raises(NestingTooDeepError) as info:
        parse_document(_doc(_event(**{"example:deep": deep})))
    err = info.value
    assert (err.limit_name, err.limit, err.actual) == ("max_depth", 32, 44)
    assert err.path.startswith("epcisBody.eventList[0].example:deep.example:n.example:n")


def test_nesting_beyond_the_json_decoder() -> None:
    data = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(NestingTooDeepError) as info:
        parse_document(data)
    assert info.value.actual == 100_001
    assert json_nesting_depth(b'{"s": "[[[[", "l": [[1], {"x": []}]}') == 4
    assert json_nesting_depth(b"") == 0


@pytest.mark.parametrize(("levels", "actual"), [(30, 33), (60, 41)])
def test_xml_nesting_too_deep(levels: int, actual: int) -> None:
    inner = "<example:n>" * levels + "x" + "</example:n>" * levels
    xml = (
        '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:example="https://ns.example.com/e/" '
        'schemaVersion="2.0" creationDate="2024-03-01T10:00:00Z"><EPCISBody><EventList><ObjectEvent>'
        "<eventTime>2024-03-01T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>"
        f"<action>OBSERVE</action>{inner}</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>"
    )
    with pytest.raises(NestingTooDeepError) as info:
        parse_document(xml.encode())
    assert (info.value.limit, info.value.actual) == (32, actual)


def test_list_too_long() -> None:
    epcs = [f"urn:epc:id:sgtin:4012345.011111.{i}" for i in range(11)]
    with pytest.raises(ListTooLongError) as info:
        parse_document(_doc(_event(epcList=epcs)), limits=Limits(max_list_length=10))
    assert (info.value.actual, info.value.path) == (11, "epcisBody.eventList[0].epcList")


def test_string_too_long_in_value_and_key() -> None:
    long = "x" * 9000
    with pytest.raises(StringTooLongError) as info:
        parse_document(_doc(_event(**{"example:note": long})))
    assert (info.value.limit, info.value.actual) == (8192, 9000)
    assert info.value.path == "epcisBody.eventList[0].example:note"
    with pytest.raises(StringTooLongError) as info:
        parse_document(_doc(_event(**{"example:" + long: 1})))
    assert info.value.actual == 9008


def test_limits_apply_to_decoded_objects_and_single_events() -> None:
    with pytest.raises(ListTooLongError):
        parse_event(_event(epcList=["urn:x:1", "urn:x:2"]), limits=Limits(max_list_length=1))
    with pytest.raises(StringTooLongError):
        parse_document_object(json.loads(_doc(_event())), limits=Limits(max_string_length=10))
