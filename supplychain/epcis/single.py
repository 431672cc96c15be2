"""One bare EPCIS 2.0 event, as the EPCIS REST binding's ``POST /events`` takes it, read as the one-event document it
stands for.

The binding's single-event capture sends an event object on its own (JSON-LD, with its own ``@context``). The
platform hashes, signs and checks events of documents; :func:`single_event_document` gives the document whose only
event is that object, unchanged, and whose ``@context`` is the event's (so that extension prefixes hash and validate
as the event declares them). ``supplychain keys sign --event`` and the capture service both use it, so the Event Hash
ID a client signs is the one the platform computes.

Only JSON-LD: the binding specifies ``application/json`` for ``POST /events``, and an XML event has no standard
root of its own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from supplychain.epcis._fields import describe
from supplychain.epcis.limits import DEFAULT_LIMITS, Limits, check_document_size
from supplychain.epcis.model import EpcisDocument
from supplychain.epcis.parse import DOCUMENT_TYPES, _decode_json, parse_document_object
from supplychain.errors import EpcisSyntaxError, EpcisValidationError

__all__ = ["SINGLE_EVENT_CREATION_DATE", "parse_single_event", "single_event_document"]

_IN_DOCUMENT = "epcisBody.eventList[0]"

SINGLE_EVENT_CREATION_DATE = "1970-01-01T00:00:00Z"
"""The ``creationDate`` of the document made around a bare event (it has none; no Event Hash ID depends on it)."""


def single_event_document(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The ``EPCISDocument`` holding the one event ``data`` encodes (JSON-LD).

    The event itself is not validated here: parse the returned document (``parse_document_object``), which reports
    each problem at ``epcisBody.eventList[0]...``.

    Raises:
        DocumentTooLargeError, NestingTooDeepError: ``data`` is beyond ``limits``.
        EpcisSyntaxError: Not well-formed JSON, not an object, or a whole document rather than one event.
    """
    check_document_size(len(data), limits)
    event = _decode_json(bytes(data), limits)
    if not isinstance(event, dict):
        raise EpcisSyntaxError("EPCIS JSON-LD", f"a single event is a JSON object, got {describe(event)}")
    kind = event.get("type")
    if isinstance(kind, str) and kind in DOCUMENT_TYPES:
        raise EpcisSyntaxError(
            "EPCIS JSON-LD", f"expected one bare event, got an {kind} (documents are captured whole)"
        )
    if "@context" not in event:  # as parse_document_or_event (supplychain validate): the binding requires it
        raise EpcisSyntaxError(
            "EPCIS JSON-LD", "a bare event carries its own @context naming the EPCIS 2.0 context; it has none"
        )
    return {
        "@context": event["@context"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": SINGLE_EVENT_CREATION_DATE,
        "epcisBody": {"eventList": [event]},
    }


def parse_single_event(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> EpcisDocument:
    """The validated one-event document of ``data`` (:func:`single_event_document`), each problem's path relative
    to the event itself (``eventTime``, ``readPoint.id``; the event's own ``@context`` at ``@context``).

    Raises:
        DocumentTooLargeError, NestingTooDeepError, ListTooLongError, StringTooLongError: beyond ``limits``.
        EpcisSyntaxError: Not one event (see :func:`single_event_document`).
        EpcisValidationError: Every rule the event breaks.
    """
    try:
        return parse_document_object(single_event_document(data, limits=limits), limits=limits)
    except EpcisValidationError as exc:
        problems = [dataclasses.replace(p, path=_event_path(p.path)) for p in exc.problems]
        raise EpcisValidationError(problems, truncated=exc.truncated) from None


def _event_path(path: str) -> str:
    if path == _IN_DOCUMENT:
        return ""
    if path.startswith(_IN_DOCUMENT + "."):
        return path[len(_IN_DOCUMENT) + 1 :]
    return path  # the document's @context is the event's own
