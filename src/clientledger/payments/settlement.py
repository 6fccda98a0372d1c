"""Card refunds: recorded pending, committed, sent to the processor, then settled.

The processor is never called inside a database transaction. A refund left pending by a crash
or an unreachable processor is sent again by ``recover_pending_refunds`` (at start-up and by
``clientledger verify --repair``); the idempotency key derived from the refund id makes the
second call return the first result instead of refunding twice.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import select, update

from clientledger.accounting.accounts import AR_CLIENT, CLIENT_CREDIT, cash
from clientledger.accounting.journal import record
from clientledger.accounting.posting import cr, dr
from clientledger.audit.service import record_event
from clientledger.db import Ctx, Database, Tx
from clientledger.kit.errors import CardDeclined, ProcessorUnavailable
from clientledger.kit.processing import PaymentProcessor
from clientledger.models import payments, refunds
from clientledger.payments.repository import add_refunded, get_refund_row, pending_refund_rows

log = logging.getLogger(__name__)


def settle_refund_after_commit(tx: Tx, refund_id: str) -> None:
    db, ctx, processor = tx.db, tx.ctx, tx.processor

    def settle() -> None:
        settle_refund(db, ctx, refund_id, processor=processor)

    tx.after_commit(settle)


def settle_refund(db: Database, ctx: Ctx, refund_id: str, *, processor: PaymentProcessor) -> str:
    """Send a pending refund to the processor and record the outcome; returns the refund's status."""
    with db.transaction(ctx, write=False) as tx:
        refund = get_refund_row(tx, refund_id)
        charge_id = tx.conn.execute(select(payments.c.charge_id).where(payments.c.id == refund.payment_id)).scalar_one()
    if refund.status != "pending":
        return str(refund.status)
    try:
        result = processor.refund(charge_id=charge_id, amount=refund.amount, idempotency_key=f"refund-{refund_id}")
    except ProcessorUnavailable:
        log.warning("refund %s stays pending: processor unavailable", refund_id)
        return "pending"
    except CardDeclined as exc:
        _fail_refund(db, ctx, refund_id, exc.message)
        return "failed"
    with db.transaction(ctx) as tx:
        tx.conn.execute(
            update(refunds)
            .where(refunds.c.id == refund_id, refunds.c.status == "pending")
            .values(status="settled", processor_refund_id=result.refund_id, settled_at=tx.now)
        )
    return "settled"


def _fail_refund(db: Database, ctx: Ctx, refund_id: str, message: str) -> None:
    """The processor refused: put the money back exactly where the refund took it from."""
    with db.transaction(ctx) as tx:
        refund = get_refund_row(tx, refund_id)
        if refund.status != "pending":
            return
        payment = tx.conn.execute(select(payments).where(payments.c.id == refund.payment_id)).one()
        alloc = json.loads(refund.allocation)
        lines = [dr(cash(payment.method), refund.amount, payment_id=payment.id)]
        lines += [cr(CLIENT_CREDIT, amount, lot_id=lot_id) for lot_id, amount in alloc["lots"].items()]
        if alloc["from_bill"]:
            lines.append(cr(AR_CLIENT, alloc["from_bill"], bill_id=alloc["bill_id"], line_id=alloc["line_id"]))
        record(tx, kind="refund_failed", client_id=payment.client_id, payment_id=payment.id, lines=lines, memo=message)
        add_refunded(tx, payment.id, -refund.amount)
        tx.conn.execute(
            update(refunds)
            .where(refunds.c.id == refund_id)
            .values(status="failed", failure_reason=message[:500], settled_at=tx.now)
        )
        record_event(tx, action="refund.failed", object_ids=[refund_id, payment.id], detail={"message": message})


def recover_pending_refunds(db: Database, practice_ids: list[str], *, processor: PaymentProcessor) -> int:
    """Retry every refund a crash or an outage left pending; returns how many settled or failed."""
    done = 0
    for practice_id in practice_ids:
        ctx = Ctx(practice_id=practice_id)
        with db.transaction(ctx, write=False) as tx:
            pending = [r.id for r in pending_refund_rows(tx)]
        done += sum(settle_refund(db, ctx, refund_id, processor=processor) != "pending" for refund_id in pending)
    return done
