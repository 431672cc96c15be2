"""Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlmodel import col, func, select

from backend.api.deps import PlatformDep, SessionDep
from backend.models import Event

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"example": "supplychain_events_pending 0.0\n"}}}},
)
def metrics(platform: PlatformDep, session: SessionDep) -> Response:
    """Captured events by outcome, pending events, anchored events and batches, anchor latency, chain errors."""
    pending = session.exec(select(func.count()).select_from(Event).where(col(Event.batch_id).is_(None))).one()
    platform.metrics.pending.set(pending)
    return Response(generate_latest(platform.metrics.registry), media_type=CONTENT_TYPE_LATEST)
