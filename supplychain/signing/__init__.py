"""Event signatures: Ed25519 over the Event Hash ID, the signed envelope, and keys encrypted at rest.

This docstring is a contract with users: anything that signs or verifies events elsewhere (another language, the
scanner, an auditor) follows it.

Signed message
--------------
An organisation signs each event's Event Hash ID with its Ed25519 key (RFC 8032, pure Ed25519). The message is::

    b"supplychain/event-signature/v1\\n" + hash_id.encode("ascii")

where ``hash_id`` is ``ni:///sha-256;<64 lowercase hex>?ver=CBV2.0``. The prefix separates domains: an
organisation's key may one day sign other things (receipts, API requests, documents); with the prefix, no
signature made here can be replayed as a signature over any message that does not start with it, and no message
signed elsewhere can pass for an event signature. The version in the prefix allows a future change of scheme.

Key id
------
``keyId`` = ``"0x"`` + 64 lowercase hex digits of the raw 32-byte Ed25519 public key; it is exactly the
``bytes32`` registered for the organisation on chain, so a verifier reads the key from the chain by this id.

Signed envelope (JSON), version 1
---------------------------------
::

    {
      "type": "SignedEpcisEvent",
      "version": 1,
      "event": { ...the EPCIS 2.0 JSON-LD event, as sent... },
      "eventHashId": "ni:///sha-256;<64 lowercase hex>?ver=CBV2.0",
      "organisationId": "<GLN: 13 digits | USCC: 18 characters>",
      "keyId": "0x<64 lowercase hex>",
      "signature": "<base64url without padding of the 64-byte signature>"
    }

Exactly these seven fields, no others. ``version`` is the integer 1. ``signature`` must be the canonical
base64url (RFC 4648 section 5) form: no ``=`` padding, no other characters, unused bits zero; it is 86
characters long. The signature covers the Event Hash ID only; the event is bound to it because a verifier
recomputes the Event Hash ID from ``event`` (CBV 2.0 algorithm) and requires it to equal ``eventHashId``
(``verify_envelope(..., expected_hash_id=...)``). Only the *shape* of ``organisationId`` is checked here; that
the key belongs to that organisation is read from the chain.

Verification order (each failure its own exception, see :mod:`supplychain.errors`): envelope shape
(``EnvelopeFormatError``), public key length (``PublicKeyFormatError``), ``keyId`` is the given key
(``KeyIdMismatchError``), ``eventHashId`` is the recomputed one (``HashIdMismatchError``), signature encoding
(``SignatureEncodingError``) and length (``SignatureLengthError``), the Ed25519 check (``InvalidSignatureError``).

Keystore (private key at rest), version 1
-----------------------------------------
UTF-8 JSON::

    {"type": "SupplychainSigningKey", "version": 1, "keyId": "0x...",
     "kdf": {"name": "scrypt", "salt": <16 bytes>, "n": 131072, "r": 8, "p": 1},
     "cipher": {"name": "aes-256-gcm", "nonce": <12 bytes>},
     "check": <32 bytes>, "ciphertext": <32-byte seed + 16-byte tag>}

(binary values base64url without padding). scrypt (n = 2**17, r = 8, p = 1: 128 MiB, ~0.4 s) derives 64 bytes
from the NFC-normalised UTF-8 passphrase: the first 32 are the AES-256-GCM key, SHA-256 of the last 32 is
``check``, which tells a wrong passphrase (``WrongPassphraseError``) from a corrupted file
(``KeystoreFormatError``); the GCM associated data is the canonical JSON (sorted keys, no spaces) of every field
but ``ciphertext``, so no field can be altered unnoticed. Chosen over PKCS#8 ``BestAvailableEncryption`` because
its parameters are explicit and documented here, memory-hard, and independent of the OpenSSL build; empty
passphrases are refused (``EmptyPassphraseError``). Files are the caller's business (this package does no I/O).
"""

from supplychain.signing._document import (
    RECOGNITION_FIELD,
    SIGNATURE_NAMESPACE,
    citation_id,
    cited_recognition,
    context_namespaces,
    header_signatures,
    recognition_citation,
    sign_document,
)
from supplychain.signing._envelope import (
    ENVELOPE_TYPE,
    ENVELOPE_VERSION,
    SignedEnvelope,
    is_organisation_id,
    make_envelope,
    parse_envelope,
    verify_envelope,
)
from supplychain.signing._keys import (
    SIGNATURE_DOMAIN,
    SigningKey,
    decode_signature,
    encode_signature,
    generate_signing_key,
    is_key_id,
    key_id_of,
    load_public_key_hex,
    sign_hash_id,
    sign_message,
    signature_message,
    verify_message,
    verify_signature,
)
from supplychain.signing._keystore import decrypt_private_key, encrypt_private_key

__all__ = [
    "ENVELOPE_TYPE",
    "ENVELOPE_VERSION",
    "RECOGNITION_FIELD",
    "SIGNATURE_DOMAIN",
    "SIGNATURE_NAMESPACE",
    "SignedEnvelope",
    "SigningKey",
    "citation_id",
    "cited_recognition",
    "context_namespaces",
    "decode_signature",
    "decrypt_private_key",
    "encode_signature",
    "encrypt_private_key",
    "generate_signing_key",
    "header_signatures",
    "is_key_id",
    "is_organisation_id",
    "key_id_of",
    "load_public_key_hex",
    "make_envelope",
    "parse_envelope",
    "recognition_citation",
    "sign_document",
    "sign_hash_id",
    "sign_message",
    "signature_message",
    "verify_envelope",
    "verify_message",
    "verify_signature",
]
