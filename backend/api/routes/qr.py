"""Routes: issue QR codes of GS1 Digital Links, and get them as images, ZIP files and printable label sheets."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from sqlmodel import Session

from backend.api.deps import CurrentOrg, PlatformDep, SessionDep
from backend.api.routes.events import INVALID_REQUEST, UNREADABLE_BODY, problem_doc
from backend.core.errors import P_, BadParameterError, NotFoundError, ProblemError
from backend.core.integers import INT64_MAX
from backend.services.issuance import find_issued, issue_codes, list_codes
from backend.services.labels import SignedLabel, label_sheet
from backend.services.masterdata import current_products
from backend.services.ownership import require_gtin_speaker_now
from backend.services.platform import Platform
from backend.services.product_page import org_label
from backend.services.qr import CodeKey, image_bytes, zip_chunks
from supplychain.errors import Gs1ValueError
from supplychain.gs1 import parse_ai, parse_gtin

__all__ = ["DEFAULT_BULK_CODES", "MAX_SERIALS", "URI_LIST_LIMIT", "IssueRequest", "IssueResponse", "code_key", "router"]

router = APIRouter(prefix="/qr", tags=["qr"], responses={422: INVALID_REQUEST})

MAX_SERIALS = 100_000
"""Most serials one issue request may name (a range or a list)."""
URI_LIST_LIMIT = 1_000
"""Issue answers list the URIs up to this many codes; beyond, a count and links."""
DEFAULT_BULK_CODES = 100
"""Codes in a ``/qr/bulk.zip`` or ``/qr/labels`` answer when ``limit`` is not given."""

_EXAMPLE_GTIN = "06901234000108"
BAD_CODE = problem_doc(
    400,
    "invalid-parameter",
    "Invalid query parameter",
    "gtin: invalid GTIN '06901234000109': check digit 9, expected 8",
    parameter="gtin",
)
NOT_ISSUED = problem_doc(
    404, "not-found", "Not found", f"https://qr.example.cn/01/{_EXAMPLE_GTIN}/21/9 was not issued here"
)
OTHER_ORG = problem_doc(
    403,
    "forbidden",
    "Not allowed",
    f"the codes of GTIN {_EXAMPLE_GTIN} lot 'LOT42' were issued by another organisation",
)
NO_TOKEN = problem_doc(
    401, "unauthorized", "Authentication required", "send an API token as 'Authorization: Bearer <token>'"
)
INVALID_BODY = problem_doc(
    422,
    "invalid-request",
    "Invalid request",
    "body.serialEnd: Value error, serialEnd 10 is before serialStart 20",
    errors=[{"loc": ["body", "serialEnd"], "msg": "Value error, serialEnd 10 is before serialStart 20"}],
)


def code_key(gtin: str, lot: str | None = None, serial: str | None = None) -> CodeKey:
    """A validated code from query parameters; a ``400`` problem naming the bad parameter otherwise."""
    for name, ai, value in (("gtin", "01", gtin), ("lot", "10", lot), ("serial", "21", serial)):
        try:
            if value is not None:
                parse_gtin(value) if ai == "01" else parse_ai(ai, value)
        except Gs1ValueError as exc:
            raise ProblemError(
                P_("{parameter}: {reason}", parameter=name, reason=str(exc)), code="invalid-parameter", parameter=name
            ) from exc
    return CodeKey(gtin, lot, serial)


# --- issue ---


class IssueRequest(BaseModel):
    """Codes to issue: a lot code (no serials), a range of serials, or a list of serials."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    gtin: str = Field(description="GTIN-8, -12, -13 or -14 with its check digit", examples=[_EXAMPLE_GTIN])
    lot: str | None = Field(None, description="Batch/lot (AI 10), up to 20 characters", examples=["LOT42"])
    serial_start: int | None = Field(None, alias="serialStart", ge=0, description="First serial of a range")
    serial_end: int | None = Field(None, alias="serialEnd", ge=0, description="Last serial of a range (inclusive)")
    serial_width: int = Field(0, alias="serialWidth", ge=0, le=20, description="Zero-pad range serials to this width")
    serials: list[str] | None = Field(None, description="Explicit serials (AI 21), instead of a range")
    product_name: str | None = Field(None, alias="productName", max_length=200, description="For label sheets")

    @model_validator(mode="before")
    @classmethod
    def _explicit_end(cls, data: Any) -> Any:
        """Make a missing serialEnd explicit beside serialStart, so its validator reports it under its name."""
        if isinstance(data, dict) and "serialStart" in data and "serialEnd" not in data:
            return {**data, "serialEnd": None}
        return data

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, value: str) -> str:
        return parse_gtin(value)

    @field_validator("lot")
    @classmethod
    def _lot(cls, value: str | None) -> str | None:
        return None if value is None else parse_ai("10", value)

    @field_validator("serial_end")
    @classmethod
    def _range(cls, value: int | None, info: ValidationInfo) -> int | None:
        start = info.data.get("serial_start")
        if value is None:
            if start is not None:
                raise ValueError("serialEnd is required with serialStart")
            return None
        if start is None:
            raise ValueError("serialStart is required with serialEnd")
        if value < start:
            raise ValueError(f"serialEnd {value} is before serialStart {start}")
        if value - start + 1 > MAX_SERIALS:
            raise ValueError(f"the range has {value - start + 1} serials; at most {MAX_SERIALS} per request")
        if len(str(value)) > 20:
            raise ValueError("serials are at most 20 characters")
        return value

    @field_validator("serials")
    @classmethod
    def _serials(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return None
        if info.data.get("serial_end") is not None or info.data.get("serial_start") is not None:
            raise ValueError("give either serials or serialStart/serialEnd, not both")
        if not value:
            raise ValueError("an empty list; omit serials to issue the lot code")
        if len(value) > MAX_SERIALS:
            raise ValueError(f"{len(value)} serials; at most {MAX_SERIALS} per request")
        for i, serial in enumerate(value):
            try:
                parse_ai("21", serial)
            except Gs1ValueError as exc:
                raise ValueError(f"serials[{i}]: {exc}") from exc
        return value

    def serial_list(self) -> list[str] | None:
        """The serials asked for (None: the lot code)."""
        if self.serials is not None:
            return self.serials
        if self.serial_start is None or self.serial_end is None:
            return None
        return [str(n).zfill(self.serial_width) for n in range(self.serial_start, self.serial_end + 1)]


class IssueResponse(BaseModel):
    """What was issued."""

    gtin: str = Field(examples=[_EXAMPLE_GTIN])
    lot: str | None = Field(examples=["LOT42"])
    count: int = Field(description="Codes in this request (issued now or before)")
    created: int = Field(description="Codes new with this request (the rest were issued already)")
    first: str = Field(
        description="URI of the first code", examples=[f"https://qr.example.cn/01/{_EXAMPLE_GTIN}/10/LOT42/21/0001"]
    )
    last: str = Field(description="URI of the last code")
    uris: list[str] | None = Field(description=f"Every URI, when there are at most {URI_LIST_LIMIT}; else null")
    links: dict[str, str] = Field(description="zipPng, zipSvg, labels (every code of the lot), and image of the first")


def _lot_query(gtin: str, lot: str | None, **more: str | None) -> str:
    return urlencode({k: v for k, v in {"gtin": gtin, "lot": lot, **more}.items() if v is not None})


@router.post(
    "/issue",
    status_code=201,
    summary="Issue QR codes for a lot or for serials",
    response_model=IssueResponse,
    responses={
        200: {"description": "Every code was issued already (nothing new)"},
        400: UNREADABLE_BODY,
        401: NO_TOKEN,
        403: problem_doc(
            403,
            "not-gtin-owner",
            "Not allowed",
            f"GTIN {_EXAMPLE_GTIN} belongs to organisation 6901234000016 (GS1 Company Prefix 6901234), which has not "
            "delegated it to organisation 6901234000030: only its owner or a delegate may issue codes of it",
        ),
        409: problem_doc(
            409, "conflict", "Conflict", "serial(s) '7' of GTIN 06901234000108 were issued already under another lot"
        ),
        422: INVALID_BODY,
    },
)
def issue(
    body: IssueRequest, session: SessionDep, platform: PlatformDep, org: CurrentOrg, response: Response
) -> IssueResponse:
    """Record codes as issued by the calling organisation and answer their GS1 Digital Link URIs.

    - No `serialStart`/`serialEnd`/`serials`: the lot code `/01/{gtin}/10/{lot}` (or `/01/{gtin}` without a lot).
    - `serialStart`..`serialEnd` (inclusive, zero-padded to `serialWidth`) or a list `serials`: one code per serial,
      `/01/{gtin}/10/{lot}/21/{serial}`; at most 100,000 per request.

    One `IssuedCode` row per code; issuing again what is issued already changes nothing (`created` counts what is
    new: `201` when something is, `200` when nothing is), so a client may retry. Only the GTIN's owner on chain (the
    holder of its GS1 Company Prefix) or an organisation it delegated the GTIN to may issue its codes (`403`
    `not-gtin-owner` naming the owner, or `gtin-owner-unknown` when nobody holds the prefix); a serial is unique per
    GTIN (`409` when it was issued under another lot). The answer lists every URI up to 1,000 codes; beyond, `uris`
    is null and `count`, `first`, `last` and `links` (ZIP of PNG or SVG images, printable label sheet of the whole
    lot) describe them.
    `productName` is not stored: it is passed on in the label sheet link.
    """
    serials = body.serial_list()
    require_gtin_speaker_now(platform, org, CodeKey(body.gtin).gtin, doing=P_("issue codes of"))
    outcome = issue_codes(
        session, org_id=org, gtin=body.gtin, lot=body.lot, serials=serials, now=time.time_ns() // 1_000_000
    )
    if outcome.created == 0:
        response.status_code = 200
    base = platform.settings.public_base_url
    uris = [c.uri(base) for c in outcome.codes] if len(outcome.codes) <= URI_LIST_LIMIT else None
    first, last = outcome.codes[0], outcome.codes[-1]
    lot_query = _lot_query(body.gtin, body.lot)
    return IssueResponse(
        gtin=body.gtin,
        lot=body.lot,
        count=len(outcome.codes),
        created=outcome.created,
        first=first.uri(base),
        last=last.uri(base),
        uris=uris,
        links={
            "zipPng": f"/qr/bulk.zip?{lot_query}&format=png",
            "zipSvg": f"/qr/bulk.zip?{lot_query}&format=svg",
            "labels": f"/qr/labels?{_lot_query(body.gtin, body.lot, productName=body.product_name)}",
            "image": f"/qr/code.svg?{_lot_query(first.gtin, first.lot, serial=first.serial)}",
        },
    )


# --- images ---

_Gtin = Annotated[str, Query(description="GTIN with check digit", examples=[_EXAMPLE_GTIN])]
_Lot = Annotated[str | None, Query(description="Batch/lot (AI 10)", examples=["LOT42"])]
_Serial = Annotated[str | None, Query(description="Serial (AI 21)", examples=["0001"])]
_Scale = Annotated[int, Query(ge=1, le=40, description="PNG pixels per module")]
_Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="Skip this many codes (issue order)")]
_Limit = Annotated[
    int,
    Query(
        ge=1,
        le=INT64_MAX,
        description=f"At most this many codes (default {DEFAULT_BULK_CODES}; more than the platform's "
        "`max_bulk_codes`, 10,000 unless configured, is a `400`: page with `offset`)",
    ),
]
_MEDIA = {"png": "image/png", "svg": "image/svg+xml"}


@router.get(
    "/code.{fmt}",
    summary="The QR code image of one issued code",
    responses={
        200: {"content": {"image/png": {}, "image/svg+xml": {}}, "description": "The image"},
        400: BAD_CODE,
        404: NOT_ISSUED,
    },
    response_class=Response,
)
def code_image(
    fmt: Literal["png", "svg"],
    session: SessionDep,
    platform: PlatformDep,
    gtin: _Gtin,
    lot: _Lot = None,
    serial: _Serial = None,
    scale: _Scale = 8,
) -> Response:
    """`/qr/code.png` or `/qr/code.svg`: the QR code of `/01/{gtin}[/10/{lot}][/21/{serial}]` on the platform's
    domain; error correction M, quiet zone of 4 modules. PNG: 1-bit, `scale` pixels per module; SVG: 0.5 mm per
    module. `404` unless the resolver answers the code (it was issued). No token needed: the image shows only what
    the printed code shows, and the resolver's linkset points here.
    """
    key = code_key(gtin, lot, serial)
    uri = key.uri(platform.settings.public_base_url)
    if find_issued(session, key) is None:
        raise NotFoundError(P_("{uri} was not issued here", uri=uri), uri=uri)
    return Response(
        image_bytes(uri, fmt, scale=scale),
        media_type=_MEDIA[fmt],
        headers={
            "Content-Disposition": f'inline; filename="{key.filename(fmt)}"',
            "Cache-Control": "public, max-age=3600",
        },
    )


def _check_bulk_limit(limit: int, maximum: int) -> None:
    if limit > maximum:
        raise BadParameterError(
            "limit",
            P_(
                "at most {maximum} codes per request (max_bulk_codes), got {value}: page with offset",
                maximum=maximum,
                value=limit,
            ),
        )


@router.get(
    "/bulk.zip",
    summary="ZIP of the QR code images of a lot",
    responses={
        200: {"content": {"application/zip": {}}, "description": "The ZIP file"},
        400: BAD_CODE,
        401: NO_TOKEN,
        403: OTHER_ORG,
        404: NOT_ISSUED,
    },
    response_class=StreamingResponse,
)
def bulk_zip(
    session: SessionDep,
    platform: PlatformDep,
    org: CurrentOrg,
    gtin: _Gtin,
    lot: _Lot = None,
    fmt: Annotated[Literal["png", "svg"], Query(alias="format", description="Image format")] = "png",
    scale: _Scale = 8,
    offset: _Offset = 0,
    limit: _Limit = DEFAULT_BULK_CODES,
) -> StreamingResponse:
    """Every code the calling organisation issued for the GTIN and lot (without `lot`: its codes without a lot), in
    issue order, one image per code named by its AIs (`01-06901234000108_10-LOT42_21-0001.png`), plus
    `manifest.csv` (file, uri, gtin, lot, serial). Streamed as it is made (about 2.5 ms per code); making stops
    when the client goes away. `limit` codes from `offset` (default 100, at most the platform's `max_bulk_codes`,
    10,000 unless configured): page with `offset` for more.
    """
    key = code_key(gtin, lot)
    _check_bulk_limit(limit, platform.settings.max_bulk_codes)
    codes = list_codes(session, org_id=org, gtin=key.gtin, lot=lot, offset=offset, limit=limit)
    base = platform.settings.public_base_url
    return StreamingResponse(
        zip_chunks(((c, c.uri(base)) for c in codes), fmt, scale=scale),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{key.filename(fmt + ".zip")}"',
            "X-Code-Count": str(len(codes)),
        },
    )


def signed_label(session: Session, platform: Platform, gtin: str) -> SignedLabel | None:
    """The name the GTIN's owner signed in its current master data (both languages) and who signed it, unless it
    expired."""
    found = current_products(session, [gtin]).get(gtin)
    if found is None:
        return None
    product, org_id = found
    if product.valid_until is not None and product.valid_until <= platform.registry.now():
        return None
    mirror = platform.registry.mirror if platform.registry.refreshed_at else None
    names = [product.names[lang] for lang in ("zh-CN", "en") if lang in product.names]
    signer = org_label(mirror, org_id)
    return SignedLabel(" / ".join(dict.fromkeys(names)), signer.name("zh-CN") or org_id, product.version)


@router.get(
    "/labels",
    summary="Printable A4 label sheet of the QR codes of a lot",
    responses={
        200: {"content": {"text/html": {}}, "description": "The HTML sheet"},
        400: BAD_CODE,
        401: NO_TOKEN,
        403: OTHER_ORG,
        404: NOT_ISSUED,
    },
    response_class=StreamingResponse,
)
def labels(
    session: SessionDep,
    platform: PlatformDep,
    org: CurrentOrg,
    gtin: _Gtin,
    lot: _Lot = None,
    product_name: Annotated[
        str | None, Query(alias="productName", max_length=200, description="Printed on each label")
    ] = None,
    offset: _Offset = 0,
    limit: _Limit = DEFAULT_BULK_CODES,
) -> StreamingResponse:
    """An HTML page of A4 sheets, 3 x 8 labels of 70 x 37 mm: each label has the QR code (inline SVG) and the
    product name, GTIN, 批号 / Lot and 序列号 / Serial. The name is the one the GTIN's owner signed in its product
    master data (`/products/{gtin}/master-data`) when it published some, with whose signature it carries; else
    `productName`. Print it from a browser at 100 % scale. Same codes as
    `/qr/bulk.zip` (the same `offset` and `limit`, default 100 and at most `max_bulk_codes`); making stops when the
    client goes away.
    """
    key = code_key(gtin, lot)
    _check_bulk_limit(limit, platform.settings.max_bulk_codes)
    codes = list_codes(session, org_id=org, gtin=key.gtin, lot=lot, offset=offset, limit=limit)
    base = platform.settings.public_base_url
    title = f"(01) {key.gtin}" + (f" (10) {lot}" if lot is not None else "")
    signed = signed_label(session, platform, key.gtin)
    if signed is not None:
        product_name = signed.name
    chunks = (
        s.encode()
        for s in label_sheet(
            ((c, c.uri(base)) for c in codes), product_name=product_name, title=title, signed_by=signed
        )
    )
    return StreamingResponse(
        chunks,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": f'inline; filename="labels-{key.filename("html")}"',
            "X-Code-Count": str(len(codes)),
        },
    )
