"""Signed EPCIS documents for the service tests: real Event Hash IDs, real Ed25519 signatures."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from supplychain.eventhash import event_hash_id, hash_context
from supplychain.signing import SigningKey, make_envelope, sign_document

CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"sc": "https://ns.supplychain.dev/epcis/"}]
GTIN = "06901234000108"
#: The default event time; the tests set it just after the chain's latest block (the in-process chain's clock runs
#: a few seconds ahead of the wall clock, and an event must not predate the key that signs it).
NOW_MS = [int(time.time() * 1000)]


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def object_event(
    serial: str, *, biz_step: str = "commissioning", at_ms: int | None = None, **extra: Any
) -> dict[str, Any]:
    """An ObjectEvent for one serial of the test GTIN."""
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": iso(at_ms if at_ms is not None else NOW_MS[0]),
        "eventTimeZoneOffset": "+08:00",
        "epcList": [f"https://id.gs1.org/01/{GTIN}/21/{serial}"],
        "action": "ADD" if biz_step == "commissioning" else "OBSERVE",
        "bizStep": biz_step,
        "bizLocation": {"id": "https://id.gs1.org/414/6901234000016"},
    }
    event.update(extra)
    return event


def hash_of(event: dict[str, Any]) -> str:
    return event_hash_id(event, hash_context(CONTEXT))


def _document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": iso(int(time.time() * 1000)),
        "epcisBody": {"eventList": events},
    }


def document(events: list[dict[str, Any]], signatures: list[dict[str, Any]]) -> bytes:
    """An EPCIS 2.0 JSON-LD document with these signature entries in its header (to test bad ones)."""
    return json.dumps({**_document(events), "epcisHeader": {"sc:signatures": signatures}}).encode()


def signed_document(key: SigningKey, events: list[dict[str, Any]]) -> bytes:
    """Every event signed with ``key``, as a submitter does (``supplychain.signing.sign_document``)."""
    return json.dumps(sign_document(key, _document(events))).encode()


def envelopes(key: SigningKey, org_id: str, events: list[dict[str, Any]]) -> bytes:
    """The same events as a JSON array of signed envelopes."""
    out = []
    for event in events:
        with_context = {"@context": CONTEXT, **event}
        out.append(make_envelope(key, org_id, with_context, hash_of(event)))
    return json.dumps(out).encode()
