from __future__ import annotations

from typing import Any

from pydantic import Field

from clientledger.kit.schemas import ReadModel, UtcDateTime
from clientledger.kit.vocabulary import EventType


class EventRead(ReadModel):
    """One outbox event, as ``GET /events`` lists it and a webhook delivers it (same ``id``)."""

    id: str
    type: EventType
    created_at: UtcDateTime
    data: dict[str, Any] = Field(
        description="What happened: ids and integer cents. A credit event's has `client_id, amount` (> 0; the "
        "type gives the direction), `lot_id, bill_id, payment_id` and `credit_balance`, the client's balance "
        "after it."
    )
