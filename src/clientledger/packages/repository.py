"""Package queries: a client's packages with their lots, and the sessions bills drew from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select

from clientledger.accounting.writes import Statement
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.models import credit_lots, package_sessions, packages


@dataclass(frozen=True, slots=True)
class PackageRecord:
    id: str
    client_id: str
    name: str
    sessions: int
    sessions_used: int
    sessions_remaining: int
    price: int
    service_code: str | None
    lot_id: str
    lot_remaining: int
    payment_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A session a bill drew: its client_credit line and the discount line covering the rest, if any."""

    id: str
    package_id: str
    bill_id: str
    item_id: str
    line_id: str
    discount_line_id: str | None


INSERT_PACKAGES = Statement.insert(packages)
INSERT_SESSIONS = Statement.insert(package_sessions)

_LOT_OF = and_(credit_lots.c.practice_id == packages.c.practice_id, credit_lots.c.id == packages.c.lot_id)
_COLUMNS: list[ColumnElement[Any]] = [
    packages.c.id,
    packages.c.client_id,
    packages.c.name,
    packages.c.sessions,
    packages.c.sessions_used,
    packages.c.sessions_remaining,
    packages.c.price,
    packages.c.service_code,
    packages.c.lot_id,
    credit_lots.c.remaining,
    packages.c.payment_id,
    packages.c.created_at,
]
_SESSION_COLUMNS = (
    package_sessions.c.id,
    package_sessions.c.package_id,
    package_sessions.c.bill_id,
    package_sessions.c.item_id,
    package_sessions.c.line_id,
    package_sessions.c.discount_line_id,
)


def client_package_rows(tx: Tx, client_id: str) -> list[PackageRecord]:
    """The client's packages, oldest first (the order sessions draw on them)."""
    rows = tx.conn.execute(
        select(*_COLUMNS)
        .select_from(packages.join(credit_lots, _LOT_OF))
        .where(packages.c.practice_id == tx.practice_id, packages.c.client_id == client_id)
        .order_by(packages.c.id)
    )
    return [PackageRecord(*r) for r in rows]


def get_package_row(tx: Tx, package_id: str) -> PackageRecord:
    row = tx.conn.execute(
        select(*_COLUMNS)
        .select_from(packages.join(credit_lots, _LOT_OF))
        .where(packages.c.practice_id == tx.practice_id, packages.c.id == package_id)
    ).first()
    if row is None:
        raise NotFound(f"No package {package_id!r} in this practice.")
    return PackageRecord(*row)


def session_of_line(tx: Tx, line_id: str) -> SessionRecord | None:
    """The package session a client_credit line pays, if it is one."""
    row = tx.conn.execute(
        select(*_SESSION_COLUMNS).where(
            package_sessions.c.practice_id == tx.practice_id, package_sessions.c.line_id == line_id
        )
    ).first()
    return None if row is None else SessionRecord(*row)
