"""Routes: EPCIS-style event queries (``GET /events``) and one event with its proof (``GET /events/{hashId}``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from backend.api.binding import (
    VERSION_HEADERS,
    VERSIONS_CHECKED,
    discovery_doc,
    discovery_response,
    too_large_doc,
    version_header_docs,
)
from backend.api.deps import CurrentOrg, PlatformDep, SessionDep
from backend.core.errors import P_, ConflictError, ProblemError
from backend.core.integers import parse_int
from backend.services.capture import SIGNATURE_HEADER, capture_event
from backend.services.damage import as_int
from backend.services.queries import (
    DEFAULT_PER_PAGE,
    MATCH_ROLES,
    MAX_PER_PAGE,
    BadParameterError,
    EventQuery,
    event_detail,
    find_event,
    query_document,
    query_events,
)
from supplychain.errors import EpcisMediaTypeError
from supplychain.i18n import N_
from supplychain.receipt import make_receipt

__all__ = ["BAD_PARAMETER", "INVALID_REQUEST", "UNREADABLE_BODY", "problem_doc", "router"]

router = APIRouter(tags=["events"])

QUERY_PARAMETERS = frozenset(
    {
        *MATCH_ROLES, "EQ_bizStep", "EQ_bizLocation", "EQ_readPoint", "organisation", "GE_eventTime", "LT_eventTime",
        "GE_recordTime", "LT_recordTime", "eventType", "perPage", "nextPageToken",
    }
)  # fmt: skip
NOT_OFFERED = (
    "EQ_action", "EQ_disposition", "EQ_persistentDisposition_set", "EQ_persistentDisposition_unset", "WD_readPoint",
    "WD_bizLocation", "EQ_transformationID", "EQ_quantity", "GT_quantity", "GE_quantity", "LT_quantity",
    "LE_quantity", "EQ_eventID", "EXISTS_errorDeclaration", "GE_errorDeclarationTime", "LT_errorDeclarationTime",
    "EQ_errorReason", "EQ_correctiveEventID", "orderBy", "orderDirection", "eventCountLimit", "maxEventCount",
    "GE_startTime", "LT_startTime", "GE_endTime", "LT_endTime", "EQ_type", "EQ_deviceID", "EQ_dataProcessingMethod",
    "EQ_microorganism", "EQ_chemicalSubstance", "EQ_bizRules", "EQ_stringValue", "EQ_hexBinaryValue", "EQ_uriValue",
    "EQ_booleanValue",
)  # fmt: skip
"""The REST binding's fixed-name query parameters of ``GET /events`` that this platform does not offer: each is a
``400`` naming it (as are the binding's flexible-name families, ``EQ_INNER_...``, ``GT_...`` and the like)."""


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


def _split(values: list[str]) -> list[str]:
    """The binding's arrays are ``pipeDelimited`` (``EQ_bizStep=shipping|receiving``); a repeated parameter too."""
    return [part for value in values for part in value.split("|")]


_ANY = "Any of these (repeat the parameter, or separate values with `|`)"
_IDS = "EPC URNs or GS1 Digital Links (no EPC patterns)"


def _match(name: str, where: str) -> Any:
    return Query(alias=name, description=f"{where}. {_IDS}. {_ANY}.")


_NOT_OFFERED_TEXT = ", ".join(f"`{n}`" for n in NOT_OFFERED)
_LIST_EVENTS = (
    """Events matching every given filter, oldest stored first, as an EPCIS 2.0 query document (the REST binding's
query parameters, with their names and meaning).

Several values of one parameter mean "any of these": the binding's `|`-separated form
(`EQ_bizStep=shipping|receiving`) or the parameter repeated. Identifiers (`MATCH_...`) may be EPC URNs or GS1
Digital Links, either finding the other. ``eventList`` holds the events exactly as received; ``sc:eventMetadata``
holds, at the same positions, the platform's record of each (Event Hash ID, signer, receipt time, anchor or
``pending``). A malformed or unknown parameter is a ``400`` problem naming it (``parameter``).

Where this differs from the binding: no token is needed (stored events are public here, so that anyone can verify
them: no `401` or `403`); `perPage` defaults to 100 (the binding suggests 30) and is at most 1000;
events come in the order stored; `organisation` is our addition; identifiers are matched exactly (no EPC
patterns); these binding parameters are not offered and are a `400` naming them: """
    + _NOT_OFFERED_TEXT
    + "."
)


@router.get(
    "/events",
    summary="Query events (EPCIS 2.0 query parameters, paginated)",
    description=_LIST_EVENTS,
    responses={
        200: {
            "description": "An EPCIS 2.0 query document; the `Link` header (rel=next) gives the next page.",
            "headers": {
                "Link": {
                    "description": '`<...&nextPageToken=...>; rel="next"` when more events match',
                    "schema": {"type": "string"},
                },
                **version_header_docs(),
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
    match_epc: Annotated[list[str], _match("MATCH_epc", "In `epcList` or `childEPCs`")] = [],  # noqa: B006
    match_parent: Annotated[list[str], _match("MATCH_parentID", "The `parentID`")] = [],  # noqa: B006
    match_input: Annotated[list[str], _match("MATCH_inputEPC", "In `inputEPCList`")] = [],  # noqa: B006
    match_output: Annotated[list[str], _match("MATCH_outputEPC", "In `outputEPCList`")] = [],  # noqa: B006
    any_epc: Annotated[list[str], _match("MATCH_anyEPC", "As EPC, child, parent, input or output")] = [],  # noqa: B006
    epc_class: Annotated[
        list[str], _match("MATCH_epcClass", "A class or lot in `quantityList` or `childQuantityList`")
    ] = [],  # noqa: B006
    input_class: Annotated[list[str], _match("MATCH_inputEPCClass", "In `inputQuantityList`")] = [],  # noqa: B006
    output_class: Annotated[list[str], _match("MATCH_outputEPCClass", "In `outputQuantityList`")] = [],  # noqa: B006
    any_class: Annotated[list[str], _match("MATCH_anyEPCClass", "In any quantity list")] = [],  # noqa: B006
    biz_step: Annotated[
        list[str], Query(alias="EQ_bizStep", description=f"Bare word (`shipping`), CURIE, URN or web URI. {_ANY}.")
    ] = [],  # noqa: B006
    biz_location: Annotated[
        list[str], Query(alias="EQ_bizLocation", description=f"SGLN URN or Digital Link. {_ANY}.")
    ] = [],  # noqa: B006
    read_point: Annotated[
        list[str], Query(alias="EQ_readPoint", description=f"SGLN URN or Digital Link. {_ANY}.")
    ] = [],  # noqa: B006
    organisation: Annotated[
        list[str], Query(description=f"The signer's GLN or USCC (this platform's addition). {_ANY}.")
    ] = [],  # noqa: B006
    event_type: Annotated[list[str], Query(alias="eventType", description=f"`ObjectEvent`, ... {_ANY}.")] = [],  # noqa: B006
    ge_event_time: Annotated[str | None, Query(alias="GE_eventTime", description="RFC 3339, inclusive")] = None,
    lt_event_time: Annotated[str | None, Query(alias="LT_eventTime", description="RFC 3339, exclusive")] = None,
    ge_record_time: Annotated[
        str | None, Query(alias="GE_recordTime", description="RFC 3339, inclusive: when the platform received it")
    ] = None,
    lt_record_time: Annotated[
        str | None, Query(alias="LT_recordTime", description="RFC 3339, exclusive: when the platform received it")
    ] = None,
    per_page: Annotated[
        str | None, Query(alias="perPage", description=f"1..{MAX_PER_PAGE}, default {DEFAULT_PER_PAGE}")
    ] = None,
    next_page_token: Annotated[
        str | None,
        Query(
            alias="nextPageToken",
            description="From the Link header (signed: a token this platform issued for the same filters)",
        ),
    ] = None,
) -> JSONResponse:
    """See ``_LIST_EVENTS`` (the OpenAPI description)."""
    unknown = sorted(set(request.query_params) - QUERY_PARAMETERS)
    if unknown:
        name = unknown[0]
        if name in NOT_OFFERED:
            raise BadParameterError(name, P_("the EPCIS REST binding defines it, but this platform does not offer it"))
        raise BadParameterError(
            name, P_("unknown query parameter; expected one of {choices}", choices=sorted(QUERY_PARAMETERS))
        )
    matches = {
        "MATCH_epc": match_epc,
        "MATCH_parentID": match_parent,
        "MATCH_inputEPC": match_input,
        "MATCH_outputEPC": match_output,
        "MATCH_anyEPC": any_epc,
        "MATCH_epcClass": epc_class,
        "MATCH_inputEPCClass": input_class,
        "MATCH_outputEPCClass": output_class,
        "MATCH_anyEPCClass": any_class,
    }
    query = EventQuery.from_params(
        matches={name: _split(values) for name, values in matches.items()},
        biz_step=_split(biz_step),
        biz_location=_split(biz_location),
        read_point=_split(read_point),
        organisation=_split(organisation),
        event_type=_split(event_type),
        ge_event_time=ge_event_time,
        lt_event_time=lt_event_time,
        ge_record_time=ge_record_time,
        lt_record_time=lt_record_time,
    )
    size = DEFAULT_PER_PAGE if per_page is None else parse_int(per_page, "perPage", minimum=1, maximum=MAX_PER_PAGE)
    page = query_events(session, query, key=platform.page_key, per_page=size, token=next_page_token)
    headers = dict(VERSION_HEADERS)
    if page.next_token is not None:
        url = request.url.include_query_params(nextPageToken=page.next_token)
        headers["Link"] = f'<{url}>; rel="next"'
    return JSONResponse(query_document(page), headers=headers)


@router.get(
    "/events/{hash_id:path}",
    summary="One event with its signature, receipt and anchor",
    responses={
        200: {"description": "The event and the platform's record of it", "headers": version_header_docs()},
        400: BAD_PARAMETER,
        404: UNKNOWN_EVENT,
        422: INVALID_REQUEST,
    },
)
def get_event(
    hash_id: str, request: Request, response: Response, session: SessionDep, platform: PlatformDep
) -> dict[str, Any]:
    """The event as received, its signed envelope (version 1), the platform's receipt, and its anchor.

    ``hash_id`` is the Event Hash ID URL-encoded (``ni%3A%2F%2F%2Fsha-256%3B...%3Fver%3DCBV2.0``) or its bare
    64-hex digest. ``anchor`` is ``{"status": "pending"}`` until the event's batch is mined, then the root, the
    Merkle proof (OpenZeppelin StandardMerkleTree, leaf = the digest as bytes32), the registry sequence, the
    transaction, its block and block time, ``confirmations`` (the depth of that block as the anchoring worker last
    counted it: 1 is the newest block) and ``final`` (the depth reached the platform's ``confirmations`` setting; until
    then a chain reorganisation may drop the block, and the platform anchors the batch again: same root and proof, a
    new block, sequence and transaction). The receipt is re-signed from the stored receipt time: Ed25519 is
    deterministic, so it is the receipt the submitter was given.

    Where this differs from the EPCIS REST binding's `GET /events/{eventID}`: no token is needed (events are public
    here, no `401` or `403`); the event is named by its Event Hash
    ID (every event has one; `eventID` is optional in EPCIS 2.0), and the answer is this record rather than a query
    document holding the event (`GET /events?MATCH_anyEPC=...` answers query documents).
    """
    response.headers.update(VERSION_HEADERS)
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


_SINGLE_MEDIA_TYPES = ("application/json", "application/ld+json")
_EXAMPLE_EVENT = {
    "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
    "type": "ObjectEvent",
    "eventTime": "2026-11-21T09:28:03.000Z",
    "eventTimeZoneOffset": "+08:00",
    "epcList": ["https://id.gs1.org/01/06901234000108/21/S1"],
    "action": "OBSERVE",
    "bizStep": "shipping",
    "bizLocation": {"id": "https://id.gs1.org/414/6901234000016"},
}


class EventRefusedError(ProblemError):
    """``POST /events``: the event was refused (``reason``: the capture's reason code)."""

    status, code, title = 400, "event-refused", N_("Event refused")


class AlreadyCapturedError(ConflictError):
    """``POST /events``: the event is already stored."""

    code, title = "already-captured", N_("Already captured")


@router.options(
    "/events",
    summary="Capabilities of the events resource",
    status_code=204,
    response_class=Response,
    responses=discovery_doc("OPTIONS, GET, POST", capture=True),
)
def events_options(platform: PlatformDep) -> Response:
    """The binding's discovery answer: `204`, no body; `Allow`, the EPCIS and CBV versions, and, for `POST /events`,
    `GS1-EPCIS-Capture-Limit: 1` and `GS1-EPCIS-Capture-File-Size-Limit` (the body limit of the route, from the
    settings). No token is needed."""
    return discovery_response("OPTIONS, GET, POST", max_events=1, max_bytes=platform.settings.max_body_bytes)


@router.options(
    "/events/{hash_id:path}",
    summary="Capabilities of one event's resource",
    status_code=204,
    response_class=Response,
    responses=discovery_doc("OPTIONS, GET"),
)
def event_options(hash_id: str) -> Response:
    """The binding's discovery answer (`204`, headers only); it does not look the event up (`GET` answers `404`)."""
    del hash_id  # the same capabilities for every event
    return discovery_response("OPTIONS, GET")


_SINGLE_EVENT_DOC = f"""Capture one bare EPCIS 2.0 event (JSON-LD, with its own `@context`), as the EPCIS REST binding's
synchronous single-event capture: the same checks as each event of `POST /capture` (Event Hash ID, signature against
the organisation's key as on chain, key valid at the event time, bizStep allowed for its roles, clock skew, who may
commission the GTIN), stored with a signed receipt and queued for anchoring.

**The signature travels in the `{SIGNATURE_HEADER}` header**, the same three values as an entry of a document's
`sc:signatures` (the Ed25519 signature of the Event Hash ID, the key registered on chain for your organisation):

    {SIGNATURE_HEADER}: keyId="0x<64 hex>", eventHashId="ni:///sha-256;<64 hex>?ver=CBV2.0", signature="<base64url>"

`supplychain keys sign EVENT.json --key KEY --org ORG --event-header` prints the value. The Event Hash ID is that of
the event in a document whose `@context` is the event's own.

Answers as the binding: `201` with the event's `Location` (`/events/<Event Hash ID, URL-encoded>`); `409` when the
event is already stored (its `Location` given too); `400` when it is refused. Where this differs from the binding: the
`201` body is our receipt of the event (its Event Hash ID, the capture id of `GET /capture/{{captureID}}`, the signed
receipt), not the event you sent; a refusal is our problem (`type` `.../problems/event-refused`, our `reason` code,
`eventHashId`, `captureID`), not `epcisException:ValidationException`; only JSON-LD is read (the binding specifies
`application/json`; XML is a `415`)."""


@router.post(
    "/events",
    status_code=201,
    dependencies=[VERSIONS_CHECKED],
    tags=["capture"],
    summary="Capture one signed EPCIS 2.0 event (synchronous)",
    description=_SINGLE_EVENT_DOC,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A single EPCIS 2.0 event (JSON-LD), with its own `@context`",
            "content": {t: {"schema": {"type": "object"}, "example": _EXAMPLE_EVENT} for t in _SINGLE_MEDIA_TYPES},
        }
    },
    responses={
        201: {
            "description": "Captured; the event is at the `Location`. The body is its receipt.",
            "headers": {
                "Location": {"description": "The event: `/events/<Event Hash ID, URL-encoded>`", "schema": {}},
                **version_header_docs(),
            },
            "content": {"application/json": {"example": {"captureID": "4f0c…", "eventHashId": _EXAMPLE_HASH}}},
        },
        400: problem_doc(
            400,
            "event-refused",
            "Event refused",
            "key_of_another_organisation: key 0x… belongs to 6901234000023, not to 6901234000016",
            reason="key_of_another_organisation",
            eventHashId=_EXAMPLE_HASH,
            captureID="4f0c…",
        ),
        401: problem_doc(401, "unauthorized", "Authentication required", "no API token"),
        403: problem_doc(403, "forbidden", "Not allowed", "the regulator's token cannot submit events"),
        409: problem_doc(409, "already-captured", "Already captured", f"{_EXAMPLE_HASH} is already stored"),
        413: too_large_doc(),
        415: problem_doc(415, "unsupported-media-type", "Unsupported media type", "expected application/json"),
        422: INVALID_REQUEST,
        503: problem_doc(503, "unavailable", "Service unavailable", "the registry has never been read"),
    },
)
async def post_event(
    request: Request,
    platform: PlatformDep,
    org_id: CurrentOrg,
    content_type: Annotated[str | None, Header()] = None,
    signature: Annotated[
        str | None,
        Header(
            alias=SIGNATURE_HEADER,
            description='`keyId="0x…", eventHashId="ni:///…", signature="…"` (required: a missing one is a `400`)',
        ),
    ] = None,
) -> Response:
    """See ``_SINGLE_EVENT_DOC`` (the OpenAPI description)."""
    if content_type is not None:
        base = content_type.split(";", 1)[0].strip().lower()
        if base not in _SINGLE_MEDIA_TYPES and not base.endswith("+json"):
            raise EpcisMediaTypeError(content_type, _SINGLE_MEDIA_TYPES)
    data = await request.body()  # the edge guard bounded it (max_body_bytes) and its JSON nesting
    result = await run_in_threadpool(capture_event, platform, org_id, data, signature)
    outcome = result.outcomes[0]
    location = "/events/" + quote(outcome.hash_id or "", safe="")
    if outcome.status == "ACCEPTED":
        body = {"captureID": result.capture_id, **outcome.to_json()}
        return JSONResponse(body, status_code=201, headers={"Location": location, **VERSION_HEADERS})
    if outcome.status == "DUPLICATE":
        raise AlreadyCapturedError(
            P_("{event} is already stored", event=outcome.hash_id),
            eventHashId=outcome.hash_id,
            location=location,
            captureID=result.capture_id,
        )
    raise EventRefusedError(
        P_("{reason}: {detail}", reason=outcome.reason, detail=outcome.detail),  # the detail as capture stored it
        reason=outcome.reason,
        eventHashId=outcome.hash_id,
        captureID=result.capture_id,
    )


@router.options(
    "/",
    tags=["capture"],
    summary="The EPCIS 2.0 REST binding's discovery of the whole service",
    status_code=204,
    response_class=Response,
    responses=discovery_doc("OPTIONS"),
)
def root_options() -> Response:
    """The binding's discovery answer (`204`, headers only): EPCIS and CBV 2.0. Of the binding, this platform offers
    the capture interface (`/capture`, `/capture/{captureID}`, `POST /events`) and the events (`GET /events`,
    `GET /events/{Event Hash ID}`); not the top-level browsing resources (`GET /`, `/eventTypes`, `/epcs`,
    `/bizSteps`, `/bizLocations`, `/readPoints`, `/dispositions`), named queries and subscriptions (`/queries`), or
    `/nextPageToken/{token}`."""
    return discovery_response("OPTIONS")
