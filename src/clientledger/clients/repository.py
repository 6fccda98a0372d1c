"""Client queries. ``lock_client`` is how every money use case starts."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, func, insert, or_, select

from clientledger.db import Tx
from clientledger.kit.errors import NotFound, ValidationFailed
from clientledger.kit.names import name_key
from clientledger.models import clients


@dataclass(frozen=True, slots=True)
class ClientRecord:
    id: str
    name: str
    email: str | None
    billing: str
    copay: int | None
    credit_balance: int
    balance_due: int
    created_at: datetime


CLIENT_COLUMNS = [clients.c[f.name] for f in fields(ClientRecord)]  # in ClientRecord order
_INSERT_CLIENTS = insert(clients)
_CLIENT = select(*CLIENT_COLUMNS).where(
    clients.c.id == bindparam("client_id"), clients.c.practice_id == bindparam("practice_id")
)
# FOR NO KEY UPDATE: rows that merely reference the client (inserts with a foreign key) still proceed.
_LOCK_CLIENT = _CLIENT.with_for_update(key_share=True)


def get_client_row(tx: Tx, client_id: str, *, lock: bool = False) -> ClientRecord:
    """The client, scoped to the acting practice; locked ``FOR UPDATE`` when spending its money.

    On SQLite the write transaction already holds the database's write lock (BEGIN IMMEDIATE).
    """
    stmt = _LOCK_CLIENT if lock and tx.dialect == "postgresql" else _CLIENT
    row = tx.conn.execute(stmt, {"client_id": client_id, "practice_id": tx.practice_id}).first()
    if row is None:
        raise NotFound(f"No client {client_id!r} in this practice.")
    return ClientRecord(*row)


def lock_client(tx: Tx, client_id: str) -> ClientRecord:
    return get_client_row(tx, client_id, lock=True)


def name_order(tx: Tx) -> ColumnElement[str]:
    """The order clients are listed in everywhere (the list, the reports): alphabetically, case and
    accents aside (``clients.name_key``), compared by code point on both databases, as Python's
    ``client_sort_key`` does."""
    return clients.c.name_key.collate("C") if tx.dialect == "postgresql" else clients.c.name_key


def client_sort_key(name: str, client_id: str) -> tuple[str, str]:
    """``name_order`` for clients sorted in Python."""
    return name_key(name), client_id


def like_anywhere(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_client_rows(tx: Tx, *, q: str | None, limit: int, cursor: str | None) -> list[ClientRecord]:
    """The practice's clients by name (then id), those whose name (case and accents aside) or email
    (case aside) holds ``q``; ``cursor`` is the id of the last client of the previous page."""
    key = name_order(tx)
    stmt = select(*CLIENT_COLUMNS).where(clients.c.practice_id == tx.practice_id)
    if q:
        stmt = stmt.where(
            or_(
                clients.c.name_key.like(bindparam("folded", like_anywhere(name_key(q))), escape="\\"),
                func.lower(clients.c.email).like(func.lower(bindparam("pattern", like_anywhere(q))), escape="\\"),
            )
        )
    if cursor:
        last = tx.conn.execute(
            select(key, clients.c.id).where(clients.c.practice_id == tx.practice_id, clients.c.id == cursor)
        ).first()
        if last is None:
            raise ValidationFailed(f"Unknown cursor {cursor!r}.")
        stmt = stmt.where(or_(key > last[0], and_(key == last[0], clients.c.id > last[1])))
    return [ClientRecord(*r) for r in tx.conn.execute(stmt.order_by(key, clients.c.id).limit(limit))]


def insert_client(tx: Tx, *, name: str, email: str | None, billing: str, copay: int | None, client_id: str) -> None:
    """A new client of the acting practice, with no credit and nothing due."""
    tx.conn.execute(
        _INSERT_CLIENTS,
        [
            dict(
                id=client_id,
                practice_id=tx.practice_id,
                name=name,
                name_key=name_key(name),
                email=email,
                billing=billing,
                copay=copay,
                credit_balance=0,
                balance_due=0,
                created_at=tx.now,
            )
        ],
    )
