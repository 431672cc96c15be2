"""Routes: a GTIN's signed product master data (publish as its owner; read, public)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from backend.api.deps import CurrentOrg, PlatformDep
from backend.api.routes.events import INVALID_REQUEST, problem_doc
from backend.core.errors import P_, LimitExceededError, ProblemError, either
from backend.core.integers import parse_int
from backend.services.masterdata import (
    MAX_MASTER_DATA_BYTES,
    find_master_data,
    master_data_json,
    parse_gtin_parameter,
    publish_master_data,
)
from supplychain.masterdata import MAX_SAFE_INTEGER, ProductMasterData, build_product, sign_master_data
from supplychain.signing import SigningKey

__all__ = ["router"]

router = APIRouter(tags=["products"], responses={422: INVALID_REQUEST})

_JSON_TYPES = ("application/json", "application/ld+json")
_EXAMPLE_GTIN = "06901234000108"
_EXAMPLE_ORG = "6901234000016"
_EXAMPLE_SIGNED = sign_master_data(
    SigningKey.from_private_bytes(b"\x11" * 32),  # an example only: documentation is signed by a key nobody uses
    _EXAMPLE_ORG,
    build_product(
        ProductMasterData(
            gtin=_EXAMPLE_GTIN,
            names={"zh-CN": "绿源 充电模块", "en": "Charging module"},
            version=1,
            valid_from=1795680000,
            brand={"zh-CN": "绿源", "en": "Lvyuan"},
            net_content=("1", "H87"),
            country="CN",
        )
    ),
)
_EXAMPLE_VIEW: dict[str, Any] = {
    "gtin": _EXAMPLE_GTIN,
    "version": 1,
    "latestVersion": 1,
    "organisationId": _EXAMPLE_ORG,
    "names": {"zh-CN": "绿源 充电模块", "en": "Charging module"},
    "brand": {"zh-CN": "绿源", "en": "Lvyuan"},
    "netContent": {"value": "1", "unitCode": "H87"},
    "images": [],
    "countryOfOrigin": "CN",
    "greenProductRecognition": None,
    "validFrom": "2026-11-26T00:00:00Z",
    "validUntil": None,
    "validNow": True,
    "documentHash": _EXAMPLE_SIGNED["documentHash"],
    "signed": _EXAMPLE_SIGNED,
    "anchor": {"status": "anchored", "root": "0x...", "proof": ["0x..."], "sequence": 7, "...": "..."},
}
_BAD_GTIN = problem_doc(
    400,
    "invalid-parameter",
    "Invalid parameter",
    "gtin: GTIN '06901234000109' has a wrong check digit",
    parameter="gtin",
)


async def _body(request: Request) -> bytes:
    media = (request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if media not in _JSON_TYPES:
        raise ProblemError(
            P_("send the signed master data as {choices}, not {media}", choices=either(_JSON_TYPES), media=media),
            status=415,
            code="unsupported-media-type",
        )
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_MASTER_DATA_BYTES:
        raise _too_large(int(length))
    body = await request.body()
    if len(body) > MAX_MASTER_DATA_BYTES:
        raise _too_large(len(body))
    return body


def _too_large(size: int) -> ProblemError:
    return LimitExceededError(
        P_("the master data is {size} bytes; at most {maximum} are accepted", size=size, maximum=MAX_MASTER_DATA_BYTES),
        limit="max_master_data_bytes",
        maximum=MAX_MASTER_DATA_BYTES,
    )


@router.post(
    "/products/{gtin}/master-data",
    status_code=201,
    summary="Publish your product's signed master data (the GTIN's owner)",
    openapi_extra={
        "x-max-body-bytes": MAX_MASTER_DATA_BYTES,
        "requestBody": {
            "required": True,
            "description": "A `SignedProductMasterData` envelope (version 1) of a `gs1:Product` JSON-LD document in "
            "the GS1 Web Vocabulary, signed with the organisation's registered key (`supplychain keys "
            "sign-master-data`).",
            "content": {t: {"schema": {"type": "object"}, "example": _EXAMPLE_SIGNED} for t in _JSON_TYPES},
        },
    },
    responses={
        200: {
            "description": "The same document was published before: the stored version",
            "content": {"application/json": {"example": _EXAMPLE_VIEW}},
        },
        201: {
            "description": "Stored (anchored with the next batch); `Location` names the version",
            "headers": {
                "Location": {
                    "description": "`/products/{gtin}/master-data?version=N`",
                    "schema": {"type": "string"},
                }
            },
            "content": {"application/json": {"example": _EXAMPLE_VIEW}},
        },
        400: problem_doc(
            400,
            "invalid-master-data",
            "Bad request",
            "master data field 'document.gs1:productName[0].@language': expected one of zh-CN, en, got 'fr'",
            field="document.gs1:productName[0].@language",
        ),
        401: problem_doc(401, "unauthorized", "Authentication required", "send an API token as 'Authorization: ...'"),
        403: problem_doc(
            403,
            "not-gtin-owner",
            "Not allowed",
            f"organisation 91320200MA1MX7K3GD may not publish master data for GTIN {_EXAMPLE_GTIN}: its owner at "
            f"sc:validFrom (2026-11-26T00:00:00Z) is {_EXAMPLE_ORG} (company prefix 6901234), and "
            "91320200MA1MX7K3GD is not a delegate of it",
            gtin=_EXAMPLE_GTIN,
            owner=_EXAMPLE_ORG,
            organisation="91320200MA1MX7K3GD",
        ),
        409: problem_doc(
            409,
            "version-conflict",
            "Conflict",
            f"GTIN {_EXAMPLE_GTIN} already has version 2 (sc:validFrom 2026-11-26T00:00:00Z); publish version 3 or "
            "later, valid from then or later",
            gtin=_EXAMPLE_GTIN,
            latestVersion=2,
        ),
        413: problem_doc(
            413,
            "limit-exceeded",
            "Document exceeds a limit",
            f"the master data is 70000 bytes; at most {MAX_MASTER_DATA_BYTES} ...",
        ),
        415: problem_doc(415, "unsupported-media-type", "Unsupported media type", "send the signed master data as ..."),
        503: problem_doc(503, "unavailable", "Service unavailable", "the registry has never been read: ..."),
    },
)
async def post_master_data(request: Request, platform: PlatformDep, org_id: CurrentOrg, gtin: str) -> JSONResponse:
    """Publish a version of your product's master data: its name in Chinese and English, brand, net content, images,
    country of origin and 绿色设计产品 recognition, as a `gs1:Product` signed with your registered key.

    Only the GTIN's owner (the holder of its GS1 Company Prefix on chain) or its owner's delegate may publish, at the
    document's `sc:validFrom` and now: anyone else gets `403 not-gtin-owner` naming the GTIN, the owner and the
    organisation. Then, against the registry on chain: the hash and signature (`422 bad-signature`), the key
    (`unknown-key`, `key-of-another-organisation`, `key-not-valid`, `key-revoked`), the organisation
    (`organisation-not-registered`, `organisation-suspended`), a cited recognition (`recognition-not-held`), the time
    (`valid-from-in-future`). Each version of a GTIN is above the last (`409 version-conflict`); the same document again
    answers `200` with the stored version. A stored version is anchored on chain with the next batch of events; the
    product page and labels then show the owner's name for the product, and the proof bundle carries it."""
    key = parse_gtin_parameter(gtin)
    body = await _body(request)
    published = await run_in_threadpool(publish_master_data, platform, org_id, key, body)
    with platform.session() as session:
        data = master_data_json(session, published.row, now=platform.registry.now())
    location = f"/products/{key}/master-data?version={published.row.version}"
    return JSONResponse(data, status_code=201 if published.created else 200, headers={"Location": location})


@router.get(
    "/products/{gtin}/master-data",
    summary="A product's signed master data: the current version, or `version=`",
    responses={
        200: {"content": {"application/json": {"example": _EXAMPLE_VIEW}}},
        400: _BAD_GTIN,
        404: problem_doc(404, "not-found", "Not found", f"no master data was published for GTIN {_EXAMPLE_GTIN}"),
    },
)
def get_master_data(
    platform: PlatformDep,
    gtin: str,
    version: Annotated[str | None, Query(description="The version (1, 2, ...); default: the latest.")] = None,
) -> JSONResponse:
    """Public: what the GTIN's owner published about its product (`names`, `brand`, `netContent`, `images`,
    `countryOfOrigin`, `greenProductRecognition`), who signed it (`organisationId`), whether it holds now
    (`validNow`), the signed envelope to verify (`signed`; `scanner verify` checks it in the proof bundle) and its
    anchor on chain (`anchor`: `pending` until the next batch is anchored)."""
    key = parse_gtin_parameter(gtin)
    number = None if version is None else parse_int(version, "version", minimum=1, maximum=MAX_SAFE_INTEGER)
    with platform.session() as session:
        row = find_master_data(session, key, number)
        return JSONResponse(master_data_json(session, row, now=platform.registry.now()))
