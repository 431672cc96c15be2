"""The EPCIS 2.0 capture interface as the REST binding specifies it: ``POST /capture``, ``GET /capture``,
``GET /capture/{captureID}``, ``OPTIONS /capture``, ``OPTIONS /capture/{captureID}`` (``POST /events``, one bare
event, is in :mod:`backend.api.routes.events`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlmodel import col, select

from backend.api.binding import (
    VERSION_HEADERS,
    VERSIONS_CHECKED,
    discovery_doc,
    discovery_response,
    too_large_doc,
    version_header_docs,
)
from backend.api.deps import CurrentOrg, PlatformDep, SessionDep
from backend.api.routes.events import INVALID_REQUEST
from backend.core.errors import P_, NotFoundError, ProblemError, quoted
from backend.core.integers import parse_int
from backend.models import Capture
from backend.services.capture import (
    DEFAULT_JOBS_PER_PAGE,
    ERROR_BEHAVIOURS,
    MAX_JOBS_PER_PAGE,
    MAX_LISTED_PROBLEMS,
    ROLLBACK,
    SIGNATURE_NS,
    SIGNED_EVENTS_MEDIA_TYPE,
    capture,
    capture_limits,
    job_errors,
    job_fields,
    list_captures,
)
from backend.services.damage import report

router = APIRouter(tags=["capture"], responses={422: INVALID_REQUEST})

MEDIA_TYPES = ["application/ld+json", "application/json", "application/xml", "text/xml", SIGNED_EVENTS_MEDIA_TYPE]
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_EXAMPLE_OUTCOME: dict[str, Any] = {
    "captureID": "4f0c2f2c9d0a4a6f9e0f2b7d8c1a3e5b",
    "createdAt": "2026-11-21T09:28:03.000Z",
    "finishedAt": "2026-11-21T09:28:03.412Z",
    "running": False,
    "success": False,
    "captureErrorBehaviour": "proceed",
    "errors": [
        {
            "type": "https://supplychain.dev/problems/event-refused",
            "title": "Event refused",
            "status": 400,
            "detail": "event 1: key_revoked: key 0x... was revoked at 1795306000",
            "index": 1,
            "eventHashId": "ni:///sha-256;...?ver=CBV2.0",
            "reason": "key_revoked",
        }
    ],
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


_JOB_FIELDS = """The REST binding's capture-job fields come first: `captureID`, `createdAt`, `finishedAt`, `running`
(always `false`: a capture runs to its end within its `POST`), `success` (no event refused), `captureErrorBehaviour`,
and `errors` (RFC 7807 problems). The rest are this platform's additions (not in the binding's `CaptureJob`)."""

_CAPTURE_EXTRA_HEADERS = {
    "Accept-Post": "The media types POST /capture reads",
    "SC-Max-Nesting-Depth": "Deepest nesting of a document's objects and arrays",
    "SC-Max-String-Length": "Longest string (characters)",
    "SC-Max-List-Length": "Longest list",
    "SC-Max-Listed-Problems": "Refused events a stored outcome lists one by one (the rest are counted)",
    "SC-Signature-Namespace": "The namespace of the `signatures` header extension",
}


@router.options(
    "/capture",
    summary="Capture limits and accepted formats",
    status_code=204,
    response_class=Response,
    responses=discovery_doc("OPTIONS, POST, GET", capture=True, extra=_CAPTURE_EXTRA_HEADERS),
)
def capture_options(platform: PlatformDep) -> Response:
    """The binding's discovery answer: `204`, no body, the capabilities in headers: `Allow`, the EPCIS and CBV
    versions, `GS1-EPCIS-Capture-Limit` (events per document) and `GS1-EPCIS-Capture-File-Size-Limit` (bytes), from
    the settings, `GS1-Capture-Error-Behaviour: all` (`rollback`, the default, and `proceed`). This platform adds
    (`SC-*`, `Accept-Post`) the media types, its other document limits, how many refused events an outcome lists,
    and the namespace signatures travel in. No token is needed."""
    limits = capture_limits(platform.settings.max_capture_bytes)
    extra = {
        "Accept-Post": ", ".join(MEDIA_TYPES),
        "SC-Max-Nesting-Depth": str(limits.max_depth),
        "SC-Max-String-Length": str(limits.max_string_length),
        "SC-Max-List-Length": str(limits.max_list_length),
        "SC-Max-Listed-Problems": str(MAX_LISTED_PROBLEMS),
        "SC-Signature-Namespace": SIGNATURE_NS,
    }
    return discovery_response(
        "OPTIONS, POST, GET", max_events=limits.max_events, max_bytes=limits.max_document_bytes, extra=extra
    )


@router.options(
    "/capture/{capture_id}",
    summary="Capabilities of a capture job",
    status_code=204,
    response_class=Response,
    responses=discovery_doc("OPTIONS, GET"),
)
def capture_job_options(capture_id: str) -> Response:
    """The binding's discovery answer (`204`, headers only). It needs no token, so it does not look the job up: a
    capture id that does not exist is a `404` at `GET`, not here."""
    del capture_id  # the same capabilities for every job
    return discovery_response("OPTIONS, GET")


@router.post(
    "/capture",
    status_code=202,
    dependencies=[VERSIONS_CHECKED],
    summary="Capture an EPCIS 2.0 document of signed events",
    responses={
        200: {
            "description": "The outcome, when asked for with `Prefer: return=representation`",
            "content": {"application/json": {"example": _EXAMPLE_OUTCOME}},
            "headers": version_header_docs(),
        },
        202: {
            "description": "Captured; the outcome (the capture job) is at the `Location`",
            "content": {"application/json": {"example": {"captureID": "4f0c2f2c...", "status": "ACCEPTED"}}},
            "headers": {
                "Location": {"description": "The capture job: `/capture/{captureID}`", "schema": {"type": "string"}},
                **version_header_docs(),
            },
        },
        400: {
            "description": "Malformed document, events outside the standard (every problem listed), or a bad "
            "`GS1-Capture-Error-Behaviour`",
            **_PROBLEM,
        },
        401: {"description": "No or unknown API token", **_PROBLEM},
        403: {"description": "The regulator's token cannot submit events", **_PROBLEM},
        413: too_large_doc(),
        415: {"description": "Not JSON-LD, XML or signed envelopes", **_PROBLEM},
        503: {"description": "The registry has never been read (the chain is down since start-up)", **_PROBLEM},
    },
)
async def post_capture(
    request: Request,
    platform: PlatformDep,
    org_id: CurrentOrg,
    content_type: Annotated[str | None, Header()] = None,
    gs1_capture_error_behaviour: Annotated[
        str | None,
        Header(
            alias="GS1-Capture-Error-Behaviour",
            description="`rollback` (default): one refused event stores none; `proceed`: the valid ones are stored",
        ),
    ] = None,
    prefer: Annotated[str | None, Header()] = None,
) -> Response:
    """Validate each event (Event Hash ID, the signature against the organisation's key as on chain, the key valid at
    the event time, the bizStep allowed for its roles, the event time within the clock skew), store the valid ones
    durably with a signed receipt each, and queue them for anchoring.

    Signatures travel in the document header under the `https://ns.supplychain.dev/epcis/` namespace
    (`"sc:signatures": [{"eventHashId", "keyId", "signature"}]`), or the body is a JSON array of signed envelopes
    (`application/vnd.supplychain.signed-events+json`). `GS1-Capture-Error-Behaviour` as in the EPCIS REST binding:
    `rollback` (the default) stores nothing when any event is refused, `proceed` stores the valid events.

    Events are stored as received: one without `eventID` keeps none (the binding suggests the server fill one in;
    here every event is named by its Event Hash ID, which an added `eventID` would not change, but its stored
    document would no longer be the one signed). `EPCISDocument` and `EPCISQueryDocument` are both read.

    As the binding: `202` with the capture job's `Location`. This platform adds `Prefer: return=representation`,
    which answers the job at once (`200`); the capture always runs to its end within the request. Where the binding's
    400 problems have the type `epcisException:ValidationException`, ours name the problem
    (`https://supplychain.dev/problems/...`) and list every problem found.
    """
    behaviour = _error_behaviour(gs1_capture_error_behaviour)
    data = await request.body()  # the edge guard (backend.api.limits) bounded it by max_capture_bytes
    result = await run_in_threadpool(capture, platform, org_id, data, content_type, error_behaviour=behaviour)
    headers = {"Location": f"/capture/{result.capture_id}", **VERSION_HEADERS}
    if prefer and "return=representation" in prefer.replace(" ", "").lower():
        return JSONResponse(result.to_json(), status_code=200, headers=headers)
    summary = {"captureID": result.capture_id, "status": result.status, "location": headers["Location"]}
    return JSONResponse(summary, status_code=202, headers=headers)


def _error_behaviour(value: str | None) -> str:
    if value is None:
        return ROLLBACK
    behaviour = value.strip().lower()
    if behaviour not in ERROR_BEHAVIOURS:
        raise ProblemError(
            P_(
                "GS1-Capture-Error-Behaviour must be 'rollback' (the default) or 'proceed', not {value}",
                value=quoted(value, 60),
            ),
            code="invalid-header",
            header="GS1-Capture-Error-Behaviour",
        )
    return behaviour


@router.get(
    "/capture",
    summary="List this organisation's capture jobs (newest first, paginated)",
    responses={
        200: {
            "description": "The capture jobs: " + _JOB_FIELDS,
            "headers": {
                "Link": {
                    "description": '`</capture?nextPageToken=...>; rel="next"` when more jobs follow',
                    "schema": {"type": "string"},
                },
                **version_header_docs(),
            },
        },
        401: {"description": "No or unknown API token", **_PROBLEM},
        403: {"description": "Not an organisation's token", **_PROBLEM},
    },
)
def list_capture_jobs(
    request: Request,
    org_id: CurrentOrg,
    session: SessionDep,
    platform: PlatformDep,
    per_page: Annotated[
        str | None, Query(alias="perPage", description=f"1..{MAX_JOBS_PER_PAGE}, default {DEFAULT_JOBS_PER_PAGE}")
    ] = None,
    next_page_token: Annotated[str | None, Query(alias="nextPageToken", description="From the Link header")] = None,
) -> JSONResponse:
    """The binding's capture-job list: an array of capture jobs (binding fields, then our counts `status`,
    `totalCount`, `acceptedCount`, `duplicateCount`, `rejectedCount`); `errors` holds one problem counting the refused
    events, which `GET /capture/{captureID}` names one by one. Only the calling organisation's jobs are listed."""
    size = (
        DEFAULT_JOBS_PER_PAGE
        if per_page is None
        else parse_int(per_page, "perPage", minimum=1, maximum=MAX_JOBS_PER_PAGE)
    )
    jobs, token = list_captures(session, org_id, key=platform.page_key, per_page=size, token=next_page_token)
    headers = dict(VERSION_HEADERS)
    if token is not None:
        headers["Link"] = f'<{request.url.include_query_params(nextPageToken=token)}>; rel="next"'
    return JSONResponse(jobs, headers=headers)


@router.get(
    "/capture/{capture_id}",
    summary="The outcome of a capture (the binding's capture job)",
    responses={
        200: {
            "description": "The capture job. " + _JOB_FIELDS,
            "content": {"application/json": {"example": _EXAMPLE_OUTCOME}},
            "headers": version_header_docs(),
        },
        401: {"description": "No or unknown API token", **_PROBLEM},
        403: {"description": "Not an organisation's token (the regulator submits no events)", **_PROBLEM},
        404: {"description": "No such capture by this organisation", **_PROBLEM},
    },
)
def get_capture(capture_id: str, org_id: CurrentOrg, session: SessionDep) -> JSONResponse:
    """The binding's capture-job fields (`errors`: a problem per listed refused event but those rolled back), then
    per event: its index, eventID, Event Hash ID, status (ACCEPTED, DUPLICATE, REJECTED), the reason code of a
    refusal, and the platform's signed receipt of an accepted event. Every accepted or duplicate event is listed; of
    the refused ones 100 (`SC-Max-Listed-Problems` of `OPTIONS /capture`): those refused for what they are first,
    then those rolled back because of them; the rest counted by reason in `unlisted: {"count", "byReason"}`."""
    row = session.exec(select(Capture).where(col(Capture.id) == capture_id, col(Capture.org_id) == org_id)).first()
    if row is None:
        raise NotFoundError(
            P_("no capture {capture} by organisation {organisation}", capture=repr(capture_id), organisation=org_id)
        )

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
    fields = job_fields(
        row.id,
        received_at=row.received_at,
        finished_at=row.finished_at,
        behaviour=row.error_behaviour,
        rejected=row.rejected,
        rolled_back=bool(outcome.get("rolledBack")),
    )
    for name, value in fields.items():  # a job stored before the binding's fields were: derived from its columns
        outcome.setdefault(name, value)
    outcome.setdefault("errors", job_errors(outcome))
    return JSONResponse(outcome, headers=VERSION_HEADERS)
