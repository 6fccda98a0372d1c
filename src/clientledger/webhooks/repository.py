"""Webhook queries: endpoints, the outbox's undispatched events, deliveries and their attempts.

Every statement names its practice (``tx.practice_id``, or the practices a probe asks about).
``'pending'`` and ``dispatched_at IS NULL`` are written as literals so that both databases can use
the partial indexes made for them (a bound parameter would not match the index's condition).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnClause

from clientledger.db import Tx
from clientledger.models import events, same_practice, webhook_attempts, webhook_deliveries, webhook_endpoints

PENDING: ColumnClause[str] = literal_column("'pending'")
DELIVERED = "delivered"
ABANDONED = "abandoned"


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    id: str
    url: str
    events: list[str]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: str
    type: str
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A due delivery claimed for one attempt, with what to send and where."""

    id: str
    endpoint_id: str
    url: str
    attempts: int
    event: EventRecord


@dataclass(frozen=True, slots=True)
class AttemptRecord:
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


_ENDPOINT_COLUMNS = (
    webhook_endpoints.c.id,
    webhook_endpoints.c.url,
    webhook_endpoints.c.events,
    webhook_endpoints.c.created_at,
)


def _endpoint(row: Any) -> EndpointRecord:
    return EndpointRecord(id=row[0], url=row[1], events=list(json.loads(row[2])), created_at=row[3])


def event_record(event_id: str, type_: str, data: str, credit_balance: int | None, created_at: datetime) -> EventRecord:
    """An outbox row as ``GET /events`` shows it: ``credit_balance`` (a column) is part of ``data``."""
    values = dict(json.loads(data))
    if credit_balance is not None:
        values["credit_balance"] = credit_balance
    return EventRecord(id=event_id, type=type_, data=values, created_at=created_at)


# -- endpoints -------------------------------------------------------------------------------------
def insert_endpoint(tx: Tx, *, endpoint_id: str, url: str, event_filters: list[str]) -> None:
    tx.conn.execute(
        insert(webhook_endpoints).values(
            id=endpoint_id,
            practice_id=tx.practice_id,
            url=url,
            events=json.dumps(event_filters),
            created_at=tx.now,
        )
    )


def live_endpoints(tx: Tx) -> list[EndpointRecord]:
    """The practice's endpoints that are not deleted, oldest first."""
    rows = tx.conn.execute(
        select(*_ENDPOINT_COLUMNS)
        .where(webhook_endpoints.c.practice_id == tx.practice_id, webhook_endpoints.c.deleted_at.is_(None))
        .order_by(webhook_endpoints.c.id)
    )
    return [_endpoint(r) for r in rows]


def live_endpoint(tx: Tx, endpoint_id: str) -> EndpointRecord | None:
    row = tx.conn.execute(
        select(*_ENDPOINT_COLUMNS).where(
            webhook_endpoints.c.practice_id == tx.practice_id,
            webhook_endpoints.c.id == endpoint_id,
            webhook_endpoints.c.deleted_at.is_(None),
        )
    ).first()
    return _endpoint(row) if row is not None else None


def mark_endpoint_deleted(tx: Tx, endpoint_id: str) -> int:
    """Delete the endpoint (the row stays, for its log) and drop what it still had to receive."""
    tx.conn.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.practice_id == tx.practice_id, webhook_endpoints.c.id == endpoint_id)
        .values(deleted_at=tx.now)
    )
    dropped = tx.conn.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.practice_id == tx.practice_id,
            webhook_deliveries.c.endpoint_id == endpoint_id,
            webhook_deliveries.c.status == PENDING,
        )
        .values(status=ABANDONED, last_error="endpoint deleted")
    )
    return int(dropped.rowcount or 0)


def attempt_log(tx: Tx, endpoint_id: str, *, limit: int) -> list[AttemptRecord]:
    """The endpoint's latest attempts, newest first, with their delivery's state now."""
    a, d, e = webhook_attempts, webhook_deliveries, events
    stmt = (
        select(
            a.c.delivery_id,
            a.c.event_id,
            e.c.type,
            a.c.attempted_at,
            a.c.status_code,
            a.c.error,
            a.c.duration_ms,
            d.c.attempts,
            d.c.status,
            d.c.next_attempt_at,
        )
        .select_from(
            a.join(d, same_practice(d, a, d.c.id == a.c.delivery_id)).join(
                e, same_practice(e, a, e.c.id == a.c.event_id)
            )
        )
        .where(a.c.practice_id == tx.practice_id, a.c.endpoint_id == endpoint_id)
        .order_by(a.c.attempted_at.desc(), a.c.id.desc())
        .limit(limit)
    )
    found = []
    for r in tx.conn.execute(stmt):
        next_at = r[9] if r[8] == "pending" else None
        found.append(AttemptRecord(*r[:9], next_attempt_at=next_at))
    return found


# -- the worker: fan-out ---------------------------------------------------------------------------
def practices_with_work(conn: Connection, practice_ids: Sequence[str], *, now: datetime) -> set[str]:
    """Which of these practices have undispatched events or due deliveries (two index probes)."""
    if not practice_ids:
        return set()
    ids = list(practice_ids)
    undispatched = select(events.c.practice_id).where(events.c.practice_id.in_(ids), events.c.dispatched_at.is_(None))
    due = select(webhook_deliveries.c.practice_id).where(
        webhook_deliveries.c.practice_id.in_(ids),
        webhook_deliveries.c.status == PENDING,
        webhook_deliveries.c.next_attempt_at <= now,
    )
    found = set(conn.execute(undispatched.distinct()).scalars())
    found |= set(conn.execute(due.distinct()).scalars())
    return found


def undispatched_events(tx: Tx, *, limit: int) -> list[EventRecord]:
    """The oldest events no delivery has been made for yet; on PostgreSQL locked, skipping those
    another worker is dispatching."""
    stmt = (
        select(events.c.id, events.c.type, events.c.data, events.c.credit_balance, events.c.created_at)
        .where(events.c.practice_id == tx.practice_id, events.c.dispatched_at.is_(None))
        .order_by(events.c.id)
        .limit(limit)
    )
    if tx.dialect == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return [event_record(*r) for r in tx.conn.execute(stmt)]


def insert_deliveries(tx: Tx, rows: list[dict[str, Any]]) -> None:
    """One delivery per (endpoint, event); one already there (a repeated fan-out) is left as it is."""
    if not rows:
        return
    maker = pg_insert if tx.dialect == "postgresql" else sqlite_insert
    values = [
        {**r, "practice_id": tx.practice_id, "status": "pending", "attempts": 0, "created_at": tx.now} for r in rows
    ]
    stmt = maker(webhook_deliveries).on_conflict_do_nothing(index_elements=["practice_id", "endpoint_id", "event_id"])
    tx.conn.execute(stmt, values)


def mark_dispatched(tx: Tx, event_ids: list[str], *, at: datetime) -> None:
    if event_ids:
        tx.conn.execute(
            update(events)
            .where(events.c.practice_id == tx.practice_id, events.c.id.in_(event_ids))
            .values(dispatched_at=at)
        )


# -- the worker: attempts --------------------------------------------------------------------------
def claim_due(tx: Tx, *, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedDelivery]:
    """Due deliveries of live endpoints, oldest due first, leased until ``lease_until``: no other
    worker takes them before then, and a worker that dies mid-attempt leaves them due again after.

    PostgreSQL skips the rows another worker is claiming (``FOR UPDATE SKIP LOCKED``); SQLite's
    ``BEGIN IMMEDIATE`` makes the claim one writer's at a time."""
    d, w, e = webhook_deliveries, webhook_endpoints, events
    stmt = (
        select(
            d.c.id,
            d.c.endpoint_id,
            w.c.url,
            d.c.attempts,
            e.c.id,
            e.c.type,
            e.c.data,
            e.c.credit_balance,
            e.c.created_at,
        )
        .select_from(
            d.join(w, same_practice(w, d, w.c.id == d.c.endpoint_id)).join(
                e, same_practice(e, d, e.c.id == d.c.event_id)
            )
        )
        .where(
            d.c.practice_id == tx.practice_id,
            d.c.status == PENDING,
            d.c.next_attempt_at <= now,
            w.c.deleted_at.is_(None),
        )
        .order_by(d.c.next_attempt_at, d.c.id)
        .limit(limit)
    )
    if tx.dialect == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=d)
    claimed = [
        ClaimedDelivery(id=r[0], endpoint_id=r[1], url=r[2], attempts=r[3], event=event_record(*r[4:]))
        for r in tx.conn.execute(stmt)
    ]
    if claimed:
        tx.conn.execute(
            update(d)
            .where(d.c.practice_id == tx.practice_id, d.c.id.in_([c.id for c in claimed]))
            .values(next_attempt_at=lease_until)
        )
    return claimed


def record_attempt(
    tx: Tx,
    *,
    attempt_id: str,
    delivery: ClaimedDelivery,
    attempted_at: datetime,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
) -> None:
    tx.conn.execute(
        insert(webhook_attempts).values(
            id=attempt_id,
            practice_id=tx.practice_id,
            delivery_id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            event_id=delivery.event.id,
            attempted_at=attempted_at,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
        )
    )


def settle_delivery(
    tx: Tx,
    delivery_id: str,
    *,
    status: str,
    status_code: int | None,
    error: str | None,
    next_attempt_at: datetime | None,
    delivered_at: datetime | None,
) -> None:
    """After an attempt: delivered, due again at ``next_attempt_at``, or abandoned. A delivery that
    was dropped meanwhile (its endpoint deleted) stays dropped."""
    d = webhook_deliveries
    values: dict[str, Any] = {
        "attempts": d.c.attempts + 1,
        "last_status_code": status_code,
        "last_error": error,
        "status": status,
    }
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    if delivered_at is not None:
        values["delivered_at"] = delivered_at
    tx.conn.execute(
        update(d)
        .where(d.c.practice_id == tx.practice_id, d.c.id == delivery_id, d.c.status == PENDING)
        .values(**values)
    )


def delivery_counts(tx: Tx) -> dict[str, int]:
    """How many of the practice's deliveries are in each status (for the CLI and tests)."""
    d = webhook_deliveries
    rows = tx.conn.execute(
        select(d.c.status, func.count()).where(d.c.practice_id == tx.practice_id).group_by(d.c.status)
    )
    return {str(status): int(n) for status, n in rows}
