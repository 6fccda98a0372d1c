"""``create_app()``: the HTTP API under ``/api/v1`` (``clientledger serve`` runs it under uvicorn)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

from clientledger import __version__, web
from clientledger.api.deps import RequestIdMiddleware
from clientledger.api.edge import (
    BearerFirstMiddleware,
    BodyLimitMiddleware,
    CardNumberGuardMiddleware,
    SecurityHeadersMiddleware,
)
from clientledger.api.errors import install_error_handlers
from clientledger.appointments.router import router as appointments_router
from clientledger.audit.router import router as audit_router
from clientledger.auth.repository import token_reader
from clientledger.auth.router import router as auth_router
from clientledger.auth.service import Principal, authenticate_with
from clientledger.billing.router import router as billing_router
from clientledger.cards.router import router as cards_router
from clientledger.clients.router import router as clients_router
from clientledger.credits.router import router as credits_router
from clientledger.db import Database
from clientledger.documents.router import router as documents_router
from clientledger.events.router import router as events_router
from clientledger.households.router import router as households_router
from clientledger.insurance.router import router as insurance_router
from clientledger.kit.config import Settings
from clientledger.packages.router import router as packages_router
from clientledger.payments.processors import PaymentProcessor, get_processor
from clientledger.payments.refunds import recover_pending_refunds
from clientledger.payments.router import STRIPE_WEBHOOK_PATH
from clientledger.payments.router import router as payments_router
from clientledger.practices.repository import practice_ids
from clientledger.practices.router import router as practices_router
from clientledger.reports.router import router as reports_router
from clientledger.service_layer import Runner
from clientledger.web.routing import not_found_page, too_large_page
from clientledger.webhooks.router import router as webhooks_router
from clientledger.webhooks.urls import Resolver

log = logging.getLogger("clientledger")

API_PREFIX = "/api/v1"

#: What needs no bearer token (``(method, path under the prefix)``): everything else is 401 without one.
#: A processor's webhook is authenticated by its signature instead.
OPEN_ROUTES = {("GET", "/healthz"), ("POST", "/auth/tokens"), ("POST", "/webhooks/stripe")}

#: Where a POST may carry an upload (an 835 file) up to ``max_upload_bytes`` rather than ``max_body_bytes``.
UPLOAD_PATHS = {f"{API_PREFIX}/era-imports", web.ERA_UPLOAD_PATH}

DESCRIPTION = """Billing and client-credit ledger for therapy practices.

Money is integer cents (`"amount": 3000` is $30.00); a float, a string or a negative amount is 422
`validation_error`. Every error is `{"error": {"code", "message"}}`. Authenticate with
`Authorization: Bearer <token>` from `POST /api/v1/auth/tokens`. Money POST/DELETE requests accept
an `Idempotency-Key` header: a retry with the same key and body replays the first answer.
"""


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=dict[str, str])
    async def healthz() -> dict[str, str]:
        """Liveness: answers without touching the database, so it is up within a second of start."""
        return {"status": "ok"}

    return router


class ClientLedgerApp(FastAPI):
    """FastAPI with the security headers outside everything, the 500s of ``ServerErrorMiddleware`` included."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack())


def create_app(
    database_url: str | None = None, *, processor: PaymentProcessor | None = None, resolver: Resolver | None = None
) -> FastAPI:
    """The API on ``database_url`` (default: ``CLIENTLEDGER_DATABASE_URL``, then ``./clientledger.db``).

    The schema must already be migrated (``clientledger serve`` and ``init`` do it once, before
    any worker starts). Card refunds that a crash left pending are sent again at start-up.
    ``resolver``: how a webhook URL's host is looked up (default: the system's resolver).
    Webhooks are delivered by ``serve``'s one delivery worker, not by the app (``webhooks.delivery``).
    """
    settings = Settings.from_env(database_url)
    db = Database(settings.database_url)
    runner = Runner(db, processor if processor is not None else get_processor())
    tokens = token_reader(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await tokens.aclose()
        db.dispose()

    app = ClientLedgerApp(title="clientledger", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.runner = runner
    app.state.token_reader = tokens
    app.state.settings = settings
    app.state.webhook_resolver = resolver
    install_error_handlers(app, not_found_page=not_found_page)
    # Outermost first: the request id, the size of the body, the token, then no card number in an API body.

    async def authenticate_token(token: str) -> Principal:
        return await authenticate_with(tokens, token)

    app.add_middleware(CardNumberGuardMiddleware, unchecked_paths={f"{API_PREFIX}{STRIPE_WEBHOOK_PATH}"})
    app.add_middleware(
        BearerFirstMiddleware,
        authenticate=authenticate_token,
        router=app.router,
        prefix=API_PREFIX,
        open_routes=OPEN_ROUTES,
    )
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.max_body_bytes,
        upload_limit=settings.max_upload_bytes,
        upload_paths=UPLOAD_PATHS,
        too_large_page=too_large_page,
    )
    app.add_middleware(RequestIdMiddleware)
    api = APIRouter(prefix=API_PREFIX)
    for router in (
        health_router(),
        auth_router,
        practices_router,
        clients_router,
        appointments_router,
        billing_router,
        payments_router,
        cards_router,
        credits_router,
        packages_router,
        households_router,
        insurance_router,
        reports_router,
        documents_router,
        webhooks_router,
        audit_router,
        events_router,
    ):
        api.include_router(router)
    app.include_router(api)
    web.install(app)
    _recover_pending_refunds(runner)
    return app


def _recover_pending_refunds(runner: Runner) -> None:
    """A crash between a card refund's commit and its settlement leaves it pending: settle it now.

    Every worker does this; the processor's idempotency key (the refund id) makes repeats harmless.
    """
    try:
        done = recover_pending_refunds(runner.db, practice_ids(runner.db), processor=runner.processor)
    except Exception:
        log.exception("could not recover pending card refunds at start-up")
        return
    if done:
        log.info("settled %d card refunds left pending", done)
