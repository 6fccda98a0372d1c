"""Outbox queries: the practice's events, oldest first, along ``pk_events`` / ``ix_events_practice_type``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from clientledger.accounting.repository import columns_of
from clientledger.db import Tx
from clientledger.models import events


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: str
    type: str
    data: str  # JSON text
    credit_balance: int | None  # a credit event's client's balance after it
    created_at: datetime


_COLUMNS = columns_of(EventRecord, events)


def event_rows(tx: Tx, *, type: str | None, limit: int, after: str | None) -> list[EventRecord]:
    """Up to ``limit`` events after the id ``after``, oldest first, optionally of one type."""
    stmt = select(*_COLUMNS).where(events.c.practice_id == tx.practice_id)
    if type is not None:
        stmt = stmt.where(events.c.type == type)
    if after is not None:
        stmt = stmt.where(events.c.id > after)
    rows = tx.conn.execute(stmt.order_by(events.c.id).limit(limit))
    return [EventRecord(*r) for r in rows]


def event_row(tx: Tx, event_id: str) -> EventRecord | None:
    row = tx.conn.execute(
        select(*_COLUMNS).where(events.c.practice_id == tx.practice_id, events.c.id == event_id)
    ).first()
    return EventRecord(*row) if row is not None else None
