"""What the anchoring is doing, as every host can read it from the shared database: for ``/ready`` and ``/metrics``.

The worker may run on another host than the one asked, so nothing here comes from a process's memory: pending
events and the oldest one's age, batches not yet anchored (``prepared``, ``sent``: the transaction in flight, with how
many times it was replaced with higher fees and re-anchored after reorgs), anchored batches not final yet and the
fewest confirmations among them, and who holds the anchoring lease (:mod:`backend.services.lease`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from backend.models import Batch, Event
from backend.services.lease import LeaseStatus, lease_status

__all__ = ["AnchoringState", "anchoring_state"]

_UNFINISHED = ("prepared", "sent")
_LISTED = 10  # unfinished batches listed (normally at most one)
_TX_HASH = re.compile(r"0x[0-9a-f]{64}")  # anything else stored there is damage: not repeated


@dataclass(frozen=True, slots=True)
class AnchoringState:
    """Pending events, the oldest one's age, unfinished batches and the lease, read at ``now_ms``."""

    pending_events: int
    oldest_pending_age_s: float | None
    unfinished: tuple[dict[str, Any], ...]
    unfinished_count: int
    lease: LeaseStatus | None
    not_final: int = 0
    least_confirmations: int | None = None

    def json(self) -> dict[str, Any]:
        """The ``/ready`` form (camelCase)."""
        lease = self.lease
        return {
            "pendingEvents": self.pending_events,
            "oldestPendingEventAgeSeconds": self.oldest_pending_age_s,
            "unfinishedBatches": self.unfinished_count,
            "inFlight": list(self.unfinished),
            "notFinalBatches": self.not_final,
            "leastConfirmations": self.least_confirmations,
            "lease": None
            if lease is None
            else {
                "holder": lease.holder,
                "epoch": lease.epoch,
                "live": lease.live,
                "expiresInSeconds": round(lease.expires_in_ms / 1000, 3),
            },
        }


def anchoring_state(session: Session, now_ms: int) -> AnchoringState:
    """Read the anchoring's state from the database (a few indexed queries)."""
    pending, oldest = session.execute(
        select(func.count(), func.min(col(Event.received_at))).where(col(Event.batch_id).is_(None))
    ).one()
    unfinished_count = session.execute(
        select(func.count()).select_from(Batch).where(col(Batch.status).in_(_UNFINISHED))
    ).scalar_one()
    rows = session.execute(
        select(
            col(Batch.id),
            col(Batch.status),
            col(Batch.tx_hash),
            col(Batch.nonce),
            col(Batch.created_at),
            col(Batch.sent_at),
            col(Batch.earlier_txs),
            col(Batch.reorgs),
        )
        .where(col(Batch.status).in_(_UNFINISHED))
        .order_by(col(Batch.id))
        .limit(_LISTED)
    ).all()
    unfinished = tuple(
        {
            "batch": int(batch_id),
            "status": str(status),
            "txHash": tx_hash if isinstance(tx_hash, str) and _TX_HASH.fullmatch(tx_hash) else None,
            "nonce": nonce if isinstance(nonce, int) else None,
            "ageSeconds": _age(now_ms, created),
            "sentSecondsAgo": _age(now_ms, sent_at),
            "replaced": _replaced(earlier),
            "reorgs": reorgs if isinstance(reorgs, int) else 0,
        }
        for batch_id, status, tx_hash, nonce, created, sent_at, earlier, reorgs in rows
    )
    not_final, least = session.execute(
        select(func.count(), func.min(col(Batch.confirmations))).where(
            col(Batch.status) == "anchored", col(Batch.final_at).is_(None)
        )
    ).one()
    return AnchoringState(
        pending_events=int(pending),
        oldest_pending_age_s=round(max(0, now_ms - oldest) / 1000, 3) if isinstance(oldest, int) else None,
        unfinished=unfinished,
        unfinished_count=int(unfinished_count),
        lease=lease_status(session),
        not_final=int(not_final),
        least_confirmations=least if isinstance(least, int) else None,
    )


def _age(now_ms: int, then: object) -> float | None:
    return round(max(0, now_ms - then) / 1000, 3) if isinstance(then, int) else None


def _replaced(earlier: object) -> int:
    """How many earlier versions (replaced with higher fees) a batch's transaction has."""
    try:
        versions = json.loads(earlier) if isinstance(earlier, str) else []
    except ValueError:
        return 0
    return len(versions) if isinstance(versions, list) else 0
