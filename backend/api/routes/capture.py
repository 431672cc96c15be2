"""The EPCIS 2.0 capture interface: ``POST /capture``, ``GET /capture/{captureID}``, ``OPTIONS /capture``."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlmodel import col, select

from backend.api.deps import CurrentOrg, PlatformDep, SessionDep
from backend.api.routes.events import INVALID_REQUEST
from backend.core.errors import NotFoundError, ProblemError
from backend.models import Capture
from backend.services.capture import (
    MAX_LISTED_PROBLEMS,
    SIGNATURE_NS,
    SIGNED_EVENTS_MEDIA_TYPE,
    capture,
    capture_limits,
)
from backend.services.damage import report

router = APIRouter(tags=["capture"], responses={422: INVALID_REQUEST})

MEDIA_TYPES = ["application/ld+json", "application/json", "application/xml", "text/xml", SIGNED_EVENTS_MEDIA_TYPE]
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_EXAMPLE_OUTCOME: dict[str, Any] = {
    "captureID": "4f0c2f2c9d0a4a6f9e0f2b7d8c1a3e5b",
    "organisationId": "6901234000016",
    "receivedAt": 1795306083000,
    "status": "PARTIALLY_ACCEPTED",
    "rolledBack": False,
    "totalCount": 2,
    "acceptedCount": 1,
    "duplicateCount": 0,
    "rejectedCount": 1,
    "events": [
        {
            "index": 0,
            "eventID": None,
            "eventHashId": "ni:///sha-256;...?ver=CBV2.0",
            "status": "ACCEPTED",
            "receipt": {"type": "SupplychainCaptureReceipt", "version": 1, "...": "..."},
        },
        {
            "index": 1,
            "eventID": "urn:uuid:...",
            "eventHashId": "ni:///sha-256;...?ver=CBV2.0",
            "status": "REJECTED",
            "reason": "key_revoked",
            "detail": "key 0x... was revoked at 1795306000",
        },
    ],
}


@router.options("/capture", summary="Capture limits and accepted formats")
def capture_options(platform: PlatformDep) -> Response:
    """What ``POST /capture`` accepts: media types, the size and event limits (from the settings), how signatures
    travel, and how many refused events a stored outcome lists."""
    limits = capture_limits(platform.settings.max_capture_bytes)
    body = {
        "mediaTypes": MEDIA_TYPES,
        "maxDocumentBytes": limits.max_document_bytes,
        "maxEvents": limits.max_events,
        "maxNestingDepth": limits.max_depth,
        "maxStringLength": limits.max_string_length,
        "maxListLength": limits.max_list_length,
        "signatureNamespace": SIGNATURE_NS,
        "errorBehaviour": ["proceed", "rollback"],
        "maxListedProblems": MAX_LISTED_PROBLEMS,
    }
    headers = {
        "Allow": "OPTIONS, POST",
        "GS1-EPCIS-Capture-Limit": str(limits.max_events),
        "GS1-EPCIS-Capture-File-Size-Limit": str(limits.max_document_bytes),
        "GS1-EPCIS-Version": "2.0.0",
    }
    return JSONResponse(body, headers=headers)


@router.post(
    "/capture",
    status_code=202,
    summary="Capture an EPCIS 2.0 document of signed events",
    responses={
        200: {
            "description": "The outcome, when asked for with `Prefer: return=representation`",
            "content": {"application/json": {"example": _EXAMPLE_OUTCOME}},
        },
        202: {
            "description": "Captured; the outcome is at the `Location`",
            "content": {"application/json": {"example": {"captureID": "4f0c2f2c...", "status": "ACCEPTED"}}},
        },
        400: {"description": "Malformed document, or events outside the standard (every problem listed)", **_PROBLEM},
        401: {"description": "No or unknown API token", **_PROBLEM},
        403: {"description": "The regulator's token cannot submit events", **_PROBLEM},
        413: {"description": "Too large, or too many events", **_PROBLEM},
        415: {"description": "Not JSON-LD, XML or signed envelopes", **_PROBLEM},
        503: {"description": "The registry has never been read (the chain is down since start-up)", **_PROBLEM},
    },
)
async def post_capture(
    request: Request,
    platform: PlatformDep,
    org_id: CurrentOrg,
    content_type: Annotated[str | None, Header()] = None,
    gs1_capture_error_behaviour: Annotated[str | None, Header(alias="GS1-Capture-Error-Behaviour")] = None,
    prefer: Annotated[str | None, Header()] = None,
) -> Response:
    """Validate each event (Event Hash ID, the signature against the organisation's key as on chain, the key valid at
    the event time, the bizStep allowed for its roles, the event time within the clock skew), store the valid ones
    durably with a signed receipt each, and queue them for anchoring.

    Signatures travel in the document header under the `https://ns.supplychain.dev/epcis/` namespace
    (`"sc:signatures": [{"eventHashId", "keyId", "signature"}]`), or the body is a JSON array of signed envelopes
    (`application/vnd.supplychain.signed-events+json`). `GS1-Capture-Error-Behaviour: rollback` stores nothing when
    any event is refused (default `proceed`). `Prefer: return=representation` answers the outcome at once (200);
    otherwise `202` with the capture id and a `Location` to read it from.
    """
    behaviour = (gs1_capture_error_behaviour or "proceed").strip().lower()
    if behaviour not in ("proceed", "rollback"):
        raise ProblemError(
            f"GS1-Capture-Error-Behaviour must be 'proceed' or 'rollback', not {gs1_capture_error_behaviour!r}",
            code="invalid-header",
        )
    data = await request.body()  # the edge guard (backend.api.limits) bounded it by max_capture_bytes
    result = await run_in_threadpool(
        capture, platform, org_id, data, content_type, all_or_nothing=behaviour == "rollback"
    )
    location = f"/capture/{result.capture_id}"
    if prefer and "return=representation" in prefer.replace(" ", "").lower():
        return JSONResponse(result.to_json(), status_code=200, headers={"Location": location})
    summary = {"captureID": result.capture_id, "status": result.status, "location": location}
    return JSONResponse(summary, status_code=202, headers={"Location": location})


@router.get(
    "/capture/{capture_id}",
    summary="The outcome of a capture",
    responses={
        200: {"content": {"application/json": {"example": _EXAMPLE_OUTCOME}}},
        401: {"description": "No or unknown API token", **_PROBLEM},
        403: {"description": "Not an organisation's token (the regulator submits no events)", **_PROBLEM},
        404: {"description": "No such capture by this organisation", **_PROBLEM},
    },
)
def get_capture(capture_id: str, org_id: CurrentOrg, session: SessionDep) -> JSONResponse:
    """Per event: its index, eventID, Event Hash ID, status (ACCEPTED, DUPLICATE, REJECTED), the reason code of a
    refusal, and the platform's signed receipt of an accepted event. Every accepted or duplicate event is listed; of
    the refused ones the first 100 (`maxListedProblems` of `OPTIONS /capture`), the rest counted by reason in
    `unlisted: {"count", "byReason"}`."""
    row = session.exec(select(Capture).where(col(Capture.id) == capture_id, col(Capture.org_id) == org_id)).first()
    if row is None:
        raise NotFoundError(f"no capture {capture_id!r} by organisation {org_id}")
    try:
        outcome = json.loads(row.outcome)
        if not isinstance(outcome, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:  # damaged storage (backend.services.damage): what the columns say, and that
        report(session, "capture", row.id, "outcome", f"not a readable outcome: {exc}")
        outcome = {
            "captureID": row.id,
            "status": row.status,
            "damaged": [{"table": "capture", "key": row.id, "reason": "the stored outcome does not read"}],
        }
    return JSONResponse(outcome)
