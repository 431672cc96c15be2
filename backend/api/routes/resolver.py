"""Routes: the GS1 Digital Link resolver for the codes the platform issued, and lot recalls.

The platform answers its own Digital Links, ``/01/{gtin}[/10/{lot}][/21/{serial}]`` (qualifiers in any order, short
names allowed), following the GS1 Digital Link resolver conventions where they are cheap: ``linkType=all`` answers the
RFC 9264 linkset, ``linkType=gs1:traceability`` (or another type the linkset lists) redirects to that link, a
``Link`` header points to the linkset, ``Vary: Accept``. Browsers get the consumer's product page
(:mod:`backend.services.product_html`; its warning pages for a code never issued or a recalled lot);
``Accept: application/json`` gets the code's description with its links.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field, field_validator

from backend.api.deps import PlatformDep, Principal, SessionDep, get_principal
from backend.api.routes.events import INVALID_REQUEST, UNREADABLE_BODY, problem_doc
from backend.api.routes.qr import code_key
from backend.core.errors import P_, GoneError, NotFoundError, ProblemError, error_response
from backend.models import IssuedCode, Recall
from backend.services.damage import as_int, issued_code_problem, report
from backend.services.green_views import product_lapses
from backend.services.issuance import find_issued, find_recall, list_recalls, record_recall
from backend.services.ownership import require_gtin_speaker_now
from backend.services.product_html import product_page_response, refusal_page_response
from backend.services.qr import CodeKey
from supplychain.errors import DigitalLinkError
from supplychain.gs1 import DigitalLink, identifier_node, parse_ai, parse_digital_link, parse_gtin

__all__ = ["LINKSET_JSON", "router"]

router = APIRouter(tags=["resolver"], responses={422: INVALID_REQUEST})

LINKSET_JSON = "application/linkset+json"
GS1_VOC = "https://gs1.org/voc/"
QR_CODE_REL = "https://supplychain.dev/voc/qrCode"
_SHORT = {"gtin": "01", "cpv": "22", "lot": "10", "ser": "21"}
_ORDER = ("22", "10", "21")
_EXAMPLE = "https://qr.example.cn/01/06901234000108/10/LOT42/21/0001"


# --- parsing and looking up ---


def _reordered(raw_path: str, query: str, base: str) -> DigitalLink | None:
    """The link with its GTIN qualifiers put in their canonical order, or None if that does not help."""
    segments = raw_path.strip("/").split("/")
    if len(segments) % 2 or _SHORT.get(segments[0], segments[0]) != "01":
        return None
    pairs = [(_SHORT.get(segments[i], segments[i]), segments[i + 1]) for i in range(2, len(segments), 2)]
    ais = [ai for ai, _ in pairs]
    if len(set(ais)) != len(ais) or not set(ais) <= set(_ORDER):
        return None
    pairs.sort(key=lambda p: _ORDER.index(p[0]))
    path = "/01/" + segments[1] + "".join(f"/{ai}/{value}" for ai, value in pairs)
    try:
        return parse_digital_link(base + path + (f"?{query}" if query else ""))
    except DigitalLinkError:
        return None


def _parse(request: Request, base: str) -> DigitalLink:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    raw_path = raw.decode("latin-1")
    query = request.url.query
    try:
        return parse_digital_link(base + raw_path + (f"?{query}" if query else ""))
    except DigitalLinkError as exc:
        link = _reordered(raw_path, query, base)
        if link is None:
            raise ProblemError(str(exc), code="invalid-digital-link", reason=exc.reason) from exc
        return link


@dataclass(frozen=True, slots=True)
class Resolved:
    """An issued code the resolver answers for."""

    key: CodeKey
    uri: str
    gs1_uri: str
    row: IssuedCode
    recall: Recall | None

    @property
    def lot(self) -> str | None:
        """The lot in the link, else the lot the serial was issued under (None for a GTIN alone)."""
        return self.key.lot if self.key.lot is not None or self.key.serial is None else self.row.lot


def _links(r: Resolved, base: str) -> dict[str, list[dict[str, Any]]]:
    """The linkset's links by relation type (full URIs, as RFC 9264 wants for extension relations)."""
    page = {"href": r.uri, "title": "产品信息 Product information", "type": "text/html", "hreflang": ["zh-CN", "en"]}
    code = urlencode({k: v for k, v in (("gtin", r.key.gtin), ("lot", r.key.lot), ("serial", r.key.serial)) if v})
    links: dict[str, list[dict[str, Any]]] = {
        GS1_VOC + "defaultLink": [page],
        GS1_VOC + "pip": [page],
        GS1_VOC + "traceability": [
            {
                "href": f"{base}/trace/journey?id={quote(r.gs1_uri, safe='')}",
                "title": "溯源 Traceability",
                "type": "application/json",
            }
        ],
        GS1_VOC + "verificationService": [
            {
                "href": f"{base}/bundles?id={quote(r.gs1_uri, safe='')}",
                "title": "证明包 Proof bundle",
                "type": "application/json",
            }
        ],
        QR_CODE_REL: [
            {"href": f"{base}/qr/code.svg?{code}", "title": "二维码 QR code", "type": "image/svg+xml"},
            {"href": f"{base}/qr/code.png?{code}", "title": "二维码 QR code", "type": "image/png"},
        ],
    }
    if r.lot is not None:
        recalls = f"{base}/recalls?{urlencode({'gtin': r.key.gtin, 'lot': r.lot})}"
        links[GS1_VOC + "recallStatus"] = [
            {"href": recalls, "title": "召回状态 Recall status", "type": "application/json"}
        ]
    return links


def _linkset(r: Resolved, base: str) -> list[dict[str, Any]]:
    return [{"anchor": r.uri, **_links(r, base)}]


def _headers(uri: str, links: dict[str, list[dict[str, Any]]] | None) -> dict[str, str]:
    parts = [f'<{uri}?linkType=all>; rel="linkset"; type="{LINKSET_JSON}"']
    for rel, targets in (links or {}).items():
        parts += [f'<{t["href"]}>; rel="{rel}"; type="{t["type"]}"' for t in targets]
    return {"Link": ", ".join(parts), "Vary": "Accept", "Access-Control-Allow-Origin": "*"}


def _wants_json(request: Request) -> bool:
    """True when the Accept header prefers JSON (or a linkset) to HTML; */* alone means HTML."""
    best = {"json": 0.0, "html": 0.0}
    for item in request.headers.get("accept", "").split(","):
        media, *params = (p.strip() for p in item.split(";"))
        q = next((float(p[2:]) for p in params if p.startswith("q=") and p[2:].replace(".", "", 1).isdigit()), 1.0)
        media = media.lower()
        if media in ("application/json", LINKSET_JSON) or media.endswith("+json"):
            best["json"] = max(best["json"], q)
        elif media in ("text/html", "application/xhtml+xml", "text/*", "*/*"):
            best["html"] = max(best["html"], q * (0.99 if media.endswith("*") else 1.0))
    return best["json"] > best["html"]


# --- the resolver ---


def _also_a_page(doc: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry that is a problem+json for machines and an HTML page for people."""
    return {**doc, "content": {**doc["content"], "text/html": {}}}


_RESOLVER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The code: HTML for browsers, JSON for `Accept: application/json`, a linkset for `linkType=all`",
        "content": {
            "text/html": {},
            "application/json": {
                "example": {
                    "id": _EXAMPLE,
                    "gtin": "06901234000108",
                    "lot": "LOT42",
                    "serial": "0001",
                    "issuer": "6901234000016",
                }
            },
            LINKSET_JSON: {},
        },
    },
    307: {"description": "`linkType` names one link type of the linkset: redirect to it"},
    # For people (no `Accept: application/json`) the same answers are pages.
    400: _also_a_page(
        problem_doc(
            400, "invalid-digital-link", "Bad request", "invalid GS1 Digital Link ...: check digit 9, expected 8"
        )
    ),
    404: _also_a_page(problem_doc(404, "not-found", "Not found", f"{_EXAMPLE} was not issued here")),
    410: _also_a_page(problem_doc(410, "gone", "Gone", "GTIN 06901234000108 lot 'LOT42' was recalled: contamination")),
}


@router.get("/01/{path:path}", summary="Resolve a GS1 Digital Link the platform issued", responses=_RESOLVER_RESPONSES)
def resolve(path: str, request: Request, session: SessionDep, platform: PlatformDep) -> Response:
    """`/01/{gtin}`, `/01/{gtin}/10/{lot}`, `/01/{gtin}/10/{lot}/21/{serial}`, `/01/{gtin}/21/{serial}` (other
    orders and the short names `lot`, `ser` are accepted).

    - `400` for a malformed link (what is wrong: check digit, characters, qualifier), `404` for a code never issued
      here (a serial must have been issued; a lot or GTIN when any code of it was), `410 Gone` for a recalled lot
      (with the recall and the links, so its trace can still be read).
    - `linkType=all`: the linkset (`application/linkset+json`): product page (`gs1:pip`, `gs1:defaultLink`),
      `gs1:traceability` (the journey), `gs1:verificationService` (the proof bundle), `gs1:recallStatus`, QR images.
      `linkType=gs1:traceability` (or another listed type): `307` to that link.
    - `Accept: application/json`: `{id, gs1Uri, gtin, lot, serial, issuer, issuedAt, recalled, linkset, greenLapses}`.
      `greenLapses` lists the product's inputs (any level) whose maker's green recognition covering them is now
      suspended or revoked: `lapsed: "after"` the input was supplied (it still counts as green) or `"before"` (it
      does not); `null` when the registry cannot be read.
    - Otherwise the product page (HTML, zh-CN; English with `lang=en`): the same refusals as pages (a code never
      issued warns of a possible counterfeit; a recalled lot is its product page under the recall banner).
    """
    base = platform.settings.public_base_url.rstrip("/")
    link_type = request.query_params.get("linkType")
    json_wanted = link_type is not None or _wants_json(request)
    resolved: Resolved | None = None
    try:
        resolved = _resolve(request, session, base)
        links = _links(resolved, base)
        headers = _headers(resolved.uri, links)
        if resolved.recall is not None:
            recall = resolved.recall
            raise GoneError(
                P_(
                    "GTIN {gtin} lot {lot} was recalled: {reason}",
                    gtin=recall.gtin,
                    lot=repr(recall.lot),
                    reason=recall.reason,
                ),
                id=resolved.uri,
                recall={"reason": recall.reason, "recalledAt": recall.recalled_at, "recalledBy": recall.org_id},
                linkset=_linkset(resolved, base),
            )
    except ProblemError as exc:
        if json_wanted:
            return _refusal(exc, request)
        headers = _headers(resolved.uri, _links(resolved, base)) if resolved is not None else _refusal_headers(exc)
        return refusal_page_response(request, session, platform, exc=exc, code=resolved, headers=headers)
    if link_type is not None:
        return _by_link_type(link_type, resolved, base, links, headers, request)
    if json_wanted:
        body = {
            "id": resolved.uri,
            "gs1Uri": resolved.gs1_uri,
            "gtin": resolved.key.gtin,
            "lot": resolved.lot,
            "serial": resolved.key.serial,
            "issuer": resolved.row.org_id,
            "issuedAt": resolved.row.created_at,
            "recalled": False,
            "linkset": _linkset(resolved, base),
            "greenLapses": product_lapses(session, platform, resolved.gs1_uri),
        }
        return JSONResponse(body, headers=headers)
    return product_page_response(request, session, platform, resolved, headers)


def _resolve(request: Request, session: SessionDep, base: str) -> Resolved:
    link = _parse(request, base)
    key = CodeKey(link.key, link.qualifier("10"), link.qualifier("21"))
    uri = key.uri(base)
    plain = all(ai in ("10", "21") for ai, _ in link.qualifiers)  # the platform issues no variants (22), no TPX (235)
    row = find_issued(session, key) if plain else None
    if row is None:
        raise NotFoundError(P_("{uri} was not issued here", uri=uri), id=uri)
    resolved = Resolved(key, uri, identifier_node(uri), _readable(session, row), None)
    if resolved.lot is None:
        return resolved
    return Resolved(key, uri, resolved.gs1_uri, row, find_recall(session, key.gtin, resolved.lot))


def _readable(session: SessionDep, row: IssuedCode) -> IssuedCode:
    """The issued code as found, or (damaged storage: reported) a copy without its columns that do not read: a lot
    that is no GS1 lot, a time that is not a number. The copy is never written."""
    damaged: dict[str, Any] = {}
    problem = issued_code_problem(row.gtin, row.lot, None)
    if problem is not None:
        report(session, "issued_code", row.id, *problem)
        damaged["lot"] = None
    if as_int(row.created_at) is None:
        report(session, "issued_code", row.id, "created_at", "not a whole number")
        damaged["created_at"] = None
    if not damaged:
        return row
    columns = ("id", "gtin", "lot", "serial", "org_id", "created_at")
    return IssuedCode(**{**{c: getattr(row, c) for c in columns}, **damaged})


def _refusal_headers(exc: ProblemError) -> dict[str, str]:
    uri = exc.extra.get("id")
    return _headers(uri, None) if isinstance(uri, str) else {"Vary": "Accept", "Access-Control-Allow-Origin": "*"}


def _refusal(exc: ProblemError, request: Request) -> Response:
    response = error_response(exc, request)
    headers = _refusal_headers(exc)
    headers["Vary"] = f"{headers['Vary']}, {response.headers['Vary']}"
    response.headers.update(headers)
    return response


def _by_link_type(
    link_type: str,
    r: Resolved,
    base: str,
    links: dict[str, list[dict[str, Any]]],
    headers: dict[str, str],
    request: Request,
) -> Response:
    if link_type == "all":
        return JSONResponse({"linkset": _linkset(r, base)}, media_type=LINKSET_JSON, headers=headers)
    rel = GS1_VOC + link_type.removeprefix("gs1:") if link_type.startswith("gs1:") else link_type
    targets = links.get(rel)
    if not targets:
        available = ", ".join(["all", *(k.replace(GS1_VOC, "gs1:") for k in links)])
        exc = NotFoundError(
            P_(
                "no link of type {link_type} for {uri}; available: {available}",
                link_type=repr(link_type),
                uri=r.uri,
                available=available,
            ),
            id=r.uri,
        )

        return _refusal(exc, request)
    return RedirectResponse(targets[0]["href"], status_code=307, headers=headers)


# --- recalls ---


class RecallRequest(BaseModel):
    """A lot to recall."""

    gtin: str = Field(examples=["06901234000108"])
    lot: str = Field(examples=["LOT42"])
    reason: str = Field(min_length=1, max_length=500, examples=["微生物超标 / microbial contamination"])

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, value: str) -> str:
        return parse_gtin(value)

    @field_validator("lot")
    @classmethod
    def _lot(cls, value: str) -> str:
        return parse_ai("10", value)


class RecallOut(BaseModel):
    """A recalled lot."""

    id: int
    gtin: str
    lot: str
    reason: str
    recalled_by: str = Field(alias="recalledBy", description="The organisation id, or 'regulator'")
    recalled_at: int = Field(alias="recalledAt", description="Milliseconds since the epoch")

    @classmethod
    def of(cls, r: Recall) -> RecallOut:
        """From the table row."""
        return cls(id=r.id or 0, gtin=r.gtin, lot=r.lot, reason=r.reason, recalledBy=r.org_id, recalledAt=r.recalled_at)


_NO_TOKEN = problem_doc(
    401, "unauthorized", "Authentication required", "send an API token as 'Authorization: Bearer <token>'"
)


@router.post(
    "/recalls",
    status_code=201,
    summary="Recall a lot",
    tags=["recalls"],
    response_model=RecallOut,
    response_model_by_alias=True,
    responses={
        400: UNREADABLE_BODY,
        401: _NO_TOKEN,
        403: problem_doc(
            403,
            "not-gtin-owner",
            "Not allowed",
            "GTIN 06901234000108 belongs to organisation 6901234000016 (GS1 Company Prefix 6901234), which has not "
            "delegated it to organisation 6901234000030: only its owner or a delegate may recall it",
        ),
        409: problem_doc(
            409, "conflict", "Conflict", "GTIN 06901234000108 lot 'LOT42' was recalled already (recall 1)"
        ),
        422: problem_doc(422, "invalid-request", "Invalid request", "body.gtin: Value error, invalid GTIN ..."),
    },
)
def post_recall(
    body: RecallRequest,
    session: SessionDep,
    platform: PlatformDep,
    principal: Annotated[Principal, Depends(get_principal)],
) -> RecallOut:
    """Recall a lot: the GTIN's owner on chain, an organisation it delegated the GTIN to, or the regulator, may
    (`403` `not-gtin-owner` or `gtin-owner-unknown` for others). From then on the resolver answers `410 Gone` for the
    lot and its serials. A lot is recalled once (`409` for a second recall).
    """
    org_id = None if principal.role == "regulator" else principal.org_id
    if org_id is not None:
        require_gtin_speaker_now(platform, org_id, CodeKey(body.gtin).gtin, doing=P_("recall"))
    recall = record_recall(
        session, org_id=org_id, gtin=body.gtin, lot=body.lot, reason=body.reason, now=time.time_ns() // 1_000_000
    )
    return RecallOut.of(recall)


@router.get(
    "/recalls",
    summary="Recalled lots",
    tags=["recalls"],
    responses={400: problem_doc(400, "invalid-parameter", "Invalid query parameter", "gtin: ...", parameter="gtin")},
)
def get_recalls(
    session: SessionDep,
    gtin: Annotated[str | None, Query(description="Only this GTIN")] = None,
    lot: Annotated[str | None, Query(description="Only this lot")] = None,
) -> dict[str, list[dict[str, Any]]]:
    """Every recall, newest first (public: consumers and retailers check it), optionally of one GTIN and lot."""
    if gtin is not None:
        code_key(gtin, lot)
    recalls = list_recalls(session, gtin=gtin, lot=lot)
    return {"recalls": [RecallOut.of(r).model_dump(by_alias=True) for r in recalls]}
