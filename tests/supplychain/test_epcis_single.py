"""One bare event (the REST binding's POST /events body) read as the one-event document it stands for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplychain.epcis import DEFAULT_LIMITS, EPCIS_CONTEXT_URL, Limits, parse_document_object
from supplychain.epcis.parse import parse_document_or_event
from supplychain.epcis.single import SINGLE_EVENT_CREATION_DATE, single_event_document
from supplychain.errors import DocumentTooLargeError, EpcisSyntaxError, EpcisValidationError, NestingTooDeepError
from supplychain.eventhash import event_hash_id, hash_context, hash_document

EVENTS = "openepcis/2.0/EPCIS/JSON/Capture/Events"


def test_each_openepcis_bare_event_is_a_valid_one_event_document(vectors_dir: Path) -> None:
    paths = sorted((vectors_dir / EVENTS).glob("*.json"))
    assert len(paths) == 5
    for path in paths:
        event = json.loads(path.read_text(encoding="utf-8"))
        document = single_event_document(path.read_bytes())
        assert document["epcisBody"]["eventList"] == [event]  # unchanged, its own @context kept
        assert document["@context"] == event["@context"]
        assert document["creationDate"] == SINGLE_EVENT_CREATION_DATE
        parsed = parse_document_object(document)
        assert [type(e).__name__ for e in parsed.events] == [event["type"]]
        # the Event Hash ID is the event's with its own context, in the document as on its own
        own = event_hash_id(event, hash_context(event["@context"]))
        assert hash_document(json.dumps(document).encode()) == [own]


def test_an_event_without_context_is_refused_as_validate_refuses_it() -> None:
    with pytest.raises(EpcisSyntaxError, match="a bare event carries its own @context"):
        single_event_document(b'{"type": "ObjectEvent"}')
    with pytest.raises(EpcisValidationError, match=r"a bare event carries the EPCIS 2\.0 context"):
        parse_document_or_event(b'{"type": "ObjectEvent"}')
    document = single_event_document(b'{"@context": "%s", "type": "ObjectEvent"}' % EPCIS_CONTEXT_URL.encode())
    assert document["@context"] == EPCIS_CONTEXT_URL
    assert document["epcisBody"]["eventList"] == [{"@context": EPCIS_CONTEXT_URL, "type": "ObjectEvent"}]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"[]", "a single event is a JSON object, got an array"),
        (b"42", "a single event is a JSON object"),
        (b"{oops", "JSON"),
        (b'{"type": "EPCISDocument", "epcisBody": {}}', "got an EPCISDocument"),
        (b'{"type": "EPCISQueryDocument"}', "got an EPCISQueryDocument"),
        (b'{"a": 1, "a": 2}', "duplicate key"),
    ],
)
def test_what_is_not_one_event_is_refused(data: bytes, says: str) -> None:
    with pytest.raises(EpcisSyntaxError, match=says):
        single_event_document(data)


def test_the_limits_hold_before_the_event_is_decoded() -> None:
    with pytest.raises(DocumentTooLargeError):
        single_event_document(b"{}" + b" " * 100, limits=Limits(max_document_bytes=100))
    with pytest.raises(NestingTooDeepError):
        single_event_document(b'{"a":' * 200 + b"1" + b"}" * 200, limits=DEFAULT_LIMITS)


def test_problems_are_placed_in_the_event_itself() -> None:
    from supplychain.epcis.single import _event_path, parse_single_event
    from supplychain.errors import EpcisValidationError

    event = {"@context": [{"x": "https://x.example/"}], "type": "AggregationEvent", "eventTime": "soon"}
    with pytest.raises(EpcisValidationError) as refused:
        parse_single_event(json.dumps(event).encode())
    paths = {p.path for p in refused.value.problems}
    assert {"@context", "eventTime", "eventTimeZoneOffset", "action"} <= paths
    assert not any(p.startswith("epcisBody") for p in paths)
    assert all(p.index == 0 for p in refused.value.problems if p.path != "@context")
    assert _event_path("epcisBody.eventList[0]") == ""  # a problem of the event as a whole: at its root


def test_a_valid_event_parses_to_its_document(vectors_dir: Path) -> None:
    from supplychain.epcis.single import parse_single_event

    path = vectors_dir / EVENTS / "ObjectEvent.json"
    parsed = parse_single_event(path.read_bytes())
    assert parsed.events[0].raw == json.loads(path.read_text(encoding="utf-8"))
