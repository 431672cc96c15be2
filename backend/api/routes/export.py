"""Routes: the regulator's export (``GET /export/status``, ``/export/events``, ``/export/batches``), for the audit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from backend.api.deps import PlatformDep, RegulatorDep, SessionDep
from backend.api.routes.events import INVALID_REQUEST, problem_doc
from backend.core.errors import P_
from backend.services.export import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    batch_lines,
    event_lines,
    export_status,
    json_page,
    master_data_lines,
    page_parameters,
)
from backend.services.queries import BadParameterError

__all__ = ["NDJSON", "router"]

router = APIRouter(tags=["audit"], responses={422: INVALID_REQUEST})

NDJSON = "application/x-ndjson"
_CHUNK = 500  # lines per streamed chunk

UNAUTHORIZED = problem_doc(
    401, "unauthorized", "Authentication required", "send an API token as 'Authorization: Bearer <token>'"
)
FORBIDDEN = problem_doc(403, "forbidden", "Not allowed", "this route is for the regulator")
BAD_PAGE = problem_doc(
    400,
    "invalid-parameter",
    "Invalid query parameter",
    "limit: expected an integer 1..10000, got '0'",
    parameter="limit",
)
_PAGE_HEADERS = {
    "Link": {
        "description": '`</export/...?after=N&limit=L>; rel="next"` while the page is full',
        "schema": {"type": "string"},
    },
    "X-Next-After": {
        "description": "The id to ask after for the next page (absent on the last page)",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
}
_EVENT_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "hashId": "ni:///sha-256;" + "ab" * 32 + "?ver=CBV2.0",
    "organisationId": "6901234000016",
    "keyId": "0x" + "cd" * 32,
    "signature": "base64url of 64 bytes (86 characters)",
    "eventType": "ObjectEvent",
    "eventTime": 1767225600000,
    "bizStep": "shipping",
    "bizLocation": "https://id.gs1.org/414/6901234000016",
    "readPoint": None,
    "receivedAt": 1767225601234,
    "captureId": "3f2c...",
    "batchId": 1,
    "root": "0x" + "ef" * 32,
    "leafIndex": 4,
    "recognition": {"id": 1, "statusAtCapture": "IN_FORCE"},
    "links": [
        {
            "identifier": "https://id.gs1.org/01/06901234000108/21/A-1",
            "previous": None,
            "value": "0x" + "12" * 32,
            "proof": ["0x" + "03" * 32],
        }
    ],
    "proof": ["0x" + "01" * 32, "0x" + "02" * 32],
    "document": {"@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"], "type": "ObjectEvent"},
}
_BATCH_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "root": "0x" + "ef" * 32,
    "leafCount": 5,
    "status": "anchored",
    "chainId": 31337,
    "txHash": "0x" + "aa" * 32,
    "nonce": 0,
    "sequence": 1,
    "blockNumber": 12,
    "blockTime": 1767225660,
    "createdAt": 1767225650000,
    "anchoredAt": 1767225661000,
    "remadeAt": None,
}

After = Annotated[str | None, Query(description="The id of the last record read (keyset cursor; default 0)")]
Limit = Annotated[str | None, Query(description=f"Records per page, 1..{MAX_LIMIT} (default {DEFAULT_LIMIT})")]


def _page_responses(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "A page of records, oldest first.",
            "headers": _PAGE_HEADERS,
            "content": {
                "application/json": {"example": {"items": [example], "nextAfter": None}},
                NDJSON: {"schema": {"type": "string"}, "example": "{...}\n{...}\n"},
            },
        },
        400: BAD_PAGE,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
    }


def _page(request: Request, lines: list[bytes], last_id: int | None, limit: int) -> Response:
    next_after = last_id if len(lines) == limit else None
    headers = {}
    if next_after is not None:
        url = request.url.include_query_params(after=next_after, limit=limit)
        headers = {"Link": f'<{url}>; rel="next"', "X-Next-After": str(next_after)}
    if NDJSON not in request.headers.get("accept", ""):
        return Response(json_page(lines, next_after), media_type="application/json", headers=headers)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(lines), _CHUNK):
            yield b"".join(line + b"\n" for line in lines[i : i + _CHUNK])

    return StreamingResponse(chunks(), media_type=NDJSON, headers=headers)


def _check_parameters(request: Request) -> None:
    unknown = sorted(set(request.query_params) - {"after", "limit"})
    if unknown:
        raise BadParameterError(unknown[0], P_("unknown query parameter; expected 'after' and 'limit'"))


@router.get(
    "/export/status",
    summary="What the export holds now (regulator only)",
    responses={401: UNAUTHORIZED, 403: FORBIDDEN},
)
def get_export_status(session: SessionDep, platform: PlatformDep, _regulator: RegulatorDep) -> JSONResponse:
    """The last event id and the last batch id stored now, and how many of each: an audit reads the export up to
    them. ``anchorDeadlineSeconds`` is the deadline the platform's receipts promise (its word: the audit takes its
    own)."""
    return JSONResponse(export_status(session, deadline_seconds=platform.settings.anchor_deadline_seconds))


@router.get(
    "/export/events",
    summary="Every stored event as received, with its signature and proof (regulator only)",
    responses=_page_responses(_EVENT_EXAMPLE),
)
def get_export_events(
    request: Request, session: SessionDep, _regulator: RegulatorDep, after: After = None, limit: Limit = None
) -> Response:
    """Events with an id above ``after``, in id order, at most ``limit``: each as the platform stored it.

    A record: ``id``, ``hashId``, ``organisationId``, ``keyId``, ``signature``, ``eventType``, ``eventTime`` and
    ``receivedAt`` (ms since the epoch, UTC), ``bizStep``, ``bizLocation`` and ``readPoint`` (the indexed columns,
    derived from the document at capture), ``captureId``, ``batchId``, ``root`` (of its batch, ``null`` before
    batching), ``leafIndex``, ``recognition`` (the cited recognition and its status as recorded at capture, or
    ``null``), ``links`` (the story links its batch commits for it, one per identifier it names: ``identifier``,
    ``previous`` Event Hash ID or ``null``, ``value``, ``proof``; ``docs/proof-bundle.md``; absent when there are
    none), ``proof`` (Merkle
    siblings, ``0x`` hex) and ``document``: the event's JSON-LD exactly as stored, with the ``@context`` its hash
    needs; ``unreadable`` (only on a damaged record) names its stored columns that do not read.
    ``Accept: application/x-ndjson`` streams one record per line (fastest); otherwise
    ``{"items": [...], "nextAfter": id | null}``. Ask for the next page with ``after`` = the last id read
    (``X-Next-After``, ``Link: rel="next"``): keyset pages, every event exactly once.
    """
    _check_parameters(request)
    start, size = page_parameters(after, limit)
    lines, last_id = event_lines(session, after=start, limit=size)
    return _page(request, lines, last_id, size)


@router.get(
    "/export/master-data",
    summary="Every published version of product master data, with its proof (regulator only)",
    responses=_page_responses({"id": 1, "gtin": "06901234000108", "version": 1, "...": "..."}),
)
def get_export_master_data(
    request: Request, session: SessionDep, _regulator: RegulatorDep, after: After = None, limit: Limit = None
) -> Response:
    """Master data versions with an id above ``after``, in id order, at most ``limit``: ``gtin``, ``version``,
    ``organisationId``, ``keyId``, ``documentHash`` (their Merkle leaf value, in the same batches as events),
    ``validFrom`` (s), ``receivedAt`` (ms), ``batchId``, ``root``, ``leafIndex``, ``proof`` and ``signed``: the signed
    envelope exactly as stored. Paged like ``/export/events``; the audit counts these leaves in their roots.
    """
    _check_parameters(request)
    start, size = page_parameters(after, limit)
    lines, last_id = master_data_lines(session, after=start, limit=size)
    return _page(request, lines, last_id, size)


@router.get(
    "/export/batches",
    summary="Every Merkle batch and its anchor (regulator only)",
    responses=_page_responses(_BATCH_EXAMPLE),
)
def get_export_batches(
    request: Request, session: SessionDep, _regulator: RegulatorDep, after: After = None, limit: Limit = None
) -> Response:
    """Batches with an id above ``after``, in id order, at most ``limit``: ``root``, ``leafCount``, ``status``
    (``prepared``, ``sent``, ``anchored``), ``chainId``, ``txHash``, ``nonce``, ``sequence``, ``blockNumber``,
    ``blockTime`` (s), ``createdAt``, ``anchoredAt`` and ``remadeAt`` (ms; ``remadeAt`` is set when the anchor was
    re-made on a dev chain that had been reset). Paged like ``/export/events``.
    """
    _check_parameters(request)
    start, size = page_parameters(after, limit)
    lines, last_id = batch_lines(session, after=start, limit=size)
    return _page(request, lines, last_id, size)
