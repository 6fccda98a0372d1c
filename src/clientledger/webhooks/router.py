"""HTTP: the practice's webhook endpoints (owner only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clientledger.api.deps import REPLAY_HEADER, Idem, Paging, Staff
from clientledger.api.errors import declare
from clientledger.api.pagination import Page, page_in_memory
from clientledger.webhooks import service as webhooks
from clientledger.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointCreated, WebhookEndpointRead
from clientledger.webhooks.urls import UrlPolicy

router = APIRouter(tags=["webhooks"])


def url_policy(request: Request) -> UrlPolicy:
    """The URL rules now (``CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE``), with the app's name resolver."""
    return UrlPolicy.from_env(getattr(request.app.state, "webhook_resolver", None))


@router.post("/webhook-endpoints", status_code=201, response_model=WebhookEndpointCreated, responses=declare(403, 409))
def create_endpoint(data: WebhookEndpointCreate, rc: Staff, idem: Idem, request: Request) -> Response:
    """Owner only: send the practice's events (those matching `events`, default all) to `url`, signed
    with `secret` (shown in this answer only; a replay of this request shows it again)."""
    outcome = rc.runner.outcome(
        rc.actor, webhooks.create_endpoint, replay=idem.replay(201), data=data, policy=url_policy(request)
    )
    created = webhooks.with_secret(rc.actor.practice_id, outcome.result)
    response = Response(content=created.model_dump_json(), status_code=201, media_type="application/json")
    if outcome.replayed:
        response.headers[REPLAY_HEADER] = "true"
    return response


@router.get("/webhook-endpoints", response_model=Page[WebhookEndpointRead], responses=declare(403))
def list_endpoints(rc: Staff, paging: Paging) -> Page[WebhookEndpointRead]:
    """Owner only: the endpoints, oldest first, without their secrets."""
    return page_in_memory(rc.read(webhooks.list_endpoints), paging, key=lambda e: e.id)


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=204, responses=declare(403, 404, 409))
def delete_endpoint(endpoint_id: str, rc: Staff, idem: Idem) -> Response:
    """Owner only: stop sending to the endpoint; deliveries it had not yet received are dropped."""
    return rc.answer(webhooks.delete_endpoint, idem, status_code=204, endpoint_id=endpoint_id)
