"""Webhook endpoints: make one (its secret shown then), list them, delete one; their delivery logs."""

from __future__ import annotations

from clientledger.audit.service import record_event
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.kit.ids import new_id
from clientledger.kit.secrets import endpoint_secret
from clientledger.kit.use_cases import Permission, use_case
from clientledger.rules.webhooks import event_filters
from clientledger.webhooks.repository import (
    EndpointRecord,
    attempt_log,
    insert_endpoint,
    live_endpoint,
    live_endpoints,
    mark_endpoint_deleted,
)
from clientledger.webhooks.schemas import (
    DeliveryAttemptRead,
    EndpointLog,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
)
from clientledger.webhooks.urls import UrlPolicy

LOG_LENGTH = 20


def _read(row: EndpointRecord) -> WebhookEndpointRead:
    return WebhookEndpointRead(id=row.id, url=row.url, events=row.events, created_at=row.created_at)


def _reachable(tx: Tx, *, data: WebhookEndpointCreate, policy: UrlPolicy) -> None:
    """Before the write transaction (a name lookup may take a while): the filters and the address."""
    event_filters(data.events)
    policy.check(data.url)


@use_case(Permission.MANAGE_WEBHOOKS, precheck=_reachable)
def create_endpoint(tx: Tx, *, data: WebhookEndpointCreate, policy: UrlPolicy) -> WebhookEndpointRead:
    """A new endpoint, sent every event that matches its filters from now on.

    The answer holds no secret (answers are stored for replays): the face adds it (``with_secret``)."""
    filters = event_filters(data.events)
    url = policy.parse(data.url).geturl()
    endpoint_id = new_id("whe")
    insert_endpoint(tx, endpoint_id=endpoint_id, url=url, event_filters=filters)
    record_event(
        tx, action="webhook_endpoint.created", object_ids=[endpoint_id], detail={"url": url, "events": filters}
    )
    return WebhookEndpointRead(id=endpoint_id, url=url, events=filters, created_at=tx.now)


def with_secret(practice_id: str, endpoint: WebhookEndpointRead) -> WebhookEndpointCreated:
    """The endpoint with its signing secret, for the one answer that shows it (the creation, or its
    replay). The secret is derived again, never read from storage (``kit.secrets``)."""
    return WebhookEndpointCreated(**endpoint.model_dump(), secret=endpoint_secret(practice_id, endpoint.id))


@use_case(Permission.MANAGE_WEBHOOKS)
def list_endpoints(tx: Tx) -> list[WebhookEndpointRead]:
    """The practice's endpoints, oldest first (no secrets: they are shown once, at creation)."""
    return [_read(r) for r in live_endpoints(tx)]


@use_case(Permission.MANAGE_WEBHOOKS)
def delete_endpoint(tx: Tx, *, endpoint_id: str) -> None:
    """Stop sending to an endpoint; what it had still to receive is dropped (``abandoned``)."""
    if live_endpoint(tx, endpoint_id) is None:
        raise NotFound(f"No webhook endpoint {endpoint_id!r}.")
    dropped = mark_endpoint_deleted(tx, endpoint_id)
    record_event(
        tx, action="webhook_endpoint.deleted", object_ids=[endpoint_id], detail={"dropped_deliveries": dropped}
    )


@use_case(Permission.MANAGE_WEBHOOKS)
def endpoint_logs(tx: Tx, *, limit: int = LOG_LENGTH) -> list[EndpointLog]:
    """Every endpoint with its latest attempts, newest first: what the Webhooks settings page shows."""
    return [
        EndpointLog(
            endpoint=_read(row),
            attempts=[DeliveryAttemptRead.model_validate(a) for a in attempt_log(tx, row.id, limit=limit)],
        )
        for row in live_endpoints(tx)
    ]
