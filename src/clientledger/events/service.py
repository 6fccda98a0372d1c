"""Reading the outbox: the events every money movement wrote (``accounting.outbox``), oldest first."""

from __future__ import annotations

import json

from clientledger.db import Tx
from clientledger.events.repository import EventRecord, event_row, event_rows
from clientledger.events.schemas import EventRead
from clientledger.kit.errors import NotFound
from clientledger.kit.use_cases import Permission, use_case
from clientledger.kit.vocabulary import EventType


def event_read(record: EventRecord) -> EventRead:
    """The event object listeners see: a credit event's stored ``credit_balance`` joins its ``data``
    (it is written by the database, after the balance moved, so it is kept in a column of its own)."""
    data = json.loads(record.data)
    if record.credit_balance is not None:
        data["credit_balance"] = record.credit_balance
    return EventRead(id=record.id, type=EventType(record.type), created_at=record.created_at, data=data)


@use_case(Permission.READ)
def list_events(
    tx: Tx, *, type: EventType | None = None, limit: int = 50, cursor: str | None = None
) -> list[EventRead]:
    """The practice's events oldest first, optionally of one type; ``cursor``: the last id seen."""
    rows = event_rows(tx, type=type.value if type is not None else None, limit=limit, after=cursor)
    return [event_read(r) for r in rows]


@use_case(Permission.READ)
def get_event(tx: Tx, *, event_id: str) -> EventRead:
    row = event_row(tx, event_id)
    if row is None:
        raise NotFound(f"No event {event_id!r}.")
    return event_read(row)
