"""Ethereum accounts on secp256k1: keys, EIP-55 addresses, ``did:pkh`` identifiers, JWKs and ES256K signatures.

ES256K (RFC 8812): ECDSA on secp256k1 over the SHA-256 digest of the message, the signature serialised as the
64 bytes ``r || s`` (big-endian, 32 bytes each). We sign with libsecp256k1 (``coincurve``), which always gives the
low-S form, and refuse high-S signatures when verifying: a token has exactly one valid signature, so one
credential has exactly one digest. An account's address is the last 20 bytes of the keccak-256 digest of its
uncompressed public key without the ``0x04`` prefix, written with the EIP-55 mixed-case checksum.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from coincurve import PrivateKey, PublicKey
from Crypto.Hash import keccak

__all__ = [
    "SECP256K1_N",
    "address_of",
    "b64url_decode",
    "b64url_encode",
    "checksum_address",
    "did_pkh",
    "es256k_sign",
    "es256k_verify",
    "jwk_of",
    "keccak256",
    "parse_address",
    "parse_did_pkh",
    "private_key_of",
    "public_key_of_jwk",
]

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""The order of the secp256k1 group."""

_HEX40 = re.compile(r"0x[0-9a-fA-F]{40}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_DID_PKH = re.compile(r"did:pkh:eip155:([1-9][0-9]{0,30}):(0x[0-9a-fA-F]{40})")


def keccak256(data: bytes) -> bytes:
    """The keccak-256 digest Ethereum uses (not NIST SHA3-256)."""
    digest: bytes = keccak.new(digest_bits=256, data=data).digest()
    return digest


def checksum_address(address: object) -> str:
    """The EIP-55 form of a ``0x`` + 40 hex digits address, in any case.

    Raises:
        ValueError: not ``0x`` followed by 40 hex digits.
    """
    if not isinstance(address, str) or not _HEX40.fullmatch(address):
        raise ValueError(f"{address!r} is not an Ethereum address (0x followed by 40 hex digits)")
    lower = address[2:].lower()
    nibbles = keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(n, 16) >= 8 else c for c, n in zip(lower, nibbles, strict=False))


def parse_address(address: object) -> str:
    """An address in lower case or in its EIP-55 form, returned in its EIP-55 form.

    Raises:
        ValueError: not an address, or mixed case that is not its EIP-55 checksum (a mistyped address).
    """
    checksummed = checksum_address(address)
    assert isinstance(address, str)  # noqa: S101 - checked by checksum_address
    if address[2:] not in (address[2:].lower(), checksummed[2:]):
        raise ValueError(f"{address} fails its EIP-55 checksum (expected {checksummed}): is it mistyped?")
    return checksummed


def did_pkh(chain_id: int, address: str) -> str:
    """``did:pkh:eip155:<chain id>:<EIP-55 address>``: the DID of an Ethereum account (CAIP-10 account id)."""
    return f"did:pkh:eip155:{chain_id}:{checksum_address(address)}"


def parse_did_pkh(did: object) -> tuple[int, str]:
    """The chain id and EIP-55 address of a ``did:pkh:eip155`` DID.

    Raises:
        ValueError: not a ``did:pkh:eip155:<chain id>:<address>`` DID, or an address failing its checksum.
    """
    match = _DID_PKH.fullmatch(did) if isinstance(did, str) else None
    if match is None:
        raise ValueError(f"{did!r} is not a did:pkh:eip155:<chain id>:<address> DID")
    return int(match.group(1)), parse_address(match.group(2))


def private_key_of(key: bytes | str) -> PrivateKey:
    """A secp256k1 private key from 32 bytes or their hex (with or without ``0x``).

    Raises:
        ValueError: not 32 bytes, or not a valid secp256k1 scalar (0 or not below the group order).
    """
    if isinstance(key, str):
        text = key.removeprefix("0x")
        if len(text) != 64 or not re.fullmatch(r"[0-9a-fA-F]*", text):
            raise ValueError("a private key is 32 bytes of hex (64 hex digits, optionally after 0x)")
        key = bytes.fromhex(text)
    if len(key) != 32 or not 0 < int.from_bytes(key, "big") < SECP256K1_N:
        raise ValueError("a secp256k1 private key is 32 bytes encoding a number in [1, n-1]")
    return PrivateKey(key)


def address_of(public_key: PublicKey) -> str:
    """The EIP-55 address of the account that ``public_key`` controls."""
    return checksum_address("0x" + keccak256(public_key.format(compressed=False)[1:])[-20:].hex())


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, what: str) -> bytes:
    """Decode canonical base64url without padding.

    Raises:
        ValueError: other characters, padding, an impossible length, or a non-canonical encoding.
    """
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError(f"{what} is not base64url without padding")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:
        raise ValueError(f"{what} is not canonical base64url (its unused trailing bits are not zero)")
    return data


def jwk_of(public_key: PublicKey) -> dict[str, str]:
    """The public JWK of a secp256k1 key (RFC 8812 section 3.1): ``kty`` EC, ``crv`` secp256k1, ``x``, ``y``."""
    raw = public_key.format(compressed=False)
    return {"kty": "EC", "crv": "secp256k1", "x": b64url_encode(raw[1:33]), "y": b64url_encode(raw[33:])}


def public_key_of_jwk(jwk: Any) -> PublicKey:
    """The public key a JWK holds.

    Raises:
        ValueError: not a public secp256k1 EC JWK (a private one is refused too), or a point not on the curve.
    """
    if not isinstance(jwk, dict):
        raise ValueError("jwk is not a JSON object")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "secp256k1":
        raise ValueError(f"jwk is not a secp256k1 key (kty {jwk.get('kty')!r}, crv {jwk.get('crv')!r})")
    if "d" in jwk:
        raise ValueError("jwk holds a private key: a signer's private key must never travel in a token")
    coordinates = []
    for name in ("x", "y"):
        value = jwk.get(name)
        raw = b64url_decode(value, f"jwk.{name}") if isinstance(value, str) else b""
        if len(raw) != 32:
            raise ValueError(f"jwk.{name} is not 32 bytes of base64url")
        coordinates.append(raw)
    try:
        return PublicKey(b"\x04" + coordinates[0] + coordinates[1])
    except ValueError:
        raise ValueError("jwk's x and y are not a point on secp256k1") from None


def es256k_sign(private_key: PrivateKey, message: bytes) -> bytes:
    """The ES256K signature (``r || s``, low S, RFC 6979 deterministic nonce) of ``message``."""
    return private_key.sign_recoverable(message)[:64]  # coincurve hashes with SHA-256 by default


def _der_integer(value: int) -> bytes:
    body = value.to_bytes(33, "big").lstrip(b"\0")
    if body[0] & 0x80:
        body = b"\0" + body
    return b"\x02" + bytes([len(body)]) + body


def es256k_verify(public_key: PublicKey, message: bytes, signature: bytes) -> str | None:
    """Check an ES256K signature; ``None`` when it verifies, else what is wrong with it."""
    if len(signature) != 64:
        return f"the signature is {len(signature)} bytes; an ES256K signature is 64 bytes (r || s)"
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
        return "the signature's r or s is out of range"
    if s > SECP256K1_N // 2:
        return "the signature is in its high-S form; only the low-S form is accepted (one signature per token)"
    body = _der_integer(r) + _der_integer(s)
    if not public_key.verify(b"\x30" + bytes([len(body)]) + body, message):
        return "the ES256K signature does not verify with the key in the header"
    return None
