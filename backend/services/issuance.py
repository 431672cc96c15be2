"""Issued codes and recalls in the database: what the platform printed, what the resolver answers, what is recalled.

Rules:
    * Only a GTIN's owner on chain (the holder of its GS1 Company Prefix) or an organisation it delegated the GTIN to
      may issue its codes or recall its lots: the routes ask :mod:`backend.services.ownership` first. Several
      organisations may thus hold codes of one GTIN (the owner and its contract manufacturers).
    * Before company prefixes were on chain, first use was the claim; migration 0005 listed those claims
      (:class:`~backend.models.GtinClaim`). A claim the regulator struck no longer counts: its codes are answered as
      never issued, its recalls are withdrawn.
    * One ``IssuedCode`` row per lot code (``serial`` empty) or per serial; issuing again what is issued already is
      a no-op, so a client may retry. A serial is unique per GTIN (as in an SGTIN): issuing it again under another
      lot is a ``409``.
    * The resolver answers a code when it was issued: a serial that was issued (under the lot in the link, or under
      any lot when the link has none); a lot or a GTIN of which any code was issued.
    * A lot is recalled by the GTIN's owner or delegate, or by the regulator; the resolver then answers ``410``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backend.core.errors import P_, ConflictError, ForbiddenError, NotFoundError
from backend.models import GtinClaim, IssuedCode, Recall, table_of
from backend.services.damage import issued_code_problem, report
from backend.services.qr import CodeKey

__all__ = [
    "REGULATOR",
    "IssueOutcome",
    "count_codes",
    "find_issued",
    "find_recall",
    "issue_codes",
    "list_codes",
    "list_recalls",
    "record_recall",
]

REGULATOR = "regulator"
"""``Recall.org_id`` of a recall made by the regulator (who has no organisation id)."""


@dataclass(frozen=True, slots=True)
class IssueOutcome:
    """What one issue request produced: every code asked for, in order, and how many were new."""

    codes: list[CodeKey]
    created: int


def _lot_is(lot: str | None) -> ColumnElement[bool]:
    return col(IssuedCode.lot).is_(None) if lot is None else col(IssuedCode.lot) == lot


def _struck(gtin: Any, org_id: Any) -> ColumnElement[bool]:
    """Whether the regulator struck the first-use claim of ``org_id`` on ``gtin`` (columns of the outer query)."""
    return exists().where(
        col(GtinClaim.gtin) == gtin, col(GtinClaim.org_id) == org_id, col(GtinClaim.status) == "STRUCK"
    )


def issue_codes(
    session: Session,
    *,
    org_id: str,
    gtin: str,
    lot: str | None,
    serials: Sequence[str] | None,
    now: int,
    _again: bool = False,
) -> IssueOutcome:
    """Record the codes of one issue request and commit; ``serials=None`` issues the lot code (or the GTIN code).

    Raises:
        DigitalLinkError: A bad GTIN, lot or serial (via :class:`CodeKey`).
        ConflictError: A serial was issued already under another lot.

    The caller checks first that ``org_id`` may speak for the GTIN
    (:func:`backend.services.ownership.require_gtin_speaker`).
    """
    if serials is None:
        key = CodeKey(gtin, lot)
        exists = session.exec(
            select(IssuedCode.id).where(
                col(IssuedCode.gtin) == key.gtin, _lot_is(lot), col(IssuedCode.serial).is_(None)
            )
        ).first()
        if exists is None:
            session.add(IssuedCode(gtin=key.gtin, lot=lot, serial=None, org_id=org_id, created_at=now))
            session.commit()
        return IssueOutcome([key], 0 if exists is not None else 1)

    codes = [CodeKey(gtin, lot, s) for s in dict.fromkeys(serials)]
    gtin14 = codes[0].gtin if codes else CodeKey(gtin).gtin
    issued = dict(
        session.exec(
            select(IssuedCode.serial, IssuedCode.lot).where(
                col(IssuedCode.gtin) == gtin14, col(IssuedCode.serial).is_not(None)
            )
        ).all()
    )
    clashes = [c.serial for c in codes if c.serial in issued and issued[c.serial] != lot]
    if clashes:
        shown = ", ".join(repr(s) for s in clashes[:5])
        listed = P_("{serials} and {more} more", serials=shown, more=len(clashes) - 5) if len(clashes) > 5 else shown
        raise ConflictError(
            P_(
                "serial(s) {serials} of GTIN {gtin} were issued already under another lot; a serial is unique per GTIN",
                serials=listed,
                gtin=gtin14,
            ),
            serials=clashes[:100],
        )
    rows = [
        {"gtin": gtin14, "lot": lot, "serial": c.serial, "org_id": org_id, "created_at": now}
        for c in codes
        if c.serial not in issued
    ]
    if rows:
        try:
            session.exec(insert(table_of(IssuedCode)), params=rows)
            session.commit()
        except IntegrityError:  # a concurrent request issued some of them first: look again
            session.rollback()
            if _again:
                raise
            return issue_codes(session, org_id=org_id, gtin=gtin, lot=lot, serials=serials, now=now, _again=True)
    return IssueOutcome(codes, len(rows))


def find_issued(session: Session, key: CodeKey) -> IssuedCode | None:
    """The first issued row that makes ``key`` an issued code (see the module rules), or None."""
    query = select(IssuedCode).where(
        col(IssuedCode.gtin) == key.gtin, ~_struck(col(IssuedCode.gtin), col(IssuedCode.org_id))
    )
    if key.serial is not None:
        query = query.where(col(IssuedCode.serial) == key.serial)
    if key.lot is not None:
        query = query.where(col(IssuedCode.lot) == key.lot)
    return session.exec(query.order_by(col(IssuedCode.id)).limit(1)).first()


def _owned(session: Session, org_id: str, gtin: str, lot: str | None) -> ColumnElement[bool]:
    where = and_(col(IssuedCode.gtin) == gtin, _lot_is(lot))
    mine = session.exec(select(IssuedCode.id).where(where, col(IssuedCode.org_id) == org_id).limit(1)).first()
    if mine is None:
        anyone = session.exec(select(IssuedCode.org_id).where(where).limit(1)).first()
        what = (
            P_("GTIN {gtin} lot {lot}", gtin=gtin, lot=repr(lot))
            if lot is not None
            else P_("GTIN {gtin} without a lot", gtin=gtin)
        )
        if anyone is None:
            raise NotFoundError(P_("no codes were issued for {what}", what=what), gtin=gtin, lot=lot)
        raise ForbiddenError(
            P_("the codes of {what} were issued by another organisation", what=what), gtin=gtin, lot=lot
        )

    return and_(where, col(IssuedCode.org_id) == org_id)


def count_codes(session: Session, *, org_id: str, gtin: str, lot: str | None) -> int:
    """How many codes the organisation issued for the GTIN and lot (404 or 403 when it issued none)."""
    where = _owned(session, org_id, gtin, lot)
    return session.exec(select(func.count()).select_from(IssuedCode).where(where)).one()


def list_codes(
    session: Session, *, org_id: str, gtin: str, lot: str | None, offset: int = 0, limit: int = 100_000
) -> list[CodeKey]:
    """The organisation's codes of a GTIN and lot (``lot=None``: those without a lot), in issue order.

    Raises:
        NotFoundError: Nobody issued codes for it.
        ForbiddenError: Another organisation did.
    """
    where = _owned(session, org_id, gtin, lot)
    rows = session.exec(
        select(IssuedCode.id, IssuedCode.lot, IssuedCode.serial)
        .where(where)
        .order_by(col(IssuedCode.id))
        .offset(offset)
        .limit(limit)
    ).all()
    codes: dict[CodeKey, None] = {}
    for row_id, row_lot, serial in rows:
        problem = issued_code_problem(gtin, row_lot, serial)
        if problem is not None:  # damaged storage: left out and reported, the others listed
            report(session, "issued_code", row_id, *problem)
            continue
        codes[CodeKey(gtin, row_lot, serial)] = None
    return list(codes)


def _in_force() -> ColumnElement[bool]:
    return ~_struck(col(Recall.gtin), col(Recall.org_id))


def find_recall(session: Session, gtin: str, lot: str) -> Recall | None:
    """The recall of a lot in force (not one of a struck claim), or None."""
    query = select(Recall).where(col(Recall.gtin) == gtin, col(Recall.lot) == lot, _in_force()).order_by(col(Recall.id))
    return session.exec(query.limit(1)).first()


def record_recall(session: Session, *, org_id: str | None, gtin: str, lot: str, reason: str, now: int) -> Recall:
    """Recall a lot: by the GTIN's owner or delegate (``org_id``, checked by the caller with
    :func:`backend.services.ownership.require_gtin_speaker`) or by the regulator (``org_id=None``).

    Raises:
        DigitalLinkError: A bad GTIN or lot.
        ConflictError: The lot is recalled already.
    """
    key = CodeKey(gtin, lot)
    existing = find_recall(session, key.gtin, lot)
    if existing is not None:
        raise ConflictError(
            P_(
                "GTIN {gtin} lot {lot} was recalled already (recall {recall})",
                gtin=key.gtin,
                lot=repr(lot),
                recall=existing.id,
            ),
            recallId=existing.id,
        )

    recall = Recall(gtin=key.gtin, lot=lot, reason=reason, org_id=org_id or REGULATOR, recalled_at=now)
    session.add(recall)
    session.commit()
    session.refresh(recall)
    return recall


def list_recalls(session: Session, *, gtin: str | None = None, lot: str | None = None) -> list[Recall]:
    """Recalls in force (not those of a struck claim), newest first, optionally of one GTIN and lot."""
    query = select(Recall).where(_in_force())
    if gtin is not None:
        query = query.where(col(Recall.gtin) == CodeKey(gtin).gtin)
    if lot is not None:
        query = query.where(col(Recall.lot) == lot)
    return list(session.exec(query.order_by(col(Recall.id).desc())).all())
