"""First-use GTIN claims (listed by migration 0005) and the regulator's decisions on them.

Each claim is compared with the registry: who holds the GTIN's company prefix now. A claim that agrees with the chain
can be confirmed at a glance; one that contradicts it (another organisation owns the GTIN) or that nobody on chain
backs is what the regulator looks into. Striking a claim withdraws its codes and recalls (see
:mod:`backend.services.issuance`); the rows themselves stay. A decided claim is not decided again (``409``).
"""

from __future__ import annotations

from typing import Any, Literal

from sqlmodel import Session, col, select

from backend.core.errors import P_, ConflictError, NotFoundError
from backend.models import GtinClaim
from supplychain.registry import RegistryMirror

__all__ = ["CLAIM_STATUSES", "claim_json", "decide_claim", "list_claims"]

CLAIM_STATUSES = ("PENDING", "CONFIRMED", "STRUCK")
_DECIDED = {"confirm": "CONFIRMED", "strike": "STRUCK"}


def claim_json(claim: GtinClaim, mirror: RegistryMirror, now: int) -> dict[str, Any]:
    """A claim as the API shows it, with the GTIN's owner on chain now and whether the claim agrees with it."""
    owner = mirror.gtin_owner_at(claim.gtin, now)
    delegate = mirror.is_delegate_at(claim.gtin, claim.org_id, now)
    return {
        "id": claim.id,
        "gtin": claim.gtin,
        "organisationId": claim.org_id,
        "firstIssuedAt": claim.first_issued_at,
        "codes": claim.codes,
        "recalls": claim.recalls,
        "status": claim.status,
        "decidedAt": claim.decided_at,
        "note": claim.note,
        "ownerOnChain": owner,
        "companyPrefix": mirror.company_prefix_at(claim.gtin, now),
        "agreesWithChain": owner == claim.org_id or delegate,
    }


def list_claims(session: Session, *, status: str | None, after: int, limit: int) -> list[GtinClaim]:
    """Claims by id after ``after`` (``status``: only those), at most ``limit``."""
    query = select(GtinClaim).where(col(GtinClaim.id) > after)
    if status is not None:
        query = query.where(col(GtinClaim.status) == status)
    return list(session.exec(query.order_by(col(GtinClaim.id)).limit(limit)).all())


def decide_claim(
    session: Session, claim_id: int, decision: Literal["confirm", "strike"], note: str, now_ms: int
) -> GtinClaim:
    """Confirm or strike a pending claim and commit.

    Raises:
        NotFoundError: No such claim.
        ConflictError: It was decided already.
    """
    claim = session.get(GtinClaim, claim_id)
    if claim is None:
        raise NotFoundError(P_("there is no GTIN claim {claim}", claim=claim_id), claimId=claim_id)
    if claim.status != "PENDING":
        raise ConflictError(
            P_(
                "GTIN claim {claim} was decided already ({status} at {time})",
                claim=claim_id,
                status=claim.status,
                time=claim.decided_at,
            ),
            claimId=claim_id,
        )

    claim.status, claim.decided_at, claim.note = _DECIDED[decision], now_ms, note
    session.add(claim)
    session.commit()
    session.refresh(claim)
    return claim
