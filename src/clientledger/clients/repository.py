"""Client queries. ``lock_client`` is how every money use case starts."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import bindparam, insert, select

from clientledger.db import Tx
from clientledger.kit.errors import NotFound
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


def list_client_rows(tx: Tx, *, limit: int, cursor: str | None) -> list[ClientRecord]:
    stmt = select(*CLIENT_COLUMNS).where(clients.c.practice_id == tx.practice_id)
    if cursor:
        stmt = stmt.where(clients.c.id > cursor)
    return [ClientRecord(*r) for r in tx.conn.execute(stmt.order_by(clients.c.id).limit(limit))]


def insert_client(tx: Tx, *, name: str, email: str | None, billing: str, copay: int | None, client_id: str) -> None:
    """A new client of the acting practice, with no credit and nothing due."""
    tx.conn.execute(
        _INSERT_CLIENTS,
        [
            dict(
                id=client_id,
                practice_id=tx.practice_id,
                name=name,
                email=email,
                billing=billing,
                copay=copay,
                credit_balance=0,
                balance_due=0,
                created_at=tx.now,
            )
        ],
    )
