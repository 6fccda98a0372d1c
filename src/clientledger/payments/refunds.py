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
- the processor's own word (its events, ``payments.processor_events``): a refund made in its
  dashboard is recorded settled, nothing sent; a refund it fails later, even a settled one, fails.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from clientledger.accounting.journal import record
from clientledger.accounting.moves import record_refund, undo_refund
from clientledger.accounting.outbox import announce_refund
from clientledger.accounting.posting import lots_in
from clientledger.accounting.projections import NewRows
from clientledger.accounting.repository import PaymentRecord, RefundRecord, open_lots
from clientledger.accounting.writes import Writes
from clientledger.audit.service import record_event
from clientledger.clients.repository import lock_client
from clientledger.db import Ctx, Database, Tx
from clientledger.kit.errors import CardDeclined, PaymentDeleted, ProcessorUnavailable
from clientledger.kit.processing import METADATA_PRACTICE_ID, METADATA_REFUND_ID, PaymentProcessor
from clientledger.kit.vocabulary import EntryKind, EventType, RefundStatus
from clientledger.payments.repository import (
    get_payment_row,
    get_refund_row,
    mark_refund_failed,
    mark_refund_settled,
    note_pending_processor_refund,
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
    refund = _record(tx, payment, amount=amount, reason=reason)
    if refund.status == RefundStatus.PENDING:
        assert payment.charge_id is not None  # only a processor charge's refund is pending
        send_after_commit(tx, [refund.id], known={refund.id: (payment.charge_id, refund.amount)})
    return refund


def record_processor_refund(
    tx: Tx, *, payment: PaymentRecord, amount: int, reason: str, processor_refund_id: str | None
) -> RefundRecord:
    """A refund the processor made without clientledger asking (in its dashboard), for callers
    holding the client's lock: split by rule 7 like any other, settled at once, nothing sent.

    ``processor_refund_id`` is None when only the charge's total refunded told of it; the processor's
    event about the refund itself then claims it (``set_processor_refund_id``)."""
    return _record(
        tx, payment, amount=amount, reason=reason, made_by_processor=True, processor_refund_id=processor_refund_id
    )


def _record(
    tx: Tx,
    payment: PaymentRecord,
    *,
    amount: int | None,
    reason: str | None,
    made_by_processor: bool = False,
    processor_refund_id: str | None = None,
) -> RefundRecord:
    """Plan (rule 7) and record a refund: its row, its journal entry and its audit event."""
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
    refund = record_refund(
        tx,
        payment=payment,
        plan=plan,
        reason=reason,
        line=line,
        new=new,
        writes=writes,
        made_by_processor=made_by_processor,
        processor_refund_id=processor_refund_id,
    )
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
    detail: dict[str, object] = {
        "amount": plan.amount,
        "from_credit": plan.from_credit,
        "from_bills": plan.from_bill,
        "reason": reason,
    }
    if made_by_processor:
        detail["processor_ref"] = processor_refund_id
    record_event(
        tx,
        action="payment.refunded",
        object_ids=[refund.refund_id, payment.id, payment.client_id, payment.bill_id, *lots_in(refund.lines)],
        detail=detail,
        writes=writes,
    )
    writes.flush()
    row = new.refunds[refund.refund_id]
    return RefundRecord(**{f: row[f] for f in RefundRecord.__slots__})


def refund_metadata(practice_id: str, refund_id: str) -> dict[str, str]:
    """What a refund sent to the processor carries, so its echo in the processor's events is known
    as this refund (``payments.processor_events``), however early the echo arrives."""
    return {METADATA_REFUND_ID: refund_id, METADATA_PRACTICE_ID: practice_id}


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
    and only a pending refund is ever marked settled.

    A refund the processor took but answered ``pending`` (Stripe's, until the bank confirms it)
    stays pending here, with the processor's id: its event settles or fails it, and a later call
    asks the processor about that id instead of sending it again (an idempotency key does not
    last for ever, a second refund would)."""
    held_by_processor: str | None = None
    if written is None:
        with db.transaction(ctx, write=False) as tx:
            refund = get_refund_row(tx, refund_id)
            charge_id = get_payment_row(tx, refund.payment_id).charge_id
        if refund.status != "pending":
            return str(refund.status)
        assert charge_id is not None  # only a processor charge's refund is ever pending (``record_refund``)
        written = (charge_id, refund.amount)
        held_by_processor = refund.processor_refund_id
    charge_id, amount = written
    try:
        if held_by_processor is not None:
            went_through = processor.check_refund(refund_id=held_by_processor)
            processor_refund_id = held_by_processor
        else:
            # The metadata names this refund, so the processor's refund.created echo is matched to
            # it even before it is settled.
            result = processor.refund(
                charge_id=charge_id,
                amount=amount,
                idempotency_key=f"refund-{refund_id}",
                metadata=refund_metadata(ctx.practice_id, refund_id),
            )
            went_through, processor_refund_id = not result.pending, result.refund_id
    except ProcessorUnavailable:
        log.warning("refund %s stays pending: processor unavailable", refund_id)
        return "pending"
    except CardDeclined as exc:
        _fail_refund(db, ctx, refund_id, exc.message)
        return "failed"
    if not went_through:
        if held_by_processor is None:
            with db.transaction(ctx) as tx:
                note_pending_processor_refund(tx, refund_id, processor_refund_id)
        return "pending"
    with db.transaction(ctx) as tx:
        if mark_refund_settled(tx, refund_id, processor_refund_id=processor_refund_id):
            announce_refund(tx, refund_id, EventType.REFUND_SETTLED)
    return "settled"


def _fail_refund(db: Database, ctx: Ctx, refund_id: str, message: str) -> None:
    """The processor refused: put the money back exactly where the refund took it from."""
    with db.transaction(ctx) as tx:
        refund = get_refund_row(tx, refund_id)
        lock_client(tx, get_payment_row(tx, refund.payment_id).client_id)
        if get_refund_row(tx, refund_id).status == RefundStatus.PENDING:  # read again under the lock
            fail_refund(tx, refund_id, message)


def fail_refund(tx: Tx, refund_id: str, message: str) -> bool:
    """A refund the processor refused, at once or later (a settled card refund can still fail):
    its credit goes back into the lots it came from, its bill money onto its bill, and the payment's
    ``refunded`` falls back; for callers holding the client's lock. False when it had failed already."""
    refund = get_refund_row(tx, refund_id)
    if refund.status == RefundStatus.FAILED:
        return False
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
        detail={"message": message, "amount": refund.amount, "was": refund.status},
    )
    return True


def settle_pending_refund(tx: Tx, refund: RefundRecord, *, processor_refund_id: str) -> bool:
    """The processor says a pending refund went through (its event may come before its answer)."""
    if refund.status != RefundStatus.PENDING:
        return False
    mark_refund_settled(tx, refund.id, processor_refund_id=processor_refund_id)
    announce_refund(tx, refund.id, EventType.REFUND_SETTLED)
    record_event(
        tx,
        action="refund.settled",
        object_ids=[refund.id, refund.payment_id],
        detail={"amount": refund.amount, "processor_ref": processor_refund_id},
    )
    return True


def recover_pending_refunds(db: Database, practice_ids: list[str], *, processor: PaymentProcessor) -> int:
    """Retry every refund a crash or an outage left pending; returns how many settled or failed."""
    done = 0
    for practice_id in practice_ids:
        ctx = Ctx(practice_id=practice_id)
        with db.transaction(ctx, write=False) as tx:
            pending = pending_refund_ids(tx)
        done += sum(settle_refund(db, ctx, refund_id, processor=processor) != "pending" for refund_id in pending)
    return done
