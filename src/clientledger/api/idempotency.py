"""``Idempotency-Key``: a retried money request replays the first answer instead of moving money twice.

The key is scoped to the practice and stored with a hash of method, path and canonical JSON body,
in the same transaction as the effect: the row is claimed first, the use case runs, and the
answer is written into the row before the commit. A concurrent twin with the same key waits on
that row (PostgreSQL) or on the write lock (SQLite), then finds the key taken, rolls back and
replays the stored answer. A business-rule refusal (any 4xx but ``validation_error``) is stored in
its own small transaction, so a retry gets the same refusal.

Card charges happen outside the transaction (``payments.service.with_card_charge``); the
processor's idempotency key derives from this key and the request hash, so a retry cannot charge
twice and a different request under a reused key cannot ride on the first charge.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from clientledger.api.deps import RequestContext
from clientledger.api.errors import error_body
from clientledger.db import Tx
from clientledger.kit.errors import ClientLedgerError, IdempotencyKeyReused, ValidationFailed
from clientledger.models import idempotency_keys
from clientledger.payments.processors.base import Charge
from clientledger.payments.service import with_card_charge

REPLAY_HEADER = "Idempotent-Replayed"

UseCase = Callable[[Tx, Charge | None], BaseModel | None]


@dataclass(frozen=True)
class IdempotencyRequest:
    key: str | None
    request_hash: str


async def idempotency_request(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            description="Retry-safe key, scoped to the practice: the same key and body replay the first "
            "answer; the same key with another method, path or body is 409 `idempotency_key_reused`.",
        ),
    ] = None,
) -> IdempotencyRequest:
    if idempotency_key is None:
        return IdempotencyRequest(key=None, request_hash="")
    body = await request.body()
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")) if body else ""
    except ValueError:
        canonical = body.decode("utf-8", "replace")
    digest = hashlib.sha256(f"{request.method}\n{request.url.path}\n{canonical}".encode()).hexdigest()
    return IdempotencyRequest(key=idempotency_key, request_hash=digest)


Idem = Annotated[IdempotencyRequest, Depends(idempotency_request)]


@dataclass(frozen=True)
class CardPayment:
    """A payment that may need a processor charge before it is recorded (``method == "card"``)."""

    method: str
    amount: int
    card_number: str | None


@dataclass(frozen=True)
class _Stored:
    request_hash: str
    status_code: int
    body: str


class _KeyTaken(Exception):
    """A concurrent request with the same key committed first; this attempt rolls back."""


def execute(
    rc: RequestContext,
    idem: IdempotencyRequest,
    *,
    status_code: int,
    use_case: UseCase,
    card: CardPayment | None = None,
    precheck: Callable[[Tx], object] | None = None,
    reread: Callable[[Tx, Any], BaseModel] | None = None,
) -> Response:
    """Run one money use case under the request's idempotency key (if any) and answer with its result.

    ``precheck`` runs read-only before a card is charged (an unknown bill should not cost a charge
    and a void); ``reread`` refreshes the result after the commit, when settling after commit (card
    refunds) changed what the answer should say.
    """
    key = idem.key
    if key is not None:
        stored = _lookup(rc, key)
        if stored is not None:
            return _replay(stored, idem.request_hash)
    try:
        if precheck is not None:
            with rc.db.transaction(rc.ctx, write=False) as tx:
                precheck(tx)
        result, body = _run(rc, idem, status_code, use_case, card)
    except _KeyTaken:
        return _replay_twin(rc, idem)
    except ValidationFailed:
        raise
    except ClientLedgerError as exc:
        if key is None or not 400 <= exc.status_code < 500:
            raise
        return _store_error(rc, idem, exc)
    if reread is not None and result is not None:
        body = _refresh(rc, idem, result, reread, body)
    return _response(status_code, body)


def _run(
    rc: RequestContext, idem: IdempotencyRequest, status_code: int, use_case: UseCase, card: CardPayment | None
) -> tuple[BaseModel | None, str]:
    key = idem.key

    def in_transaction(tx: Tx, charge: Charge | None) -> tuple[BaseModel | None, str]:
        if key is not None:
            _claim(tx, key, idem.request_hash)
        result = use_case(tx, charge)
        body = "" if result is None else result.model_dump_json()
        if key is not None:
            tx.conn.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.practice_id == tx.practice_id, idempotency_keys.c.key == key)
                .values(status_code=status_code, response_body=body)
            )
        return result, body

    if card is None:
        with rc.db.transaction(rc.ctx) as tx:
            return in_transaction(tx, None)
    return with_card_charge(
        rc.db,
        rc.ctx,
        method=card.method,
        amount=card.amount,
        card_number=card.card_number,
        idempotency_key=f"{key}-{idem.request_hash[:16]}" if key is not None else None,
        use_case=in_transaction,
    )


def _claim(tx: Tx, key: str, request_hash: str) -> None:
    """Take the key before doing anything, so a concurrent twin blocks here rather than doing the work."""
    try:
        tx.conn.execute(
            insert(idempotency_keys).values(
                practice_id=tx.practice_id,
                key=key,
                request_hash=request_hash,
                status_code=0,
                response_body="",
                created_at=tx.now,
            )
        )
    except IntegrityError as exc:
        raise _KeyTaken from exc


def _lookup(rc: RequestContext, key: str) -> _Stored | None:
    with rc.db.transaction(rc.ctx, write=False) as tx:
        row = tx.conn.execute(
            select(
                idempotency_keys.c.request_hash, idempotency_keys.c.status_code, idempotency_keys.c.response_body
            ).where(idempotency_keys.c.practice_id == tx.practice_id, idempotency_keys.c.key == key)
        ).first()
    return None if row is None else _Stored(row.request_hash, row.status_code, row.response_body)


def _replay(stored: _Stored, request_hash: str) -> Response:
    if stored.request_hash != request_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different request (method, path or body)."
        )
    response = _response(stored.status_code, stored.body)
    response.headers[REPLAY_HEADER] = "true"
    return response


def _replay_twin(rc: RequestContext, idem: IdempotencyRequest) -> Response:
    assert idem.key is not None
    stored = _lookup(rc, idem.key)
    if stored is None:
        raise IdempotencyKeyReused("A request with this Idempotency-Key is still being processed.")
    return _replay(stored, idem.request_hash)


def _store_error(rc: RequestContext, idem: IdempotencyRequest, exc: ClientLedgerError) -> Response:
    assert idem.key is not None
    body = json.dumps(error_body(exc.code, exc.message), separators=(",", ":"))
    try:
        with rc.db.transaction(rc.ctx) as tx:
            tx.conn.execute(
                insert(idempotency_keys).values(
                    practice_id=tx.practice_id,
                    key=idem.key,
                    request_hash=idem.request_hash,
                    status_code=exc.status_code,
                    response_body=body,
                    created_at=tx.now,
                )
            )
    except IntegrityError:
        return _replay_twin(rc, idem)
    return _response(exc.status_code, body)


def _refresh(
    rc: RequestContext,
    idem: IdempotencyRequest,
    result: BaseModel,
    reread: Callable[[Tx, Any], BaseModel],
    body: str,
) -> str:
    with rc.db.transaction(rc.ctx, write=False) as tx:
        fresh = reread(tx, result).model_dump_json()
    if fresh != body and idem.key is not None:
        with rc.db.transaction(rc.ctx) as tx:
            tx.conn.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.practice_id == tx.practice_id, idempotency_keys.c.key == idem.key)
                .values(response_body=fresh)
            )
    return fresh


def _response(status_code: int, body: str) -> Response:
    if status_code == 204 or not body:
        return Response(status_code=status_code)
    return Response(content=body, status_code=status_code, media_type="application/json")
