"""Verifying a credential against the registry mirror: signature, authority, claims, evidence, current status."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from supplychain.credentials._build import KID_FRAGMENT, build_credential, iso_time
from supplychain.credentials._decode import DecodedCredential, decode_credential
from supplychain.credentials._errors import CredentialFormatError, CredentialIssueError
from supplychain.credentials._secp256k1 import address_of, checksum_address, es256k_verify, parse_address
from supplychain.credentials._verdict import CredentialCheck, CredentialStatus, CredentialVerdict, StatusReason
from supplychain.credentials._vocab import level_label
from supplychain.registry import Level, RecognitionState, RecognitionStatus, RegistryMirror, Scope

__all__ = ["claim_differences", "verify_credential"]

# Which attested field a path of the credential belongs to (first match wins; prefixes end at "." or "[").
_FIELDS = (
    ("validFrom", "validity"),
    ("validUntil", "validity"),
    ("credentialSubject.issuedToParty", "holder"),
    ("credentialSubject.greenRecognition.holder", "holder"),
    ("credentialSubject.assessment[0].assessedOrganisation", "holder"),
    ("credentialSubject.scope", "kind"),
    ("credentialSubject.greenRecognition.kind", "kind"),
    ("credentialSubject.greenRecognition.level", "level"),
    ("credentialSubject.greenRecognition.grade", "grade"),
    ("credentialSubject.greenRecognition.scope", "scope"),
    ("credentialSubject.greenRecognition.subject", "subject"),
    ("credentialSubject.assessment[0].assessedFacility", "facility"),
    ("credentialSubject.assessment[0].assessedProduct", "product"),
    ("credentialSubject.assessment[0].referenceStandard", "standard"),
    ("credentialSubject.greenRecognition.standardRef", "standard"),
    ("credentialSubject.auditableEvidence", "evidence_hash"),
    ("credentialSubject.greenRecognition.evidenceHash", "evidence_hash"),
    ("credentialSubject.greenRecognition", "registry_reference"),
    ("credentialStatus", "registry_reference"),
    ("credentialSubject.id", "registry_reference"),
    ("credentialSubject.assessment[0].id", "registry_reference"),
)
_ABSENT = object()


def _when(t: int) -> str:
    try:
        return iso_time(t)
    except CredentialIssueError:
        return f"{t} (Unix seconds)"


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "absent"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _diff(found: Any, expected: Any, path: str, out: list[tuple[str, Any, Any]]) -> None:
    if isinstance(found, dict) and isinstance(expected, dict):
        for key in [*expected, *(k for k in found if k not in expected)]:
            sub = f"{path}.{key}" if path else key
            _diff(found.get(key, _ABSENT), expected.get(key, _ABSENT), sub, out)
    elif isinstance(found, list) and isinstance(expected, list):
        for i in range(max(len(found), len(expected))):
            _diff(found[i] if i < len(found) else _ABSENT, expected[i] if i < len(expected) else _ABSENT,
                  f"{path}[{i}]", out)  # fmt: skip
    elif type(found) is not type(expected) or found != expected:
        out.append((path, found, expected))


def _field(path: str) -> str:
    for prefix, name in _FIELDS:
        if path == prefix or path.startswith((prefix + ".", prefix + "[")):
            return name
    return path


def claim_differences(credential: dict[str, Any], expected: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Where a credential differs from the one the chain's record gives: ``(field, path, found, expected)`` each,
    ``field`` being the attested field (``holder``, ``kind``, ``level``, ``grade``, ``scope``, ``subject``,
    ``facility``, ``product``, ``standard``, ``validity``, ``evidence_hash``, ``registry_reference``) or the path."""
    out: list[tuple[str, Any, Any]] = []
    _diff(credential, expected, "", out)
    return [(_field(path), path, _show(found), _show(wanted)) for path, found, wanted in out]


def _certifier_level(mirror: RegistryMirror, account: str, t: int) -> int:
    """The certifier level of ``account`` at ``t``, however the mirror's history spelled the address."""
    for spelling in (account, checksum_address(account), account.lower()):
        if spelling in mirror.certifier_levels:
            return mirror.certifier_level_at(spelling, t)
    return 0


def _certifier_check(mirror: RegistryMirror, signer: str, rec: RecognitionState | None, now: int) -> CredentialCheck:
    issued_it = rec is not None and rec.issuer.lower() == signer.lower()
    t = rec.issued_at if rec is not None and issued_it else now
    level = _certifier_level(mirror, signer, t)
    when = f"when it issued recognition {rec.recognition_id} ({_when(t)})" if rec and issued_it else f"at {_when(t)}"
    if level == 0:
        return CredentialCheck(
            "certifier",
            False,
            f"{signer} was not a certifier registered in the registry {when}",
            "issuer_not_certifier",
        )
    level_name = level_label(Level(level))[1]
    if rec is not None and issued_it and level < rec.terms.level:
        return CredentialCheck(
            "certifier",
            False,
            f"{signer} was a {level_name} certifier {when}, below the recognition's level "
            f"({level_label(rec.terms.level)[1]})",
            "issuer_not_certifier",
        )
    detail = f"{signer} was a {level_name}-level certifier {when}"
    if _certifier_level(mirror, signer, now) == 0:
        detail += f"; it is no longer a certifier at {_when(now)} (recognitions it issued stay)"
    return CredentialCheck("certifier", True, detail)


def _status(rec: RecognitionState, now: int) -> tuple[CredentialStatus, int | None, StatusReason | None, str]:
    """The recognition's status at ``now`` (its own status-at-time rules), when it began, why, and in words."""
    past = [c for c in rec.changes if c.timestamp <= now]
    last = past[-1] if past else None
    reason = StatusReason(last.reason) if last else None
    terms = rec.terms
    if rec.in_force_at(now):
        since = max(terms.valid_from, last.timestamp) if last else terms.valid_from
        tail = f" (reinstated: {reason.label()})" if reason else ""
        return CredentialStatus.IN_FORCE, since, reason, f"in force since {_when(since)}{tail}"
    status = rec.status_at(now)
    if last is not None and status in (RecognitionStatus.SUSPENDED, RecognitionStatus.REVOKED):
        assert reason is not None  # noqa: S101 - set with last
        word = "suspended" if status is RecognitionStatus.SUSPENDED else "revoked (摘牌)"
        detail = f"{word} on {_when(last.timestamp)} by {last.by}: reason {last.reason} {reason.label()}"
        state = CredentialStatus.SUSPENDED if status is RecognitionStatus.SUSPENDED else CredentialStatus.REVOKED
        return state, last.timestamp, reason, detail
    if status is None or now < terms.valid_from:
        return CredentialStatus.NOT_YET_VALID, None, reason, f"not valid before {_when(terms.valid_from)}"
    assert terms.valid_until is not None  # noqa: S101 - active, valid from, not in force: past its end
    return CredentialStatus.EXPIRED, terms.valid_until, reason, f"expired on {_when(terms.valid_until)}"


def _recognition_json(rec: RecognitionState) -> dict[str, Any]:
    t = rec.terms
    return {
        "recognitionId": rec.recognition_id,
        "issuer": rec.issuer,
        "issuedAt": rec.issued_at,
        "holder": t.holder,
        "kind": t.kind.name,
        "level": t.level.name,
        "grade": t.grade.name,
        "scope": t.scope.name,
        "subject": t.subject,
        "standardRef": t.standard_ref,
        "validFrom": t.valid_from,
        "validUntil": t.valid_until,
        "evidenceHash": "0x" + t.evidence_hash.hex(),
        "history": [
            {"timestamp": c.timestamp, "status": c.status.name, "reason": StatusReason(c.reason).to_json(), "by": c.by}
            for c in rec.changes
        ],
    }


def _fail(name: str, detail: str, code: str) -> CredentialCheck:
    return CredentialCheck(name, False, detail, code)


def _claims_check(
    decoded: DecodedCredential, rec: RecognitionState, chain_id: int, registry: str
) -> tuple[CredentialCheck, tuple[str, ...]]:
    try:
        expected = build_credential(
            rec.recognition_id,
            decoded.issuer_address,
            rec.terms,
            chain_id=chain_id,
            registry_address=registry,
            issuer_name=decoded.issuer_name,
            holder_name=decoded.holder_name,
        )
    except CredentialIssueError as exc:
        detail = f"the chain's record cannot be written as a credential: {exc}"
        return _fail("claims", detail, "claims_mismatch"), ("validity",)
    differences = claim_differences(decoded.credential, expected)
    if not differences:
        terms = rec.terms
        scope = "" if terms.scope == Scope.ENTERPRISE else f" {terms.scope.name.lower()} {terms.subject}"
        detail = (
            f"holder {terms.holder}, {terms.kind.label_zh} {terms.level.name.lower()}{scope}, {terms.standard_ref}, "
            "validity and evidence hash are as on chain"
        )
        return CredentialCheck("claims", True, detail), ()
    fields: dict[str, str] = {}
    for name, path, found, wanted in differences:
        fields.setdefault(name, f"{name} ({path}: the credential says {found}, the chain {wanted})")
    detail = "differs from the chain: " + "; ".join(fields.values())
    return _fail("claims", detail, "claims_mismatch"), tuple(fields)


def _identity_checks(d: DecodedCredential) -> list[CredentialCheck]:
    problem = es256k_verify(d.public_key, d.signing_input, d.signature)
    signature = (
        _fail("signature", problem, "bad_signature")
        if problem
        else CredentialCheck("signature", True, "the ES256K signature verifies with the header's key")
    )
    signer = address_of(d.public_key)
    if signer != d.issuer_address:
        key = _fail("key", f"the header's key is account {signer}, the issuer is {d.issuer_address}", "key_not_issuer")
    elif d.kid != d.issuer + KID_FRAGMENT:
        key = _fail("key", f"kid {d.kid!r} is not the issuer's {d.issuer}{KID_FRAGMENT}", "key_not_issuer")
    else:
        key = CredentialCheck("key", True, f"the key is the issuer's account {signer}")
    return [signature, key]


def _evidence_check(rec: RecognitionState, evidence: bytes | None) -> CredentialCheck:
    if evidence is None:
        return CredentialCheck("evidence", None, "no evaluation report given: its hash was not checked")
    digest = hashlib.sha256(evidence).digest()
    if digest != rec.terms.evidence_hash:
        detail = (
            f"the document's SHA-256 is 0x{digest.hex()}, the recognition's evidence hash is "
            f"0x{rec.terms.evidence_hash.hex()}"
        )
        return _fail("evidence", detail, "evidence_mismatch")
    return CredentialCheck("evidence", True, f"the document's SHA-256 is the evidence hash 0x{digest.hex()}")


def _conclude(
    checks: list[CredentialCheck],
    now: int,
    decoded: DecodedCredential | None = None,
    rec: RecognitionState | None = None,
    mismatched: tuple[str, ...] = (),
) -> CredentialVerdict:
    status, since, why = CredentialStatus.UNKNOWN, None, None
    if rec is not None:
        status, since, why, detail = _status(rec, now)
        in_force = status is CredentialStatus.IN_FORCE
        checks.append(CredentialCheck("status", in_force, detail, None if in_force else status.value))
    failures = [c.code for c in checks if c.passed is False and c.name != "status"]
    valid = not failures
    in_force = valid and status is CredentialStatus.IN_FORCE
    return CredentialVerdict(
        valid=valid,
        in_force=in_force,
        status=status,
        status_since=since,
        status_reason=why,
        reason=failures[0] if failures else (None if in_force else status.value),
        checks=tuple(checks),
        checked_at=now,
        recognition_id=decoded.recognition_id if decoded else None,
        issuer=decoded.issuer if decoded else None,
        holder=rec.terms.holder if rec else (decoded.holder if decoded else None),
        mismatched_fields=mismatched,
        recognition=_recognition_json(rec) if rec else None,
    )


def verify_credential(
    token: str | bytes,
    mirror: RegistryMirror,
    *,
    chain_id: int,
    registry_address: str,
    now: int,
    evidence: bytes | None = None,
) -> CredentialVerdict:
    """Verify a recognition's credential against the registry as replayed from the chain.

    Checks, in order (each with a stable code when it fails): ``format`` (``malformed``), ``signature``
    (``bad_signature``), ``key`` (``key_not_issuer``: the header's key is not the issuer's account), ``chain``
    (``other_chain``), ``registry`` (``other_registry``), ``recognition`` (``unknown_recognition``), ``issuer``
    (``issuer_mismatch``: the chain's recognition was issued by another account), ``certifier``
    (``issuer_not_certifier``), ``claims`` (``claims_mismatch``, naming the fields), ``evidence``
    (``evidence_mismatch``; not made without a document) and ``status`` (the recognition at ``now``: ``in_force``,
    ``suspended``, ``revoked``, ``expired``, ``not_yet_valid``). Nothing the credential says is trusted: it only
    says where to look.

    Args:
        token: The compact JWS.
        mirror: The registry as replayed from the chain the verifier trusts.
        chain_id: That chain's id.
        registry_address: The registry's address the verifier trusts (any case).
        now: The time to judge the status at (Unix seconds; the chain's latest block time is a good choice).
        evidence: The evaluation report, when the verifier has it: its SHA-256 must be the recognition's
            evidence hash.

    Raises:
        ValueError: ``registry_address`` is not an address (the verifier's own input; a credential never raises).
    """
    registry = parse_address(registry_address)
    try:
        d = decode_credential(token)
    except CredentialFormatError as exc:
        return _conclude([_fail("format", str(exc), "malformed")], now)
    checks = [CredentialCheck("format", True, "a compact JWS (vc+jwt, ES256K) of a VC 2.0 conformity credential")]
    checks += _identity_checks(d)
    if d.chain_id != chain_id or d.issuer_chain_id != chain_id:
        detail = (
            f"the credential refers to chain {d.chain_id} (its issuer to chain {d.issuer_chain_id}); "
            f"this verifier reads chain {chain_id}"
        )
        return _conclude([*checks, _fail("chain", detail, "other_chain")], now, d)
    checks.append(CredentialCheck("chain", True, f"chain {chain_id}"))
    if d.registry_address != registry:
        detail = f"the credential refers to registry {d.registry_address}; this verifier trusts {registry}"
        return _conclude([*checks, _fail("registry", detail, "other_registry")], now, d)
    checks.append(CredentialCheck("registry", True, f"registry {registry}"))
    rec = mirror.recognitions.get(d.recognition_id)
    if rec is None:
        detail = f"registry {registry} has no recognition {d.recognition_id}"
        checks += [
            _fail("recognition", detail, "unknown_recognition"),
            _certifier_check(mirror, d.issuer_address, None, now),
        ]
        return _conclude(checks, now, d)
    checks.append(
        CredentialCheck("recognition", True, f"recognition {rec.recognition_id}, issued {_when(rec.issued_at)}")
    )
    if rec.issuer.lower() != d.issuer_address.lower():
        detail = f"recognition {rec.recognition_id} was issued by {rec.issuer}, not by {d.issuer_address}"
        checks.append(_fail("issuer", detail, "issuer_mismatch"))
    else:
        checks.append(CredentialCheck("issuer", True, f"recognition {rec.recognition_id} was issued by {rec.issuer}"))
    checks.append(_certifier_check(mirror, d.issuer_address, rec, now))
    claims, mismatched = _claims_check(d, rec, chain_id, registry)
    checks += [claims, _evidence_check(rec, evidence)]
    return _conclude(checks, now, d, rec, mismatched)
