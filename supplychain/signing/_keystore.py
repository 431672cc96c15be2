"""Private keys encrypted at rest: a JSON keystore with scrypt and AES-256-GCM (format in the package docstring)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from supplychain.errors import EmptyPassphraseError, KeystoreFormatError, WrongPassphraseError
from supplychain.jsondepth import nesting_depth, within_depth
from supplychain.signing._keys import SigningKey, is_key_id

KEYSTORE_TYPE = "SupplychainSigningKey"
KEYSTORE_VERSION = 1
DEFAULT_SCRYPT_N = 2**17
"""scrypt cost: 2**17 with r=8, p=1 takes 128 MiB and about 0.4 s here (OWASP's recommended minimum)."""
MIN_SCRYPT_N = 2**14
MAX_SCRYPT_MEMORY = 2**30
"""Keystores asking scrypt for more than 1 GiB (128 * n * r * p bytes) are refused."""
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_FIELDS = frozenset({"type", "version", "keyId", "kdf", "cipher", "check", "ciphertext"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: object, what: str, length: int) -> bytes:
    if not isinstance(text, str) or _BASE64URL.fullmatch(text) is None or len(text) % 4 == 1:
        raise KeystoreFormatError(f"keystore {what} is not base64url without padding")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != length:
        raise KeystoreFormatError(f"keystore {what} is {len(raw)} bytes, expected {length}")
    return raw


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    """``(AES key, passphrase check)`` from scrypt over the NFC-normalised UTF-8 passphrase."""
    if not isinstance(passphrase, str) or not passphrase:
        raise EmptyPassphraseError("a non-empty passphrase is required to encrypt or decrypt a private key")
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    derived = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(secret)
    return derived[:32], hashlib.sha256(derived[32:]).digest()


def _header_bytes(header: Mapping[str, Any]) -> bytes:
    """The authenticated data: every field but ``ciphertext``, as canonical JSON."""
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def encrypt_private_key(key: SigningKey, passphrase: str, *, scrypt_n: int = DEFAULT_SCRYPT_N) -> bytes:
    """The keystore (UTF-8 JSON bytes) holding ``key`` encrypted under ``passphrase``.

    Raises:
        EmptyPassphraseError: ``passphrase`` is empty.
        ValueError: ``scrypt_n`` is not a power of two of at least 2**14.
    """
    if scrypt_n < MIN_SCRYPT_N or scrypt_n & (scrypt_n - 1) or 128 * scrypt_n * 8 > MAX_SCRYPT_MEMORY:
        raise ValueError(f"scrypt_n must be a power of two from 2**14 to 2**20, got {scrypt_n}")
    salt, nonce = os.urandom(16), os.urandom(12)
    aes_key, check = _derive(passphrase, salt, scrypt_n, 8, 1)
    header: dict[str, Any] = {
        "type": KEYSTORE_TYPE,
        "version": KEYSTORE_VERSION,
        "keyId": key.key_id,
        "kdf": {"name": "scrypt", "salt": _b64(salt), "n": scrypt_n, "r": 8, "p": 1},
        "cipher": {"name": "aes-256-gcm", "nonce": _b64(nonce)},
        "check": _b64(check),
    }
    ciphertext = AESGCM(aes_key).encrypt(nonce, key.private_bytes(), _header_bytes(header))
    return (json.dumps({**header, "ciphertext": _b64(ciphertext)}, indent=2) + "\n").encode("utf-8")


def _parse(data: bytes) -> dict[str, Any]:
    if isinstance(data, bytes) and not within_depth(data, 4) and nesting_depth(data) > 4:  # a keystore is shallow
        raise KeystoreFormatError("not a keystore: the JSON is nested too deep")
    try:
        store = json.loads(data)
    except (ValueError, TypeError):
        raise KeystoreFormatError("not a keystore: the data is not UTF-8 JSON") from None
    if not isinstance(store, dict) or store.get("type") != KEYSTORE_TYPE:
        raise KeystoreFormatError(f"not a keystore: expected a JSON object with type {KEYSTORE_TYPE!r}")
    if store.get("version") != KEYSTORE_VERSION:
        raise KeystoreFormatError(f"unsupported keystore version {store.get('version')!r}; this library reads 1")
    if set(store) != _FIELDS:
        raise KeystoreFormatError(f"keystore fields must be exactly {sorted(_FIELDS)}, got {sorted(store)}")
    kdf, cipher = store["kdf"], store["cipher"]
    if not isinstance(kdf, dict) or set(kdf) != {"name", "salt", "n", "r", "p"} or kdf["name"] != "scrypt":
        raise KeystoreFormatError("keystore kdf must be {name: 'scrypt', salt, n, r, p}")
    if not all(type(kdf[k]) is int and kdf[k] > 0 for k in ("n", "r", "p")):
        raise KeystoreFormatError("keystore scrypt parameters n, r, p must be positive integers")
    n, r, p = kdf["n"], kdf["r"], kdf["p"]
    if n < MIN_SCRYPT_N or n & (n - 1) or 128 * n * r * p > MAX_SCRYPT_MEMORY:
        raise KeystoreFormatError(f"keystore scrypt parameters out of bounds: n={n}, r={r}, p={p}")
    if not isinstance(cipher, dict) or set(cipher) != {"name", "nonce"} or cipher["name"] != "aes-256-gcm":
        raise KeystoreFormatError("keystore cipher must be {name: 'aes-256-gcm', nonce}")
    if not is_key_id(store["keyId"]):
        raise KeystoreFormatError("keystore keyId must be 0x + 64 lowercase hex digits")
    return store


def decrypt_private_key(data: bytes, passphrase: str) -> SigningKey:
    """Open a keystore made by :func:`encrypt_private_key`.

    Raises:
        EmptyPassphraseError: ``passphrase`` is empty.
        KeystoreFormatError: Not a keystore, an unknown version, or corrupted (integrity check failed).
        WrongPassphraseError: ``passphrase`` does not open it.
    """
    store = _parse(data)
    kdf = store["kdf"]
    salt = _unb64(kdf["salt"], "salt", 16)
    nonce = _unb64(store["cipher"]["nonce"], "nonce", 12)
    expected_check = _unb64(store["check"], "check", 32)
    ciphertext = _unb64(store["ciphertext"], "ciphertext", 32 + 16)
    aes_key, check = _derive(passphrase, salt, kdf["n"], kdf["r"], kdf["p"])
    if not hmac.compare_digest(check, expected_check):
        raise WrongPassphraseError("wrong passphrase for this key file")
    header = {k: v for k, v in store.items() if k != "ciphertext"}
    try:
        seed = AESGCM(aes_key).decrypt(nonce, ciphertext, _header_bytes(header))
    except InvalidTag:
        raise KeystoreFormatError("keystore is corrupted: its integrity check failed") from None
    key = SigningKey.from_private_bytes(seed)
    if key.key_id != store["keyId"]:
        raise KeystoreFormatError("keystore is corrupted: the key does not match its keyId")
    return key
