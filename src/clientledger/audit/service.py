"""Audit events: who did what, when, to which objects. One per use case, in its transaction."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select

from clientledger.db import Tx
from clientledger.kit.ids import new_id
from clientledger.kit.use_cases import Permission, use_case
from clientledger.models import audit_events, audit_objects

_INSERT_AUDIT_EVENTS = insert(audit_events)
_INSERT_AUDIT_OBJECTS = insert(audit_objects)


def record_event(tx: Tx, *, action: str, object_ids: list[str | None], detail: dict[str, Any] | None = None) -> str:
    """Write one audit event naming the acting user and the objects it touched."""
    ids = list(dict.fromkeys(i for i in object_ids if i))
    event_id = new_id("ev")
    tx.conn.execute(
        _INSERT_AUDIT_EVENTS,
        [
            {
                "id": event_id,
                "practice_id": tx.practice_id,
                "user_id": tx.ctx.user_id,
                "action": action,
                "object_ids": " ".join(ids),
                "detail": json.dumps(detail, default=str) if detail else None,
                "request_id": tx.ctx.request_id,
                "created_at": tx.now,
            }
        ],
    )
    if ids:
        tx.conn.execute(
            _INSERT_AUDIT_OBJECTS, [{"event_id": event_id, "object_id": i, "practice_id": tx.practice_id} for i in ids]
        )
    return event_id


@use_case(Permission.READ)
def list_events(tx: Tx, *, object_id: str | None = None, limit: int = 50, cursor: str | None = None) -> list[Any]:
    """Newest first; ``cursor`` is the id of the last event of the previous page."""
    stmt = select(audit_events).where(audit_events.c.practice_id == tx.practice_id)
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
    return list(tx.conn.execute(stmt.order_by(audit_events.c.id.desc()).limit(limit)))
