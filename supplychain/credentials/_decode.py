"""Reading a compact JWS credential: the token's parts, its protected header and its payload, without trusting any."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from coincurve import PublicKey

from supplychain.credentials._build import CREDENTIAL_TYPES, JWS_ALG, JWS_CTY, JWS_TYP
from supplychain.credentials._errors import CredentialFormatError
from supplychain.credentials._secp256k1 import b64url_decode, did_pkh, parse_address, parse_did_pkh, public_key_of_jwk
from supplychain.credentials._vocab import VC_V2_CONTEXT
from supplychain.jsondepth import nesting_depth, within_depth

__all__ = ["MAX_TOKEN_CHARS", "DecodedCredential", "decode_credential", "token_digest"]

MAX_TOKEN_CHARS = 64 * 1024
"""The longest token read (a credential is a few kilobytes)."""

_MAX_HEADER_DEPTH = 4
_MAX_PAYLOAD_DEPTH = 16


@dataclass(frozen=True, slots=True)
class DecodedCredential:
    """A credential token taken apart; nothing in it is verified yet.

    Attributes:
        token: The compact JWS, without surrounding white space.
        header: The protected header.
        credential: The payload: the credential.
        signing_input: ``<header>.<payload>`` as signed (ASCII).
        signature: The signature's bytes.
        public_key: The key in the header's ``jwk``.
        kid: The header's ``kid``.
        issuer: The issuer's did:pkh.
        issuer_chain_id: The chain id in the issuer's did:pkh.
        issuer_address: The issuer's account (EIP-55).
        chain_id: The chain the credential refers to (``credentialSubject.greenRecognition.chainId``).
        registry_address: The registry it refers to (EIP-55).
        recognition_id: The recognition it refers to.
        holder: The holder it names (``greenRecognition.holder``), when a string.
        issuer_name: ``issuer.name``, when a string.
        holder_name: ``credentialSubject.issuedToParty.name``, when a string.
    """

    token: str
    header: dict[str, Any]
    credential: dict[str, Any]
    signing_input: bytes
    signature: bytes
    public_key: PublicKey
    kid: str
    issuer: str
    issuer_chain_id: int
    issuer_address: str
    chain_id: int
    registry_address: str
    recognition_id: int
    holder: str | None
    issuer_name: str | None
    holder_name: str | None

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of the token: how the platform names a stored credential."""
        return token_digest(self.token)


def token_digest(token: str) -> str:
    """SHA-256 (lowercase hex) of a token's text without surrounding white space."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise CredentialFormatError(f"duplicate member {key!r}: a credential's JSON must not repeat a name")
        obj[key] = value
    return obj


def _constant(name: str) -> Any:
    raise CredentialFormatError(f"{name} is not JSON")


def _json_object(data: bytes, what: str, max_depth: int) -> dict[str, Any]:
    if not within_depth(data, max_depth) and nesting_depth(data) > max_depth:
        raise CredentialFormatError(f"the {what} is not JSON nested at most {max_depth} deep")
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=_unique, parse_constant=_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CredentialFormatError(f"the {what} is not UTF-8 JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CredentialFormatError(f"the {what} is not a JSON object")
    return value


def _positive_int(value: Any, where: str) -> int:
    if type(value) is not int or value < 1:
        raise CredentialFormatError(f"{where} is not a positive integer: {value!r}")
    return value


def _check_header(header: dict[str, Any]) -> tuple[str, PublicKey]:
    if header.get("alg") != JWS_ALG:
        raise CredentialFormatError(f"alg is {header.get('alg')!r}; credentials are signed {JWS_ALG}")
    if header.get("typ") != JWS_TYP:
        raise CredentialFormatError(f"typ is {header.get('typ')!r}; expected {JWS_TYP!r} (VC-JOSE-COSE)")
    if "cty" in header and header["cty"] != JWS_CTY:
        raise CredentialFormatError(f"cty is {header['cty']!r}; expected {JWS_CTY!r}")
    if "crit" in header:
        raise CredentialFormatError(f"critical header parameters {header['crit']!r} are not supported")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise CredentialFormatError("the protected header has no kid (the issuer's did:pkh#blockchainAccountId)")
    try:
        return kid, public_key_of_jwk(header.get("jwk"))
    except ValueError as exc:
        raise CredentialFormatError(f"header jwk: {exc}") from None


def _check_payload(credential: dict[str, Any]) -> dict[str, Any]:
    context = credential.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_V2_CONTEXT:
        raise CredentialFormatError(f"@context does not start with {VC_V2_CONTEXT}: not a W3C VC 2.0 credential")
    types = credential.get("type")
    if not isinstance(types, list) or not all(t in types for t in CREDENTIAL_TYPES):
        raise CredentialFormatError(f"type is {types!r}; expected {CREDENTIAL_TYPES}")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict) or not isinstance(subject.get("greenRecognition"), dict):
        raise CredentialFormatError("credentialSubject.greenRecognition (the on-chain reference) is missing")
    green: dict[str, Any] = subject["greenRecognition"]
    return green


def decode_credential(token: str | bytes) -> DecodedCredential:
    """Take a compact JWS credential apart and read its header and payload (verifies no signature or claim).

    Raises:
        CredentialFormatError: not a compact JWS of three base64url parts, not JSON, another ``alg``/``typ``/``cty``,
            no ``kid`` or secp256k1 ``jwk``, not a VC 2.0 ``DigitalConformityCredential``, no did:pkh issuer, or no
            on-chain reference.
    """
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise CredentialFormatError("a compact JWS is ASCII text") from None
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise CredentialFormatError(f"the token is {len(token)} characters long; at most {MAX_TOKEN_CHARS} are read")
    parts = token.split(".")
    if len(parts) != 3:
        raise CredentialFormatError(f"a compact JWS has 3 parts separated by '.', this text has {len(parts)}")
    try:
        header_bytes = b64url_decode(parts[0], "the header")
        payload_bytes = b64url_decode(parts[1], "the payload")
        signature = b64url_decode(parts[2], "the signature")
    except ValueError as exc:
        raise CredentialFormatError(str(exc)) from None
    header = _json_object(header_bytes, "protected header", _MAX_HEADER_DEPTH)
    kid, public_key = _check_header(header)
    credential = _json_object(payload_bytes, "payload", _MAX_PAYLOAD_DEPTH)
    green = _check_payload(credential)
    issuer = credential.get("issuer")
    if not isinstance(issuer, dict):
        raise CredentialFormatError("issuer is not an object with the issuer's did:pkh as its id")
    try:
        issuer_chain_id, issuer_address = parse_did_pkh(issuer.get("id"))
        registry_address = parse_address(green.get("registryAddress"))
    except ValueError as exc:
        raise CredentialFormatError(str(exc)) from None
    if issuer["id"] != did_pkh(issuer_chain_id, issuer_address):
        raise CredentialFormatError(f"issuer.id {issuer['id']} must write its address with the EIP-55 checksum")
    party = credential["credentialSubject"].get("issuedToParty")
    return DecodedCredential(
        token=token,
        header=header,
        credential=credential,
        signing_input=(parts[0] + "." + parts[1]).encode("ascii"),
        signature=signature,
        public_key=public_key,
        kid=kid,
        issuer=issuer["id"],
        issuer_chain_id=issuer_chain_id,
        issuer_address=issuer_address,
        chain_id=_positive_int(green.get("chainId"), "greenRecognition.chainId"),
        registry_address=registry_address,
        recognition_id=_positive_int(green.get("recognitionId"), "greenRecognition.recognitionId"),
        holder=green["holder"] if isinstance(green.get("holder"), str) else None,
        issuer_name=issuer["name"] if isinstance(issuer.get("name"), str) else None,
        holder_name=party["name"] if isinstance(party, dict) and isinstance(party.get("name"), str) else None,
    )
