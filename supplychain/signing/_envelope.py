"""The signed envelope: an EPCIS event with its Event Hash ID, its signer and the signature (format in the
package docstring)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from supplychain.errors import (
    EnvelopeFormatError,
    HashIdMismatchError,
    KeyIdMismatchError,
    MalformedHashIdError,
)
from supplychain.merkle import hash_id_to_bytes32
from supplychain.signing._keys import (
    SigningKey,
    decode_signature,
    encode_signature,
    is_key_id,
    key_id_of,
    sign_hash_id,
    verify_signature,
)

ENVELOPE_TYPE = "SignedEpcisEvent"
ENVELOPE_VERSION = 1
FIELDS = ("type", "version", "event", "eventHashId", "organisationId", "keyId", "signature")

_GLN = re.compile(r"\d{13}")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


def is_organisation_id(text: object) -> bool:
    """Whether ``text`` has the shape of a GLN (13 digits) or a USCC (18 characters); check digits not checked."""
    return isinstance(text, str) and (_GLN.fullmatch(text) is not None or _USCC.fullmatch(text) is not None)


@dataclass(frozen=True, slots=True)
class SignedEnvelope:
    """A parsed envelope; :meth:`to_json` gives the JSON form back.

    Attributes:
        event: The EPCIS 2.0 JSON-LD event as sent.
        event_hash_id: Its Event Hash ID, as claimed by the signer.
        organisation_id: The signer's GLN or USCC.
        key_id: ``0x`` + hex of the signer's Ed25519 public key.
        signature: The signature, still base64url-encoded (decoded by :func:`verify_envelope`).
    """

    event: dict[str, Any]
    event_hash_id: str
    organisation_id: str
    key_id: str
    signature: str

    def to_json(self) -> dict[str, Any]:
        """The envelope's JSON form, fields in the documented order."""
        return {
            "type": ENVELOPE_TYPE,
            "version": ENVELOPE_VERSION,
            "event": self.event,
            "eventHashId": self.event_hash_id,
            "organisationId": self.organisation_id,
            "keyId": self.key_id,
            "signature": self.signature,
        }


def _check_common(organisation_id: object, hash_id: object, event: object) -> None:
    if not isinstance(event, Mapping):
        raise EnvelopeFormatError("event", f"expected a JSON object, got {type(event).__name__}")
    try:
        hash_id_to_bytes32(hash_id)  # type: ignore[arg-type]
    except MalformedHashIdError as exc:
        raise EnvelopeFormatError("eventHashId", exc.reason) from None
    if not is_organisation_id(organisation_id):
        raise EnvelopeFormatError(
            "organisationId", f"expected a GLN (13 digits) or a USCC (18 characters), got {organisation_id!r:.60}"
        )


def make_envelope(key: SigningKey, organisation_id: str, event: Mapping[str, Any], hash_id: str) -> dict[str, Any]:
    """Sign ``hash_id`` (the Event Hash ID the caller computed for ``event``) and wrap it all in an envelope.

    The event is included as given (a shallow copy); its hash is not recomputed here.

    Raises:
        EnvelopeFormatError: ``event`` is not a mapping, ``hash_id`` or ``organisation_id`` is malformed.
    """
    _check_common(organisation_id, hash_id, event)
    signature = encode_signature(sign_hash_id(key, hash_id))
    return SignedEnvelope(dict(event), hash_id, organisation_id, key.key_id, signature).to_json()


def parse_envelope(obj: object) -> SignedEnvelope:
    """Check the shape of an envelope's JSON form (not its signature) and return it parsed.

    Raises:
        EnvelopeFormatError: Not an object, a missing or unknown field, or a field of the wrong type or form;
            ``field`` names it.
    """
    if not isinstance(obj, Mapping):
        raise EnvelopeFormatError("<envelope>", f"expected a JSON object, got {type(obj).__name__}")
    for name in FIELDS:
        if name not in obj:
            raise EnvelopeFormatError(name, "missing")
    for name in obj:
        if name not in FIELDS:
            raise EnvelopeFormatError(str(name), f"unknown field; an envelope has exactly {', '.join(FIELDS)}")
    if obj["type"] != ENVELOPE_TYPE:
        raise EnvelopeFormatError("type", f"expected {ENVELOPE_TYPE!r}, got {obj['type']!r:.60}")
    version = obj["version"]
    if type(version) is not int:
        raise EnvelopeFormatError("version", f"expected an integer, got {type(version).__name__}")
    if version != ENVELOPE_VERSION:
        raise EnvelopeFormatError("version", f"unsupported version {version}; this library reads version 1")
    _check_common(obj["organisationId"], obj["eventHashId"], obj["event"])
    if not is_key_id(obj["keyId"]):
        raise EnvelopeFormatError("keyId", f"expected 0x + 64 lowercase hex digits, got {obj['keyId']!r:.80}")
    if not isinstance(obj["signature"], str):
        raise EnvelopeFormatError("signature", f"expected a string, got {type(obj['signature']).__name__}")
    return SignedEnvelope(
        event=dict(obj["event"]),
        event_hash_id=obj["eventHashId"],
        organisation_id=obj["organisationId"],
        key_id=obj["keyId"],
        signature=obj["signature"],
    )


def verify_envelope(
    envelope: SignedEnvelope | Mapping[str, Any], public_key: bytes, *, expected_hash_id: str | None = None
) -> None:
    """Verify an envelope against the signer's public key (as registered on chain); ``None`` or an exception.

    Args:
        envelope: A parsed envelope, or its JSON form (parsed first).
        public_key: The raw 32-byte Ed25519 public key the caller trusts for ``envelope.key_id``.
        expected_hash_id: The Event Hash ID the caller recomputed from ``envelope.event``; checking it is what
            binds the signature to the event's content. ``None`` skips that check.

    Raises:
        EnvelopeFormatError: The JSON form is malformed.
        PublicKeyFormatError: ``public_key`` is not 32 bytes.
        KeyIdMismatchError: ``keyId`` is not ``public_key``.
        HashIdMismatchError: ``eventHashId`` is not ``expected_hash_id``.
        SignatureEncodingError: ``signature`` is not canonical base64url without padding.
        SignatureLengthError: It does not decode to 64 bytes.
        InvalidSignatureError: The signature does not verify.
    """
    parsed = envelope if isinstance(envelope, SignedEnvelope) else parse_envelope(envelope)
    key_id = key_id_of(public_key)
    if parsed.key_id != key_id:
        raise KeyIdMismatchError(f"the envelope's keyId {parsed.key_id} is not the given public key {key_id}")
    if expected_hash_id is not None and parsed.event_hash_id != expected_hash_id:
        raise HashIdMismatchError(
            f"the envelope's eventHashId {parsed.event_hash_id} differs from the event's hash {expected_hash_id}"
        )
    verify_signature(public_key, parsed.event_hash_id, decode_signature(parsed.signature))
