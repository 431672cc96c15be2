"""Routes: verifiable credentials of green recognitions (import, list with current status, fetch, verify).

A credential is the compact JWS (``application/vc+jwt``) a certifier signed with its own chain account
(``supplychain.credentials``); the platform stores it for its holder and answers every question about it with a
fresh verdict against the registry as replayed from the chain.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from backend.api.deps import CurrentOrg, PlatformDep
from backend.api.routes.events import INVALID_REQUEST, problem_doc
from backend.core.errors import P_, LimitExceededError, ProblemError, either
from backend.core.integers import INT64_MAX
from backend.services.credentials import (
    MAX_CREDENTIAL_BYTES,
    credential_json,
    find_credential,
    import_credential,
    list_credentials,
    payload_of,
    verify_token,
)
from supplychain.credentials import address_of, issue_credential, private_key_of
from supplychain.gs1 import parse_org_id
from supplychain.registry import Grade, Level, RecognitionKind, Scope
from supplychain.registry.events import RecognitionTerms

__all__ = ["VC_JWT", "router"]

router = APIRouter(tags=["credentials"], responses={422: INVALID_REQUEST})

VC_JWT = "application/vc+jwt"
_TOKEN_TYPES = (VC_JWT, "application/jwt", "text/plain")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_EXAMPLE_KEY = "0x" + "11" * 32  # an example only: documentation is signed by a key nobody uses
_EXAMPLE_CREDENTIAL = issue_credential(
    7,
    address_of(private_key_of(_EXAMPLE_KEY).public_key),
    RecognitionTerms(
        "91320200MA1MX7K3GD",
        RecognitionKind.GREEN_FACTORY,
        Level.PROVINCIAL,
        Grade.NONE,
        Scope.FACILITY,
        "6901234000047",
        "GB/T 36132-2018",
        1735689600,
        1830297600,
        bytes.fromhex("845e91831319e89c4d656bdb80c278ac09a7230d61e5dfd2e1b1fbb436ac8917"),
    ),
    _EXAMPLE_KEY,
    chain_id=31337,
    registry_address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    issuer_name="江苏省工业和信息化厅",
)
_TOKEN_BODY: dict[str, Any] = {
    "x-max-body-bytes": MAX_CREDENTIAL_BYTES,
    "requestBody": {
        "required": True,
        "description": "The credential: a compact JWS (VC-JOSE-COSE, `typ` vc+jwt, ES256K), as text.",
        "content": {t: {"schema": {"type": "string"}, "example": _EXAMPLE_CREDENTIAL} for t in _TOKEN_TYPES},
    },
}
_EXAMPLE_VERDICT: dict[str, Any] = {
    "valid": True,
    "inForce": False,
    "status": "revoked",
    "statusSince": "2025-03-01T08:00:00Z",
    "statusSinceTimestamp": 1740816000,
    "statusReason": {"code": 2, "name": "DATA_FALSIFIED", "en": "data falsified", "zh": "数据造假"},
    "reason": "revoked",
    "reasons": ["revoked"],
    "message": "valid credential, but recognition 7 of 91320200MA1MX7K3GD is not in force: revoked (摘牌) on ...",
    "mismatchedFields": [],
    "checkedAt": "2025-04-01T00:00:00Z",
    "checkedAtTimestamp": 1743465600,
    "recognitionId": 7,
    "issuer": "did:pkh:eip155:31337:0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "holder": "91320200MA1MX7K3GD",
    "recognition": {"recognitionId": 7, "kind": "GREEN_FACTORY", "level": "PROVINCIAL", "...": "..."},
    "checks": [
        {"name": "format", "passed": True, "code": None, "detail": "a compact JWS (vc+jwt, ES256K) of a VC 2.0 ..."},
        {"name": "signature", "passed": True, "code": None, "detail": "the ES256K signature verifies ..."},
        {"name": "status", "passed": False, "code": "revoked", "detail": "revoked (摘牌) on 2025-03-01T08:00:00Z ..."},
    ],
}
_EXAMPLE_SUMMARY: dict[str, Any] = {
    "digest": "3f0c" + "0" * 60,
    "href": "/credentials/3f0c" + "0" * 60,
    "organisationId": "91320200MA1MX7K3GD",
    "recognitionId": 7,
    "issuer": "did:pkh:eip155:31337:0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "importedAt": 1740000000000,
    "valid": True,
    "inForce": True,
    "status": "in_force",
    "statusSince": "2025-01-01T00:00:00Z",
    "statusReason": None,
    "reason": None,
    "message": "valid credential; recognition 7 of 91320200MA1MX7K3GD is in force",
}
_REFUSED = problem_doc(
    422,
    "credential-refused",
    "Credential refused",
    "the credential is not valid: invalid credential (issuer_mismatch): recognition 7 was issued by 0x7099..., not "
    "by 0x9965...",
    reasons=["issuer_mismatch", "issuer_not_certifier"],
    verdict={"valid": False, "...": "..."},
)
_TOO_LARGE = problem_doc(
    413,
    "limit-exceeded",
    "Document exceeds a limit",
    f"the credential is 70000 bytes; at most {MAX_CREDENTIAL_BYTES} are accepted",
)
_MEDIA = problem_doc(
    415, "unsupported-media-type", "Unsupported media type", "send the credential as application/vc+jwt or text/plain"
)
_UNAVAILABLE = problem_doc(
    503, "chain-unavailable", "The chain cannot be reached", "connecting to http://127.0.0.1:8545"
)


async def _token(request: Request) -> bytes:
    """The request body as a credential token: a text media type, at most :data:`MAX_CREDENTIAL_BYTES`."""
    media = (request.headers.get("content-type") or "text/plain").split(";")[0].strip().lower()
    if media not in _TOKEN_TYPES:
        raise ProblemError(
            P_("send the credential as {choices}, not {media}", choices=either(_TOKEN_TYPES), media=media),
            status=415,
            code="unsupported-media-type",
        )
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_CREDENTIAL_BYTES:
        raise _too_large(int(length))
    body = await request.body()
    if len(body) > MAX_CREDENTIAL_BYTES:
        raise _too_large(len(body))
    return body


def _too_large(size: int) -> ProblemError:
    return LimitExceededError(
        P_("the credential is {size} bytes; at most {maximum} are accepted", size=size, maximum=MAX_CREDENTIAL_BYTES),
        limit="max_credential_bytes",
    )


@router.post(
    "/credentials",
    status_code=201,
    summary="Import a recognition credential of your organisation",
    openapi_extra=_TOKEN_BODY,
    responses={
        200: {
            "description": "Already stored: the existing credential",
            "content": {"application/json": {"example": _EXAMPLE_SUMMARY}},
        },
        201: {
            "description": "Stored; `Location` names it",
            "headers": {"Location": {"description": "`/credentials/{digest}`", "schema": {"type": "string"}}},
            "content": {"application/json": {"example": _EXAMPLE_SUMMARY}},
        },
        401: problem_doc(401, "unauthorized", "Authentication required", "send an API token as 'Authorization: ...'"),
        403: problem_doc(403, "forbidden", "Not allowed", "this route is for organisations"),
        413: _TOO_LARGE,
        415: _MEDIA,
        422: _REFUSED,
        503: _UNAVAILABLE,
    },
)
async def post_credential(request: Request, platform: PlatformDep, org_id: CurrentOrg) -> JSONResponse:
    """Store a credential for the calling organisation so that its customers can find it.

    The credential is verified against the registry on chain first: its signature, that its issuer is the account that
    issued the recognition and a registered certifier, and that every attested field is what the chain records. It
    must be about the calling organisation. A suspended or revoked recognition's valid credential is stored (its
    status is shown with it whenever it is read). The same token again answers `200` with the stored one.
    Refusals are `422` problems with the verdict's reason codes (`reasons`) and the whole verdict (`verdict`).
    """
    body = await _token(request)
    imported = await run_in_threadpool(import_credential, platform, org_id, body)
    data = credential_json(imported.row, imported.verdict)
    location = data["href"]
    return JSONResponse(data, status_code=201 if imported.created else 200, headers={"Location": location})


@router.get(
    "/credentials",
    summary="Credentials of an organisation or a recognition, with their current status",
    responses={
        200: {"content": {"application/json": {"example": {"credentials": [_EXAMPLE_SUMMARY]}}}},
        400: problem_doc(400, "invalid-parameter", "Invalid query parameter", "give organisation or recognition"),
        503: _UNAVAILABLE,
    },
)
def get_credentials(
    platform: PlatformDep,
    organisation: Annotated[
        str | None, Query(description="The holder's GLN or USCC", examples=["91320200MA1MX7K3GD"])
    ] = None,
    recognition: Annotated[
        int | None, Query(description="The recognition's id in the registry", ge=1, le=INT64_MAX)
    ] = None,
) -> JSONResponse:
    """Public: the stored credentials of an organisation (or of one recognition), oldest first, each re-verified now
    against the registry on chain: `valid`, `inForce`, `status` (`in_force`, `suspended`, `revoked`, `expired`,
    `not_yet_valid`) with `statusSince` and `statusReason`. The token itself is at `href`."""
    if organisation is None and recognition is None:
        raise ProblemError(
            P_("give organisation (a GLN or USCC) or recognition (an id), or both"),
            code="invalid-parameter",
            parameter="organisation",
        )
    if organisation is not None:
        organisation = parse_org_id(organisation)
    rows = list_credentials(platform, organisation=organisation, recognition=recognition)
    return JSONResponse({"credentials": [credential_json(row, verdict) for row, verdict in rows]})


@router.get(
    "/credentials/{digest}",
    summary="One credential: the token, or its content and verdict as JSON",
    responses={
        200: {
            "description": "The token (`application/vc+jwt`, the default), or with `Accept: application/json` the "
            "token, its credential JSON and its verdict now",
            "content": {
                VC_JWT: {"schema": {"type": "string"}, "example": _EXAMPLE_CREDENTIAL},
                "application/json": {
                    "example": {
                        **_EXAMPLE_SUMMARY,
                        "credential": _EXAMPLE_CREDENTIAL,
                        "payload": {"@context": ["https://www.w3.org/ns/credentials/v2", "..."], "...": "..."},
                        "verdict": _EXAMPLE_VERDICT,
                    }
                },
            },
        },
        400: problem_doc(400, "invalid-parameter", "Invalid parameter", "'abc' is not a SHA-256 digest"),
        404: problem_doc(404, "not-found", "Not found", "no credential 3f0c... is stored here"),
    },
)
def get_credential(request: Request, platform: PlatformDep, digest: str) -> Response:
    """Public: the stored credential named by the SHA-256 (hex) of its token, as `application/vc+jwt` to hand to any
    verifier; with `Accept: application/json`, its summary, the token, the credential JSON and the verdict now."""
    if not _DIGEST.fullmatch(digest):
        raise ProblemError(
            P_("{value} is not a SHA-256 digest (64 lowercase hex digits)", value=repr(digest)),
            code="invalid-parameter",
            parameter="digest",
        )
    with platform.session() as session:
        row = find_credential(session, digest)
    if "application/json" not in request.headers.get("accept", ""):
        return Response(row.credential, media_type=VC_JWT)
    verdict = verify_token(platform, row.credential)
    body = {**credential_json(row, verdict), "credential": row.credential, "payload": payload_of(row)}
    return JSONResponse({**body, "verdict": verdict.to_json()})


@router.post(
    "/credentials/verify",
    summary="Verify any credential against the chain",
    openapi_extra=_TOKEN_BODY,
    responses={
        200: {
            "description": "The verdict (also when the credential is invalid: `valid` says so)",
            "content": {"application/json": {"example": _EXAMPLE_VERDICT}},
        },
        413: _TOO_LARGE,
        415: _MEDIA,
        503: _UNAVAILABLE,
    },
)
async def post_verify(request: Request, platform: PlatformDep) -> JSONResponse:
    """Public: verify a credential as any verifier would, against the registry this platform reads. Every check has a
    stable code when it fails: `malformed`, `bad_signature`, `key_not_issuer`, `other_chain`, `other_registry`,
    `unknown_recognition`, `issuer_mismatch`, `issuer_not_certifier`, `claims_mismatch` (with `mismatchedFields`),
    and the status `suspended`, `revoked`, `expired`, `not_yet_valid` with its date and reason. Nothing is stored.
    The same check runs offline with `supplychain credential verify FILE --rpc URL`."""
    body = await _token(request)
    verdict = await run_in_threadpool(verify_token, platform, body)
    return JSONResponse(verdict.to_json())
