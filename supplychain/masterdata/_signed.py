"""The signed master data envelope: a ``gs1:Product`` document, its hash, its signer and the signature."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from supplychain.errors import HashIdMismatchError, KeyIdMismatchError, MasterDataFormatError
from supplychain.masterdata._canonical import canonical_json
from supplychain.masterdata._document import ProductMasterData, decode_json, parse_product
from supplychain.signing import (
    SigningKey,
    decode_signature,
    encode_signature,
    is_key_id,
    is_organisation_id,
    key_id_of,
    verify_message,
)

__all__ = [
    "MASTER_DATA_DOMAIN",
    "MAX_SIGNED_BYTES",
    "SIGNED_TYPE",
    "SIGNED_VERSION",
    "SignedMasterData",
    "document_hash",
    "master_data_message",
    "parse_signed",
    "read_signed",
    "sign_master_data",
    "verify_signed",
]

SIGNED_TYPE = "SignedProductMasterData"
SIGNED_VERSION = 1
MASTER_DATA_DOMAIN = b"supplychain/master-data-signature/v1\n"
"""Prefix of every signed master data message: no event signature (``supplychain/event-signature/v1``) can pass
for a master data signature, nor the reverse."""
MAX_SIGNED_BYTES = 64 * 1024
"""A signed envelope's JSON text is at most this long (its document at most ``MAX_DOCUMENT_BYTES``)."""
FIELDS = ("type", "version", "document", "documentHash", "organisationId", "keyId", "signature")


def document_hash(document: Mapping[str, Any]) -> bytes:
    """SHA-256 of the RFC 8785 canonical form of a document: what is signed and anchored (the Merkle leaf value).

    Raises:
        MasterDataFormatError: it holds something JSON canonicalisation refuses (a float, a lone surrogate).
    """
    return hashlib.sha256(canonical_json(document)).digest()


def master_data_message(digest: bytes) -> bytes:
    """The bytes signed: :data:`MASTER_DATA_DOMAIN` + ``0x`` + the 64 lowercase hex digits of the document hash."""
    return MASTER_DATA_DOMAIN + ("0x" + digest.hex()).encode("ascii")


@dataclass(frozen=True, slots=True)
class SignedMasterData:
    """A parsed envelope (:func:`parse_signed`); its document is already read (:attr:`product`).

    Attributes:
        document: The ``gs1:Product`` JSON-LD document as signed.
        product: What it says.
        document_hash: The claimed SHA-256 of its canonical form (32 bytes).
        organisation_id: The signer's GLN or USCC.
        key_id: ``0x`` + hex of the signer's Ed25519 public key.
        signature: base64url of the 64-byte signature.
    """

    document: Mapping[str, Any]
    product: ProductMasterData
    document_hash: bytes
    organisation_id: str
    key_id: str
    signature: str

    @property
    def hash_hex(self) -> str:
        """``0x`` + 64 lowercase hex digits of :attr:`document_hash`."""
        return "0x" + self.document_hash.hex()

    def to_json(self) -> dict[str, Any]:
        """The envelope's JSON form, fields in the documented order."""
        return {
            "type": SIGNED_TYPE,
            "version": SIGNED_VERSION,
            "document": dict(self.document),
            "documentHash": self.hash_hex,
            "organisationId": self.organisation_id,
            "keyId": self.key_id,
            "signature": self.signature,
        }


def sign_master_data(key: SigningKey, organisation_id: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``document`` (:func:`~supplychain.masterdata.parse_product`), hash and sign it; the envelope's JSON form.

    Raises:
        MasterDataFormatError: the document or the organisation id is malformed.
    """
    product = parse_product(document)
    if not is_organisation_id(organisation_id):
        raise MasterDataFormatError("organisationId", f"expected a GLN or a USCC, got {organisation_id!r:.60}")
    digest = document_hash(document)
    signature = encode_signature(key.sign(master_data_message(digest)))
    return SignedMasterData(dict(document), product, digest, organisation_id, key.key_id, signature).to_json()


def parse_signed(obj: object) -> SignedMasterData:
    """Check the shape of an envelope and read its document (not the hash or the signature: :func:`verify_signed`).

    Raises:
        MasterDataFormatError: a field missing, unknown or malformed (``field`` names it: ``document.gs1:gtin``...).
    """
    if not isinstance(obj, Mapping):
        raise MasterDataFormatError("<envelope>", f"expected a JSON object, got {type(obj).__name__}")
    for name in FIELDS:
        if name not in obj:
            raise MasterDataFormatError(name, "missing")
    for name in obj:
        if name not in FIELDS:
            raise MasterDataFormatError(str(name)[:60], f"unknown field; an envelope has exactly {', '.join(FIELDS)}")
    if obj["type"] != SIGNED_TYPE:
        raise MasterDataFormatError("type", f"expected {SIGNED_TYPE!r}, got {obj['type']!r:.60}")
    if type(obj["version"]) is not int or obj["version"] != SIGNED_VERSION:
        raise MasterDataFormatError("version", f"unsupported version {obj['version']!r:.20}; this library reads 1")
    try:
        product = parse_product(obj["document"])
    except MasterDataFormatError as exc:
        where = exc.field if exc.field == "<document>" else f"document.{exc.field}"
        raise MasterDataFormatError(where.replace("<document>", "document"), exc.reason) from None
    claimed = obj["documentHash"]
    if not is_key_id(claimed):  # the same form: 0x + 64 lowercase hex
        raise MasterDataFormatError("documentHash", f"expected 0x + 64 lowercase hex digits, got {claimed!r:.80}")
    if not is_organisation_id(obj["organisationId"]):
        raise MasterDataFormatError(
            "organisationId", f"expected a GLN (13 digits) or a USCC (18 characters), got {obj['organisationId']!r:.60}"
        )
    if not is_key_id(obj["keyId"]):
        raise MasterDataFormatError("keyId", f"expected 0x + 64 lowercase hex digits, got {obj['keyId']!r:.80}")
    if not isinstance(obj["signature"], str):
        raise MasterDataFormatError("signature", f"expected a string, got {type(obj['signature']).__name__}")
    return SignedMasterData(
        dict(obj["document"]),
        product,
        bytes.fromhex(claimed[2:]),
        obj["organisationId"],
        obj["keyId"],
        obj["signature"],
    )


def read_signed(data: bytes) -> SignedMasterData:
    """Decode and parse an envelope's JSON text (bounded: :data:`MAX_SIGNED_BYTES`, nesting, duplicates).

    Raises:
        MasterDataLimitError: too large or too deep.
        MasterDataFormatError: not JSON, or not an envelope.
    """
    return parse_signed(decode_json(data, max_bytes=MAX_SIGNED_BYTES, what="<envelope>"))


def verify_signed(signed: SignedMasterData, public_key: bytes) -> None:
    """Verify an envelope against the signer's public key (as registered on chain); ``None`` or an exception.

    Raises:
        KeyIdMismatchError: ``keyId`` is not ``public_key``.
        HashIdMismatchError: ``documentHash`` is not the hash of the document's canonical form.
        SignatureEncodingError, SignatureLengthError: the signature is not base64url of 64 bytes.
        InvalidSignatureError: the Ed25519 check failed.
    """
    key_id = key_id_of(public_key)
    if signed.key_id != key_id:
        raise KeyIdMismatchError(f"the envelope's keyId {signed.key_id} is not the given public key {key_id}")
    actual = document_hash(signed.document)
    if actual != signed.document_hash:
        raise HashIdMismatchError(
            f"the envelope's documentHash {signed.hash_hex} differs from the document's hash 0x{actual.hex()}"
        )
    verify_message(
        public_key,
        master_data_message(actual),
        decode_signature(signed.signature),
        what=f"master data 0x{actual.hex()}",
    )
