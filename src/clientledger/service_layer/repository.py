"""Stored answers of replayable requests (``idempotency_keys``): one row per key, per practice.

API ``Idempotency-Key`` headers are stored as ``api:<key>`` and the web's one-time form codes as
``web:<code>``, so the two faces share one mechanism and never collide.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from clientledger.db import Tx
from clientledger.models import idempotency_keys

CLAIMED = 0
"""``status_code`` of a row whose use case is still running (claimed, not yet answered)."""

_SELECT = select(
    idempotency_keys.c.request_hash, idempotency_keys.c.status_code, idempotency_keys.c.response_body
).where(idempotency_keys.c.practice_id == bindparam("practice_id"), idempotency_keys.c.key == bindparam("key"))
_INSERT = insert(idempotency_keys)
_ANSWER = (
    update(idempotency_keys)
    .where(idempotency_keys.c.practice_id == bindparam("p"), idempotency_keys.c.key == bindparam("k"))
    .values(status_code=bindparam("status_code"), response_body=bindparam("response_body"))
)


@dataclass(frozen=True)
class StoredAnswer:
    request_hash: str
    status_code: int
    body: str

    @property
    def answered(self) -> bool:
        return self.status_code != CLAIMED


class KeyTaken(Exception):
    """Another request holding the same key committed first."""


def find_answer(tx: Tx, key: str) -> StoredAnswer | None:
    row = tx.conn.execute(_SELECT, {"practice_id": tx.practice_id, "key": key}).first()
    return None if row is None else StoredAnswer(row.request_hash, row.status_code, row.response_body)


def claim_key(tx: Tx, key: str, request_hash: str) -> None:
    """Take the key before the use case runs, so a concurrent twin blocks here instead of repeating it."""
    store_answer(tx, key, request_hash, status_code=CLAIMED, body="")


def store_answer(tx: Tx, key: str, request_hash: str, *, status_code: int, body: str) -> None:
    """Insert the key's row; ``KeyTaken`` (the transaction must then roll back) if it exists."""
    row = dict(
        practice_id=tx.practice_id,
        key=key,
        request_hash=request_hash,
        status_code=status_code,
        response_body=body,
        created_at=tx.now,
    )
    try:
        tx.conn.execute(_INSERT, [row])
    except IntegrityError as exc:
        raise KeyTaken from exc


def answer_key(tx: Tx, key: str, *, status_code: int, body: str) -> None:
    tx.conn.execute(_ANSWER, {"p": tx.practice_id, "k": key, "status_code": status_code, "response_body": body})
