"""Capture receipts: the platform's signed word that it received an event, and by when it will anchor it.

A submitter keeps the receipt; if the event is later missing from the platform's records or from the chain, the
receipt proves the platform had it. Format (JSON, version 1)::

    {"type": "SupplychainCaptureReceipt", "version": 1,
     "eventHashId": "ni:///sha-256;…?ver=CBV2.0", "organisationId": "<GLN or USCC>",
     "receivedAt": <ms since epoch>, "anchorBy": <ms since epoch>,
     "platformKeyId": "0x<64 hex: the platform's Ed25519 public key>",
     "signature": "<base64url, no padding>"}

The signature is Ed25519 over ``b"supplychain/capture-receipt/v1\\n"`` followed by the canonical JSON (sorted keys, no
spaces, UTF-8) of every field but ``signature``: the prefix keeps receipts and event signatures apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from supplychain.errors import EnvelopeFormatError, KeyIdMismatchError
from supplychain.signing import SigningKey, decode_signature, encode_signature, key_id_of, sign_message, verify_message

__all__ = ["RECEIPT_DOMAIN", "RECEIPT_TYPE", "make_receipt", "receipt_message", "unsigned_receipt", "verify_receipt"]

RECEIPT_TYPE = "SupplychainCaptureReceipt"
RECEIPT_DOMAIN = b"supplychain/capture-receipt/v1\n"
_FIELDS = {"type", "version", "eventHashId", "organisationId", "receivedAt", "anchorBy", "platformKeyId", "signature"}


def receipt_message(fields: Mapping[str, Any]) -> bytes:
    """The bytes a receipt's signature covers."""
    body = {k: v for k, v in fields.items() if k != "signature"}
    return RECEIPT_DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def unsigned_receipt(
    platform_key_id: str, *, event_hash_id: str, organisation_id: str, received_at: int, anchor_by: int
) -> dict[str, Any]:
    """Every field of a receipt but its ``signature`` (which covers :func:`receipt_message` of these)."""
    return {
        "type": RECEIPT_TYPE,
        "version": 1,
        "eventHashId": event_hash_id,
        "organisationId": organisation_id,
        "receivedAt": received_at,
        "anchorBy": anchor_by,
        "platformKeyId": platform_key_id,
    }


def make_receipt(
    key: SigningKey, *, event_hash_id: str, organisation_id: str, received_at: int, anchor_by: int
) -> dict[str, Any]:
    """A signed receipt (see the module docstring)."""
    fields = unsigned_receipt(
        key.key_id,
        event_hash_id=event_hash_id,
        organisation_id=organisation_id,
        received_at=received_at,
        anchor_by=anchor_by,
    )
    fields["signature"] = encode_signature(sign_message(key, receipt_message(fields)))
    return fields


def verify_receipt(receipt: Mapping[str, Any], platform_public_key: bytes) -> None:
    """Check a receipt against the platform's public key.

    Raises:
        EnvelopeFormatError: a field is missing, extra or of the wrong type.
        KeyIdMismatchError: the receipt names another platform key.
        SignatureVerificationError: the signature is malformed or does not verify.
    """
    if set(receipt) != _FIELDS:
        missing, extra = sorted(_FIELDS - set(receipt)), sorted(set(receipt) - _FIELDS)
        raise EnvelopeFormatError("receipt", f"missing fields {missing}, unexpected fields {extra}")
    if receipt["type"] != RECEIPT_TYPE or receipt["version"] != 1:
        raise EnvelopeFormatError("type", f"not a version-1 {RECEIPT_TYPE}")
    for name in ("receivedAt", "anchorBy"):
        if type(receipt[name]) is not int:
            raise EnvelopeFormatError(name, "must be an integer (milliseconds since the epoch)")
    if receipt["platformKeyId"] != key_id_of(platform_public_key):
        raise KeyIdMismatchError(f"the receipt was signed by {receipt['platformKeyId']}, not by this platform key")
    signature = decode_signature(str(receipt["signature"]))
    verify_message(
        platform_public_key, receipt_message(receipt), signature, what=f"the receipt of {receipt['eventHashId']}"
    )
