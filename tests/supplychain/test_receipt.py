"""Capture receipts: signed by the platform, checked by anyone holding its public key."""

from __future__ import annotations

import pytest

from supplychain.errors import EnvelopeFormatError, InvalidSignatureError, KeyIdMismatchError, SignatureEncodingError
from supplychain.receipt import RECEIPT_DOMAIN, make_receipt, receipt_message, verify_receipt
from supplychain.signing import SigningKey

KEY = SigningKey.from_private_bytes(b"\x05" * 32)
HASH = "ni:///sha-256;" + "ab" * 32 + "?ver=CBV2.0"


def receipt() -> dict[str, object]:
    return make_receipt(KEY, event_hash_id=HASH, organisation_id="6901234000016", received_at=1000, anchor_by=61000)


def test_a_receipt_verifies_with_the_platform_key() -> None:
    r = receipt()
    assert r["platformKeyId"] == KEY.key_id
    verify_receipt(r, KEY.public_key_bytes)
    assert receipt_message(r).startswith(RECEIPT_DOMAIN)
    assert b'"anchorBy":61000' in receipt_message(r)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"anchorBy": 62000}, InvalidSignatureError, "does not verify"),
        ({"eventHashId": HASH.replace("ab", "cd", 1)}, InvalidSignatureError, "does not verify"),
        ({"receivedAt": "1000"}, EnvelopeFormatError, "must be an integer"),
        ({"version": 2}, EnvelopeFormatError, "version-1"),
        ({"extra": 1}, EnvelopeFormatError, "unexpected fields \\['extra'\\]"),
        ({"platformKeyId": "0x" + "00" * 32}, KeyIdMismatchError, "not by this platform key"),
        ({"signature": "not base64!"}, SignatureEncodingError, "base64url"),
    ],
)
def test_tampered_receipts_are_refused(change: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        verify_receipt({**receipt(), **change}, KEY.public_key_bytes)


def test_a_receipt_missing_a_field_is_refused() -> None:
    r = receipt()
    del r["anchorBy"]
    with pytest.raises(EnvelopeFormatError, match="missing fields \\['anchorBy'\\]"):
        verify_receipt(r, KEY.public_key_bytes)
