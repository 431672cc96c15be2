"""CBV 2.0 Event Hash IDs: GS1's reference vectors, equivalence groups, the reference package, bad input."""

from __future__ import annotations

import copy
import json
import logging
import string
from pathlib import Path
from typing import Any

import pytest
from epcis_event_hash_generator import hash_generator, json_to_py
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplychain.errors import DocumentError, EventHashError, TraceError
from supplychain.eventhash import (
    HashContext,
    document_context,
    document_events,
    event_hash_id,
    hash_context,
    hash_document,
    prehash_string,
    read_document,
)
from supplychain.eventhash._dlfast import to_canonical_dl
from supplychain.eventhash._tree import general_prehash
from supplychain.eventhash._values import canonical_number, canonical_timestamp, canonical_value
from supplychain.gs1 import canonical_dl

logging.getLogger().setLevel(logging.CRITICAL)  # the reference package logs freely

CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def _documents(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".jsonld", ".json", ".xml"))


def _general(data: bytes) -> list[str]:
    """Pre-hash strings through the general (tree) path only: the oracle of the fast path."""
    document = read_document(data)
    ctx = document_context(document)
    return [general_prehash(e, e["type"], ctx) for e in document_events(data)]


# --- reference vectors ---


def test_every_example_vector(vectors_dir: Path) -> None:
    folder = vectors_dir / "epcis-event-hash" / "examples"
    documents = events = 0
    for path in _documents(folder):
        expected = path.with_suffix(".hashes").read_text(encoding="utf-8").split()
        data = path.read_bytes()
        assert hash_document(data) == expected, path.name
        assert [event_hash_id(e, document_context(read_document(data))) for e in document_events(data)] == expected
        assert _general(data) == hash_document(data, prehash=True), path.name
        documents += 1
        events += len(expected)
    assert documents == 26
    assert events == 57


def test_every_equivalence_group(vectors_dir: Path) -> None:
    folder = vectors_dir / "epcis-event-hash" / "expected_equal"
    groups = events = 0
    for path in _documents(folder):
        hashes = hash_document(path.read_bytes())
        assert len(hashes) >= 2, path.name
        assert len(set(hashes)) == 1, path.name
        assert _general(path.read_bytes()) == hash_document(path.read_bytes(), prehash=True)
        groups += 1
        events += len(hashes)
    assert groups == 11
    assert events == 30


def test_xml_and_jsonld_forms_of_one_document_hash_alike(vectors_dir: Path) -> None:
    folder = vectors_dir / "epcis-event-hash" / "examples"
    pairs = 0
    for xml in folder.glob("*.xml"):
        jsonld = xml.with_suffix(".jsonld")
        if jsonld.exists():
            assert hash_document(xml.read_bytes(), prehash=True) == hash_document(jsonld.read_bytes(), prehash=True)
            pairs += 1
    assert pairs == 8


def test_ignore_fields_of_a_document_leave_those_fields_out(vectors_dir: Path) -> None:
    data = (vectors_dir / "epcis-event-hash" / "examples" / "epcisDocHavingEventWithIgnoreFields.jsonld").read_bytes()
    first, second = hash_document(data)
    assert first == second
    document = json.loads(data)
    del document["repository-x:ignoreFields"]
    first, second = hash_document(json.dumps(document).encode())
    assert first != second


# --- the reference package on generated events ---

_WORDS = st.text(string.ascii_letters, min_size=1, max_size=8).map(lambda s: "v" + s)
_SERIAL = st.text(string.ascii_letters + string.digits, min_size=1, max_size=12)
_COMPANY = st.sampled_from(["4012345", "0614141", "952001234"])
_EPC = st.one_of(
    st.builds(lambda c, s: f"urn:epc:id:sgtin:{c}.{'0' * (12 - len(c))}1.{s}", _COMPANY, _SERIAL),
    st.builds(lambda c, n: f"urn:epc:id:sscc:{c}.{n:0{17 - len(c)}d}", _COMPANY, st.integers(0, 10**9)),
    st.builds(lambda s: f"https://id.gs1.org/01/09521234543213/21/{s}", _SERIAL),
    st.builds(lambda s: f"https://example.org/things/{s}", _SERIAL),
)
_TIME = st.builds(
    lambda d, h, m, ms, tz: f"2024-03-{d:02d}T{h:02d}:{m:02d}:07{ms}{tz}",
    st.integers(1, 28),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(["", ".5", ".123", ".1234"]),
    st.sampled_from(["Z", "+08:00", "-05:30", "+00:00"]),
)
_QUANTITY = st.fixed_dictionaries(
    {"epcClass": st.builds(lambda s: f"urn:epc:class:lgtin:4012345.012345.{s}", _SERIAL)},
    optional={
        "quantity": st.one_of(st.integers(0, 10**6), st.sampled_from([1.5, 0.25, 12.0, "007", "3.50"])),
        "uom": st.sampled_from(["KGM", "LTR"]),
    },
)
_EXTENSION_VALUE = st.one_of(_WORDS, st.integers(-1000, 1000), _EPC)
_EXTENSIONS = st.dictionaries(st.sampled_from(["ex:a", "ex:b", "ex:batch", "ex:note"]), _EXTENSION_VALUE, max_size=3)
_COMMON = {
    "eventTime": _TIME,
    "eventTimeZoneOffset": st.sampled_from(["+08:00", "-05:30"]),
}
_OPTIONAL = {
    "bizStep": st.sampled_from(
        ["shipping", "receiving", "urn:epcglobal:cbv:bizstep:packing", "https://ref.gs1.org/cbv/BizStep-inspecting"]
    ),
    "disposition": st.sampled_from(["in_progress", "active", "urn:epcglobal:cbv:disp:in_transit"]),
    "readPoint": st.builds(lambda c: {"id": f"urn:epc:id:sgln:{c}.{'0' * (12 - len(c))}.0"}, _COMPANY),
    "bizLocation": st.just({"id": "https://id.gs1.org/414/4012345000054"}),
    "bizTransactionList": st.lists(
        st.builds(
            lambda t, s: {"type": t, "bizTransaction": f"urn:epcglobal:cbv:bt:4012345000009:{s}"},
            st.sampled_from(["po", "inv", "desadv"]),
            _SERIAL,
        ),
        min_size=1,
        max_size=2,
    ),
    "sourceList": st.lists(
        st.builds(
            lambda t: {"type": t, "source": "urn:epc:id:pgln:4012345.00000"},
            st.sampled_from(["owning_party", "possessing_party"]),
        ),
        min_size=1,
        max_size=2,
    ),
    "destinationList": st.lists(
        st.builds(
            lambda t: {"type": t, "destination": "urn:epc:id:sgln:4012345.00001.0"},
            st.sampled_from(["location", "owning_party"]),
        ),
        min_size=1,
        max_size=2,
    ),
    "ilmd": st.dictionaries(st.sampled_from(["ex:bestBefore", "ex:lot"]), _WORDS, min_size=1, max_size=2),
}


def _event(kind: str, required: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda base, extensions: {"type": kind, **base, **extensions},
        st.fixed_dictionaries({**_COMMON, **required}, optional=_OPTIONAL),
        _EXTENSIONS,
    )


_EVENTS = st.one_of(
    _event(
        "ObjectEvent",
        {
            "action": st.sampled_from(["ADD", "OBSERVE", "DELETE"]),
            "epcList": st.lists(_EPC, max_size=4),
            "quantityList": st.lists(_QUANTITY, max_size=2),
        },
    ),
    _event(
        "AggregationEvent",
        {
            "action": st.sampled_from(["ADD", "DELETE"]),
            "parentID": st.builds(lambda n: f"urn:epc:id:sscc:4012345.{n:010d}", st.integers(0, 10**9)),
            "childEPCs": st.lists(_EPC, max_size=4),
            "childQuantityList": st.lists(_QUANTITY, max_size=2),
        },
    ),
    _event(
        "TransformationEvent",
        {
            "inputEPCList": st.lists(_EPC, min_size=1, max_size=3),
            "outputEPCList": st.lists(_EPC, max_size=3),
            "inputQuantityList": st.lists(_QUANTITY, max_size=2),
            "outputQuantityList": st.lists(_QUANTITY, max_size=2),
            "transformationID": st.just("urn:epc:id:gdti:4012345.00009.T1"),
        },
    ),
)


def _document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": [CONTEXT_URL, {"ex": "https://ns.example.com/epcis/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-01-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    }


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the package reads its bundled context the old way
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_EVENTS, min_size=1, max_size=3))
def test_same_pre_hash_strings_as_the_reference_package(events: list[dict[str, Any]]) -> None:
    document = _document(events)
    expected = hash_generator.derive_prehashes_from_events(
        json_to_py.event_list_from_epcis_document_json(copy.deepcopy(document))
    )
    assert hash_document(json.dumps(document).encode(), prehash=True) == expected


# --- fast path against the general path on unusual shapes ---

_ODD_VALUE = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["", " x ", "1.50", "cbv:Disp-active"]), _EPC
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["id", "type", "ex:x", "#text", "quantity", "ex:itemList", "comment"]), inner, max_size=3
        ),
    ),
    max_leaves=6,
)
_ODD_KEYS = st.sampled_from(
    [
        "eventTime",
        "certificationInfo",
        "parentID",
        "epcList",
        "childEPCs",
        "quantityList",
        "readPoint",
        "bizStep",
        "bizTransactionList",
        "sourceList",
        "persistentDisposition",
        "sensorElementList",
        "ilmd",
        "ex:ext",
        "ex:fooList",
        "unknown",
        "inputEPC",
        "errorDeclaration",
        "eventID",
        "ex:quantity",
        "@id",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_ODD_KEYS, _ODD_VALUE, max_size=6), st.booleans())
def test_fast_path_equals_general_path(fields: dict[str, Any], with_time: bool) -> None:
    event = {"type": "ObjectEvent", **fields}
    if with_time:
        event["eventTime"] = "2024-01-01T00:00:00+01:00"
    ctx = hash_context([CONTEXT_URL, {"ex": "https://ns.example.com/epcis/"}])
    try:
        expected = general_prehash(event, "ObjectEvent", ctx)
    except EventHashError:  # a non-scalar "#text": refused by both paths
        with pytest.raises(EventHashError):
            prehash_string(event, ctx)
        return
    assert prehash_string(event, ctx) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        _EPC,
        st.builds(
            lambda c, i, s: f"urn:epc:{c}:{i}.{s}",
            st.sampled_from(["id:sgtin", "id:sgln", "id:sscc", "class:lgtin"]),
            st.text("0123456789.", max_size=16),
            st.text(string.ascii_letters + "0.%!", max_size=22),
        ),
        st.builds(
            lambda k, v: f"https://id.gs1.org/{k}/{v}",
            st.sampled_from(["01", "00", "414", "417", "8003"]),
            st.text("0123456789/21/10/254", max_size=30),
        ),
    )
)
def test_fast_digital_link_equals_canonical_dl(uri: str) -> None:
    assert to_canonical_dl(uri) == canonical_dl(uri)


# --- single values ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-10-21T14:58:56.591+02:00", "2019-10-21T12:58:56.591Z"),
        ("2019-10-21T14:58:56Z", "2019-10-21T14:58:56.000Z"),
        ("2019-10-21T14:58:56.1234-06:00", "2019-10-21T20:58:56.123Z"),
        ("2019-12-31T23:59:59.9996+00:00", "2020-01-01T00:00:00.000Z"),
        # half to even, as the current reference rounds: .0005 -> .000, .0015 -> .002, .1225 -> .122
        ("2019-10-21T14:58:56.0005Z", "2019-10-21T14:58:56.000Z"),
        ("2019-10-21T14:58:56.0015Z", "2019-10-21T14:58:56.002Z"),
        ("2019-10-21T14:58:56.1225009Z", "2019-10-21T14:58:56.122Z"),
        ("2019-10-21T14:58:56.12250001Z", "2019-10-21T14:58:56.122Z"),
        ("2019-10-21T14:58:56", "2019-10-21T14:58:56.000Z"),
        ("not a time", "not a time"),
        ("0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00+01:00"),
    ],
)
def test_canonical_timestamp(text: str, expected: str) -> None:
    assert canonical_timestamp(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0150", "150"),
        ("+12.50", "12.5"),
        ("1e3", "1000"),
        ("-0.0", "0"),
        ("1.5E-7", "0.00000015"),
        ("12345678901234567890123", "12345678901234567890123"),
        ("nan", None),
        ("1e999", None),
        ("12a", None),
    ],
)
def test_canonical_number(text: str, expected: str | None) -> None:
    assert canonical_number(text) == expected


def test_canonical_value_converts_old_cbv_urns_numbers_and_identifiers() -> None:
    assert canonical_value("urn:epcglobal:cbv:bizstep:shipping") == "https://ref.gs1.org/cbv/BizStep-shipping"
    assert canonical_value("-3.10") == "-3.1"
    assert canonical_value("2019-10-21") == "2019-10-21"
    assert canonical_value("urn:epc:id:sgtin:4012345.011111.9876") == "https://id.gs1.org/01/04012345111118/21/9876"
    assert canonical_value("https://example.org/a.b") == "https://example.org/a.b"
    assert canonical_value("") == ""


# --- the API on single events ---


def test_event_hash_id_of_a_single_event_with_context_forms() -> None:
    event = {"type": "ObjectEvent", "eventTime": "2024-01-01T00:00:00Z", "action": "OBSERVE", "ex:a": "1"}
    plain = prehash_string(event)
    assert plain == "eventType=ObjectEventeventTime=2024-01-01T00:00:00.000Zaction=OBSERVEex:a=1"
    declared = prehash_string(event, [CONTEXT_URL, {"ex": "https://ns.example.com/epcis/"}])
    assert declared.endswith("{https://ns.example.com/epcis/}a=1")
    inner = prehash_string({**event, "@context": {"ex": "https://ns.example.com/epcis/"}})
    assert inner == declared
    assert isinstance(hash_context(), HashContext)
    assert hash_context(None).extended("https://x") is not None
    assert event_hash_id(event).startswith("ni:///sha-256;")
    assert event_hash_id(event).endswith("?ver=CBV2.0")
    ignoring = hash_context({"ex": "https://ns.example.com/epcis/"}, ignore_fields=["ex:a", 3])
    assert prehash_string(event, ignoring) == "eventType=ObjectEventeventTime=2024-01-01T00:00:00.000Zaction=OBSERVE"
    # a standard field named in ignoreFields is never left out (two different events would share an ID);
    # an undeclared prefix is matched as written
    assert prehash_string({**event, "action": "ADD"}, hash_context(ignore_fields=["action", "ex:a"])) == (
        "eventType=ObjectEventeventTime=2024-01-01T00:00:00.000Zaction=ADD"
    )


def test_general_path_details() -> None:
    ctx = hash_context([CONTEXT_URL, {"ex": "https://ns.example.com/epcis/", "ns": "urn:x:"}])
    event = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00005.0", "ex:shelf": "3", "ns:bin": "7"},
        "persistentDisposition": {"set": ["active"], "unset": ["in_transit"]},
        "sensorElementList": [
            {
                "sensorMetadata": {"time": "2024-01-01T00:00:00+01:00", "deviceID": "d1"},
                "sensorReport": [{"type": "Temperature", "value": 4.0, "uom": "CEL", "exception": "ALARM_CONDITION"}],
            }
        ],
        "bizTransactionList": [
            {"bizTransaction": "b1", "type": "po"},
            "b2",
            {"type": "inv", "bizTransaction": "b3", "ex:x": "y"},
        ],
        "ex:flags": [True, False, None],
        "ex:deep": [[1, 2]],
        "comment": "ignored",
    }
    text = prehash_string(event, ctx)
    assert text == general_prehash(event, "ObjectEvent", ctx)
    assert "readPointid=https://id.gs1.org/414/4012345000054{https://ns.example.com/epcis/}shelf=3" in text
    assert (
        "persistentDispositionset=https://ref.gs1.org/cbv/Disp-activeunset=https://ref.gs1.org/cbv/Disp-in_transit"
        in text
    )
    assert "sensorMetadatatime=2023-12-31T23:00:00.000ZdeviceID=d1" in text
    assert (
        "sensorReporttype=https://gs1.org/voc/Temperatureexception=https://gs1.org/voc/ALARM_CONDITIONvalue=4" in text
    )
    assert "bizTransactionListbizTransaction=b2" in text
    assert "readPoint{urn:x:}bin=7" in text
    assert "{https://ns.example.com/epcis/}flags=false{https://ns.example.com/epcis/}flags=true" in text
    assert "ignored" not in text


def test_empty_lists_and_fields_are_left_out() -> None:
    base = {"type": "ObjectEvent", "eventTime": "2024-01-01T00:00:00Z", "action": "ADD"}
    for extra in (
        {"epcList": []},
        {"bizTransactionList": []},
        {"quantityList": []},
        {"readPoint": {"id": ""}},
        {"bizStep": ""},
        {"quantityList": [{"epcClass": ""}]},
    ):
        assert prehash_string({**base, **extra}) == prehash_string(base), extra


# --- bad input ---


def test_bad_events_raise_event_hash_error() -> None:
    with pytest.raises(EventHashError, match="no event type"):
        prehash_string({"eventTime": "2024-01-01T00:00:00Z"})
    with pytest.raises(EventHashError, match="JSON object"):
        prehash_string(["not", "an", "event"])  # type: ignore[arg-type]
    with pytest.raises(EventHashError, match="unsupported JSON value"):
        prehash_string({"type": "ObjectEvent", "ex:x": object()})
    deep: dict[str, Any] = {}
    for _ in range(5000):
        deep = {"ex:x": deep}
    with pytest.raises(EventHashError, match="nested too deeply"):
        prehash_string({"type": "ObjectEvent", "ex:y": deep})
    data = json.dumps(_document([{"type": "ObjectEvent"}, {"eventTime": "x"}])).encode()
    with pytest.raises(EventHashError, match="event 1") as info:
        hash_document(data)
    assert isinstance(info.value, TraceError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"epcisBody": {"eventList": [}', "malformed JSON"),
        (b'{"type": "EPCISDocument"}', "no 'epcisBody'"),
        (b'{"epcisBody": {"events": []}}', "no event list"),
        (b'{"epcisBody": {"queryResults": {"resultsBody": 3}}}', "no event list"),
        (b"hello", "neither JSON"),
        (b"", "neither JSON"),
        (b"<EPCISDocument><EPCISBody><EventList>", "malformed XML"),
        (b"<html><body/></html>", "not EPCISDocument"),
        (b"<EPCISDocument/>", "no EPCISBody"),
        (b"<EPCISDocument><EPCISBody/></EPCISDocument>", "no EventList"),
        (
            b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b"<EPCISDocument>&b;</EPCISDocument>",
            "refused unsafe XML",
        ),
        (b'<!DOCTYPE x SYSTEM "http://example.org/x.dtd"><EPCISDocument/>', "refused unsafe XML"),
        (b"<a>" * 100 + b"</a>" * 100, "nested deeper than 64"),
    ],
)
def test_bad_documents_raise_document_error(data: bytes, message: str) -> None:
    with pytest.raises(DocumentError, match=message) as info:
        hash_document(data)
    assert isinstance(info.value, ValueError)
    with pytest.raises(DocumentError):
        document_events(data)


def test_single_event_body_and_query_documents() -> None:
    event = {"type": "ObjectEvent", "eventTime": "2024-01-01T00:00:00Z", "action": "ADD", "x:note": "n"}
    single = json.dumps({"epcisBody": {"event": event}}).encode()
    results = {"r:ignoreFields": ["x:note", "action"], "resultsBody": {"eventList": [event]}}
    context = [CONTEXT_URL, {"r": "https://repository-x.example.com/", "x": "urn:x:"}]
    query = json.dumps({"@context": context, "epcisBody": {"queryResults": results}}).encode()
    assert hash_document(b"\xef\xbb\xbf  " + single) == [event_hash_id(event)]
    # the dedicated namespace's ignoreFields leaves out the extension, never the standard field
    assert hash_document(query, prehash=True) == ["eventType=ObjectEventeventTime=2024-01-01T00:00:00.000Zaction=ADD"]
    # ignoreFields under a prefix of any other namespace, or with no prefix, means nothing
    for other in ({"r": "https://elsewhere.example.com/", "x": "urn:x:"}, {"x": "urn:x:"}):
        unrelated = json.dumps({"@context": [CONTEXT_URL, other], "epcisBody": {"queryResults": results}}).encode()
        assert hash_document(unrelated, prehash=True)[0].endswith("action=ADD{urn:x:}note=n")
    plain = json.dumps({"ignoreFields": ["x:note"], "@context": context, "epcisBody": {"eventList": [event]}})
    assert hash_document(plain.encode(), prehash=True)[0].endswith("{urn:x:}note=n")
    assert document_events(single) == [event]


def test_fast_path_hands_odd_values_to_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import supplychain.eventhash._fast as fast

    monkeypatch.setattr(fast, "_MEMO_SIZE", 2)
    ctx = hash_context()
    base = {"type": "ObjectEvent", "eventTime": "2024-01-01T00:00:00Z"}
    for extra in (
        {"quantityList": [{"epcClass": {"x": "1"}}]},
        {"bizTransactionList": [{"type": ["po"], "bizTransaction": "b"}]},
        {"readPoint": {"id": ["x"]}},
        {"eventTime": "cbv:Disp-active"},
        {"epcList": ["a", "b", "c", "d"]},
    ):
        event = {**base, **extra}
        assert prehash_string(event, ctx) == general_prehash(event, "ObjectEvent", ctx)
    assert len(ctx.memo) <= 2


# --- XML documents in JSON-LD form ---

_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2" xmlns:ex="https://ns.example.com/epcis/"
    xmlns:x2="urn:x2" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="a b">
  <EPCISHeader><ex:sender>me</ex:sender></EPCISHeader>
  <ex:docNote>n</ex:docNote>
  <EPCISBody>
    <epcisq:QueryResults>
      <queryName>SimpleEventQuery</queryName>
      <ex:ignoreFields><ex:hidden/></ex:ignoreFields>
      <ex:other>o</ex:other>
      <resultsBody>
        <EventList>
          <ObjectEvent ex:attr="1">
            <eventTime>2024-01-01T10:00:00+02:00</eventTime>
            <eventTimeZoneOffset>+02:00</eventTimeZoneOffset>
            <epcList><epc>urn:epc:id:sgtin:4012345.011111.1</epc></epcList>
            <action>OBSERVE</action>
            <bizStep>urn:epcglobal:cbv:bizstep:receiving</bizStep>
            <persistentDisposition><set>cbv:Disp-active</set><unset>cbv:Disp-in_transit</unset><ex:why>w</ex:why>
            </persistentDisposition>
            <readPoint><id>urn:epc:id:sgln:4012345.00005.0</id><ex:shelf>3</ex:shelf></readPoint>
            <bizTransactionList>
              <bizTransaction type="cbv:BTT-po">urn:epcglobal:cbv:bt:4012345000009:1<ex:ref>r</ex:ref></bizTransaction>
            </bizTransactionList>
            <extension>
              <quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.L1</epcClass>
                <quantity>0.1000000000000000055511151231257827</quantity><uom>KGM</uom></quantityElement>
                <quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.L2</epcClass><quantity>2.50</quantity>
                </quantityElement><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.L3</epcClass>
                <quantity>abc</quantity></quantityElement></quantityList>
            </extension>
            <sensorElementList><sensorElement>
              <sensorMetadata time="2024-01-01T10:00:00+02:00"/>
              <sensorReport type="gs1:Temperature" value="4" uom="CEL"/>
              <sensorReport type="gs1:Temperature" value="5.5" uom="CEL"/>
              <ex:sensorNote>s</ex:sensorNote>
            </sensorElement></sensorElementList>
            <errorDeclaration><declarationTime>2024-01-02T00:00:00Z</declarationTime>
              <correctiveEventIDs><correctiveEventID>urn:uuid:1</correctiveEventID></correctiveEventIDs>
            </errorDeclaration>
            <ilmd><ex:lot>L1</ex:lot><ex:lot>L2</ex:lot><ex:lot>L3</ex:lot></ilmd>
            <ex:itemList><ex:item>a</ex:item><ex:item>b</ex:item></ex:itemList>
            <ex:mixed a="1">text<x2:inner>i</x2:inner></ex:mixed>
            <ex:hidden>h</ex:hidden>
            <def xmlns="urn:default">d</def>
            <y:z xmlns:y="urn:y1"><y:w xmlns:y="urn:y2">1</y:w></y:z>
          </ObjectEvent>
        </EventList>
      </resultsBody>
    </epcisq:QueryResults>
  </EPCISBody>
</epcisq:EPCISQueryDocument>
"""


def test_xml_document_in_jsonld_form() -> None:
    from supplychain.epcis.xmldoc import EPCIS_CONTEXT, xml_to_jsonld

    document = xml_to_jsonld(_XML)
    assert document["type"] == "EPCISQueryDocument"
    assert document["@context"][0] == EPCIS_CONTEXT
    assert document["@context"][1]["ex"] == "https://ns.example.com/epcis/"
    assert document["@context"][1]["ns"] == "urn:default"
    assert {document["@context"][1][p] for p in ("y", "y_1")} == {"urn:y1", "urn:y2"}
    assert document["schemaVersion"] == "2.0"
    assert document["epcisHeader"] == {"ex:sender": "me"}
    assert document["ex:docNote"] == "n"
    results = document["epcisBody"]["queryResults"]
    assert results["queryName"] == "SimpleEventQuery"
    assert results["ex:ignoreFields"] == ["ex:hidden"]
    assert results["ex:other"] == "o"
    (event,) = results["resultsBody"]["eventList"]
    assert event["type"] == "ObjectEvent"
    assert event["ex:attr"] == "1"
    assert event["epcList"] == ["urn:epc:id:sgtin:4012345.011111.1"]
    assert event["persistentDisposition"] == {
        "set": ["cbv:Disp-active"],
        "unset": ["cbv:Disp-in_transit"],
        "ex:why": "w",
    }
    assert event["readPoint"] == {"id": "urn:epc:id:sgln:4012345.00005.0", "ex:shelf": "3"}
    assert event["bizTransactionList"] == [
        {"type": "cbv:BTT-po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:1", "ex:ref": "r"}
    ]
    quantities = [q["quantity"] for q in event["quantityList"]]
    assert quantities == ["0.1000000000000000055511151231257827", 2.5, "abc"]
    sensor = event["sensorElementList"][0]
    assert sensor["sensorMetadata"] == {"time": "2024-01-01T10:00:00+02:00"}
    assert [r["value"] for r in sensor["sensorReport"]] == [4, 5.5]
    assert sensor["ex:sensorNote"] == "s"
    assert event["errorDeclaration"]["correctiveEventIDs"] == ["urn:uuid:1"]
    assert event["ilmd"] == {"ex:lot": ["L1", "L2", "L3"]}
    assert event["ex:itemList"] == ["a", "b"]
    assert event["ex:mixed"] == {"a": "1", "x2:inner": "i", "#text": "text"}
    text = hash_document(_XML, prehash=True)[0]
    assert "{https://ns.example.com/epcis/}hidden=h" in text  # ex is not the ignoreFields namespace
    assert "{https://ns.example.com/epcis/}itemList{https://ns.example.com/epcis/}item=a" in text
    assert "quantityElementepcClass=https://id.gs1.org/01/04012345123456/10/L2quantity=2.5" in text


def test_xml_envelope_variants() -> None:
    from supplychain.epcis.xmldoc import xml_to_jsonld

    plain = (
        b"<EPCISDocument><EPCISBody><EventList><extension><TransformationEvent/></extension></EventList>"
        b"</EPCISBody></EPCISDocument>"
    )
    assert xml_to_jsonld(plain)["epcisBody"] == {"eventList": [{"type": "TransformationEvent"}]}
    assert len(xml_to_jsonld(plain)["@context"]) == 1
    empty = (
        b"<EPCISQueryDocument><EPCISBody><QueryResults><resultsBody/></QueryResults></EPCISBody></EPCISQueryDocument>"
    )
    assert xml_to_jsonld(empty)["epcisBody"]["queryResults"]["resultsBody"] == {"eventList": []}
    deep = b"<EPCISDocument>" + b"<a>" * 10 + b"</a>" * 10 + b"</EPCISDocument>"
    with pytest.raises(DocumentError, match="deeper than 5"):
        xml_to_jsonld(deep, max_depth=5)


@pytest.mark.parametrize("key", ["example:sensorList", "example:quantity", "example:childEPCs"])
def test_extensions_the_fast_path_cannot_order_take_the_general_path(key: str) -> None:
    ctx = hash_context({"example": "https://ns.example.com/epcis/"})
    event = {
        "type": "ObjectEvent",
        "eventTime": "2024-03-01T08:00:00+08:00",
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2018"],
        key: [{"example:b": "2"}, {"example:a": "1"}],
    }
    assert prehash_string(event, ctx) == general_prehash(event, "ObjectEvent", ctx)
    assert "https://ns.example.com/epcis/" in prehash_string(event, ctx)


BASE_EVENT: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2024-03-01T08:00:00+08:00",
    "eventTimeZoneOffset": "+08:00",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2018"],
    "action": "OBSERVE",
    "bizStep": "shipping",
}
UNUSUAL: list[dict[str, Any]] = [
    {"eventTime": None},
    {"action": ["OBSERVE"]},
    {"disposition": {"not": "a term"}},
    {"epcList": [{"id": 1}]},
    {"epcList": "urn:epc:id:sgtin:0614141.107346.2018"},
    {"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": "many"}]},
    {"quantityList": ["not an element"]},
    {"readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234", "example:x": "1"}},
    {"readPoint": "urn:epc:id:sgln:0614141.07346.1234"},
    {"bizLocation": {"id": {"nested": True}}},
    {"bizTransactionList": ["not a pair"]},
    {"bizTransactionList": [{"type": "po", "bizTransaction": {"not": "a URI"}}]},
    {"bizTransactionList": []},
    {"quantityList": []},
    {"sourceList": [{"type": "owning_party"}]},
    {"unknownField": 1},
    {"example:someList": [{"example:b": "2"}, {"example:a": "1"}]},
    {"example:quantity": 5},
]


@pytest.mark.parametrize("change", UNUSUAL, ids=lambda c: next(iter(c)))
def test_the_fast_path_falls_back_to_the_general_path_on_unusual_shapes(change: dict[str, Any]) -> None:
    """Each shape the fast path does not write itself gives the general path's result (or its error)."""
    ctx = hash_context({"example": "https://ns.example.com/epcis/"})
    event = {**BASE_EVENT, **change}
    if change.get("eventTime", "") is None:
        del event["eventTime"]
    try:
        expected = general_prehash(event, "ObjectEvent", ctx)
    except TraceError as exc:
        with pytest.raises(type(exc)):
            prehash_string(event, ctx)
        return
    assert prehash_string(event, ctx) == expected


def test_ignored_fields_take_the_general_path() -> None:
    ctx = hash_context({"ex": "urn:ex:"}, ignore_fields=["bizStep", "ex:note"])
    event = {**BASE_EVENT, "ex:note": "n"}
    assert prehash_string(event, ctx) == general_prehash(event, "ObjectEvent", ctx)
    assert "note" not in prehash_string(event, ctx)
    assert "shipping" in prehash_string(event, ctx)
    assert ctx.without_ignored(event) == BASE_EVENT
    assert prehash_string(ctx.without_ignored(event), hash_context({"ex": "urn:ex:"})) == prehash_string(event, ctx)
    assert hash_context().without_ignored(event) == event
