"""Routes: the first-use GTIN claims that migration 0005 listed, for the regulator to confirm or strike."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from backend.api.deps import PlatformDep, RegulatorDep, SessionDep
from backend.api.routes.events import INVALID_REQUEST, UNREADABLE_BODY, problem_doc
from backend.core.integers import INT64_MAX
from backend.services.claims import CLAIM_STATUSES, claim_json, decide_claim, list_claims
from backend.services.ownership import speaking_mirror

__all__ = ["router"]

router = APIRouter(tags=["gtin claims"], responses={422: INVALID_REQUEST})

_UNAUTHORIZED = problem_doc(
    401, "unauthorized", "Authentication required", "send an API token as 'Authorization: Bearer <token>'"
)
_FORBIDDEN = problem_doc(403, "forbidden", "Not allowed", "this route is for the regulator")
_NO_CHAIN = problem_doc(503, "unavailable", "Service unavailable", "the registry has never been read: ...")
_EXAMPLE = {
    "id": 1,
    "gtin": "06901234009910",
    "organisationId": "6901234000030",
    "firstIssuedAt": 1767225600000,
    "codes": 10,
    "recalls": 1,
    "status": "PENDING",
    "decidedAt": None,
    "note": "",
    "ownerOnChain": "91320200MA1MX7K3GD",
    "companyPrefix": "6901234",
    "agreesWithChain": False,
}


class Decision(BaseModel):
    """The regulator's decision on a pending claim."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["confirm", "strike"] = Field(
        description="`confirm` keeps the claim's codes and recalls; `strike` withdraws them (the resolver then "
        "answers its codes as never issued)"
    )
    note: str = Field(default="", max_length=500, description="Why, for the record")


@router.get(
    "/gtin-claims",
    summary="First-use GTIN claims from before company prefixes were on chain (regulator)",
    responses={
        200: {"content": {"application/json": {"example": {"claims": [_EXAMPLE], "next": None}}}},
        401: _UNAUTHORIZED,
        403: _FORBIDDEN,
        503: _NO_CHAIN,
    },
)
def get_claims(
    session: SessionDep,
    platform: PlatformDep,
    _regulator: RegulatorDep,
    status: Annotated[Literal["PENDING", "CONFIRMED", "STRUCK"] | None, Query(description="Only these")] = None,
    after: Annotated[int, Query(ge=0, le=INT64_MAX, description="Claims with a greater id (paging)")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many")] = 100,
) -> dict[str, Any]:
    """Until migration 0005 a GTIN belonged to the first organisation that issued a code for it. Each such claim
    (GTIN, organisation) is listed here with how many codes and recalls it made, the GTIN's owner on chain now
    (`ownerOnChain`, `companyPrefix`) and whether the claim agrees with it (`agreesWithChain`: the claimant owns the
    GTIN or is its delegate). `next` is the `after` of the next page, `null` on the last."""
    assert status is None or status in CLAIM_STATUSES  # noqa: S101 - the Literal above
    mirror, now = speaking_mirror(platform)
    claims = list_claims(session, status=status, after=after, limit=limit)
    last = claims[-1].id if len(claims) == limit else None
    return {"claims": [claim_json(c, mirror, now) for c in claims], "next": last}


@router.post(
    "/gtin-claims/{claim_id}",
    summary="Confirm or strike a first-use GTIN claim (regulator)",
    responses={
        200: {"content": {"application/json": {"example": {**_EXAMPLE, "status": "STRUCK"}}}},
        400: UNREADABLE_BODY,
        401: _UNAUTHORIZED,
        403: _FORBIDDEN,
        404: problem_doc(404, "not-found", "Not found", "there is no GTIN claim 9"),
        409: problem_doc(409, "conflict", "Conflict", "GTIN claim 1 was decided already (STRUCK at 1767225600000)"),
        503: _NO_CHAIN,
    },
)
def post_decision(
    body: Decision,
    session: SessionDep,
    platform: PlatformDep,
    _regulator: RegulatorDep,
    claim_id: Annotated[int, Path(ge=1, le=INT64_MAX, description="The claim's id")],
) -> dict[str, Any]:
    """Decide a pending claim once: `confirm` keeps it as it is; `strike` withdraws its codes (the resolver and the
    product pages answer them as never issued) and its recalls. New codes of a GTIN always need its owner on chain
    or a delegate, whatever the claims say."""
    mirror, now = speaking_mirror(platform)
    claim = decide_claim(session, claim_id, body.decision, body.note, time.time_ns() // 1_000_000)
    return claim_json(claim, mirror, now)
