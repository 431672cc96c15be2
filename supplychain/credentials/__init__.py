"""Portable, verifiable credentials of green recognitions: build, sign (ES256K) and verify against the chain.

A supplier presents its recognition (绿色工厂, 绿色设计产品, 绿色园区, 绿色供应链管理企业) to customers it has never
met as a W3C Verifiable Credential 2.0 shaped like a UN Transparency Protocol Digital Conformity Credential, signed by
the certifier's own Ethereum account. Any verifier checks it against the registry on chain: the signature, that the
signer is the account that issued the recognition and a registered certifier, that every attested field is what the
chain records, and the recognition's status now. Pure: no I/O; the caller hands over the chain's mirror.

Securing (VC-JOSE-COSE)
-----------------------
A compact JWS (RFC 7515): protected header ``{"alg": "ES256K", "typ": "vc+jwt", "cty": "vc", "kid":
"did:pkh:eip155:<chain id>:<EIP-55 address>#blockchainAccountId", "jwk": {"kty": "EC", "crv": "secp256k1", "x", "y"}}``,
payload = the credential's JSON (UTF-8), signature = ES256K (RFC 8812: ECDSA secp256k1 over SHA-256, ``r || s``,
low S) by the issuer's account key. ``jwk`` must hash to the did:pkh address (keccak-256 of the uncompressed key,
last 20 bytes). A credential is named by the SHA-256 (hex) of its token: signatures are deterministic (RFC 6979), so
one recognition signed twice with the same names gives the same token.

The credential
--------------
::

    {
      "@context": ["https://www.w3.org/ns/credentials/v2",
                   "https://test.uncefact.org/vocabulary/untp/dcc/0.6.0/",
                   "https://ns.supplychain.dev/credentials/v1"],
      "type": ["VerifiableCredential", "DigitalConformityCredential"],
      "issuer": {"type": ["CredentialIssuer"], "id": "did:pkh:eip155:31337:0x3C44...93BC", "name": "<optional>"},
      "validFrom": "2025-01-01T00:00:00Z", "validUntil": "2028-01-01T00:00:00Z",   (absent: until revoked)
      "credentialSubject": {
        "type": ["ConformityAttestation"],
        "id": "urn:supplychain:eip155:31337:<registry>:recognition:7",
        "name": "省级绿色工厂 provincial green factory",
        "assessorLevel": "3rdParty", "assessmentLevel": "GovtApproval", "attestationType": "certification",
        "attestationDescription": "...",
        "issuedToParty": {"type": ["Entity"], "id": "https://id.gs1.org/417/<GLN>" | "urn:uscc:<USCC>",
                          "name": "<optional>", "registeredId": "<org id>", "idScheme": {...}},
        "scope": {"type": ["ConformityAssessmentScheme"], "id": "https://ns.supplychain.dev/green/green-factory",
                  "name": "绿色工厂 Green factory"},
        "assessment": [{"type": ["ConformityAssessment"], "id": "<subject id>#assessment",
                        "referenceStandard": {"type": ["Standard"], "id": "urn:standard:GB/T_36132-2018",
                                              "name": "GB/T 36132-2018 绿色工厂评价通则 (...)"},
                        "compliance": true,
                        "assessedFacility": [{... "id": "https://id.gs1.org/414/<GLN>" ...}]      (scope FACILITY)
                        | "assessedProduct": [{... "id": "https://id.gs1.org/01/<GTIN-14>" ...}]  (scope PRODUCT)
                        | "assessedOrganisation": {<the holder>}}],                              (ENTERPRISE)
        "auditableEvidence": {"linkName": "评价报告 ...", "hashDigest": "<64 hex>", "hashMethod": "SHA-256"},
        "greenRecognition": {"type": "GreenManufacturingRecognition", "chainId": 31337,
                             "registryAddress": "<EIP-55>", "recognitionId": 7, "holder": "<org id>",
                             "kind": "GREEN_FACTORY", "level": "PROVINCIAL", "grade": "NONE", "scope": "FACILITY",
                             "subject": "<GLN | GTIN | ''>", "standardRef": "GB/T 36132-2018",
                             "evidenceHash": "0x<SHA-256 of the evaluation report>"}
      },
      "credentialStatus": {"id": "<subject id>#status", "type": "SupplychainRegistryStatus",
                           "chainId": 31337, "registryAddress": "<EIP-55>", "recognitionId": 7}
    }

``greenRecognition`` holds the registry's terms exactly; ``credentialStatus`` of type ``SupplychainRegistryStatus``
says that the status is the recognition's status in that registry on that chain (``statusAt(id, t)``): a verifier
replays the registry and reads it there, nothing is fetched from the issuer. Every field but ``issuer.name`` and
``issuedToParty.name`` follows from the chain's record, so the verifier rebuilds the credential from the chain and
any difference is a ``claims_mismatch`` naming the field. The evidence hash is the SHA-256 of the evaluation report's
bytes (:func:`evidence_hash`), which stays with its owner.
"""

from supplychain.credentials._build import (
    CREDENTIAL_TYPES,
    JWS_ALG,
    JWS_CTY,
    JWS_TYP,
    KID_FRAGMENT,
    build_credential,
    evidence_hash,
    iso_time,
    issue_credential,
    recognition_urn,
    sign_credential,
    sign_jws,
)
from supplychain.credentials._decode import MAX_TOKEN_CHARS, DecodedCredential, decode_credential, token_digest
from supplychain.credentials._errors import CredentialError, CredentialFormatError, CredentialIssueError
from supplychain.credentials._secp256k1 import (
    address_of,
    checksum_address,
    did_pkh,
    jwk_of,
    keccak256,
    parse_address,
    parse_did_pkh,
    private_key_of,
)
from supplychain.credentials._verdict import (
    FAILURE_CODES,
    STATUS_CODES,
    CredentialCheck,
    CredentialStatus,
    CredentialVerdict,
    StatusReason,
)
from supplychain.credentials._verify import claim_differences, verify_credential
from supplychain.credentials._vocab import (
    CREDENTIALS_CONTEXT,
    SCHEMES,
    STATUS_TYPE,
    UNTP_DCC_CONTEXT,
    VC_V2_CONTEXT,
    Scheme,
    grade_label,
    level_label,
    reason_label,
    standard_title,
)

__all__ = [
    "CREDENTIALS_CONTEXT",
    "CREDENTIAL_TYPES",
    "FAILURE_CODES",
    "JWS_ALG",
    "JWS_CTY",
    "JWS_TYP",
    "KID_FRAGMENT",
    "MAX_TOKEN_CHARS",
    "SCHEMES",
    "STATUS_CODES",
    "STATUS_TYPE",
    "UNTP_DCC_CONTEXT",
    "VC_V2_CONTEXT",
    "CredentialCheck",
    "CredentialError",
    "CredentialFormatError",
    "CredentialIssueError",
    "CredentialStatus",
    "CredentialVerdict",
    "DecodedCredential",
    "Scheme",
    "StatusReason",
    "address_of",
    "build_credential",
    "checksum_address",
    "claim_differences",
    "decode_credential",
    "did_pkh",
    "evidence_hash",
    "grade_label",
    "iso_time",
    "issue_credential",
    "jwk_of",
    "keccak256",
    "level_label",
    "parse_address",
    "parse_did_pkh",
    "private_key_of",
    "reason_label",
    "recognition_urn",
    "sign_credential",
    "sign_jws",
    "standard_title",
    "token_digest",
    "verify_credential",
]
