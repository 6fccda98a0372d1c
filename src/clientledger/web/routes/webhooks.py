"""Settings > Webhooks (owner only): the endpoints, adding one (its secret shown once), deleting one,
and each endpoint's delivery log."""

from __future__ import annotations

import re

from fastapi import Depends
from fastapi.responses import Response

from clientledger.kit.errors import ClientLedgerError
from clientledger.web.context import Web, action, page
from clientledger.web.labels import said
from clientledger.web.routing import web_router
from clientledger.webhooks import service as webhooks
from clientledger.webhooks.router import url_policy
from clientledger.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointCreated

router = web_router()

PATH = "/settings/webhooks"


def _page(
    web: Web,
    *,
    status_code: int = 200,
    error: str | None = None,
    created: WebhookEndpointCreated | None = None,
) -> Response:
    logs = web.read(webhooks.endpoint_logs)  # refuses any role but the owner's, as the API does
    return web.render(
        "webhooks.html",
        status_code=status_code,
        nav="settings",
        logs=logs,
        created=created,
        error=error,
        form=web.form if error else None,
    )


@router.get(PATH)
def webhooks_page(web: Web = Depends(page)) -> Response:
    return _page(web)


@router.post(PATH)
def add_endpoint(web: Web = Depends(action)) -> Response:
    """Answered with the page itself (no redirect): the secret is shown in this answer only."""
    try:
        typed = web.field("events")
        events = [e for e in re.split(r"[\s,]+", typed) if e] or None
        data = web.build(WebhookEndpointCreate, url=web.field("url"), events=events)
        endpoint = web.submit(webhooks.create_endpoint, data=data, policy=url_policy(web.request))
    except ClientLedgerError as err:
        if err.status_code == 403:
            raise
        status = err.status_code if 400 <= err.status_code < 500 else 422
        return _page(web, status_code=status, error=said(err))
    return _page(web, created=webhooks.with_secret(web.actor.practice_id, endpoint))


@router.post(PATH + "/{endpoint_id}/delete")
def delete_endpoint(endpoint_id: str, web: Web = Depends(action)) -> Response:
    web.submit(webhooks.delete_endpoint, endpoint_id=endpoint_id)
    return web.done(PATH, "Endpoint deleted.")
