"""Routes: the green supply-chain leader's view and the authorities' view.

Leader (a manufacturer's own token, or the regulator's): the qualified-supplier list, the green-supply-chain report
(JSON or a page with a chart), the leader's page. Public, like published government lists and the trace routes:
recognised units, spot checks due and exempt, a seeded sample anyone can re-derive, and the impact list of a
suspended or revoked recognition. Pages are zh-CN first, English with ``lang=en``
(:mod:`backend.services.green_pages` builds them from templates).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from backend.api.deps import PlatformDep, Principal, SessionDep, get_principal
from backend.api.routes.events import INVALID_REQUEST, problem_doc
from backend.core.errors import P_, ForbiddenError, UnavailableError, quoted
from backend.core.integers import UINT256_MAX
from backend.services import green_pages, green_params, green_views
from backend.services.platform import Platform
from backend.services.queries import BadParameterError
from supplychain.registry import RecognitionStatus, RegistryMirror

__all__ = ["router"]

router = APIRouter(tags=["green"], responses={422: INVALID_REQUEST})

_ORG = "6901234000016"
_NO_TOKEN = problem_doc(
    401, "unauthorized", "Authentication required", "send an API token as 'Authorization: Bearer <token>'"
)
_OTHER_TOKEN = problem_doc(
    403,
    "forbidden",
    "Not allowed",
    f"a token of organisation 6901234000030 cannot read the views of {_ORG}: use {_ORG}'s own token or the regulator's",
)
_UNKNOWN_ORG = problem_doc(
    404,
    "not-found",
    "Not found",
    "organisation 6901234000023 is not registered on chain and signed no stored event",
    organisation="6901234000023",
)
_NO_CHAIN = problem_doc(
    503, "unavailable", "Service unavailable", "the registry was never read: the chain cannot be reached"
)


def _bad(parameter: str, detail: str) -> dict[str, Any]:
    return problem_doc(
        400, "invalid-parameter", "Invalid query parameter", f"{parameter}: {detail}", parameter=parameter
    )


def _mirror(platform: Platform) -> RegistryMirror:
    mirror = platform.registry.refresh(wait=False)
    if platform.registry.refreshed_at == 0:
        raise UnavailableError(P_("the registry was never read: the chain cannot be reached; try again later"))
    return mirror


def _authorise(principal: Principal, org: str) -> None:
    if principal.role != "regulator" and principal.org_id != org:
        raise ForbiddenError(
            P_(
                "a token of organisation {caller} cannot read the views of {organisation}: use {organisation}'s own "
                "token or the regulator's",
                caller=principal.org_id,
                organisation=org,
            ),
            organisation=org,
        )


def _leader(
    platform: Platform, session: SessionDep, principal: Principal, org: str, parameter: str = "org"
) -> tuple[RegistryMirror, int]:
    """Checks, in order: the id's form (400), the caller (403), that the organisation is known (404)."""
    green_params.parse_org(org, parameter)
    _authorise(principal, org)
    mirror = _mirror(platform)
    green_views.check_organisation(session, mirror, org, parameter)
    return mirror, green_views.chain_now(platform)


def _at(value: str | None, now: int) -> int:
    if value is None:
        return now
    t = green_params.parse_moment(value, "at")
    if t > now:
        raise BadParameterError(
            "at", P_("{value} is in the future: the registry can only answer up to now", value=quoted(value, 40))
        )
    return t


def _wants_html(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        if fmt not in ("json", "html"):
            raise BadParameterError("format", P_("expected json or html, got {value}", value=quoted(fmt, 20)))

        return fmt == "html"
    best = {"html": 0.0, "json": 0.0}
    for item in request.headers.get("accept", "").split(","):
        media, *params = (p.strip().lower() for p in item.split(";"))
        q = next((float(p[2:]) for p in params if p.startswith("q=") and p[2:].replace(".", "", 1).isdigit()), 1.0)
        key = "html" if media in ("text/html", "application/xhtml+xml") else "json"
        best[key] = max(best[key], q)
    return best["html"] > best["json"]


# --- the leader's view ---

_SUPPLIERS_EXAMPLE = {
    "organisation": _ORG,
    "at": "2026-03-01T08:00:00Z",
    "warnDays": 90,
    "rule": {"code": "prefer-recognised-green-factories", "zh": "优先纳入绿色工厂为合格供应商：…", "en": "Prefer …"},
    "suppliers": [
        {
            "rank": 1,
            "organisationId": "91320200MA1MX7K3GD",
            "region": {"division": "320200", "province": "32", "nameZh": "江苏省", "nameEn": "Jiangsu"},
            "preference": "preferred",
            "preferred": True,
            "recognitions": [
                {
                    "recognitionId": 1,
                    "kind": "green_factory",
                    "level": "provincial",
                    "status": "in_force",
                    "statusAtLastSupply": "in_force",
                    "expiresInDays": 61,
                    "spotChecks": [{"at": "2025-10-09T02:00:00Z", "passed": True, "reportHash": "0x…"}],
                    "passesInARow": 1,
                    "warnings": ["expires_soon"],
                }
            ],
            "supplies": [
                {
                    "identifier": "https://id.gs1.org/01/06923456000209/10/XC-A",
                    "quantity": 500,
                    "uom": "KGM",
                    "suppliedAt": "2026-02-01T00:00:00Z",
                    "basis": "shipping",
                    "green": True,
                    "recognitions": [1],
                }
            ],
            "warnings": ["expires_soon"],
        }
    ],
    "unknownOrigin": [],
    "truncated": False,
}


@router.get(
    "/organisations/{org}/suppliers",
    summary="Qualified-supplier list of a manufacturer (合格供应商名录)",
    responses={
        200: {
            "description": "The list, by the preference rule",
            "content": {"application/json": {"example": _SUPPLIERS_EXAMPLE}},
        },
        400: _bad("org", "invalid GLN '6901234000017': check digit 6 expected"),
        401: _NO_TOKEN,
        403: _OTHER_TOKEN,
        404: _UNKNOWN_ORG,
        503: _NO_CHAIN,
    },
)
def get_suppliers(
    session: SessionDep,
    platform: PlatformDep,
    principal: Annotated[Principal, Depends(get_principal)],
    org: Annotated[str, Path(description="The manufacturer's GLN or USCC", examples=[_ORG])],
    warn_days: Annotated[
        str | None, Query(alias="warnDays", description="Warn of recognitions ending within this many days (0-3650)")
    ] = None,
) -> dict[str, Any]:
    """The suppliers of a manufacturer, found in its own signed events: the makers of the inputs of its
    transformation events and of what its receiving events name (a logistic unit stands for its contents). For
    each: its recognitions, their status now (`status`) and when it last supplied (`statusAtLastSupply`), expiry
    warnings (`expiresInDays`, `warnings`: `expires_soon`, `suspended`, `revoked`, `expired`,
    `lapsed_since_supply`, `spot_check_failed`), its spot-check history and exemption, and each supply (green when
    the supplier then held a green-factory or green-product recognition in force covering the item; the recognition
    the supplier's shipping event cited, with its status as checked at capture).

    The rule "prefer recognised green factories" (优先纳入绿色工厂为合格供应商) orders the list and is stated in
    `rule`: `preferred` (a green recognition in force now; national before provincial before city, then grade), then
    `review` (its green recognition lapsed, or was in force only when it supplied), then `not_recognised`; each
    supplier says why (`explanation`).

    The manufacturer's own token or the regulator's. `400` for a malformed id, `403` for another organisation's
    token, `404` for an organisation neither registered nor known from stored events.
    """
    mirror, now = _leader(platform, session, principal, org)
    return green_views.suppliers_json(session, mirror, org, now, warn_days=green_params.parse_warn_days(warn_days))


_REPORT_EXAMPLE = {
    "organisation": _ORG,
    "from": "2025-12-31T16:00:00Z",
    "to": "2026-03-31T16:00:00Z",
    "lots": [
        {
            "identifier": "https://id.gs1.org/01/06901234000108/10/LY-1",
            "madeAt": "2026-02-02T00:00:00Z",
            "share": 0.75,
            "shareExact": "3/4",
            "unit": "KGM",
            "greenQuantity": 75,
            "totalQuantity": 100,
            "inputs": [{"identifier": "…", "supplier": "91320200MA1MX7K3GD", "status": "green", "rolledUp": None}],
        }
    ],
    "totals": [{"unit": "KGM", "share": 0.75, "greenQuantity": 75, "totalQuantity": 100, "lots": 1}],
    "inputs": [],
    "suppliers": ["91320200MA1MX7K3GD"],
    "lapses": [
        {"recognitionId": 1, "holder": "91320200MA1MX7K3GD", "status": "suspended", "at": "2026-02-15T00:00:00Z"}
    ],
}
_PAGE = {"text/html": {"example": "<!DOCTYPE html>…"}}


@router.get(
    "/reports/green-supply-chain",
    summary="Green-supply-chain report of a manufacturer for a period (JSON or a page with a chart)",
    responses={
        200: {
            "description": "The report: JSON, or HTML for `Accept: text/html` or `format=html`",
            "content": {"application/json": {"example": _REPORT_EXAMPLE}, **_PAGE},
        },
        400: _bad("to", "the period is empty: 'to' (2026-01-01T00:00:00Z) is not after 'from' (2026-03-01T00:00:00Z)"),
        401: _NO_TOKEN,
        403: _OTHER_TOKEN,
        404: _UNKNOWN_ORG,
        503: _NO_CHAIN,
    },
)
def get_report(
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    principal: Annotated[Principal, Depends(get_principal)],
    organisation: Annotated[str, Query(description="The manufacturer's GLN or USCC", examples=[_ORG])],
    start: Annotated[
        str | None,
        Query(alias="from", description="First day (YYYY-MM-DD, China Standard Time) or RFC 3339 date-time"),
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", description="Last day (included) or RFC 3339 date-time (excluded)")
    ] = None,
    fmt: Annotated[str | None, Query(alias="format", description="json or html (default: by Accept)")] = None,
    lang: Annotated[str | None, Query(description="Page language: zh-CN (the default; zh too) or en")] = None,
) -> Response:
    """The report of a manufacturer for a period (default: the 365 days up to the end of today, China Standard
    Time; at most 3660 days):

    - `lots`: what it made in the period (outputs of its transformation events; a lot stands for its serials), each
      with the green share of its inputs: by quantity, from suppliers recognised (green factory or green product,
      in force, covering the input) at the time they supplied, rolled up through multi-level transformations
      (`inputs[].rolledUp`); units are never mixed (`incomparable`);
    - `totals`: per unit, the lots' green and total input quantities added up;
    - `inputs`: what suppliers supplied and it took in during the period;
    - `lapses`: recognitions of its suppliers (and of every maker upstream) suspended, revoked or expired in the
      period.

    `Accept: text/html` or `format=html`: a page with a chart (inline SVG), zh-CN first, `lang=en` for English.
    The manufacturer's own token or the regulator's. `400` names the bad parameter (`from`, `to`, `format`,
    `lang`).
    """
    html = _wants_html(request, fmt)
    language = green_params.parse_lang(lang)
    mirror, now = _leader(platform, session, principal, organisation, "organisation")
    begin, stop = green_params.parse_period(start, end, now)
    report = green_views.report_json(session, mirror, organisation, start=begin, end=stop, now=now)
    if not html:
        return JSONResponse(report)
    query = dict(request.query_params)
    return HTMLResponse(green_pages.report_page(report, language, path=request.url.path, query=query))


_IMPACT_EXAMPLE = {
    "recognitionId": 1,
    "holder": "91320200MA1MX7K3GD",
    "lapsedAt": "2026-02-15T00:00:00Z",
    "lapsed": True,
    "supplied": [{"identifier": "https://id.gs1.org/01/06923456000209/10/XC-B", "suppliedAt": "2026-02-20T00:00:00Z"}],
    "lots": ["https://id.gs1.org/01/06901234000108/10/LY-2"],
    "serials": ["https://id.gs1.org/01/06901234000108/21/0042"],
    "items": [
        {
            "identifier": "https://id.gs1.org/01/06901234000108/21/0042",
            "kind": "serial",
            "fromInput": "https://id.gs1.org/01/06923456000209/10/XC-B",
            "madeBy": _ORG,
            "lastSeen": {"bizStep": "retail_selling", "location": "https://id.gs1.org/414/6901234000030"},
        }
    ],
}


@router.get(
    "/recognitions/{recognition_id}/impact",
    summary="Impact list of a suspended or revoked recognition (lots and serials made after the lapse)",
    responses={
        200: {"description": "The impact list", "content": {"application/json": {"example": _IMPACT_EXAMPLE}}},
        400: _bad("organisation", "length 5: expected a GLN (13 digits) or a unified social credit code (18)"),
        404: problem_doc(404, "not-found", "Not found", "recognition 99 was never issued (the registry holds 4)"),
        422: problem_doc(422, "invalid-request", "Invalid request", "path.recognition_id: Input should be >= 1"),
        503: _NO_CHAIN,
    },
)
def get_impact(
    session: SessionDep,
    platform: PlatformDep,
    recognition_id: Annotated[
        int, Path(ge=1, le=UINT256_MAX, description="The recognition's id on chain (at most 2**256 - 1)")
    ],
    organisation: Annotated[
        str | None, Query(description="Only items this organisation made or holds last (GLN or USCC)")
    ] = None,
) -> dict[str, Any]:
    """When a recognition lapsed (suspended or revoked, or its validity ended): every item its holder supplied at
    or after the lapse (`supplied`), everything made with those items through any number of transformations and
    the containers they travelled in (`items`, with `lots` and `serials` listed apart), and where each was last
    seen (`lastSeen`: event, bizStep, location, organisation). A recognition still in force impacts nothing
    (`lapsed: false`).

    Public, like the forward trace (a recall list must reach everyone). `organisation` keeps the items that
    organisation made or holds last. `404` for a recognition never issued.
    """
    if organisation is not None:
        green_params.parse_org(organisation, "organisation")
    mirror = _mirror(platform)
    return green_views.impact_json(
        session, mirror, recognition_id, green_views.chain_now(platform), organisation=organisation
    )


@router.get(
    "/leader/{org}",
    summary="The leader's page: qualified suppliers, green share, impact lists (HTML)",
    response_class=HTMLResponse,
    responses={
        200: {"description": "The page (zh-CN; `lang=en` for English)", "content": _PAGE},
        400: _bad("lang", "unknown language 'fr'; expected zh-CN (the default) or en"),
        401: _NO_TOKEN,
        403: _OTHER_TOKEN,
        404: _UNKNOWN_ORG,
        503: _NO_CHAIN,
    },
)
def get_leader_page(
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    principal: Annotated[Principal, Depends(get_principal)],
    org: Annotated[str, Path(description="The manufacturer's GLN or USCC", examples=[_ORG])],
    start: Annotated[str | None, Query(alias="from", description="First day of the report's period")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last day of the report's period")] = None,
    lang: Annotated[str | None, Query(description="zh-CN (the default; zh too) or en")] = None,
) -> HTMLResponse:
    """One page for a green supply-chain leader (mobile-friendly, no script): its qualified-supplier list with the
    preference rule made visible, the green-supply-chain report's summary and chart for the period (default: the
    last 365 days), and the impact list of every suspended or revoked recognition of its suppliers and of the makers
    upstream of its lots (its own products marked). The manufacturer's own token or the regulator's.
    """
    language = green_params.parse_lang(lang)
    mirror, now = _leader(platform, session, principal, org)
    begin, stop = green_params.parse_period(start, end, now)
    suppliers = green_views.suppliers_json(session, mirror, org, now)
    report = green_views.report_json(session, mirror, org, start=begin, end=stop, now=now)
    holders = dict.fromkeys([s["organisationId"] for s in suppliers["suppliers"]] + report["suppliers"])
    lapsed = (RecognitionStatus.SUSPENDED, RecognitionStatus.REVOKED)
    wanted = [r.recognition_id for holder in holders for r in mirror.recognitions_of(holder) if r.status in lapsed][:10]
    impacts = [green_views.impact_json(session, mirror, rid, now, organisation=org) for rid in wanted]
    page = green_pages.leader_page(
        suppliers, report, impacts, language, path=request.url.path, query=dict(request.query_params)
    )
    return HTMLResponse(page)


# --- the authorities' view ---

_RECOGNITIONS_EXAMPLE = {
    "at": "2026-03-01T08:00:00Z",
    "filters": {"kind": "green_factory", "level": "provincial", "region": "江苏省", "status": "in_force"},
    "count": 1,
    "recognitions": [
        {
            "recognitionId": 1,
            "holder": "91320200MA1MX7K3GD",
            "holderRegion": {"division": "320200", "province": "32", "nameZh": "江苏省", "nameEn": "Jiangsu"},
            "kind": "green_factory",
            "kindZh": "绿色工厂",
            "level": "provincial",
            "levelZh": "省级",
            "status": "in_force",
            "validUntil": "2028-12-31T16:00:00Z",
        }
    ],
}
_AT = Query(description="The time to answer for (RFC 3339 or a date; default now); not in the future")


@router.get(
    "/recognitions",
    summary="Recognised units by kind, level, region and status (the published lists)",
    responses={
        200: {"description": "The list", "content": {"application/json": {"example": _RECOGNITIONS_EXAMPLE}}},
        400: _bad("kind", "unknown recognition kind 'factory'; expected one of green_factory, green_product, …"),
        503: _NO_CHAIN,
    },
)
def get_recognitions(
    platform: PlatformDep,
    kind: Annotated[
        str | None, Query(description="green_factory, green_product, green_park or green_supply_chain (or 1-4)")
    ] = None,
    level: Annotated[str | None, Query(description="city, provincial or national (or 1-3)")] = None,
    region: Annotated[
        str | None, Query(description="2-6 digits of a division code (32, 3202), a province (江苏, Jiangsu), 'unknown'")
    ] = None,
    status: Annotated[
        str | None, Query(description="in_force (default), suspended, revoked, expired, not_yet_valid or all")
    ] = None,
    at: Annotated[str | None, _AT] = None,
) -> dict[str, Any]:
    """Recognitions as on chain, like the lists the authorities publish (公示名单): by kind, level, region and
    status at `at` (default now), in the order issued. Public.

    The region is read from the holder's unified social credit code (its administrative division code: province,
    city, county); a holder identified by a GLN has region `unknown`.
    """
    filters = (
        green_params.parse_kind(kind),
        green_params.parse_level(level),
        green_params.parse_region(region),
        green_params.parse_standing(status),
    )
    mirror = _mirror(platform)
    t = _at(at, green_views.chain_now(platform))
    return green_views.recognitions_json(
        mirror, t, kind=filters[0], level=filters[1], region=filters[2], standing=filters[3]
    )


@router.get(
    "/spot-checks",
    summary="Spot checks due and exempt (three passes in a row exempt for five years)",
    responses={
        200: {"description": "Recognitions in the state asked for"},
        400: _bad("state", "unknown spot-check state 'late'; expected one of due, exempt, checked, not_in_force, all"),
        503: _NO_CHAIN,
    },
)
def get_spot_checks(
    platform: PlatformDep,
    state: Annotated[str | None, Query(description="due (default), exempt, checked, not_in_force or all")] = None,
    at: Annotated[str | None, _AT] = None,
) -> dict[str, Any]:
    """Each recognition's spot-check state at `at` (default now), with its checks, passes in a row and exemption:

    - `due`: in force, not exempt, and never spot-checked or last checked 365 days or more ago (`dueSince`);
    - `exempt`: inside an exemption the registry granted (three passes in a row exempt it for five years; a failed
      check ends the exemption);
    - `checked`: in force, not exempt, checked within the last 365 days;
    - `not_in_force`: suspended, revoked, expired or not yet valid.

    Public.
    """
    states, label = green_params.parse_check_states(state)
    mirror = _mirror(platform)
    return green_views.spot_checks_json(mirror, _at(at, green_views.chain_now(platform)), states, label)


@router.get(
    "/spot-checks/sample",
    summary="A reproducible random sample of units to spot-check (seeded)",
    responses={
        200: {
            "description": "The sample, with the seed, the eligible population and the algorithm",
            "content": {
                "application/json": {
                    "example": {
                        "seed": "2026-Q1",
                        "size": 2,
                        "at": "2026-03-01T08:00:00Z",
                        "atUnix": 1772352000,
                        "algorithm": {"name": "sha256-rank-v1", "description": green_views.SAMPLE_DESCRIPTION},
                        "eligible": [1, 3, 4],
                        "eligibleCount": 3,
                        "drawn": [{"rank": "0b5b44…", "recognitionId": 4}, {"rank": "0b7880…", "recognitionId": 1}],
                    }
                }
            },
        },
        400: _bad("size", "expected a whole number from 1 to 1000, got 0"),
        503: _NO_CHAIN,
    },
)
def get_sample(
    platform: PlatformDep,
    seed: Annotated[str | None, Query(description="Any text of 1-128 characters, e.g. a publicly drawn number")] = None,
    size: Annotated[str | None, Query(description="How many to draw, 1-1000")] = None,
    kind: Annotated[str | None, Query(description="Only this kind")] = None,
    level: Annotated[str | None, Query(description="Only this level")] = None,
    region: Annotated[str | None, Query(description="Only this region")] = None,
    at: Annotated[str | None, _AT] = None,
) -> dict[str, Any]:
    """A seeded random sample (双随机抽查) that anyone can re-derive from the chain:

    1. the eligible population: every recognition in force at `at` and not exempt from spot checks then, narrowed
       by `kind`, `level` and `region` (the answer lists their ids, `eligible`);
    2. rank each by the lowercase hex SHA-256 of the UTF-8 text `"{seed}:{recognitionId}"`;
    3. the sample is the `size` lowest ranks (fewer when fewer are eligible).

    The answer echoes the seed, `at` (also as Unix seconds), the population and the algorithm. Public.
    """
    chosen_seed, chosen_size = green_params.parse_seed(seed), green_params.parse_size(size)
    filters = green_params.parse_kind(kind), green_params.parse_level(level), green_params.parse_region(region)
    mirror = _mirror(platform)
    t = _at(at, green_views.chain_now(platform))
    return green_views.sample_json(
        mirror, t, chosen_seed, chosen_size, kind=filters[0], level=filters[1], region=filters[2]
    )
