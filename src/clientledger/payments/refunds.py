"""Refunds of client payments, the whole workflow: begin, send, settle, fail, recover.

- begin: plan the refund (rule 7) and record it in the caller's transaction: pending for a
  processor (card) charge, settled at once for cash and check, handed over at the desk.
- send: after commit, never inside a database transaction, ask the processor to refund with the
  idempotency key ``refund-<id>``.
- settle / fail: record the processor's answer; a refused refund puts the money back exactly
  where it was taken from.
- recover: a refund left pending by a crash or an unreachable processor is sent again (at
  start-up and by ``clientledger verify --repair``); the key derived from the refund id makes the
  second call return the first result instead of refunding twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from clientledger.accounting.journal import record
from clientledger.accounting.moves import record_refund, undo_refund
from clientledger.accounting.outbox import announce_refund
from clientledger.accounting.posting import lots_in
from clientledger.accounting.projections import NewRows
from clientledger.accounting.repository import RefundRecord, open_lots
from clientledger.accounting.writes import Writes
from clientledger.audit.service import record_event
from clientledger.db import Ctx, Database, Tx
from clientledger.kit.errors import CardDeclined, PaymentDeleted, ProcessorUnavailable
from clientledger.kit.processing import PaymentProcessor
from clientledger.kit.vocabulary import EntryKind, EventType
from clientledger.payments.repository import (
    get_payment_row,
    get_refund_row,
    mark_refund_failed,
    mark_refund_settled,
    payment_line,
    pending_refund_ids,
)
from clientledger.rules.refunds import plan_refund

log = logging.getLogger(__name__)


def begin_refund(tx: Tx, *, payment_id: str, amount: int | None, reason: str | None) -> RefundRecord:
    """Refund (part of) a card/cash/check payment, for callers that already hold the client's lock.

    Its remaining credit goes first, then what it pays on its bill (rule 7). A card refund is
    recorded pending and sent to the processor once this transaction commits. Returns the refund
    as written.
    """
    payment = get_payment_row(tx, payment_id)
    if payment.voided_at is not None:
        raise PaymentDeleted("This payment was removed as recorded in error.")
    line = payment_line(tx, payment.id)
    plan = plan_refund(
        amount=amount,
        captured=payment.captured,
        refunded=payment.refunded,
        own_credit=open_lots(tx, payment.client_id, payment_id=payment.id),
        on_bill=line.amount if line is not None else 0,
    )
    new, writes = NewRows(), Writes(tx)
    refund = record_refund(tx, payment=payment, plan=plan, reason=reason, line=line, new=new, writes=writes)
    record(
        tx,
        kind=EntryKind.REFUND,
        client_id=payment.client_id,
        bill_id=payment.bill_id if plan.from_bill else None,
        payment_id=payment.id,
        lines=refund.lines,
        memo=reason,
        new=new,
        writes=writes,
    )
    record_event(
        tx,
        action="payment.refunded",
        object_ids=[refund.refund_id, payment.id, payment.client_id, payment.bill_id, *lots_in(refund.lines)],
        detail={"amount": plan.amount, "from_credit": plan.from_credit, "from_bills": plan.from_bill, "reason": reason},
        writes=writes,
    )
    writes.flush()
    if refund.pending:
        assert payment.charge_id is not None  # only a processor charge's refund is pending
        send_after_commit(tx, [refund.refund_id], known={refund.refund_id: (payment.charge_id, plan.amount)})
    row = new.refunds[refund.refund_id]
    return RefundRecord(**{f: row[f] for f in RefundRecord.__slots__})


def send_after_commit(tx: Tx, refund_ids: Iterable[str], *, known: dict[str, tuple[str, int]] | None = None) -> None:
    """Send these pending refunds to the processor once ``tx`` has committed.

    ``known`` gives, by refund id, the charge and amount of refunds this transaction wrote: they
    are sent without reading them back (``settle_refund``)."""
    db, ctx, processor = tx.db, tx.ctx, tx.processor
    for refund_id in refund_ids:
        written = (known or {}).get(refund_id)

        def send(refund_id: str = refund_id, written: tuple[str, int] | None = written) -> None:
            settle_refund(db, ctx, refund_id, processor=processor, written=written)

        tx.after_commit(send)


def settle_refund(
    db: Database,
    ctx: Ctx,
    refund_id: str,
    *,
    processor: PaymentProcessor,
    written: tuple[str, int] | None = None,
) -> str:
    """Send a pending refund to the processor and record the outcome; returns the refund's status.

    ``written`` is the charge id and amount of a refund just committed as pending, so it need not be
    read again; a concurrent recovery sending it too gets the processor's first answer (same key),
    and only a pending refund is ever marked settled."""
    if written is None:
        with db.transaction(ctx, write=False) as tx:
            refund = get_refund_row(tx, refund_id)
            charge_id = get_payment_row(tx, refund.payment_id).charge_id
        if refund.status != "pending":
            return str(refund.status)
        assert charge_id is not None  # only a processor charge's refund is ever pending (``record_refund``)
        written = (charge_id, refund.amount)
    charge_id, amount = written
    try:
        result = processor.refund(charge_id=charge_id, amount=amount, idempotency_key=f"refund-{refund_id}")
    except ProcessorUnavailable:
        log.warning("refund %s stays pending: processor unavailable", refund_id)
        return "pending"
    except CardDeclined as exc:
        _fail_refund(db, ctx, refund_id, exc.message)
        return "failed"
    with db.transaction(ctx) as tx:
        if mark_refund_settled(tx, refund_id, processor_refund_id=result.refund_id):
            announce_refund(tx, refund_id, EventType.REFUND_SETTLED)
    return "settled"


def _fail_refund(db: Database, ctx: Ctx, refund_id: str, message: str) -> None:
    """The processor refused: put the money back exactly where the refund took it from."""
    with db.transaction(ctx) as tx:
        refund = get_refund_row(tx, refund_id)
        if refund.status != "pending":
            return
        payment = get_payment_row(tx, refund.payment_id)
        lines = undo_refund(tx, payment=payment, refund=refund)
        record(
            tx,
            kind=EntryKind.REFUND_FAILED,
            client_id=payment.client_id,
            payment_id=payment.id,
            lines=lines,
            memo=message,
        )
        mark_refund_failed(tx, refund_id, reason=message)
        announce_refund(tx, refund_id, EventType.REFUND_FAILED)
        record_event(
            tx,
            action="refund.failed",
            object_ids=[refund_id, payment.id, payment.bill_id, *lots_in(lines)],
            detail={"message": message, "amount": refund.amount},
        )


def recover_pending_refunds(db: Database, practice_ids: list[str], *, processor: PaymentProcessor) -> int:
    """Retry every refund a crash or an outage left pending; returns how many settled or failed."""
    done = 0
    for practice_id in practice_ids:
        ctx = Ctx(practice_id=practice_id)
        with db.transaction(ctx, write=False) as tx:
            pending = pending_refund_ids(tx)
        done += sum(settle_refund(db, ctx, refund_id, processor=processor) != "pending" for refund_id in pending)
    return done
