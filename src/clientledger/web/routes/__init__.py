"""The web UI's pages and form handlers, one module per page."""

from __future__ import annotations

from fastapi import APIRouter

from clientledger.web.routes import (
    auth,
    bill_actions,
    bills,
    cards,
    client_actions,
    clients,
    credits,
    documents,
    households,
    insurance,
    packages,
    reports,
    settings,
    webhooks,
)


def web_routes() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for module in (
        auth,
        clients,
        client_actions,
        packages,
        households,
        credits,
        cards,
        bills,
        bill_actions,
        insurance,
        reports,
        settings,
        webhooks,
        documents,
    ):
        router.include_router(module.router)
    return router
