"""Ed25519 signing keys, key ids, the signed message and raw signatures.

Keys are ``cryptography`` objects (generation, serialisation, encryption at rest); signing and verifying go
through libsodium (PyNaCl), which does both in about 60 % of OpenSSL's time: capture verifies one signature per
event and signs one receipt per event, so this is the hot path of bulk capture.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from nacl.bindings import crypto_sign, crypto_sign_open
from nacl.exceptions import BadSignatureError

from supplychain.errors import (
    InvalidSignatureError,
    PublicKeyFormatError,
    SignatureEncodingError,
    SignatureLengthError,
)
from supplychain.merkle import hash_id_to_bytes32

SIGNATURE_DOMAIN = b"supplychain/event-signature/v1\n"
"""Prefix of every signed message; see :func:`signature_message`."""
SIGNATURE_LENGTH = 64
PUBLIC_KEY_LENGTH = 32

_KEY_ID = re.compile(r"0x[0-9a-f]{64}")
_HEX_KEY = re.compile(r"(?:0[xX])?([0-9a-fA-F]{64})")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def key_id_of(public_key: bytes) -> str:
    """The key id of a raw 32-byte Ed25519 public key: ``0x`` + 64 lowercase hex (the on-chain ``bytes32``)."""
    return f"0x{_check_public_key(public_key).hex()}"


def _check_public_key(public_key: object) -> bytes:
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_LENGTH:
        shown = f"{len(public_key)} bytes" if isinstance(public_key, bytes) else type(public_key).__name__
        raise PublicKeyFormatError(f"an Ed25519 public key is {PUBLIC_KEY_LENGTH} raw bytes, got {shown}")
    return public_key


def is_key_id(text: object) -> bool:
    """Whether ``text`` is a key id in canonical form (``0x`` + 64 lowercase hex)."""
    return isinstance(text, str) and _KEY_ID.fullmatch(text) is not None


def load_public_key_hex(text: str) -> bytes:
    """Read a public key / key id written as 64 hex digits, with or without ``0x``, surrounding blanks ignored.

    Raises:
        PublicKeyFormatError: Anything else.
    """
    match = _HEX_KEY.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise PublicKeyFormatError(f"expected an Ed25519 public key as 0x + 64 hex digits, got {text!r:.80}")
    return bytes.fromhex(match[1])


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SigningKey:
    """An organisation's Ed25519 private key; its ``repr`` shows only the key id.

    Attributes:
        private_key: The ``cryptography`` key object.
        public_key_bytes: The raw 32-byte public key (registered on chain).
        key_id: ``0x`` + hex of the public key.
    """

    private_key: Ed25519PrivateKey
    public_key_bytes: bytes = field(init=False)
    key_id: str = field(init=False)
    _sodium_key: bytes = field(init=False)  # seed + public key, libsodium's form of the secret key

    def __post_init__(self) -> None:
        """Derive the public key and key id once."""
        raw = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        object.__setattr__(self, "public_key_bytes", raw)
        object.__setattr__(self, "key_id", key_id_of(raw))
        object.__setattr__(self, "_sodium_key", self.private_bytes() + raw)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return crypto_sign(message, self._sodium_key)[:SIGNATURE_LENGTH]

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> SigningKey:
        """The key of a raw 32-byte Ed25519 seed."""
        if not isinstance(raw, bytes) or len(raw) != 32:
            raise ValueError("an Ed25519 private key is 32 raw bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def private_bytes(self) -> bytes:
        """The raw 32-byte seed (handle with care; see ``encrypt_private_key``)."""
        return self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def __repr__(self) -> str:
        """Never show the private key."""
        return f"SigningKey(key_id={self.key_id!r})"


def generate_signing_key() -> SigningKey:
    """A new random Ed25519 signing key."""
    return SigningKey(Ed25519PrivateKey.generate())


def signature_message(hash_id: str) -> bytes:
    """The bytes signed for an event: :data:`SIGNATURE_DOMAIN` + the ASCII Event Hash ID.

    Raises:
        MalformedHashIdError: ``hash_id`` is not ``ni:///sha-256;<64 lowercase hex>?ver=CBV2.0``.
    """
    hash_id_to_bytes32(hash_id)
    return SIGNATURE_DOMAIN + hash_id.encode("ascii")


def sign_hash_id(key: SigningKey, hash_id: str) -> bytes:
    """The 64-byte Ed25519 signature of an Event Hash ID (over :func:`signature_message`)."""
    return key.sign(signature_message(hash_id))


def verify_signature(public_key: bytes, hash_id: str, signature: bytes) -> None:
    """Check a raw signature of an Event Hash ID; return ``None`` or raise saying what failed.

    Raises:
        PublicKeyFormatError: ``public_key`` is not 32 bytes.
        MalformedHashIdError: ``hash_id`` is not an Event Hash ID.
        SignatureLengthError: ``signature`` is not 64 bytes.
        InvalidSignatureError: The signature does not verify.
    """
    verify_message(public_key, signature_message(hash_id), signature, what=hash_id)


def sign_message(key: SigningKey, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``message`` (which must carry its own domain prefix)."""
    return key.sign(message)


def verify_message(public_key: bytes, message: bytes, signature: bytes, *, what: str) -> None:
    """Check an Ed25519 signature of ``message``; ``what`` names the signed thing in the error.

    Raises:
        PublicKeyFormatError: ``public_key`` is not 32 bytes.
        SignatureLengthError: ``signature`` is not 64 bytes.
        InvalidSignatureError: The signature does not verify.
    """
    _check_public_key(public_key)
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_LENGTH:
        shown = f"{len(signature)} bytes" if isinstance(signature, bytes) else type(signature).__name__
        raise SignatureLengthError(f"an Ed25519 signature is {SIGNATURE_LENGTH} bytes, got {shown}")
    try:
        crypto_sign_open(signature + message, public_key)
    except BadSignatureError:
        raise InvalidSignatureError(
            f"the signature of {what} does not verify with key {key_id_of(public_key)}"
        ) from None


def encode_signature(signature: bytes) -> str:
    """base64url without padding (RFC 4648 section 5), as in the envelope's ``signature``."""
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")


def decode_signature(text: str) -> bytes:
    """Strict inverse of :func:`encode_signature`: only the canonical encoding of 64 bytes is accepted.

    Raises:
        SignatureEncodingError: Not a str, characters outside the base64url alphabet (padding included), an
            impossible length, or a non-canonical encoding.
        SignatureLengthError: The decoded signature is not 64 bytes.
    """
    if type(text) is str and len(text) == 86 and text[85] in "AQgw" and _BASE64URL.fullmatch(text) is not None:
        # the common case, fast: 86 characters carry 64 bytes and 4 unused bits, which the last character must
        # leave clear (A, Q, g, w) for the encoding to be the canonical one
        return base64.urlsafe_b64decode(text + "==")
    if not isinstance(text, str) or _BASE64URL.fullmatch(text) is None:
        raise SignatureEncodingError(
            f"signature must be base64url without padding (A-Z a-z 0-9 - _), got {text!r:.100}"
        )
    if len(text) % 4 == 1:
        raise SignatureEncodingError(f"signature of {len(text)} characters is not valid base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if encode_signature(raw) != text:
        raise SignatureEncodingError("signature is not in canonical base64url (unused bits are set)")
    # canonical, so not 64 bytes: those are the 86 characters the fast path above takes
    raise SignatureLengthError(f"signature decodes to {len(raw)} bytes, an Ed25519 signature is 64")
