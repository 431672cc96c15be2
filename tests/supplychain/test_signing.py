"""Event signatures: the signed message, the envelope contract, verification failures, keystores."""

from __future__ import annotations

import base64
import json
import unicodedata
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.errors import (
    EmptyPassphraseError,
    EnvelopeFormatError,
    HashIdMismatchError,
    InvalidSignatureError,
    KeyIdMismatchError,
    KeystoreFormatError,
    MalformedHashIdError,
    PublicKeyFormatError,
    SignatureEncodingError,
    SignatureLengthError,
    SignatureVerificationError,
    TraceError,
    WrongPassphraseError,
)
from supplychain.signing import (
    SIGNATURE_DOMAIN,
    SignedEnvelope,
    SigningKey,
    _keystore,
    decode_signature,
    decrypt_private_key,
    encode_signature,
    encrypt_private_key,
    generate_signing_key,
    is_organisation_id,
    key_id_of,
    load_public_key_hex,
    make_envelope,
    parse_envelope,
    sign_hash_id,
    signature_message,
    verify_envelope,
    verify_signature,
)

# RFC 8032, section 7.1, TEST 1
RFC_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")

HASH_ID = "ni:///sha-256;6ae96341e0acc6d7a261364751f60e68278a81cdf51da0abb6b4e617014e39d7?ver=CBV2.0"
OTHER_HASH_ID = "ni:///sha-256;49b13037c36e84ad9307c531671b00e901318c3957e4b1151f816ec49eb668da?ver=CBV2.0"
GLN = "4012345000009"
USCC = "91350100M000100Y43"
EVENT = {"type": "ObjectEvent", "eventTime": "2024-01-01T00:00:00Z", "action": "OBSERVE", "bizStep": "shipping"}
FAST_N = 2**14  # keeps keystore tests quick; the default is checked once


def hash_id_of(digest: bytes) -> str:
    return f"ni:///sha-256;{digest.hex()}?ver=CBV2.0"


@pytest.fixture(scope="module")
def manufacturer() -> SigningKey:
    return SigningKey.from_private_bytes(RFC_SEED)


@pytest.fixture(scope="module")
def stranger() -> SigningKey:
    return generate_signing_key()


# --- keys ---


def test_key_id_is_the_hex_of_the_raw_public_key(manufacturer: SigningKey) -> None:
    assert manufacturer.public_key_bytes == RFC_PUBLIC
    assert manufacturer.key_id == "0x" + RFC_PUBLIC.hex()
    assert key_id_of(RFC_PUBLIC) == manufacturer.key_id
    assert manufacturer.private_bytes() == RFC_SEED


def test_generated_keys_differ_and_repr_hides_the_private_key() -> None:
    a, b = generate_signing_key(), generate_signing_key()
    assert a.key_id != b.key_id
    assert len(a.public_key_bytes) == 32
    assert repr(a) == f"SigningKey(key_id={a.key_id!r})"
    assert a.private_bytes().hex() not in repr(a)


def test_private_key_of_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="32 raw bytes"):
        SigningKey.from_private_bytes(b"\x00" * 31)


@pytest.mark.parametrize("text", ["0x" + RFC_PUBLIC.hex(), RFC_PUBLIC.hex(), " 0X" + RFC_PUBLIC.hex().upper() + "\n"])
def test_public_key_hex_is_read_in_its_usual_forms(text: str) -> None:
    assert load_public_key_hex(text) == RFC_PUBLIC


@pytest.mark.parametrize("text", ["", "0x" + "ab" * 31, "0x" + "ab" * 33, "0x" + "zz" * 32, b"\xab" * 32])
def test_bad_public_key_hex_is_refused(text: Any) -> None:
    with pytest.raises(PublicKeyFormatError, match="0x \\+ 64 hex digits"):
        load_public_key_hex(text)


@pytest.mark.parametrize(("key", "shown"), [(b"\x01" * 31, "31 bytes"), ("0x00", "str")])
def test_key_id_of_a_malformed_public_key_fails(key: Any, shown: str) -> None:
    with pytest.raises(PublicKeyFormatError, match=shown):
        key_id_of(key)


# --- the signed message and raw signatures ---


def test_signed_message_is_the_domain_prefix_and_the_hash_id() -> None:
    assert SIGNATURE_DOMAIN == b"supplychain/event-signature/v1\n"
    assert signature_message(HASH_ID) == b"supplychain/event-signature/v1\n" + HASH_ID.encode("ascii")


def test_signature_is_plain_ed25519_over_the_message(manufacturer: SigningKey) -> None:
    signature = sign_hash_id(manufacturer, HASH_ID)
    expected = Ed25519PrivateKey.from_private_bytes(RFC_SEED).sign(
        b"supplychain/event-signature/v1\n" + HASH_ID.encode()
    )
    assert signature == expected
    Ed25519PublicKey.from_public_bytes(RFC_PUBLIC).verify(signature, signature_message(HASH_ID))
    verify_signature(RFC_PUBLIC, HASH_ID, signature)


def test_a_signature_without_the_domain_prefix_does_not_verify() -> None:
    undomained = Ed25519PrivateKey.from_private_bytes(RFC_SEED).sign(HASH_ID.encode())
    with pytest.raises(InvalidSignatureError, match="does not verify"):
        verify_signature(RFC_PUBLIC, HASH_ID, undomained)


@pytest.mark.parametrize("bad", [HASH_ID.upper(), "ni:///sha-256;abc?ver=CBV2.0", "urn:uuid:1", ""])
def test_only_well_formed_hash_ids_are_signed(manufacturer: SigningKey, bad: str) -> None:
    with pytest.raises(MalformedHashIdError):
        sign_hash_id(manufacturer, bad)


def test_verify_signature_says_what_failed(manufacturer: SigningKey, stranger: SigningKey) -> None:
    signature = sign_hash_id(manufacturer, HASH_ID)
    with pytest.raises(InvalidSignatureError, match=stranger.key_id):
        verify_signature(stranger.public_key_bytes, HASH_ID, signature)
    with pytest.raises(InvalidSignatureError):
        verify_signature(RFC_PUBLIC, OTHER_HASH_ID, signature)
    with pytest.raises(SignatureLengthError, match="got 63 bytes"):
        verify_signature(RFC_PUBLIC, HASH_ID, signature[:63])
    with pytest.raises(SignatureLengthError, match="got str"):
        verify_signature(RFC_PUBLIC, HASH_ID, encode_signature(signature))  # type: ignore[arg-type]
    with pytest.raises(PublicKeyFormatError, match="got 33 bytes"):
        verify_signature(RFC_PUBLIC + b"\x00", HASH_ID, signature)
    with pytest.raises(MalformedHashIdError):
        verify_signature(RFC_PUBLIC, HASH_ID + " ", signature)


@settings(max_examples=40, deadline=None)
@given(digest=st.binary(min_size=32, max_size=32), bit=st.integers(0, 64 * 8 - 1))
def test_any_flipped_signature_bit_fails(manufacturer: SigningKey, digest: bytes, bit: int) -> None:
    hash_id = hash_id_of(digest)
    signature = sign_hash_id(manufacturer, hash_id)
    verify_signature(manufacturer.public_key_bytes, hash_id, signature)
    tampered = bytearray(signature)
    tampered[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidSignatureError):
        verify_signature(manufacturer.public_key_bytes, hash_id, bytes(tampered))


# --- signature encoding ---


@given(raw=st.binary(min_size=64, max_size=64))
def test_signature_encoding_round_trips(raw: bytes) -> None:
    text = encode_signature(raw)
    assert len(text) == 86
    assert "=" not in text
    assert text == base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert decode_signature(text) == raw


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (encode_signature(b"\xfb" * 64) + "==", SignatureEncodingError, "without padding"),
        (base64.b64encode(b"\xfb" * 64).decode().rstrip("="), SignatureEncodingError, "base64url"),
        ("A" * 85, SignatureEncodingError, "85 characters is not valid"),
        ("A" * 85 + "B", SignatureEncodingError, "not in canonical"),
        (encode_signature(b"\x01" * 63), SignatureLengthError, "decodes to 63 bytes"),
        ("", SignatureLengthError, "decodes to 0 bytes"),
        (None, SignatureEncodingError, "without padding"),
    ],
)
def test_bad_signature_encodings_are_refused(text: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        decode_signature(text)


# --- envelopes ---


def test_envelope_has_exactly_the_documented_form(manufacturer: SigningKey) -> None:
    envelope = make_envelope(manufacturer, GLN, EVENT, HASH_ID)
    assert list(envelope) == ["type", "version", "event", "eventHashId", "organisationId", "keyId", "signature"]
    assert envelope["type"] == "SignedEpcisEvent"
    assert envelope["version"] == 1
    assert envelope["event"] == EVENT
    assert envelope["eventHashId"] == HASH_ID
    assert envelope["organisationId"] == GLN
    assert envelope["keyId"] == "0x" + RFC_PUBLIC.hex()
    assert base64.urlsafe_b64decode(envelope["signature"] + "==") == sign_hash_id(manufacturer, HASH_ID)


def test_envelope_survives_json_and_verifies(manufacturer: SigningKey) -> None:
    envelope = json.loads(json.dumps(make_envelope(manufacturer, USCC, EVENT, HASH_ID)))
    parsed = parse_envelope(envelope)
    assert parsed == SignedEnvelope(EVENT, HASH_ID, USCC, manufacturer.key_id, envelope["signature"])
    assert parsed.to_json() == envelope
    verify_envelope(parsed, RFC_PUBLIC, expected_hash_id=HASH_ID)
    verify_envelope(envelope, RFC_PUBLIC)


def _envelope(**changes: Any) -> dict[str, Any]:
    envelope = make_envelope(SigningKey.from_private_bytes(RFC_SEED), GLN, EVENT, HASH_ID)
    for name, value in changes.items():
        if value is _DROP:
            del envelope[name]
        else:
            envelope[name] = value
    return envelope


_DROP = object()


@pytest.mark.parametrize(
    ("envelope", "field", "reason"),
    [
        ([], "<envelope>", "expected a JSON object, got list"),
        *[(_envelope(**{name: _DROP}), name, "missing") for name in ("type", "event", "signature", "keyId")],
        (_envelope(extra=1), "extra", "unknown field"),
        (_envelope(type="SignedEvent"), "type", "expected 'SignedEpcisEvent'"),
        (_envelope(version=True), "version", "expected an integer, got bool"),
        (_envelope(version="1"), "version", "expected an integer, got str"),
        (_envelope(version=2), "version", "unsupported version 2"),
        (_envelope(event=[EVENT]), "event", "expected a JSON object, got list"),
        (_envelope(eventHashId=HASH_ID.upper()), "eventHashId", "must start with"),
        (_envelope(eventHashId=42), "eventHashId", "expected a str"),
        (_envelope(organisationId="401234500000"), "organisationId", "GLN"),
        (_envelope(organisationId=4012345000009), "organisationId", "GLN"),
        (_envelope(organisationId="91350100M000100YI3"), "organisationId", "USCC"),
        (_envelope(keyId="0x" + RFC_PUBLIC.hex().upper()), "keyId", "lowercase"),
        (_envelope(keyId=RFC_PUBLIC.hex()), "keyId", "0x \\+ 64"),
        (_envelope(signature=b"abc"), "signature", "expected a string, got bytes"),
    ],
)
def test_parse_envelope_names_the_bad_field(envelope: Any, field: str, reason: str) -> None:
    with pytest.raises(EnvelopeFormatError, match=reason) as caught:
        parse_envelope(envelope)
    assert caught.value.field == field
    assert field in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_make_envelope_refuses_bad_input(manufacturer: SigningKey) -> None:
    with pytest.raises(EnvelopeFormatError, match="organisationId"):
        make_envelope(manufacturer, "ACME", EVENT, HASH_ID)
    with pytest.raises(EnvelopeFormatError, match="eventHashId"):
        make_envelope(manufacturer, GLN, EVENT, "sha256:abc")
    with pytest.raises(EnvelopeFormatError, match="event"):
        make_envelope(manufacturer, GLN, [EVENT], HASH_ID)  # type: ignore[arg-type]


def test_organisation_ids() -> None:
    assert is_organisation_id(GLN)
    assert is_organisation_id(USCC)
    assert not is_organisation_id(GLN + "0")
    assert not is_organisation_id(USCC.lower())
    assert not is_organisation_id(None)


def test_verify_envelope_says_exactly_what_failed(manufacturer: SigningKey, stranger: SigningKey) -> None:
    good = _envelope()
    with pytest.raises(KeyIdMismatchError, match=f"keyId {manufacturer.key_id} is not the given public key"):
        verify_envelope(good, stranger.public_key_bytes)
    with pytest.raises(PublicKeyFormatError):
        verify_envelope(good, RFC_PUBLIC[:16])
    with pytest.raises(HashIdMismatchError, match="differs from the event's hash"):
        verify_envelope(good, RFC_PUBLIC, expected_hash_id=OTHER_HASH_ID)
    with pytest.raises(SignatureEncodingError):
        verify_envelope(_envelope(signature=good["signature"] + "="), RFC_PUBLIC)
    short = encode_signature(decode_signature(good["signature"])[:63])
    with pytest.raises(SignatureLengthError):
        verify_envelope(_envelope(signature=short), RFC_PUBLIC)
    with pytest.raises(InvalidSignatureError):
        verify_envelope(_envelope(eventHashId=OTHER_HASH_ID), RFC_PUBLIC, expected_hash_id=OTHER_HASH_ID)
    forged = make_envelope(stranger, GLN, EVENT, HASH_ID) | {"keyId": manufacturer.key_id}
    with pytest.raises(InvalidSignatureError) as caught:
        verify_envelope(forged, RFC_PUBLIC, expected_hash_id=HASH_ID)
    assert isinstance(caught.value, SignatureVerificationError)
    assert isinstance(caught.value, TraceError)
    with pytest.raises(EnvelopeFormatError):
        verify_envelope({}, RFC_PUBLIC)


# --- keystores ---


def test_keystore_round_trips_with_the_default_parameters(manufacturer: SigningKey) -> None:
    data = encrypt_private_key(manufacturer, "correct horse battery staple")
    store = json.loads(data)
    assert store["kdf"] == store["kdf"] | {"name": "scrypt", "n": 2**17, "r": 8, "p": 1}
    assert store["cipher"]["name"] == "aes-256-gcm"
    assert store["keyId"] == manufacturer.key_id
    assert RFC_SEED.hex() not in data.decode()
    assert decrypt_private_key(data, "correct horse battery staple").private_bytes() == RFC_SEED


def test_keystores_are_salted(manufacturer: SigningKey) -> None:
    a = encrypt_private_key(manufacturer, "pw", scrypt_n=FAST_N)
    b = encrypt_private_key(manufacturer, "pw", scrypt_n=FAST_N)
    assert json.loads(a)["ciphertext"] != json.loads(b)["ciphertext"]


def test_passphrase_is_compared_after_unicode_normalisation(manufacturer: SigningKey) -> None:
    composed = "café 密码"
    data = encrypt_private_key(manufacturer, composed, scrypt_n=FAST_N)
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert decrypt_private_key(data, decomposed).key_id == manufacturer.key_id


def test_wrong_and_empty_passphrases(manufacturer: SigningKey) -> None:
    data = encrypt_private_key(manufacturer, "right", scrypt_n=FAST_N)
    with pytest.raises(WrongPassphraseError, match="wrong passphrase"):
        decrypt_private_key(data, "wrong")
    with pytest.raises(EmptyPassphraseError):
        decrypt_private_key(data, "")
    with pytest.raises(EmptyPassphraseError):
        encrypt_private_key(manufacturer, "", scrypt_n=FAST_N)
    with pytest.raises(EmptyPassphraseError):
        encrypt_private_key(manufacturer, None, scrypt_n=FAST_N)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [2**13, 2**14 + 1, 2**21])
def test_weak_or_huge_scrypt_costs_are_refused(manufacturer: SigningKey, n: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        encrypt_private_key(manufacturer, "pw", scrypt_n=n)


def _store() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        encrypt_private_key(SigningKey.from_private_bytes(RFC_SEED), "pw", scrypt_n=FAST_N)
    )
    return loaded


def _flip_b64(text: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    raw[0] ^= 1
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(ciphertext=_flip_b64(s["ciphertext"])), "corrupted"),
        (lambda s: s.update(keyId="0x" + "00" * 32), "corrupted"),
        (lambda s: s["cipher"].update(nonce=_flip_b64(s["cipher"]["nonce"])), "corrupted"),
        (lambda s: s.update(type="Other"), "not a keystore"),
        (lambda s: s.update(version=2), "unsupported keystore version 2"),
        (lambda s: s.update(extra=1), "fields must be exactly"),
        (lambda s: s.update(kdf={"name": "pbkdf2"}), "kdf must be"),
        (lambda s: s["kdf"].update(n="16384"), "positive integers"),
        (lambda s: s["kdf"].update(n=1000), "out of bounds"),
        (lambda s: s["kdf"].update(n=2**20, r=16), "out of bounds"),
        (lambda s: s.update(cipher={"name": "aes-128-cbc", "nonce": ""}), "cipher must be"),
        (lambda s: s.update(keyId="0xABC"), "keyId must be"),
        (lambda s: s["kdf"].update(salt="***"), "salt is not base64url"),
        (lambda s: s["kdf"].update(salt=16), "salt is not base64url"),
        (lambda s: s["kdf"].update(salt="AAAA"), "salt is 3 bytes, expected 16"),
        (lambda s: s.update(ciphertext=s["ciphertext"][:-8]), "ciphertext is"),
    ],
)
def test_corrupted_keystores_are_refused(change: Any, message: str) -> None:
    store = _store()
    change(store)
    with pytest.raises(KeystoreFormatError, match=message):
        decrypt_private_key(json.dumps(store).encode(), "pw")


def test_altered_kdf_parameters_read_as_a_wrong_passphrase() -> None:
    store = _store()
    store["kdf"]["n"] = 2**15
    with pytest.raises(WrongPassphraseError):
        decrypt_private_key(json.dumps(store).encode(), "pw")


@pytest.mark.parametrize("data", [b"", b"\xff\xfe", b"[1, 2]", b"null"])
def test_non_keystores_are_refused(data: bytes) -> None:
    with pytest.raises(KeystoreFormatError, match="not a keystore"):
        decrypt_private_key(data, "pw")


def test_keystore_whose_key_does_not_match_its_key_id_is_refused(stranger: SigningKey) -> None:
    # Written by a faulty encryptor: authenticated, but keyId names another key.
    salt, nonce = b"\x01" * 16, b"\x02" * 12
    aes_key, check = _keystore._derive("pw", salt, FAST_N, 8, 1)
    header = {
        "type": "SupplychainSigningKey",
        "version": 1,
        "keyId": stranger.key_id,
        "kdf": {"name": "scrypt", "salt": _keystore._b64(salt), "n": FAST_N, "r": 8, "p": 1},
        "cipher": {"name": "aes-256-gcm", "nonce": _keystore._b64(nonce)},
        "check": _keystore._b64(check),
    }
    ciphertext = AESGCM(aes_key).encrypt(nonce, RFC_SEED, _keystore._header_bytes(header))
    data = json.dumps({**header, "ciphertext": _keystore._b64(ciphertext)}).encode()
    with pytest.raises(KeystoreFormatError, match="does not match its keyId"):
        decrypt_private_key(data, "pw")
