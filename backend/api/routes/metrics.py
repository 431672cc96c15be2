"""Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backend.api.deps import PlatformDep, SessionDep
from backend.services.anchoring_state import anchoring_state
from backend.services.platform import now_ms

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"example": "supplychain_events_pending 0.0\n"}}}},
)
def metrics(platform: PlatformDep, session: SessionDep) -> Response:
    """Captured events by outcome, pending events and the oldest one's age, batches in flight, the anchoring lease's
    epoch, anchored events and batches, anchor latency, chain errors, damaged records."""
    state = anchoring_state(session, now_ms())
    platform.metrics.set_anchoring(state)
    return Response(generate_latest(platform.metrics.registry), media_type=CONTENT_TYPE_LATEST)
