"""Client queries. ``lock_client`` is how every money use case starts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from clientledger.db import Tx
from clientledger.errors import NotFound
from clientledger.models import clients


def get_client_row(tx: Tx, client_id: str, *, lock: bool = False) -> Row[Any]:
    """The client, scoped to the acting practice; locked ``FOR UPDATE`` when spending its money.

    On SQLite the write transaction already holds the database's write lock (BEGIN IMMEDIATE).
    """
    stmt = select(clients).where(clients.c.id == client_id, clients.c.practice_id == tx.practice_id)
    if lock and tx.dialect == "postgresql":
        stmt = stmt.with_for_update(key_share=True)  # FOR NO KEY UPDATE: inserts referencing it still run
    row = tx.conn.execute(stmt).first()
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
