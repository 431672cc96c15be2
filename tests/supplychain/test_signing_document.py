"""Signatures in an EPCIS document's header: written by the submitter, read by the platform, in JSON and XML shapes."""

from __future__ import annotations

import json
from typing import Any

from supplychain.epcis import parse_document
from supplychain.eventhash import event_hash_id, hash_context
from supplychain.signing import (
    SIGNATURE_NAMESPACE,
    SigningKey,
    citation_id,
    decode_signature,
    header_signatures,
    sign_document,
    verify_signature,
)

KEY = SigningKey.from_private_bytes(b"\x11" * 32)
EVENT = {
    "type": "ObjectEvent",
    "eventTime": "2026-11-21T08:00:00.000Z",
    "eventTimeZoneOffset": "+08:00",
    "epcList": ["https://id.gs1.org/01/06901234000108/21/1"],
    "action": "ADD",
    "bizStep": "commissioning",
}


def document(context: Any = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld") -> dict[str, Any]:
    return {
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-21T08:00:00Z",
        "epcisHeader": {"sc:note": "kept"},
        "epcisBody": {"eventList": [EVENT, {**EVENT, "epcList": ["https://id.gs1.org/01/06901234000108/21/2"]}]},
    }


def test_signed_documents_carry_a_verifiable_signature_per_event() -> None:
    signed = sign_document(KEY, document())
    assert signed["@context"][-1] == {"sc": SIGNATURE_NAMESPACE}
    assert signed["epcisHeader"]["sc:note"] == "kept"
    entries = header_signatures(signed)
    assert len(entries) == 2
    ctx = hash_context(signed["@context"])
    for event, entry in zip(signed["epcisBody"]["eventList"], entries, strict=True):
        assert entry["eventHashId"] == event_hash_id(event, ctx)
        assert entry["keyId"] == KEY.key_id
        verify_signature(KEY.public_key_bytes, entry["eventHashId"], decode_signature(entry["signature"]))
    parse_document(json.dumps(signed).encode())  # still a valid EPCIS document


def test_an_existing_prefix_is_used() -> None:
    context = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"sig": SIGNATURE_NAMESPACE}]
    signed = sign_document(KEY, document(context))
    assert signed["@context"] == context
    assert "sig:signatures" in signed["epcisHeader"]
    assert len(header_signatures(signed)) == 2
    assert len(header_signatures(sign_document(KEY, document(None)))) == 2


def test_the_xml_shape_and_documents_without_signatures() -> None:
    context = [{"sc": SIGNATURE_NAMESPACE}]
    one = {"sc:eventHashId": "h", "sc:keyId": "k", "sc:signature": "s"}
    assert header_signatures({"@context": context, "epcisHeader": {"sc:signatures": {"sc:signature": one}}}) == [
        {"eventHashId": "h", "keyId": "k", "signature": "s"}
    ]
    assert header_signatures({"@context": context, "epcisHeader": {"sc:signatures": ["junk", one]}}) == [
        {"eventHashId": "h", "keyId": "k", "signature": "s"}
    ]
    assert header_signatures({"@context": context, "epcisHeader": {"sc:signatures": "junk"}}) == []
    assert header_signatures({"@context": context}) == []
    assert header_signatures({"epcisHeader": {"sc:signatures": [one]}}) == []  # prefix not bound: not ours


def test_a_citation_id_is_a_positive_integer_below_2_64_in_ascii_digits() -> None:
    assert [citation_id(v) for v in (1, "1", 2**64 - 1, str(2**64 - 1), "0" * 19 + "7")] == [
        1,
        1,
        2**64 - 1,
        2**64 - 1,
        7,
    ]
    for value in (0, -1, 2**64, str(2**64), "9" * 5000, "²", "١", True, 1.0, None, "", " 1"):
        assert citation_id(value) is None, value  # 5,000 digits: int() would raise, not refuse
