"""The FastAPI application: ``create_app(settings)``."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from backend.api.limits import EdgeGuard, EdgeLimits, announce_limits, restore_recursion_limit
from backend.api.routes import (
    authority,
    bundles,
    capture,
    claims,
    copies,
    credentials,
    events,
    export,
    green,
    health,
    masterdata,
    metrics,
    pages,
    qr,
    resolver,
    session,
    trace,
)
from backend.api.security_headers import SecurityHeaders
from backend.core.config import Settings
from backend.core.errors import install_problem_handlers
from backend.services.platform import Platform

__all__ = ["app_from_environment", "create_app"]

DESCRIPTION = """\
Blockchain-anchored traceability for green supply chains. Organisations post signed GS1 EPCIS 2.0 events; the
platform checks each signature against the key the on-chain registry holds, stores the event, anchors its Event Hash
ID in a Merkle batch on chain, and hands out receipts, proofs and GS1 Digital Link QR codes. Errors are RFC 9457
problem+json; their `title` and `detail` are in English, or in Chinese for a request whose `Accept-Language` prefers
it (`Content-Language` says which; the examples here are the English answers).
"""


def create_app(settings: Settings | None = None, *, platform: Platform | None = None) -> FastAPI:
    """The application; it opens the platform (database, receipt key) at start-up unless one is given."""
    settings = settings or (platform.settings if platform else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = platform or Platform.open(settings)
        restore_recursion_limit()  # opening the chain may have imported py-evm, which raises it
        app.state.platform = opened
        if settings.capture_workers > 0:  # the first bulk capture should not wait for processes to start
            threading.Thread(target=opened.signing_pool.warm_up, name="signing-pool-warm-up", daemon=True).start()
        worker = None
        if settings.run_worker:
            from backend.services.anchoring import AnchoringWorker

            worker = AnchoringWorker(opened)
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            if platform is None:
                opened.close()

    app = FastAPI(title="supplychain", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    install_problem_handlers(app)
    # pages and bundles shrink about five-fold for phones; level 1 compresses 3x faster than the default 9 and only
    # ~10 % less (the export streams ~1.7 KB per event: at level 9 its compression cost more than building it)
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=1)
    app.add_middleware(SecurityHeaders)  # CSP, nosniff, anti-framing, no-store for signed-in pages
    for module in (
        health,
        metrics,
        capture,
        events,
        trace,
        bundles,
        qr,
        copies,
        resolver,
        authority,
        claims,
        credentials,
        masterdata,
        green,
        export,
        pages,
        session,
    ):
        app.include_router(module.router)
    limits = EdgeLimits.of(settings)
    app.add_middleware(EdgeGuard, limits=limits)  # outermost: before anything reads the request
    announce_limits(app, limits)
    restore_recursion_limit()
    return app


def app_from_environment() -> FastAPI:
    """The application with settings from the environment (``SUPPLYCHAIN_*``): for server processes that build
    their own, as ``supplychain serve --processes N`` starts them."""
    return create_app(Settings())
