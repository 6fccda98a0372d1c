"""Webhook endpoints in and out, an event as it is sent, and an endpoint's delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from clientledger.kit.schemas import Line, Model, ReadModel, UtcDateTime


class WebhookEndpointCreate(Model):
    url: Line = Field(max_length=2000, description="An https:// URL on a public address")
    events: list[Line] | None = Field(
        default=None,
        max_length=50,
        description="Event types to send, `*` wildcards allowed (`credit.*`, `*`); default: every event",
    )


class WebhookEndpointRead(ReadModel):
    id: str
    url: str
    events: list[str]
    created_at: UtcDateTime


class WebhookEndpointCreated(WebhookEndpointRead):
    secret: str = Field(
        description="Signs every delivery (`Clientledger-Signature`); shown only here, when the endpoint is made"
    )


class EventPayload(ReadModel):
    """An event exactly as ``GET /events`` lists it: what is POSTed, the same on every attempt."""

    id: str
    type: str
    created_at: UtcDateTime
    data: dict[str, Any]


class DeliveryAttemptRead(ReadModel):
    """One attempt of one delivery, for the endpoint's delivery log."""

    delivery_id: str
    event_id: str
    event_type: str
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    attempts: int
    delivery_status: str
    next_attempt_at: datetime | None


class EndpointLog(ReadModel):
    endpoint: WebhookEndpointRead
    attempts: list[DeliveryAttemptRead]
