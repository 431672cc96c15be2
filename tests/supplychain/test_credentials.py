"""Verifiable credentials of green recognitions: built from the chain's terms, signed ES256K by the certifier's own
account, and verified against a registry mirror; every forgery and every lapse refused or reported with its code."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from hypothesis import given
from hypothesis import strategies as st

from supplychain.credentials import (
    CREDENTIALS_CONTEXT,
    FAILURE_CODES,
    STATUS_CODES,
    UNTP_DCC_CONTEXT,
    VC_V2_CONTEXT,
    CredentialFormatError,
    CredentialIssueError,
    CredentialStatus,
    StatusReason,
    address_of,
    build_credential,
    checksum_address,
    claim_differences,
    decode_credential,
    did_pkh,
    evidence_hash,
    grade_label,
    iso_time,
    issue_credential,
    jwk_of,
    keccak256,
    level_label,
    parse_address,
    parse_did_pkh,
    private_key_of,
    reason_label,
    recognition_urn,
    sign_credential,
    sign_jws,
    standard_title,
    token_digest,
    verify_credential,
)
from supplychain.credentials._secp256k1 import SECP256K1_N, b64url_decode, es256k_sign, es256k_verify, public_key_of_jwk
from supplychain.errors import TraceError
from supplychain.registry import BusinessRole, Grade, Level, ReasonCode, RecognitionKind, RegistryMirror, Scope
from supplychain.registry import events as ev

CHAIN = 31337
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
OTHER_REGISTRY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
PROVINCIAL_KEY = "0x" + "11" * 32
NATIONAL_KEY = "0x" + "22" * 32
STRANGER_KEY = "0x" + "33" * 32
REGULATOR_KEY = "0x" + "44" * 32


def account(key: str) -> str:
    return address_of(private_key_of(key).public_key)


PROVINCIAL, NATIONAL, STRANGER, REGULATOR = (
    account(k) for k in (PROVINCIAL_KEY, NATIONAL_KEY, STRANGER_KEY, REGULATOR_KEY)
)
SUPPLIER = "91320200MA1MX7K3GD"
MAKER = "6901234000016"
FACILITY = "6901234000047"
GTIN = "6901234000108"
REPORT = "绿色工厂评价报告 2023 (第三方评价机构)".encode()
T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
DAY = 86_400
NOW = T0 + 30 * DAY


def factory_terms(**changes: Any) -> ev.RecognitionTerms:
    """Recognition 1: the supplier's facility, a provincial green factory, three years."""
    terms = ev.RecognitionTerms(
        SUPPLIER,
        RecognitionKind.GREEN_FACTORY,
        Level.PROVINCIAL,
        Grade.NONE,
        Scope.FACILITY,
        FACILITY,
        "GB/T 36132-2018",
        T0,
        T0 + 3 * 365 * DAY,
        evidence_hash(REPORT),
    )
    return replace(terms, **changes)


PRODUCT_TERMS = ev.RecognitionTerms(
    SUPPLIER,
    RecognitionKind.GREEN_PRODUCT,
    Level.NATIONAL,
    Grade.NONE,
    Scope.PRODUCT,
    GTIN,
    "GB/T 32161-2015",
    T0,
    None,
    b"\x07" * 32,
)
ENTERPRISE_TERMS = ev.RecognitionTerms(
    MAKER,
    RecognitionKind.GREEN_FACTORY,
    Level.NATIONAL,
    Grade.A_PLUS,
    Scope.ENTERPRISE,
    "",
    "MIIT-GF-2024",
    T0,
    None,
    b"\x08" * 32,
)


class Clock:
    """Hands out increasing log positions."""

    def __init__(self) -> None:
        self.n = 0

    def at(self) -> ev.LogPosition:
        self.n += 1
        return ev.LogPosition(self.n, 0, f"0x{self.n:064x}")


def mirror(*changes: tuple[str, int, int], terms: ev.RecognitionTerms | None = None) -> RegistryMirror:
    """The registry: certifiers (provincial, national), two organisations, recognitions 1 (factory, by the provincial
    certifier), 2 (product) and 3 (enterprise, graded), each by the national one; then ``(what, time, reason)``
    status changes of recognition 1, and the provincial certifier removed at T0 + 400 days."""
    c = Clock()
    events: list[ev.RegistryEvent] = [
        ev.CertifierLevelChanged(c.at(), T0 - 10 * DAY, PROVINCIAL, 0, 2),
        ev.CertifierLevelChanged(c.at(), T0 - 10 * DAY, NATIONAL, 0, 3),
        ev.OrganisationRegistered(c.at(), T0 - 5 * DAY, SUPPLIER, BusinessRole.SUPPLIER, b"\0" * 32, ""),
        ev.OrganisationRegistered(c.at(), T0 - 5 * DAY, MAKER, BusinessRole.MANUFACTURER, b"\0" * 32, ""),
        ev.RecognitionIssued(c.at(), T0, 1, PROVINCIAL, terms or factory_terms()),
        ev.RecognitionIssued(c.at(), T0, 2, NATIONAL, PRODUCT_TERMS),
        ev.RecognitionIssued(c.at(), T0, 3, NATIONAL, ENTERPRISE_TERMS),
    ]
    kinds: dict[str, type[ev.RecognitionSuspended | ev.RecognitionReinstated | ev.RecognitionRevoked]]
    kinds = {"suspend": ev.RecognitionSuspended, "reinstate": ev.RecognitionReinstated, "revoke": ev.RecognitionRevoked}
    for what, t, reason in changes:
        events.append(kinds[what](c.at(), t, 1, SUPPLIER, REGULATOR if what == "revoke" else PROVINCIAL, reason))
    events.append(ev.CertifierLevelChanged(c.at(), T0 + 400 * DAY, PROVINCIAL, 2, 0))
    return RegistryMirror().apply_all(events)


def issue(
    recognition_id: int = 1,
    terms: ev.RecognitionTerms | None = None,
    key: str = PROVINCIAL_KEY,
    issuer: str | None = None,
    **names: str,
) -> str:
    return issue_credential(
        recognition_id,
        issuer or account(key),
        terms or factory_terms(),
        key,
        chain_id=CHAIN,
        registry_address=REGISTRY,
        **names,
    )


ISSUED = issue()


def verify(token: str | bytes, m: RegistryMirror | None = None, now: int = NOW, **options: Any) -> Any:
    options.setdefault("chain_id", CHAIN)
    options.setdefault("registry_address", REGISTRY)
    return verify_credential(token, m or mirror(), now=now, **options)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload)), signature


def jws(header: dict[str, Any], payload: Any, key: str) -> str:
    """A token signed as given (no checks): for forgeries."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return sign_jws(header, raw, private_key_of(key))


def codes(verdict: Any) -> list[str]:
    return [c.code for c in verdict.checks if c.passed is False]


def check(verdict: Any, name: str) -> Any:
    return next(c for c in verdict.checks if c.name == name)


# --- the credential and its signature ---


def test_a_credential_is_a_vc2_untp_conformity_credential_with_the_chain_reference() -> None:
    token = issue(issuer_name="江苏省工业和信息化厅", holder_name="常州锂源新材料有限公司")
    header, vc, _ = token_parts(token)
    did = f"did:pkh:eip155:{CHAIN}:{PROVINCIAL}"
    assert header == {
        "alg": "ES256K",
        "typ": "vc+jwt",
        "cty": "vc",
        "kid": did + "#blockchainAccountId",
        "jwk": jwk_of(private_key_of(PROVINCIAL_KEY).public_key),
    }
    assert vc["@context"] == [VC_V2_CONTEXT, UNTP_DCC_CONTEXT, CREDENTIALS_CONTEXT]
    assert vc["type"] == ["VerifiableCredential", "DigitalConformityCredential"]
    assert vc["issuer"] == {"type": ["CredentialIssuer"], "id": did, "name": "江苏省工业和信息化厅"}
    assert (vc["validFrom"], vc["validUntil"]) == ("2023-11-14T22:13:20Z", "2026-11-13T22:13:20Z")
    subject = vc["credentialSubject"]
    urn = f"urn:supplychain:eip155:{CHAIN}:{REGISTRY}:recognition:1"
    assert subject["id"] == urn == recognition_urn(CHAIN, REGISTRY.lower(), 1)
    assert subject["name"] == "省级绿色工厂 provincial green factory"
    assert subject["issuedToParty"]["id"] == f"urn:uscc:{SUPPLIER}"
    assert subject["issuedToParty"]["name"] == "常州锂源新材料有限公司"
    assert subject["scope"]["id"] == "https://ns.supplychain.dev/green/green-factory"
    assessment = subject["assessment"][0]
    assert assessment["referenceStandard"]["name"].startswith("GB/T 36132-2018 绿色工厂评价通则")
    assert assessment["assessedFacility"][0]["id"] == f"https://id.gs1.org/414/{FACILITY}"
    assert subject["auditableEvidence"]["hashDigest"] == hashlib.sha256(REPORT).hexdigest()
    reference = {"chainId": CHAIN, "registryAddress": REGISTRY, "recognitionId": 1}
    assert subject["greenRecognition"] == {
        "type": "GreenManufacturingRecognition",
        **reference,
        "holder": SUPPLIER,
        "kind": "GREEN_FACTORY",
        "level": "PROVINCIAL",
        "grade": "NONE",
        "scope": "FACILITY",
        "subject": FACILITY,
        "standardRef": "GB/T 36132-2018",
        "evidenceHash": "0x" + hashlib.sha256(REPORT).hexdigest(),
    }
    assert vc["credentialStatus"] == {"id": urn + "#status", "type": "SupplychainRegistryStatus", **reference}
    assert (
        issue(issuer_name="江苏省工业和信息化厅", holder_name="常州锂源新材料有限公司") == token
    )  # RFC 6979: deterministic
    decoded = decode_credential(token.encode() + b"\n")
    assert decoded.digest == token_digest(token + "\n") == hashlib.sha256(token.encode()).hexdigest()
    assert (decoded.issuer_name, decoded.holder_name, decoded.holder) == (
        "江苏省工业和信息化厅",
        "常州锂源新材料有限公司",
        SUPPLIER,
    )


def test_product_and_enterprise_scopes_and_grades() -> None:
    product = build_credential(2, NATIONAL, PRODUCT_TERMS, chain_id=CHAIN, registry_address=REGISTRY)
    assert "validUntil" not in product and product["issuer"] == {
        "type": ["CredentialIssuer"],
        "id": did_pkh(CHAIN, NATIONAL),
    }
    item = product["credentialSubject"]["assessment"][0]["assessedProduct"][0]
    assert item["id"] == f"https://id.gs1.org/01/0{GTIN}" and item["registeredId"] == GTIN
    assert product["credentialSubject"]["name"] == "国家级绿色设计产品 national green design product"
    assert "生态设计产品评价通则" in product["credentialSubject"]["assessment"][0]["referenceStandard"]["name"]
    enterprise = build_credential(3, NATIONAL, ENTERPRISE_TERMS, chain_id=CHAIN, registry_address=REGISTRY)
    subject = enterprise["credentialSubject"]
    party = subject["assessment"][0]["assessedOrganisation"]
    assert party == subject["issuedToParty"] and party["id"] == f"https://id.gs1.org/417/{MAKER}"
    assert subject["name"].endswith("green factory, grade A+")
    assert subject["assessment"][0]["referenceStandard"]["name"] == "MIIT-GF-2024"  # no title known: the number alone
    for recognition_id, terms in ((2, PRODUCT_TERMS), (3, ENTERPRISE_TERMS)):
        verdict = verify(issue(recognition_id, terms, NATIONAL_KEY))
        assert verdict.valid and verdict.in_force, verdict.message
        assert "claims" in [c.name for c in verdict.checks if c.passed]


def test_vocabulary() -> None:
    assert standard_title("GB/T 36132-2025") == (
        "绿色工厂评价通则",
        "General principles for assessment of green factories",
    )
    assert standard_title("GB/T 32163.2-2015") is not None and standard_title("GB/T 36132") is not None
    assert standard_title("GB/T 361320-2018") is None and standard_title("Q/XYZ 1") is None
    assert standard_title("GB/T 33635-2017")[0].startswith("绿色制造")  # type: ignore[index]
    assert (
        level_label(Level.CITY) == ("市级", "city")
        and grade_label(Grade.A_PLUS) == "A+"
        and grade_label(Grade.NONE) == ""
    )
    assert reason_label(2) == ("数据造假", "data falsified") and reason_label(99) is None
    # every code the registry defines has a label (13 and 14 came with company prefixes; a missing one was a KeyError)
    assert all(reason_label(int(code)) is not None for code in ReasonCode if code != 0)
    assert StatusReason(99).to_json() == {"code": 99, "name": None, "en": "reason 99", "zh": "reason 99"}
    assert StatusReason(1).label("zh") == "抽查不合格" and StatusReason(1).name == "SPOT_CHECK_FAILED"
    assert "malformed" in FAILURE_CODES and "revoked" in STATUS_CODES and "in_force" not in STATUS_CODES
    assert evidence_hash(b"") == hashlib.sha256(b"").digest()
    assert iso_time(0) == "1970-01-01T00:00:00Z"
    for t in (-1, 253_402_300_800):
        with pytest.raises(CredentialIssueError, match="cannot be written as an XML dateTime"):
            iso_time(t)


def test_ethereum_accounts_agree_with_eth_account_and_eip55() -> None:
    from eth_account import Account

    for key in (PROVINCIAL_KEY, NATIONAL_KEY, "0x" + "fe" * 32):
        assert account(key) == Account.from_key(key).address
    # the EIP-55 specification's own examples
    for address in (
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ):
        assert checksum_address(address.lower()) == address == parse_address(address)
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert parse_address(REGISTRY.lower()) == REGISTRY
    with pytest.raises(ValueError, match="fails its EIP-55 checksum"):
        parse_address(REGISTRY[:-1] + "A")
    for bad in ("0x123", "5FbDB2315678afecb367f032d93F642f64180aa3", 42):
        with pytest.raises(ValueError, match="not an Ethereum address"):
            checksum_address(bad)
    assert parse_did_pkh(did_pkh(1, REGISTRY.lower())) == (1, REGISTRY)
    for did in ("did:pkh:eip155:0:" + REGISTRY, "did:pkh:solana:1:abc", "did:web:example.com", None):
        with pytest.raises(ValueError, match="is not a did:pkh:eip155"):
            parse_did_pkh(did)


def test_private_keys_are_checked() -> None:
    assert private_key_of(bytes.fromhex("11" * 32)).secret == private_key_of("11" * 32).secret
    for bad in ("0x1234", "zz" * 32, b"\x01" * 31, b"\0" * 32, SECP256K1_N.to_bytes(32, "big")):
        with pytest.raises(ValueError, match="private key"):
            private_key_of(bad)


def test_es256k_interoperates_with_another_implementation() -> None:
    """Signatures verify with OpenSSL's ECDSA (via cryptography), and OpenSSL's (made low-S) verify with ours."""
    key = private_key_of(PROVINCIAL_KEY)
    other = ec.derive_private_key(int(PROVINCIAL_KEY, 16), ec.SECP256K1())
    message = b"header.payload"
    signature = es256k_sign(key, message)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    other.public_key().verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))  # raises if not
    assert s <= SECP256K1_N // 2
    for _ in range(4):
        r2, s2 = decode_dss_signature(other.sign(message, ec.ECDSA(hashes.SHA256())))
        low = min(s2, SECP256K1_N - s2)
        raw = r2.to_bytes(32, "big") + low.to_bytes(32, "big")
        assert es256k_verify(key.public_key, message, raw) is None
        high = r2.to_bytes(32, "big") + (SECP256K1_N - low).to_bytes(32, "big")
        assert "high-S" in str(es256k_verify(key.public_key, message, high))
    assert "64 bytes" in str(es256k_verify(key.public_key, message, signature[:63]))
    assert "out of range" in str(es256k_verify(key.public_key, message, bytes(32) + signature[32:]))
    assert "does not verify" in str(es256k_verify(key.public_key, message + b"!", signature))


def test_jwks_and_base64url() -> None:
    public = private_key_of(PROVINCIAL_KEY).public_key
    jwk = jwk_of(public)
    assert public_key_of_jwk(jwk).format() == public.format()
    cases: list[tuple[Any, str]] = [
        ("not an object", "not a JSON object"),
        ({**jwk, "crv": "P-256"}, "not a secp256k1 key"),
        ({**jwk, "kty": "OKP"}, "not a secp256k1 key"),
        ({**jwk, "d": b64(b"\x11" * 32)}, "holds a private key"),
        ({**jwk, "x": 7}, "jwk.x is not 32 bytes"),
        ({**jwk, "y": b64(b"\x01" * 31)}, "jwk.y is not 32 bytes"),
        ({**jwk, "y": b64(b"\x01" * 32)}, "not a point on secp256k1"),
    ]
    for value, message in cases:
        with pytest.raises(ValueError, match=message):
            public_key_of_jwk(value)
    assert b64url_decode("", "x") == b""
    for text, message in (
        ("a+b", "not base64url"),
        ("abcde", "not base64url"),
        ("QR", "not canonical"),
        ("QQ==", "not"),
    ):
        with pytest.raises(ValueError, match=message):
            b64url_decode(text, "x")


def test_signing_refuses_what_it_cannot_vouch_for() -> None:
    credential = build_credential(1, PROVINCIAL, factory_terms(), chain_id=CHAIN, registry_address=REGISTRY)
    assert sign_credential(credential, bytes.fromhex(PROVINCIAL_KEY[2:])) == issue()
    with pytest.raises(CredentialIssueError, match="the key is account"):
        sign_credential(credential, STRANGER_KEY)
    with pytest.raises(CredentialIssueError, match="cannot sign"):
        sign_credential({**credential, "issuer": did_pkh(CHAIN, PROVINCIAL)}, "0x12")
    assert sign_credential({**credential, "issuer": did_pkh(CHAIN, PROVINCIAL)}, PROVINCIAL_KEY).count(".") == 2
    with pytest.raises(CredentialIssueError, match="cannot sign"):
        sign_credential({"type": []}, PROVINCIAL_KEY)
    with pytest.raises(CredentialIssueError, match="only the issuing certifier's own key"):
        issue(key=STRANGER_KEY, issuer=PROVINCIAL)
    with pytest.raises(CredentialIssueError, match="private key"):
        issue_credential(1, PROVINCIAL, factory_terms(), "nope", chain_id=CHAIN, registry_address=REGISTRY)
    with pytest.raises(CredentialIssueError, match="not an Ethereum address"):
        build_credential(1, PROVINCIAL, factory_terms(), chain_id=CHAIN, registry_address="0xnope")
    with pytest.raises(CredentialIssueError, match="XML dateTime"):
        issue(terms=factory_terms(valid_until=2**63))
    assert issubclass(CredentialIssueError, TraceError) and issubclass(CredentialFormatError, ValueError)


# --- verification: a genuine credential through its life ---


def test_a_genuine_credential_is_valid_and_in_force() -> None:
    verdict = verify(issue(holder_name="常州锂源"), evidence=REPORT)
    assert (verdict.valid, verdict.in_force, verdict.status, verdict.reason) == (
        True,
        True,
        CredentialStatus.IN_FORCE,
        None,
    )
    assert [c.name for c in verdict.checks] == [
        "format", "signature", "key", "chain", "registry", "recognition", "issuer", "certifier", "claims", "evidence",
        "status",
    ]  # fmt: skip
    assert all(c.passed for c in verdict.checks) and verdict.reasons == []
    assert (verdict.recognition_id, verdict.holder, verdict.issuer) == (1, SUPPLIER, did_pkh(CHAIN, PROVINCIAL))
    assert verdict.status_since == T0 and verdict.status_reason is None
    assert verdict.message == f"valid credential; recognition 1 of {SUPPLIER} is in force"
    data = verdict.to_json()
    assert data["checkedAt"] == iso_time(NOW) and data["statusSince"] == "2023-11-14T22:13:20Z"
    assert data["recognition"]["evidenceHash"] == "0x" + hashlib.sha256(REPORT).hexdigest()
    assert data["checks"][0] == {
        "name": "format",
        "passed": True,
        "code": None,
        "detail": check(verdict, "format").detail,
    }
    assert json.loads(json.dumps(data)) == data
    without = verify(issue())
    assert check(without, "evidence").passed is None and without.valid and without.in_force


def test_suspension_reinstatement_and_revocation_are_reported_with_date_and_reason() -> None:
    token = issue()
    m = mirror(("suspend", T0 + 100 * DAY, 1), ("reinstate", T0 + 200 * DAY, 11), ("revoke", T0 + 300 * DAY, 2))
    before = verify(token, m, now=T0 + 99 * DAY)
    assert before.in_force and before.status_since == T0
    suspended = verify(token, m, now=T0 + 150 * DAY)
    assert suspended.valid and not suspended.in_force and suspended.reason == "suspended"
    assert suspended.status is CredentialStatus.SUSPENDED and suspended.status_since == T0 + 100 * DAY
    assert suspended.status_reason == StatusReason(1) and suspended.reasons == ["suspended"]
    assert "suspended on 2024-02-22T22:13:20Z" in suspended.message and "spot check failed" in suspended.message
    reinstated = verify(token, m, now=T0 + 250 * DAY)
    assert reinstated.in_force and reinstated.status_since == T0 + 200 * DAY
    assert "reinstated: rectified" in check(reinstated, "status").detail
    revoked = verify(token, m, now=T0 + 301 * DAY)
    assert revoked.valid and not revoked.in_force and revoked.status is CredentialStatus.REVOKED
    assert (
        revoked.status_since == T0 + 300 * DAY
        and revoked.status_reason
        and revoked.status_reason.name == "DATA_FALSIFIED"
    )
    assert f"revoked (摘牌) on 2024-09-09T22:13:20Z by {REGULATOR}: reason 2 data falsified" in revoked.message
    assert revoked.to_json()["statusReason"] == {
        "code": 2,
        "name": "DATA_FALSIFIED",
        "en": "data falsified",
        "zh": "数据造假",
    }
    assert [h["status"] for h in revoked.to_json()["recognition"]["history"]] == ["SUSPENDED", "ACTIVE", "REVOKED"]
    # revoked is final, even past the end of validity
    assert verify(token, m, now=T0 + 4 * 365 * DAY).status is CredentialStatus.REVOKED


def test_expiry_and_not_yet_valid() -> None:
    token = issue()
    expired = verify(token, now=T0 + 3 * 365 * DAY)
    assert expired.valid and expired.status is CredentialStatus.EXPIRED and expired.reason == "expired"
    assert expired.status_since == T0 + 3 * 365 * DAY and "expired on 2026-11-13T22:13:20Z" in expired.message
    early = verify(token, now=T0 - 1)  # before the issue and the validity
    assert early.status is CredentialStatus.NOT_YET_VALID and early.status_since is None
    later_start = factory_terms(valid_from=T0 + 10 * DAY)
    pending = verify(issue(terms=later_start), mirror(terms=later_start), now=T0 + DAY)  # issued, not yet valid
    assert pending.valid and pending.reason == "not_yet_valid" and "not valid before 2023-11-24" in pending.message
    far = factory_terms(valid_from=2**40)
    assert "(Unix seconds)" in check(verify(issue(terms=factory_terms()), mirror(terms=far)), "status").detail


def test_authority_is_judged_when_the_recognition_was_issued() -> None:
    removed = verify(issue(), now=T0 + 500 * DAY - 1)  # the certifier was removed at T0 + 400 days
    assert removed.valid and "no longer a certifier" in check(removed, "certifier").detail
    c = Clock()
    history: list[ev.RegistryEvent] = [
        ev.CertifierLevelChanged(c.at(), T0 - DAY, PROVINCIAL.lower(), 0, 1),  # only city level, yet a provincial one
        ev.OrganisationRegistered(c.at(), T0 - DAY, SUPPLIER, BusinessRole.SUPPLIER, b"\0" * 32, ""),
        ev.RecognitionIssued(c.at(), T0, 1, PROVINCIAL.lower(), factory_terms()),
    ]
    below = verify(issue(), RegistryMirror().apply_all(history))
    assert below.reason == "issuer_not_certifier" and "below the recognition's level (provincial)" in below.message


# --- verification: forgeries and mistakes, each refused with its code ---


def test_a_payload_edited_after_signing_is_refused() -> None:
    token = issue()
    _, vc, signature = token_parts(token)
    vc["credentialSubject"]["greenRecognition"]["level"] = "NATIONAL"
    forged = token.split(".")[0] + "." + b64(json.dumps(vc).encode()) + "." + signature
    verdict = verify(forged)
    assert not verdict.valid and not verdict.in_force and verdict.reason == "bad_signature"
    assert codes(verdict)[:1] == ["bad_signature"] and "claims_mismatch" in codes(verdict)
    assert verdict.mismatched_fields == ("level",)
    assert verdict.message.startswith("invalid credential (bad_signature): the ES256K signature does not verify")


def test_a_credential_signed_by_another_key_with_the_issuers_kid_is_refused() -> None:
    header, vc, _ = token_parts(issue())
    attacker = private_key_of(STRANGER_KEY).public_key
    # the issuer's kid and did, the attacker's own jwk: the signature verifies, but the key is not the issuer's
    own_jwk = jws({**header, "jwk": jwk_of(attacker)}, vc, STRANGER_KEY)
    verdict = verify(own_jwk)
    assert verdict.reason == "key_not_issuer" and codes(verdict) == ["key_not_issuer"]
    assert f"the header's key is account {STRANGER}, the issuer is {PROVINCIAL}" in verdict.message
    # the issuer's jwk too, signed by the attacker: the signature does not verify
    assert verify(jws(header, vc, STRANGER_KEY)).reason == "bad_signature"
    # the issuer's key, but a kid naming another account
    other_kid = jws({**header, "kid": did_pkh(CHAIN, STRANGER) + "#blockchainAccountId"}, vc, PROVINCIAL_KEY)
    assert verify(other_kid).reason == "key_not_issuer"


def test_a_stranger_issuing_a_credential_for_a_real_recognition_is_refused() -> None:
    verdict = verify(issue(key=STRANGER_KEY))
    assert codes(verdict) == ["issuer_mismatch", "issuer_not_certifier"] and not verdict.valid
    assert f"recognition 1 was issued by {PROVINCIAL}, not by {STRANGER}" in check(verdict, "issuer").detail
    assert f"{STRANGER} was not a certifier registered in the registry at" in check(verdict, "certifier").detail
    assert verdict.status is CredentialStatus.IN_FORCE and not verdict.in_force  # the real recognition is; not this
    # another, genuine certifier signing someone else's recognition: a mismatch, but it is a certifier
    national = verify(issue(key=NATIONAL_KEY))
    assert codes(national) == ["issuer_mismatch"]
    # a recognition the registry never issued
    unknown = verify(issue(recognition_id=99, key=STRANGER_KEY))
    assert codes(unknown) == ["unknown_recognition", "issuer_not_certifier"] and unknown.holder == SUPPLIER
    assert unknown.status is CredentialStatus.UNKNOWN and unknown.recognition is None
    assert codes(verify(issue(recognition_id=99))) == ["unknown_recognition"]


def test_a_tampered_evidence_hash_is_refused() -> None:
    tampered = issue(terms=factory_terms(evidence_hash=evidence_hash(b"a better report")))
    verdict = verify(tampered)
    assert verdict.reason == "claims_mismatch" and verdict.mismatched_fields == ("evidence_hash",)
    assert "evidence_hash (credentialSubject.auditableEvidence.hashDigest" in verdict.message
    forged_report = verify(issue(), evidence=REPORT + b" (edited)")
    assert forged_report.reason == "evidence_mismatch" and codes(forged_report) == ["evidence_mismatch"]
    assert f"recognition's evidence hash is 0x{hashlib.sha256(REPORT).hexdigest()}" in forged_report.message


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"holder": MAKER}, ("holder",)),
        ({"kind": RecognitionKind.GREEN_PARK}, ("name", "description", "kind")),
        ({"level": Level.NATIONAL}, ("name", "description", "level")),
        ({"level": Level.NATIONAL, "grade": Grade.A}, ("name", "description", "level", "grade")),
        ({"subject": "6901234000054"}, ("facility", "subject")),
        ({"scope": Scope.PRODUCT, "subject": GTIN}, ("facility", "product", "scope", "subject")),
        ({"standard_ref": "GB/T 36132-2025"}, ("description", "standard")),
        ({"valid_until": T0 + 5 * 365 * DAY}, ("validity",)),
        ({"valid_until": None}, ("validity",)),
        ({"valid_from": T0 - DAY}, ("validity",)),
    ],
)
def test_each_attested_field_is_checked_against_the_chain(changes: dict[str, Any], fields: tuple[str, ...]) -> None:
    """The issuer's own key signs terms that are not the chain's: the verdict names the fields that differ."""
    verdict = verify(issue(terms=factory_terms(**changes)))
    assert verdict.reason == "claims_mismatch" and codes(verdict) == ["claims_mismatch"]
    renamed = {"credentialSubject.name": "name", "credentialSubject.attestationDescription": "description"}
    assert tuple(renamed.get(f, f) for f in verdict.mismatched_fields) == fields
    assert verdict.status is CredentialStatus.IN_FORCE and not verdict.in_force


def test_claims_outside_the_chains_record_are_refused() -> None:
    header, vc, _ = token_parts(issue())
    extra = {**vc, "evidence": [{"id": "https://example.com/more"}]}
    assert verify(jws(header, extra, PROVINCIAL_KEY)).mismatched_fields == ("evidence",)
    lowered = json.loads(json.dumps(vc).replace(REGISTRY, REGISTRY.lower()))
    assert "registry_reference" in verify(jws(header, lowered, PROVINCIAL_KEY)).mismatched_fields
    fewer = {**vc, "@context": vc["@context"][:1], "type": [*vc["type"], "Extra"]}
    differences = claim_differences(fewer, vc)
    assert [(f, p) for f, p, *_ in differences] == [
        ("@context[1]", "@context[1]"),
        ("@context[2]", "@context[2]"),
        ("type[2]", "type[2]"),
    ]
    assert differences[0][2:] == ("absent", json.dumps(UNTP_DCC_CONTEXT))
    long = claim_differences({"a": "x" * 200, "b": 1}, {"a": "y", "b": True})
    assert long[0][2].endswith("...") and len(long[0][2]) == 80 and long[1][2:] == ("1", "true")
    # the chain's record cannot be written as a credential at all (a validity past the year 9999)
    odd = verify(issue(), mirror(terms=factory_terms(valid_until=2**63)))
    assert (
        odd.reason == "claims_mismatch"
        and odd.mismatched_fields == ("validity",)
        and odd.status is CredentialStatus.IN_FORCE
    )


def test_credentials_for_another_chain_or_registry_are_refused() -> None:
    token = issue()
    other_chain = verify(token, chain_id=1)
    assert codes(other_chain) == ["other_chain"] and other_chain.status is CredentialStatus.UNKNOWN
    assert other_chain.holder == SUPPLIER and other_chain.recognition_id == 1
    assert codes(verify(token, registry_address=OTHER_REGISTRY)) == ["other_registry"]
    assert verify(token, registry_address=REGISTRY.lower()).valid
    # an issuer DID on another chain than the reference
    header, vc, _ = token_parts(token)
    vc["issuer"]["id"] = did_pkh(1, PROVINCIAL)
    moved = jws({**header, "kid": did_pkh(1, PROVINCIAL) + "#blockchainAccountId"}, vc, PROVINCIAL_KEY)
    assert codes(verify(moved)) == ["other_chain"]
    with pytest.raises(ValueError, match="not an Ethereum address"):
        verify(token, registry_address="registry")


def _malformed_cases() -> list[tuple[Any, str]]:
    token = issue()
    header, vc, signature = token_parts(token)
    h, p, _ = token.split(".")

    def with_header(**changes: Any) -> str:
        return jws({**header, **changes}, vc, PROVINCIAL_KEY)

    def with_payload(value: Any) -> str:
        return jws(header, value, PROVINCIAL_KEY)

    def without(obj: dict[str, Any], key: str) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if k != key}

    subject_without_green = {**vc, "credentialSubject": without(vc["credentialSubject"], "greenRecognition")}
    green = vc["credentialSubject"]["greenRecognition"]

    def with_green(**changes: Any) -> dict[str, Any]:
        return {**vc, "credentialSubject": {**vc["credentialSubject"], "greenRecognition": {**green, **changes}}}

    bad_utf8, not_object = b64(b"\xff"), b64(b"[1]")
    twice, nan = b64(b'{"alg":"ES256K","alg":"none"}'), b64(b'{"alg":NaN}')
    deep, broken = b64(b"[[[[[[1]]]]]]"), b64(b"{not json")
    return [
        ("", "has 1"),
        ("a.b", "has 2"),
        (b"\xff.a.b", "ASCII"),
        ("x" * 70_000, "at most 65536"),
        (f"{h}.{p}.{signature}=", "signature is not base64url"),
        (f"{h}!.{p}.{signature}", "header is not base64url"),
        (f"{deep}.{p}.{signature}", "nested at most"),
        (f"{broken}.{p}.{signature}", "not UTF-8 JSON"),
        (f"{bad_utf8}.{p}.{signature}", "not UTF-8 JSON"),
        (f"{not_object}.{p}.{signature}", "not a JSON object"),
        (f"{twice}.{p}.{signature}", "duplicate member 'alg'"),
        (f"{nan}.{p}.{signature}", "NaN is not JSON"),
        (with_header(alg="none"), "alg is 'none'"),
        (with_header(alg="ES256"), "signed ES256K"),
        (with_header(typ="JWT"), "typ is 'JWT'"),
        (with_header(cty="json"), "cty is 'json'"),
        (with_header(crit=["b64"]), "critical header parameters"),
        (jws(without(header, "kid"), vc, PROVINCIAL_KEY), "no kid"),
        (with_header(jwk={"kty": "RSA"}), "header jwk: jwk is not a secp256k1 key"),
        (with_payload([vc]), "payload is not a JSON object"),
        (with_payload({**vc, "@context": [UNTP_DCC_CONTEXT]}), "not a W3C VC 2.0 credential"),
        (with_payload({**vc, "@context": VC_V2_CONTEXT}), "not a W3C VC 2.0 credential"),
        (with_payload({**vc, "type": ["VerifiableCredential"]}), "expected ['VerifiableCredential', 'Digital"),
        (with_payload({**vc, "type": "VerifiableCredential"}), "expected"),
        (with_payload(subject_without_green), "greenRecognition (the on-chain reference) is missing"),
        (with_payload({**vc, "credentialSubject": []}), "greenRecognition"),
        (with_payload({**vc, "issuer": vc["issuer"]["id"]}), "issuer is not an object"),
        (with_payload({**vc, "issuer": {"id": "did:web:jiangsu.gov.cn"}}), "is not a did:pkh:eip155"),
        (with_payload({**vc, "issuer": {"id": did_pkh(CHAIN, PROVINCIAL).lower()}}), "EIP-55 checksum"),
        (with_payload(with_green(registryAddress=None)), "None is not an Ethereum address"),
        (with_payload(with_green(chainId="31337")), "greenRecognition.chainId is not a positive integer"),
        (with_payload(with_green(recognitionId=True)), "recognitionId is not a positive integer: True"),
        (with_payload(with_green(recognitionId=0)), "recognitionId is not a positive integer: 0"),
    ]


def test_malformed_tokens_are_refused_with_what_is_wrong() -> None:
    cases = _malformed_cases()
    assert len(cases) >= 33
    for token, message in cases:
        with pytest.raises(CredentialFormatError, match=re.escape(message)):
            decode_credential(token)
        verdict = verify(token)
        assert (verdict.valid, verdict.reason, verdict.status) == (False, "malformed", CredentialStatus.UNKNOWN), token
        assert [c.name for c in verdict.checks] == ["format"] and verdict.recognition_id is None
        assert verdict.to_json()["statusSince"] is None


def test_names_that_are_not_strings_are_not_names() -> None:
    header, vc, _ = token_parts(issue())
    vc["issuer"]["name"] = 7
    vc["credentialSubject"]["issuedToParty"]["name"] = ["x"]
    vc["credentialSubject"]["greenRecognition"]["holder"] = 5
    decoded = decode_credential(jws(header, vc, PROVINCIAL_KEY))
    assert (decoded.issuer_name, decoded.holder_name, decoded.holder) == (None, None, None)
    verdict = verify(decoded.token)
    assert verdict.reason == "claims_mismatch" and set(verdict.mismatched_fields) == {"holder", "issuer.name"}


def test_a_signature_of_the_wrong_length_is_a_bad_signature() -> None:
    token = issue()
    short = token.rsplit(".", 1)[0] + "." + b64(b"\x01" * 10)
    verdict = verify(short)
    assert verdict.reason == "bad_signature" and "64 bytes (r || s)" in verdict.message


@given(st.integers(min_value=0), st.sampled_from("AQgw_-"))
def test_any_changed_character_makes_a_credential_invalid(position: int, replacement: str) -> None:
    token = ISSUED
    i = position % len(token)
    if token[i] == "." or token[i] == replacement:
        return
    forged = token[:i] + replacement + token[i + 1 :]
    assert not verify(forged).valid
