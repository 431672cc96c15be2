"""Routes: EPCIS-style event queries (``GET /events``) and one event with its proof (``GET /events/{hashId}``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from backend.api.deps import PlatformDep, SessionDep
from backend.core.integers import parse_int
from backend.services.damage import as_int
from backend.services.queries import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    BadParameterError,
    EventQuery,
    event_detail,
    find_event,
    query_document,
    query_events,
)
from supplychain.receipt import make_receipt

__all__ = ["BAD_PARAMETER", "INVALID_REQUEST", "UNREADABLE_BODY", "problem_doc", "router"]

router = APIRouter(tags=["events"])

QUERY_PARAMETERS = frozenset(
    {
        "MATCH_anyEPC", "MATCH_epcClass", "EQ_bizStep", "EQ_bizLocation", "EQ_readPoint", "organisation",
        "GE_eventTime", "LT_eventTime", "eventType", "perPage", "nextPageToken",
    }
)  # fmt: skip


def problem_doc(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry: a problem+json example."""
    example = {"type": f"https://supplychain.dev/problems/{code}", "title": title, "status": status, "detail": detail}
    example.update(extra)
    return {"description": title, "content": {"application/problem+json": {"example": example}}}


BAD_PARAMETER = problem_doc(
    400,
    "invalid-parameter",
    "Invalid query parameter",
    "EQ_bizStep: unknown bizStep 'shiping' (did you mean 'shipping'?)",
    parameter="EQ_bizStep",
)
_EXAMPLE_HASH = "ni:///sha-256;" + "0" * 63 + "1?ver=CBV2.0"
UNKNOWN_EVENT = problem_doc(404, "not-found", "Not found", f"no event {_EXAMPLE_HASH} is stored here")
#: A parameter or body of the wrong type or form, as the problem handler answers FastAPI's own validation (every
#: router declares it, in place of FastAPI's default `application/json` "Validation Error").
INVALID_REQUEST = problem_doc(
    422,
    "invalid-request",
    "Invalid request",
    "query.perPage: Input should be a valid integer, unable to parse string as an integer",
    errors=[
        {"loc": ["query", "perPage"], "msg": "Input should be a valid integer, unable to parse string as an integer"}
    ],
)
#: A JSON body that cannot be read at all (not UTF-8, cut short): FastAPI refuses it before validation.
UNREADABLE_BODY = problem_doc(
    400, "http-error", "There was an error parsing the body", "There was an error parsing the body"
)

Values = Annotated[list[str], Query()]


@router.get(
    "/events",
    summary="Query events (EPCIS 2.0 query parameters, paginated)",
    responses={
        200: {
            "description": "An EPCIS 2.0 query document; the `Link` header (rel=next) gives the next page.",
            "headers": {
                "Link": {
                    "description": '`<...&nextPageToken=...>; rel="next"` when more events match',
                    "schema": {"type": "string"},
                }
            },
        },
        400: BAD_PARAMETER,
        422: INVALID_REQUEST,
    },
)
def list_events(
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    *,
    any_epc: Annotated[list[str], Query(alias="MATCH_anyEPC", description="EPC URN or Digital Link (any role)")] = [],  # noqa: B006
    epc_class: Annotated[list[str], Query(alias="MATCH_epcClass", description="A class or lot (quantity lists)")] = [],  # noqa: B006
    biz_step: Annotated[list[str], Query(alias="EQ_bizStep", description="Short or URI form")] = [],  # noqa: B006
    biz_location: Annotated[list[str], Query(alias="EQ_bizLocation", description="SGLN URN or Digital Link")] = [],  # noqa: B006
    read_point: Annotated[list[str], Query(alias="EQ_readPoint", description="SGLN URN or Digital Link")] = [],  # noqa: B006
    organisation: Annotated[list[str], Query(description="The signer's GLN or USCC")] = [],  # noqa: B006
    event_type: Annotated[list[str], Query(alias="eventType", description="ObjectEvent, ...")] = [],  # noqa: B006
    ge_event_time: Annotated[str | None, Query(alias="GE_eventTime", description="RFC 3339, inclusive")] = None,
    lt_event_time: Annotated[str | None, Query(alias="LT_eventTime", description="RFC 3339, exclusive")] = None,
    per_page: Annotated[str | None, Query(alias="perPage", description=f"1..{MAX_PER_PAGE}")] = None,
    next_page_token: Annotated[
        str | None,
        Query(
            alias="nextPageToken",
            description="From the Link header (signed: a token this platform issued for the same filters)",
        ),
    ] = None,
) -> JSONResponse:
    """Events matching every given filter, oldest stored first, as an EPCIS 2.0 query document.

    Repeat a parameter for "any of these values". Identifiers (``MATCH_anyEPC``: as EPC, parent, child, input
    or output; ``MATCH_epcClass``: in a quantity list) may be EPC URNs or GS1 Digital Links. ``eventList``
    holds the events exactly as received; ``sc:eventMetadata`` holds, at the same positions, the platform's
    record of each (Event Hash ID, signer, receipt time, anchor or ``pending``). A malformed or unknown
    parameter is a ``400`` problem naming it (``parameter``).
    """
    unknown = sorted(set(request.query_params) - QUERY_PARAMETERS)
    if unknown:
        raise BadParameterError(unknown[0], f"unknown query parameter; expected one of {sorted(QUERY_PARAMETERS)}")
    query = EventQuery.from_params(
        any_epc=any_epc,
        epc_class=epc_class,
        biz_step=biz_step,
        biz_location=biz_location,
        read_point=read_point,
        organisation=organisation,
        event_type=event_type,
        ge_event_time=ge_event_time,
        lt_event_time=lt_event_time,
    )
    size = DEFAULT_PER_PAGE if per_page is None else parse_int(per_page, "perPage", minimum=1, maximum=MAX_PER_PAGE)
    page = query_events(session, query, key=platform.page_key, per_page=size, token=next_page_token)
    headers = {}
    if page.next_token is not None:
        url = request.url.include_query_params(nextPageToken=page.next_token)
        headers["Link"] = f'<{url}>; rel="next"'
    return JSONResponse(query_document(page), headers=headers)


@router.get(
    "/events/{hash_id:path}",
    summary="One event with its signature, receipt and anchor",
    responses={400: BAD_PARAMETER, 404: UNKNOWN_EVENT, 422: INVALID_REQUEST},
)
def get_event(hash_id: str, request: Request, session: SessionDep, platform: PlatformDep) -> dict[str, Any]:
    """The event as received, its signed envelope (version 1), the platform's receipt, and its anchor.

    ``hash_id`` is the Event Hash ID URL-encoded (``ni%3A%2F%2F%2Fsha-256%3B...%3Fver%3DCBV2.0``) or its bare
    64-hex digest. ``anchor`` is ``{"status": "pending"}`` until the event's batch is mined, then the root, the
    Merkle proof (OpenZeppelin StandardMerkleTree, leaf = the digest as bytes32), the registry sequence, the
    transaction, its block and block time. The receipt is re-signed from the stored receipt time: Ed25519 is
    deterministic, so it is the receipt the submitter was given.
    """
    if "?" not in hash_id and request.query_params.get("ver") == "CBV2.0":
        hash_id += "?ver=CBV2.0"  # an unencoded '?' split the Event Hash ID
    row = find_event(session, hash_id)
    if as_int(row.received_at) is None:  # damaged storage: no receipt to re-sign; event_detail reports the row
        return event_detail(session, row)
    receipt = make_receipt(
        platform.receipt_key,
        event_hash_id=row.hash_id,
        organisation_id=row.org_id,
        received_at=row.received_at,
        anchor_by=row.received_at + platform.settings.anchor_deadline_seconds * 1000,
    )
    mirror = platform.registry.refresh(wait=False) if platform.registry.refreshed_at else None
    return event_detail(session, row, receipt=receipt, mirror=mirror)
