"""Audit events: who did what, when, to which objects. One per use case, in its transaction."""

from __future__ import annotations

import json
from typing import Any

from clientledger.accounting.writes import Writes
from clientledger.audit.repository import AuditEventRecord, event_records, events_naming, insert_event
from clientledger.db import Tx
from clientledger.kit.ids import new_id
from clientledger.kit.use_cases import Permission, use_case


def record_event(
    tx: Tx,
    *,
    action: str,
    object_ids: list[str | None],
    detail: dict[str, Any] | None = None,
    writes: Writes | None = None,
) -> str:
    """Write one audit event naming the acting user and the objects it touched (queued on ``writes``
    when given, to reach the database with the use case's journal entry)."""
    ids = list(dict.fromkeys(i for i in object_ids if i))
    event_id = new_id("ev")
    insert_event(
        tx,
        event_id=event_id,
        action=action,
        object_ids=ids,
        detail=json.dumps(detail, default=str) if detail else None,
        writes=writes,
    )
    return event_id


@use_case(Permission.READ)
def list_events(
    tx: Tx, *, object_id: str | None = None, limit: int = 50, cursor: str | None = None
) -> list[AuditEventRecord]:
    """Newest first; ``cursor`` is the id of the last event of the previous page."""
    return event_records(tx, object_id=object_id, limit=limit, cursor=cursor)


@use_case(Permission.READ)
def object_history(tx: Tx, *, object_ids: list[str]) -> list[AuditEventRecord]:
    """Who did what to any of these objects, and when, oldest first (each event once): what a
    page's History sections show, in one query however many objects the page has."""
    return events_naming(tx, list(dict.fromkeys(object_ids)))
