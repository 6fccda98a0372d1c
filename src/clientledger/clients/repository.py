"""Client queries. ``lock_client`` is how every money use case starts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, select

from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.models import clients

_CLIENT = select(clients).where(
    clients.c.id == bindparam("client_id"), clients.c.practice_id == bindparam("practice_id")
)
# FOR NO KEY UPDATE: rows that merely reference the client (inserts with a foreign key) still proceed.
_LOCK_CLIENT = _CLIENT.with_for_update(key_share=True)


def get_client_row(tx: Tx, client_id: str, *, lock: bool = False) -> Row[Any]:
    """The client, scoped to the acting practice; locked ``FOR UPDATE`` when spending its money.

    On SQLite the write transaction already holds the database's write lock (BEGIN IMMEDIATE).
    """
    stmt = _LOCK_CLIENT if lock and tx.dialect == "postgresql" else _CLIENT
    row = tx.conn.execute(stmt, {"client_id": client_id, "practice_id": tx.practice_id}).first()
    if row is None:
        raise NotFound(f"No client {client_id!r} in this practice.")
    return row


def lock_client(tx: Tx, client_id: str) -> Row[Any]:
    return get_client_row(tx, client_id, lock=True)


def list_client_rows(tx: Tx, *, limit: int, cursor: str | None) -> list[Row[Any]]:
    stmt = select(clients).where(clients.c.practice_id == tx.practice_id)
    if cursor:
        stmt = stmt.where(clients.c.id > cursor)
    return list(tx.conn.execute(stmt.order_by(clients.c.id).limit(limit)))
