"""Household queries: its members, and the locks and lots a member's bill shares credit through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, select

from clientledger.accounting.repository import CreditPool, credit_pool, pool_select
from clientledger.accounting.writes import Statement, read_together
from clientledger.clients.repository import CLIENT_COLUMNS, ClientRecord, client_sort_key
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.models import clients, credit_lots, household_members, households, packages


@dataclass(frozen=True, slots=True)
class HouseholdRecord:
    id: str
    name: str
    share_credit: bool
    created_at: datetime


_HOUSEHOLD_COLUMNS = [households.c.id, households.c.name, households.c.share_credit, households.c.created_at]
_INSERT_HOUSEHOLDS = insert(households)
_INSERT_MEMBERS = insert(household_members)


def insert_household(tx: Tx, row: dict[str, object]) -> None:
    tx.conn.execute(_INSERT_HOUSEHOLDS, [row])


def insert_members(tx: Tx, household_id: str, client_ids: list[str]) -> None:
    rows = [
        {"practice_id": tx.practice_id, "client_id": c, "household_id": household_id, "created_at": tx.now}
        for c in client_ids
    ]
    if rows:
        tx.conn.execute(_INSERT_MEMBERS, rows)


def get_household_row(tx: Tx, household_id: str, *, lock: bool = False) -> HouseholdRecord:
    stmt = select(*_HOUSEHOLD_COLUMNS).where(
        households.c.practice_id == tx.practice_id, households.c.id == household_id
    )
    if lock and tx.dialect == "postgresql":
        stmt = stmt.with_for_update(key_share=True)
    row = tx.conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"No household {household_id!r} in this practice.")
    return HouseholdRecord(*row)


def households_of(tx: Tx, client_ids: list[str]) -> dict[str, str]:
    """``client_id -> household_id`` for those of ``client_ids`` already in a household."""
    if not client_ids:
        return {}
    rows = tx.conn.execute(
        select(household_members.c.client_id, household_members.c.household_id).where(
            household_members.c.practice_id == tx.practice_id, household_members.c.client_id.in_(client_ids)
        )
    )
    return {r[0]: r[1] for r in rows}


def household_of_client(tx: Tx, client_id: str) -> HouseholdRecord | None:
    row = tx.conn.execute(
        select(*_HOUSEHOLD_COLUMNS)
        .select_from(household_members.join(households, _MEMBER_OF))
        .where(household_members.c.practice_id == tx.practice_id, household_members.c.client_id == client_id)
    ).first()
    return None if row is None else HouseholdRecord(*row)


def member_rows(tx: Tx, household_id: str) -> list[ClientRecord]:
    """The household's members, in the order clients are listed (by name)."""
    rows = tx.conn.execute(
        select(*CLIENT_COLUMNS)
        .select_from(
            household_members.join(
                clients,
                and_(
                    clients.c.practice_id == household_members.c.practice_id,
                    clients.c.id == household_members.c.client_id,
                ),
            )
        )
        .where(household_members.c.practice_id == tx.practice_id, household_members.c.household_id == household_id)
    )
    return sorted((ClientRecord(*r) for r in rows), key=lambda c: client_sort_key(c.name, c.id))


def package_credit(tx: Tx, client_ids: list[str]) -> dict[str, int]:
    """What of each client's credit balance is held in package lots (it pays only their sessions)."""
    if not client_ids:
        return {}
    rows = tx.conn.execute(
        select(credit_lots.c.client_id, credit_lots.c.remaining)
        .select_from(
            credit_lots.join(
                packages,
                and_(packages.c.practice_id == credit_lots.c.practice_id, packages.c.lot_id == credit_lots.c.id),
            )
        )
        .where(
            credit_lots.c.practice_id == tx.practice_id,
            credit_lots.c.client_id.in_(client_ids),
            credit_lots.c.remaining > 0,
        )
    )
    out: dict[str, int] = {}
    for client_id, remaining in rows:
        out[client_id] = out.get(client_id, 0) + int(remaining)
    return out


_MEMBER_OF = and_(
    households.c.practice_id == household_members.c.practice_id, households.c.id == household_members.c.household_id
)

# The household of a client about to spend credit, locked before the client (a member's bill takes
# the household's lock first, then the clients', so two members' bills never wait on each other in
# a circle); FOR NO KEY UPDATE OF households on PostgreSQL, SQLite's writer lock covers it.
LOCK_HOUSEHOLD_OF = Statement(
    select(households.c.id, households.c.share_credit)
    .select_from(household_members.join(households, _MEMBER_OF))
    .where(
        household_members.c.practice_id == bindparam("practice_id"),
        household_members.c.client_id == bindparam("client_id"),
    )
    .with_for_update(key_share=True, of=households)
)
_OTHERS = (
    select(household_members.c.client_id)
    .where(
        household_members.c.practice_id == bindparam("practice_id"),
        household_members.c.household_id == bindparam("household_id"),
        household_members.c.client_id != bindparam("client_id"),
    )
    .scalar_subquery()
)
# The other members, locked in id order, then their open lots read under those locks.
_LOCK_OTHERS = Statement(
    select(clients.c.id)
    .where(clients.c.practice_id == bindparam("practice_id"), clients.c.id.in_(_OTHERS))
    .order_by(clients.c.id)
    .with_for_update(key_share=True)
)
_OTHERS_POOL = Statement(pool_select(credit_lots.c.client_id.in_(_OTHERS)))


def shared_pool(tx: Tx, *, client_id: str, household: tuple[str, bool] | None) -> CreditPool | None:
    """The other members' spendable credit, for a member of a household that shares it (``household``:
    the ``(id, share_credit)`` that ``LOCK_HOUSEHOLD_OF`` locked); None otherwise."""
    if household is None or not household[1]:
        return None
    params = {"practice_id": tx.practice_id, "household_id": household[0], "client_id": client_id}
    _, lot_rows = read_together(tx, [(_LOCK_OTHERS, params), (_OTHERS_POOL, params)])
    return _others(lot_rows)


def shared_credit_now(tx: Tx, client_id: str) -> CreditPool | None:
    """``shared_pool`` for a page that only shows it: read without locking anyone."""
    household = household_of_client(tx, client_id)
    if household is None or not household.share_credit:
        return None
    params = {"practice_id": tx.practice_id, "household_id": household.id, "client_id": client_id}
    (lot_rows,) = read_together(tx, [(_OTHERS_POOL, params)])
    return _others(lot_rows)


def _others(lot_rows: list[tuple[Any, ...]]) -> CreditPool:
    """The other members' lots as a pool: their packages are their own, so none is listed."""
    pool = credit_pool(lot_rows)
    return CreditPool(pool.lots, pool.sources, pool.owners, [])
