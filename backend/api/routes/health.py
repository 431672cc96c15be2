"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlmodel import Session

from backend.api.deps import PlatformDep
from backend.services.anchoring_state import anchoring_state
from backend.services.platform import now_ms
from chain.connection import answers
from chain.errors import ChainConnectionError, ChainError

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Liveness: the process answers")
def health() -> dict[str, str]:
    """Always ``{"status": "ok"}`` while the process serves requests."""
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Readiness: database and chain reachable",
    responses={503: {"description": "The database or the chain cannot be reached"}},
)
def ready(platform: PlatformDep) -> JSONResponse:
    """``200`` when the database answers and the registry is reachable on its chain, else ``503`` with what failed.

    ``checks.damagedRecords`` lists the stored records met since start that do not read (``count``, and the latest
    ``records``: ``table``, ``key``, ``column``, ``reason``); the platform keeps serving the rest (metric
    ``supplychain_damaged_records``).

    ``checks.anchoring`` is read from the database, so every host says the same whichever runs the worker: pending
    events and the oldest one's age, batches not yet anchored (``inFlight``: status, transaction hash, nonce, age,
    seconds since the transaction was last sent, times it was replaced with higher fees, reorgs that took it back),
    anchored batches not final yet (``notFinalBatches``) and the fewest confirmations among them
    (``leastConfirmations``), and the anchoring lease (holder, epoch, whether it is live). They describe; they do not
    make the platform unready."""
    checks: dict[str, Any] = {}
    try:
        with platform.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc}"
    if checks["database"] == "ok":
        with Session(platform.engine) as session:
            checks["anchoring"] = anchoring_state(session, now_ms()).json()
    try:
        if not answers(platform.settings.rpc_url):  # one quick request: a probe must not wait out the retries
            raise ChainConnectionError(f"the node at {platform.settings.rpc_url} does not answer")
        view = platform.registry
        checks["chain"] = {
            "chainId": view.chain_id,
            "registry": view.deployment.address,
            "block": view.registry.chain.block_number(),
        }
    except ChainError as exc:
        checks["chain"] = f"error: {exc}"
    # damaged records met (backend.services.damage): reported, not a reason to stop serving the rest
    checks["damagedRecords"] = platform.damage.json()
    ok = checks["database"] == "ok" and isinstance(checks["chain"], dict)
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)
