"""Building a green-recognition credential from the registry's terms, and signing it as a compact JWS (ES256K)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from coincurve import PrivateKey

from supplychain.credentials._errors import CredentialIssueError
from supplychain.credentials._secp256k1 import (
    address_of,
    b64url_encode,
    did_pkh,
    es256k_sign,
    jwk_of,
    parse_address,
    parse_did_pkh,
    private_key_of,
)
from supplychain.credentials._vocab import (
    CREDENTIALS_CONTEXT,
    SCHEMES,
    STATUS_TYPE,
    UNTP_DCC_CONTEXT,
    VC_V2_CONTEXT,
    grade_label,
    level_label,
    standard_title,
)
from supplychain.registry import Grade, Scope
from supplychain.registry.events import RecognitionTerms

__all__ = [
    "CREDENTIAL_TYPES",
    "JWS_ALG",
    "JWS_CTY",
    "JWS_TYP",
    "KID_FRAGMENT",
    "build_credential",
    "evidence_hash",
    "iso_time",
    "issue_credential",
    "recognition_urn",
    "sign_credential",
    "sign_jws",
]

CREDENTIAL_TYPES = ["VerifiableCredential", "DigitalConformityCredential"]
JWS_ALG = "ES256K"
JWS_TYP = "vc+jwt"
JWS_CTY = "vc"
KID_FRAGMENT = "#blockchainAccountId"

_MAX_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z: the last second an XML dateTime of four-digit years can write
_GLN_SCHEME = {
    "type": ["IdentifierScheme"],
    "id": "https://id.gs1.org/417/",
    "name": "GS1 Global Location Number (GLN)",
}
_USCC_SCHEME = {
    "type": ["IdentifierScheme"],
    "id": "urn:uscc",
    "name": "统一社会信用代码 Unified social credit code (GB 32100-2015)",
}
_FACILITY_SCHEME = {"type": ["IdentifierScheme"], "id": "https://id.gs1.org/414/", "name": "GS1 GLN of a location"}
_GTIN_SCHEME = {"type": ["IdentifierScheme"], "id": "https://id.gs1.org/01/", "name": "GS1 Global Trade Item Number"}


def evidence_hash(document: bytes) -> bytes:
    """The evidence hash of an evaluation report as the registry keeps it: SHA-256 of the file's bytes (32 bytes)."""
    return hashlib.sha256(document).digest()


def iso_time(t: int) -> str:
    """Unix seconds as an XML Schema ``dateTimeStamp`` in UTC (``2025-01-01T00:00:00Z``).

    Raises:
        CredentialIssueError: before 1970 or after the year 9999.
    """
    if not 0 <= t <= _MAX_TIME:
        raise CredentialIssueError(f"time {t} cannot be written as an XML dateTime (years 1970 to 9999)")
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recognition_urn(chain_id: int, registry_address: str, recognition_id: int) -> str:
    """The attestation's id: ``urn:supplychain:eip155:<chain id>:<registry>:recognition:<id>``."""
    return f"urn:supplychain:eip155:{chain_id}:{parse_address(registry_address)}:recognition:{recognition_id}"


def _party(org_id: str, name: str | None) -> dict[str, Any]:
    gln = len(org_id) == 13 and org_id.isdigit()
    party: dict[str, Any] = {
        "type": ["Entity"],
        "id": f"https://id.gs1.org/417/{org_id}" if gln else f"urn:uscc:{org_id}",
    }
    if name:
        party["name"] = name
    party["registeredId"] = org_id
    party["idScheme"] = _GLN_SCHEME if gln else _USCC_SCHEME
    return party


def _assessed(terms: RecognitionTerms, holder: dict[str, Any]) -> dict[str, Any]:
    if terms.scope == Scope.FACILITY:
        facility = {
            "type": ["Facility"],
            "id": f"https://id.gs1.org/414/{terms.subject}",
            "registeredId": terms.subject,
            "idScheme": _FACILITY_SCHEME,
        }
        return {"assessedFacility": [facility]}
    if terms.scope == Scope.PRODUCT:
        product = {
            "type": ["Product"],
            "id": f"https://id.gs1.org/01/{terms.subject.zfill(14)}",
            "registeredId": terms.subject,
            "idScheme": _GTIN_SCHEME,
        }
        return {"assessedProduct": [product]}
    return {"assessedOrganisation": holder}


def _standard(standard_ref: str) -> dict[str, Any]:
    titles = standard_title(standard_ref)
    name = f"{standard_ref} {titles[0]} ({titles[1]})" if titles else standard_ref
    return {"type": ["Standard"], "id": f"urn:standard:{standard_ref.replace(' ', '_')}", "name": name}


def build_credential(
    recognition_id: int,
    issuer: str,
    terms: RecognitionTerms,
    *,
    chain_id: int,
    registry_address: str,
    issuer_name: str | None = None,
    holder_name: str | None = None,
) -> dict[str, Any]:
    """The unsigned credential (W3C VC 2.0, shaped as a UNTP Digital Conformity Credential) of a recognition.

    Everything in it but ``issuer.name`` and the holder's ``name`` follows from the registry's record, so a verifier
    rebuilds it from the chain and compares (see the package docstring for the form).

    Args:
        recognition_id: The recognition's id in the registry.
        issuer: The certifier's account that issued it on chain (any case).
        terms: The recognition's terms as on chain.
        chain_id: The chain's id.
        registry_address: The registry's address.
        issuer_name: The certifier's name, e.g. 江苏省工业和信息化厅 (not on chain; vouched for by the signature).
        holder_name: The holder's name (likewise).

    Raises:
        CredentialIssueError: an address is malformed, or a validity time cannot be written as an XML dateTime.
    """
    try:
        registry = parse_address(registry_address)
        issuer_did = did_pkh(chain_id, parse_address(issuer))
    except ValueError as exc:
        raise CredentialIssueError(str(exc)) from None
    urn = recognition_urn(chain_id, registry, recognition_id)
    scheme = SCHEMES[terms.kind]
    level_zh, level_en = level_label(terms.level)
    grade = grade_label(terms.grade)
    graded = f", grade {grade}" if grade else ""
    holder = _party(terms.holder, holder_name)
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, UNTP_DCC_CONTEXT, CREDENTIALS_CONTEXT],
        "type": list(CREDENTIAL_TYPES),
        "issuer": {"type": ["CredentialIssuer"], "id": issuer_did},
        "validFrom": iso_time(terms.valid_from),
    }
    if issuer_name:
        credential["issuer"]["name"] = issuer_name
    if terms.valid_until is not None:
        credential["validUntil"] = iso_time(terms.valid_until)
    credential["credentialSubject"] = {
        "type": ["ConformityAttestation"],
        "id": urn,
        "name": f"{level_zh}{scheme.zh} {level_en} {scheme.en.lower()}{graded}",
        "assessorLevel": "3rdParty",
        "assessmentLevel": "GovtApproval",
        "attestationType": "certification",
        "attestationDescription": (
            f"{scheme.en} recognition ({level_en} level{graded}) recorded on chain {chain_id} in registry {registry} "
            f"as recognition {recognition_id}, after evaluation against {terms.standard_ref}."
        ),
        "issuedToParty": holder,
        "scope": {"type": ["ConformityAssessmentScheme"], "id": scheme.id, "name": f"{scheme.zh} {scheme.en}"},
        "assessment": [
            {
                "type": ["ConformityAssessment"],
                "id": urn + "#assessment",
                "referenceStandard": _standard(terms.standard_ref),
                "compliance": True,
                **_assessed(terms, holder),
            }
        ],
        "auditableEvidence": {
            "linkName": "评价报告 Evaluation report (kept by its owner; its hash is on chain)",
            "hashDigest": terms.evidence_hash.hex(),
            "hashMethod": "SHA-256",
        },
        "greenRecognition": {
            "type": "GreenManufacturingRecognition",
            "chainId": chain_id,
            "registryAddress": registry,
            "recognitionId": recognition_id,
            "holder": terms.holder,
            "kind": terms.kind.name,
            "level": terms.level.name,
            "grade": Grade(terms.grade).name,
            "scope": terms.scope.name,
            "subject": terms.subject,
            "standardRef": terms.standard_ref,
            "evidenceHash": "0x" + terms.evidence_hash.hex(),
        },
    }
    credential["credentialStatus"] = {
        "id": urn + "#status",
        "type": STATUS_TYPE,
        "chainId": chain_id,
        "registryAddress": registry,
        "recognitionId": recognition_id,
    }
    return credential


def _json_bytes(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign_jws(header: Mapping[str, Any], payload: bytes, private_key: PrivateKey) -> str:
    """A compact JWS (RFC 7515) of ``payload`` under ``header``, signed ES256K. Low level: checks nothing."""
    signing_input = b64url_encode(_json_bytes(header)) + "." + b64url_encode(payload)
    return signing_input + "." + b64url_encode(es256k_sign(private_key, signing_input.encode("ascii")))


def sign_credential(credential: Mapping[str, Any], private_key: bytes | str) -> str:
    """Secure a credential as VC-JOSE-COSE: a compact JWS, ``typ`` vc+jwt, ``cty`` vc, ES256K, with ``kid`` (the
    issuer's did:pkh + ``#blockchainAccountId``) and ``jwk`` (its public key) in the protected header.

    Raises:
        CredentialIssueError: a malformed key, an issuer that is not a did:pkh, or a key that is not the issuer's.
    """
    try:
        key = private_key_of(private_key)
        issuer = credential["issuer"]
        did = issuer["id"] if isinstance(issuer, Mapping) else issuer
        _, address = parse_did_pkh(did)
    except (ValueError, KeyError, TypeError) as exc:
        raise CredentialIssueError(f"cannot sign: {exc}") from None
    signer = address_of(key.public_key)
    if signer != address:
        raise CredentialIssueError(f"the key is account {signer}, the credential's issuer is {address}")
    header = {"alg": JWS_ALG, "typ": JWS_TYP, "cty": JWS_CTY, "kid": did + KID_FRAGMENT, "jwk": jwk_of(key.public_key)}
    return sign_jws(header, _json_bytes(credential), key)


def issue_credential(
    recognition_id: int,
    issuer: str,
    terms: RecognitionTerms,
    private_key: bytes | str,
    *,
    chain_id: int,
    registry_address: str,
    issuer_name: str | None = None,
    holder_name: str | None = None,
) -> str:
    """Build a recognition's credential (:func:`build_credential`) and sign it with the issuer's own key.

    Raises:
        CredentialIssueError: the key is not the account that issued the recognition on chain, or see
            :func:`build_credential`.
    """
    try:
        signer = address_of(private_key_of(private_key).public_key)
    except ValueError as exc:
        raise CredentialIssueError(str(exc)) from None
    if signer.lower() != issuer.lower():
        raise CredentialIssueError(
            f"recognition {recognition_id} was issued by {issuer}; the key given is account {signer}: "
            "only the issuing certifier's own key can sign its credential"
        )
    credential = build_credential(
        recognition_id,
        issuer,
        terms,
        chain_id=chain_id,
        registry_address=registry_address,
        issuer_name=issuer_name,
        holder_name=holder_name,
    )
    return sign_credential(credential, private_key)
