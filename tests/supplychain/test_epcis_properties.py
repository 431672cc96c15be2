"""Hypothesis properties: valid events round-trip through the emitter; garbage only ever raises our errors."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplychain.epcis import (
    Action,
    AggregationEvent,
    AssociationEvent,
    BizTransaction,
    EpcisDocument,
    EpcisError,
    ErrorDeclaration,
    Event,
    Location,
    ObjectEvent,
    PersistentDisposition,
    QuantityElement,
    SensorElement,
    SensorMetadata,
    SensorReport,
    SourceDest,
    TransactionEvent,
    TransformationEvent,
    cbv,
    document_to_jsonld,
    parse_document,
    parse_event,
    to_jsonld,
)

NAMESPACES = {"example": "https://ns.example.com/epcis/"}
CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", NAMESPACES]

_safe = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-_", min_size=1, max_size=12)
uris = st.one_of(
    st.builds("urn:epc:id:sgtin:4012345.{}.{}".format, st.integers(0, 999_999), _safe),
    st.builds("https://id.gs1.org/01/{}/21/{}".format, st.integers(10**12, 10**13 - 1), _safe),
    st.builds("urn:uuid:{}".format, st.uuids()),
)
uri_lists = st.lists(uris, max_size=4, unique=True).map(tuple)
# what an Aggregation-, Association-, Transaction- or TransformationEvent is about: never nothing (the JSON schema)
some_uris = st.lists(uris, min_size=1, max_size=4, unique=True).map(tuple)
offsets = st.integers(-14 * 4, 14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))
times = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=offsets)
tz_offsets = st.sampled_from(["+00:00", "+01:00", "-06:00", "+05:30", "+14:00", "-14:00", "-09:45"])
numbers = st.one_of(st.integers(0, 10**12), st.floats(0, 1e12, allow_nan=False, allow_infinity=False))
uoms = st.sampled_from(["KGM", "LTR", "MTR", "A93", "C62"])
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(10**9), 10**9), st.text(max_size=20))
json_values = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(_safe.map("example:{}".format), inner, max_size=3)
    ),
    max_leaves=8,
)
extensions = st.dictionaries(_safe.map("example:{}".format), json_values, max_size=3)


def _term(vocab: cbv.Vocabulary) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(sorted(vocab.terms)), uris.map(lambda u: "https://acme.example/v/" + u[-8:]))


quantities = st.lists(
    st.builds(QuantityElement, epc_class=uris, quantity=st.none() | numbers, uom=st.none() | uoms), max_size=3
).map(tuple)
locations = st.none() | st.builds(Location, id=uris, extensions=extensions)
reports = st.builds(
    SensorReport,
    type=st.none() | _term(cbv.SENSOR_MEASUREMENT_TYPE_VOCAB),
    exception=st.none() | st.sampled_from(sorted(cbv.SENSOR_ALERT_TYPES)),
    device_id=st.none() | uris,
    time=st.none() | times,
    value=st.none() | numbers,
    component=st.none() | _term(cbv.COMPONENT_VOCAB),
    string_value=st.none() | st.text(max_size=20),
    boolean_value=st.none() | st.booleans(),
    hex_binary_value=st.none() | st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=8),
    min_value=st.none() | numbers,
    uom=st.none() | uoms,
    extensions=extensions,
)
sensor_elements = st.lists(
    st.builds(
        SensorElement,
        reports=st.lists(reports, min_size=1, max_size=3).map(tuple),
        metadata=st.none() | st.builds(SensorMetadata, time=st.none() | times, device_id=st.none() | uris),
        extensions=extensions,
    ),
    max_size=2,
).map(tuple)
common = {
    "event_time": times,
    "event_time_zone_offset": tz_offsets,
    "record_time": st.none() | times,
    "event_id": st.none() | uris,
    "error_declaration": st.none()
    | st.builds(
        ErrorDeclaration,
        declaration_time=times,
        reason=st.none() | _term(cbv.ERROR_REASON_VOCAB),
        corrective_event_ids=uri_lists,
        extensions=extensions,
    ),
    "certification_info": uri_lists,
    "biz_step": st.none() | _term(cbv.BIZ_STEP_VOCAB),
    "disposition": st.none() | _term(cbv.DISPOSITION_VOCAB),
    "persistent_disposition": st.none()
    | st.builds(
        PersistentDisposition,
        set=st.lists(_term(cbv.DISPOSITION_VOCAB), max_size=2).map(tuple),
        unset=st.lists(_term(cbv.DISPOSITION_VOCAB), max_size=2).map(tuple),
    ).filter(lambda p: p.set or p.unset),  # the JSON schema: it sets or unsets something
    "read_point": locations,
    "biz_location": locations,
    "biz_transaction_list": st.lists(
        st.builds(BizTransaction, biz_transaction=uris, type=st.none() | _term(cbv.BIZ_TRANSACTION_TYPE_VOCAB)),
        max_size=2,
    ).map(tuple),
    "source_list": st.lists(
        st.builds(SourceDest, type=_term(cbv.SOURCE_DESTINATION_TYPE_VOCAB), id=uris), max_size=2
    ).map(tuple),
    "destination_list": st.lists(
        st.builds(SourceDest, type=_term(cbv.SOURCE_DESTINATION_TYPE_VOCAB), id=uris), max_size=2
    ).map(tuple),
    "sensor_element_list": sensor_elements,
    "extensions": extensions,
}
actions = st.sampled_from(list(Action))
ilmds = st.none() | extensions
events: st.SearchStrategy[Event] = st.one_of(
    st.builds(ObjectEvent, action=actions, epc_list=uri_lists, quantity_list=quantities, ilmd=ilmds, **common),
    st.builds(
        AggregationEvent,
        action=actions,
        parent_id=uris,
        child_epcs=some_uris,
        child_quantity_list=quantities,
        **common,
    ),
    st.builds(
        TransactionEvent,
        action=actions,
        parent_id=st.none() | uris,
        epc_list=some_uris,
        quantity_list=quantities,
        **common
        | {
            "biz_transaction_list": st.lists(
                st.builds(BizTransaction, biz_transaction=uris), min_size=1, max_size=2
            ).map(tuple)
        },
    ),
    st.builds(
        TransformationEvent,
        input_epc_list=some_uris,
        input_quantity_list=quantities,
        output_epc_list=some_uris,
        output_quantity_list=quantities,
        transformation_id=st.none() | uris,
        ilmd=ilmds,
        **common,
    ),
    st.builds(
        AssociationEvent, action=actions, parent_id=uris, child_epcs=some_uris, child_quantity_list=quantities, **common
    ),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events)
def test_valid_events_round_trip(event: Event) -> None:
    emitted = json.loads(json.dumps(to_jsonld(event)))
    assert parse_event(emitted, context=CONTEXT) == event


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, max_size=4), st.sampled_from(["EPCISDocument", "EPCISQueryDocument"]), times)
def test_valid_documents_round_trip(items: list[Event], kind: str, created: datetime) -> None:
    doc = EpcisDocument(
        events=tuple(items),
        type=kind,
        creation_date=created,
        namespaces=NAMESPACES,
        query_name="SimpleEventQuery" if kind == "EPCISQueryDocument" else None,
        sender="urn:epc:id:pgln:4012345.00000",
    )
    parsed = parse_document(json.dumps(document_to_jsonld(doc)).encode())
    assert parsed == doc
    assert [e.index for e in parsed.events] == list(range(len(items)))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_bytes_raise_only_our_errors(data: bytes) -> None:
    with contextlib.suppress(EpcisError):
        parse_document(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_xml_raises_only_our_errors(tail: bytes) -> None:
    head = b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"><EPCISBody>'
    with contextlib.suppress(EpcisError):
        parse_document(head + tail)


_any_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=15), inner, max_size=4)),
    max_leaves=20,
)
_field_names = st.sampled_from(
    ["type", "eventTime", "eventTimeZoneOffset", "action", "epcList", "quantityList", "bizStep", "disposition",
     "readPoint", "bizTransactionList", "sourceList", "sensorElementList", "ilmd", "errorDeclaration", "parentID",
     "childEPCs", "inputEPCList", "persistentDisposition", "certificationInfo", "eventID", "example:x", "@context"]
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, st.dictionaries(_field_names, _any_json, min_size=1, max_size=4))
def test_mutated_events_raise_only_our_errors(event: Event, changes: dict[str, Any]) -> None:
    mutated = to_jsonld(event) | changes
    doc = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
           "creationDate": datetime.now(UTC).isoformat(), "epcisBody": {"eventList": [mutated]}}  # fmt: skip
    try:
        parsed = parse_document(json.dumps(doc, default=str).encode())
    except EpcisError:
        return
    assert len(parsed.events) == 1


@settings(max_examples=200, deadline=None)
@given(_any_json)
def test_arbitrary_json_documents_raise_only_our_errors(value: Any) -> None:
    with contextlib.suppress(EpcisError):
        parse_document(json.dumps({"@context": CONTEXT, "type": "EPCISDocument", "epcisBody": value}).encode())
    with contextlib.suppress(EpcisError):
        parse_event(value if isinstance(value, dict) else {"type": value})
