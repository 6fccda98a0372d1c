"""Audit event queries: one event row per use case, and the objects it names for lookup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from clientledger.accounting.writes import Statement, Writes
from clientledger.db import Tx
from clientledger.models import audit_events, audit_objects, same_practice, users

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
    user_name: str | None = None  # the user's name, else email; None when no user acted


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
    func.coalesce(users.c.name, users.c.email),
)


def _events(tx: Tx) -> Select[Any]:
    """The practice's events, each with the name (else the email) of the user who acted."""
    named = audit_events.outerjoin(users, same_practice(users, audit_events, users.c.id == audit_events.c.user_id))
    return select(*_EVENT_COLUMNS).select_from(named).where(audit_events.c.practice_id == tx.practice_id)


def _naming(tx: Tx, object_ids: list[str]) -> Select[tuple[str]]:
    return select(audit_objects.c.event_id).where(
        audit_objects.c.practice_id == tx.practice_id, audit_objects.c.object_id.in_(object_ids)
    )


def event_records(tx: Tx, *, object_id: str | None, limit: int, cursor: str | None) -> list[AuditEventRecord]:
    """The practice's events newest first, optionally only those naming ``object_id``; ``cursor``: last id seen."""
    stmt = _events(tx)
    if object_id:
        stmt = stmt.where(audit_events.c.id.in_(_naming(tx, [object_id])))
    if cursor:
        stmt = stmt.where(audit_events.c.id < cursor)
    rows = tx.conn.execute(stmt.order_by(audit_events.c.id.desc()).limit(limit))
    return [AuditEventRecord(*r) for r in rows]


def events_naming(tx: Tx, object_ids: list[str]) -> list[AuditEventRecord]:
    """Every event naming any of these objects, each once, oldest first: one query, by
    ``ix_audit_objects_object``, with the acting users' names."""
    if not object_ids:
        return []
    stmt = _events(tx).where(audit_events.c.id.in_(_naming(tx, object_ids)))
    rows = tx.conn.execute(stmt.order_by(audit_events.c.created_at, audit_events.c.id))
    return [AuditEventRecord(*r) for r in rows]
