"""Audit event queries: one event row per use case, and the objects it names for lookup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from clientledger.accounting.writes import Statement, Writes
from clientledger.db import Tx
from clientledger.models import audit_events, audit_objects

_INSERT_AUDIT_EVENTS = Statement.insert(audit_events)
_INSERT_AUDIT_OBJECTS = Statement.insert(audit_objects)


@dataclass(frozen=True, slots=True)
class AuditEventRecord:
    id: str
    user_id: str | None
    action: str
    object_ids: str  # space-separated, as stored
    detail: str | None  # JSON text
    request_id: str | None
    created_at: datetime


def insert_event(
    tx: Tx, *, event_id: str, action: str, object_ids: list[str], detail: str | None, writes: Writes | None = None
) -> None:
    """The event row, and one ``audit_objects`` row per object (executemany) so an object finds its events.

    With ``writes`` both are queued there, to go with the use case's entry; else they are sent now.
    """
    queue = writes if writes is not None else Writes(tx)
    queue.add(
        _INSERT_AUDIT_EVENTS,
        [
            {
                "id": event_id,
                "practice_id": tx.practice_id,
                "user_id": tx.ctx.user_id,
                "action": action,
                "object_ids": " ".join(object_ids),
                "detail": detail,
                "request_id": tx.ctx.request_id,
                "created_at": tx.now,
            }
        ],
    )
    queue.add(
        _INSERT_AUDIT_OBJECTS,
        [{"event_id": event_id, "object_id": i, "practice_id": tx.practice_id} for i in object_ids],
    )
    if writes is None:
        queue.flush()


_EVENT_COLUMNS = (
    audit_events.c.id,
    audit_events.c.user_id,
    audit_events.c.action,
    audit_events.c.object_ids,
    audit_events.c.detail,
    audit_events.c.request_id,
    audit_events.c.created_at,
)


def event_records(tx: Tx, *, object_id: str | None, limit: int, cursor: str | None) -> list[AuditEventRecord]:
    """The practice's events newest first, optionally only those naming ``object_id``; ``cursor``: last id seen."""
    stmt = select(*_EVENT_COLUMNS).where(audit_events.c.practice_id == tx.practice_id)
    if object_id:
        stmt = stmt.where(
            audit_events.c.id.in_(
                select(audit_objects.c.event_id).where(
                    audit_objects.c.practice_id == tx.practice_id, audit_objects.c.object_id == object_id
                )
            )
        )
    if cursor:
        stmt = stmt.where(audit_events.c.id < cursor)
    rows = tx.conn.execute(stmt.order_by(audit_events.c.id.desc()).limit(limit))
    return [AuditEventRecord(*r) for r in rows]
