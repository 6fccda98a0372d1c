"""One-time form nonces, kept in ``idempotency_keys`` (key ``web:<nonce>``) beside the API's keys.

A nonce is claimed in the same transaction as the form's use case: if the use case is refused the
claim rolls back with it and the form can be sent again; once it succeeded, the same form sent a
second time (a double click, a resubmitted page) finds its nonce taken and changes nothing.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import insert, select

from clientledger.db import Ctx, Database, Tx
from clientledger.kit.errors import ClientLedgerError
from clientledger.models import idempotency_keys

WEB_FORM_STATUS = 303


class AlreadySubmitted(ClientLedgerError):
    code = "already_submitted"
    status_code = 409


def used(db: Database, ctx: Ctx, key: str) -> bool:
    with db.transaction(ctx, write=False) as tx:
        return _exists(tx, key)


def claim(tx: Tx, *, key: str, path: str) -> None:
    """Take ``key`` for this transaction; ``AlreadySubmitted`` if a committed form already took it."""
    if _exists(tx, key):
        raise AlreadySubmitted("This was already submitted.")
    tx.conn.execute(
        insert(idempotency_keys).values(
            practice_id=tx.practice_id,
            key=key,
            request_hash=hashlib.sha256(f"POST {path}".encode()).hexdigest(),
            status_code=WEB_FORM_STATUS,
            response_body=json.dumps({"web_form": path}),
            created_at=tx.now,
        )
    )


def _exists(tx: Tx, key: str) -> bool:
    row = tx.conn.execute(
        select(idempotency_keys.c.key).where(
            idempotency_keys.c.practice_id == tx.practice_id, idempotency_keys.c.key == key
        )
    ).first()
    return row is not None
