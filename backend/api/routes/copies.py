"""Routes: a serial's copied-code hint as its GTIN's owner (or the regulator) sees it, and their checks of it.

The consumer's product page warns that a serial's code may have been copied when the serial is looked up from many
address blocks over several days (:mod:`backend.services.scans`). The GTIN's owner on chain or its delegate (or the
regulator) reads what the page counts (``GET /copy-checks``), checks (its sales records, a complaint, the item), and
records what it found (``POST /copy-checks``): ``copied`` confirms the hint on the page whatever the scans;
``cleared`` makes the scans until then count no more, so that someone who fired look-ups at a genuine serial from
many places gains nothing lasting.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.api.deps import PlatformDep, Principal, SessionDep, get_principal
from backend.api.routes.events import INVALID_REQUEST, UNREADABLE_BODY, problem_doc
from backend.api.routes.qr import BAD_CODE, NO_TOKEN, code_key
from backend.core.errors import P_
from backend.models import CopyCheck
from backend.services.ownership import require_gtin_speaker_now
from backend.services.platform import Platform, now_ms
from backend.services.scans import (
    SCAN_DAY_BLOCKS,
    SCAN_WARN_BLOCKS,
    SCAN_WINDOW_DAYS,
    CopyState,
    copy_evidence,
    record_copy_check,
)
from supplychain.gs1 import parse_ai, parse_gtin

__all__ = ["CopyCheckOut", "CopyCheckRequest", "CopyEvidence", "router"]

router = APIRouter(prefix="/copy-checks", tags=["anti-counterfeit"], responses={422: INVALID_REQUEST})

_EXAMPLE_GTIN = "06901234000108"
_FOREIGN = problem_doc(
    403,
    "not-gtin-owner",
    "Not allowed",
    f"GTIN {_EXAMPLE_GTIN} belongs to organisation 6901234000016 (GS1 Company Prefix 6901234), which has not "
    "delegated it to organisation 6901234000030: only its owner or a delegate may check the copied-code hint of it",
    gtin=_EXAMPLE_GTIN,
    owner="6901234000016",
)
_UNKNOWN = problem_doc(
    404,
    "not-found",
    "Not found",
    f"serial '0009' of GTIN {_EXAMPLE_GTIN} was not issued here",
    gtin=_EXAMPLE_GTIN,
    serial="0009",
)
_STATE = (
    "`copied`: the code was copied (the page confirms the hint, whatever the scans); `cleared`: checked, the scans "
    "until now count no more"
)


class CopyCheckRequest(BaseModel):
    """What the issuer (or the regulator) found about one serial's code."""

    model_config = ConfigDict(extra="forbid")

    gtin: str = Field(description="GTIN with its check digit", examples=[_EXAMPLE_GTIN])
    serial: str = Field(description="Serial (AI 21) of an issued code", examples=["0001"])
    state: CopyState = Field(description=_STATE, examples=["cleared"])
    note: str = Field(
        "",
        max_length=500,
        description="What the check found, for the record (answered by `GET /copy-checks`, never on the page)",
        examples=["sold 2026-11-02 in our Nanjing shop; the buyer still has it"],
    )

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, value: str) -> str:
        return parse_gtin(value)

    @field_validator("serial")
    @classmethod
    def _serial(cls, value: str) -> str:
        return parse_ai("21", value)

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        bad = next((i for i, c in enumerate(value) if not c.isprintable() and c not in "\n\t"), None)
        if bad is not None:
            raise ValueError(f"control character U+{ord(value[bad]):04X} at {bad}: the note must be printable text")
        return value


class CopyCheckOut(BaseModel):
    """A recorded check of a serial."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: int
    gtin: str
    serial: str
    state: CopyState
    note: str
    checked_by: str = Field(alias="checkedBy", description="The organisation id, or 'regulator'")
    checked_at: int = Field(alias="checkedAt", description="Milliseconds since the epoch")

    @classmethod
    def of(cls, row: CopyCheck) -> CopyCheckOut:
        """From the table row."""
        state: CopyState = "copied" if row.state == "copied" else "cleared"
        return cls(
            id=row.id or 0,
            gtin=row.gtin,
            serial=row.serial,
            state=state,
            note=row.note,
            checked_by=row.org_id,
            checked_at=row.checked_at,
        )


class CopyEvidence(BaseModel):
    """A serial's scans as its page counts them now, and its latest check."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    gtin: str
    serial: str
    lot: str | None = Field(description="The lot it was issued under")
    hint: Literal["none", "suspected", "confirmed"] = Field(
        description="What the page shows: no hint, `suspected` (looked up from enough blocks over enough days), "
        "`confirmed` (the latest check is `copied`)"
    )
    look_ups: int = Field(alias="lookUps", description="Look-ups within the window (one per network and day)")
    networks: int = Field(description="Distinct networks (/24, /48) within the window")
    blocks: int = Field(description="Address blocks (/16, /32) counted toward the hint")
    blocks_needed: int = Field(alias="blocksNeeded", description="Blocks that raise the hint")
    blocks_per_day: int = Field(alias="blocksPerDay", description="New blocks one day may add, at most")
    days: int = Field(description="Days on which blocks were counted")
    window_days: int = Field(alias="windowDays", description="Look-ups older than this many days count no more")
    first_at: int | None = Field(alias="firstAt", description="The first look-up ever (ms), null when none")
    check: CopyCheckOut | None = Field(description="The latest check, null when none")


def _org(principal: Principal) -> str | None:
    return None if principal.role == "regulator" else principal.org_id


def _may_check(platform: Platform, principal: Principal, gtin: str) -> None:
    """The regulator may check any serial; an organisation, those of GTINs it owns on chain or was delegated."""
    org_id = _org(principal)
    if org_id is not None:
        require_gtin_speaker_now(platform, org_id, gtin, doing=P_("check the copied-code hint of"))


@router.get(
    "",
    summary="A serial's copied-code hint and its latest check",
    response_model=CopyEvidence,
    responses={400: BAD_CODE, 401: NO_TOKEN, 403: _FOREIGN, 404: _UNKNOWN},
)
def get_copy_check(
    session: SessionDep,
    platform: PlatformDep,
    principal: Annotated[Principal, Depends(get_principal)],
    gtin: Annotated[str, Query(description="GTIN with check digit", examples=[_EXAMPLE_GTIN])],
    serial: Annotated[str, Query(description="Serial (AI 21)", examples=["0001"])],
) -> CopyEvidence:
    """What the serial's product page counts now (without counting a look-up) and its latest check: for the
    GTIN's owner on chain or its delegate, or the regulator (`403` for another organisation, `404` for a serial
    never issued here)."""
    key = code_key(gtin, None, serial)
    _may_check(platform, principal, key.gtin)
    issued, stats, latest = copy_evidence(session, gtin=key.gtin, serial=serial, now=now_ms())
    hint: Literal["none", "suspected", "confirmed"] = (
        "confirmed" if stats.confirmed else "suspected" if stats.too_spread else "none"
    )
    return CopyEvidence(
        gtin=issued.gtin,
        serial=serial,
        lot=issued.lot,
        hint=hint,
        look_ups=stats.scans,
        networks=stats.places,
        blocks=stats.blocks,
        blocks_needed=SCAN_WARN_BLOCKS,
        blocks_per_day=SCAN_DAY_BLOCKS,
        days=stats.days,
        window_days=SCAN_WINDOW_DAYS,
        first_at=stats.first_at,
        check=CopyCheckOut.of(latest) if latest is not None else None,
    )


@router.post(
    "",
    status_code=201,
    summary="Confirm or clear a serial's copied-code hint",
    response_model=CopyCheckOut,
    responses={400: UNREADABLE_BODY, 401: NO_TOKEN, 403: _FOREIGN, 404: _UNKNOWN},
)
def post_copy_check(
    body: CopyCheckRequest,
    session: SessionDep,
    platform: PlatformDep,
    principal: Annotated[Principal, Depends(get_principal)],
) -> CopyCheckOut:
    """Record what the GTIN's owner or its delegate (or the regulator) found: `copied` shows the page's
    warning as confirmed from now on, whatever the scans; `cleared` makes the look-ups until now count no more
    toward the hint (it appears again only if the serial is again looked up from enough blocks over enough days).
    The latest check is in force; every check is kept. `403` for another organisation, `404` for a serial never
    issued here."""
    _may_check(platform, principal, code_key(body.gtin, None, body.serial).gtin)
    row = record_copy_check(
        session,
        org_id=_org(principal),
        gtin=body.gtin,
        serial=body.serial,
        state=body.state,
        note=body.note,
        now=now_ms(),
    )
    return CopyCheckOut.of(row)
