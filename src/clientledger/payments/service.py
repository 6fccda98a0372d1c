"""Client payment use cases: prepayments, refunds to the original method, card charges."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from clientledger.accounting.accounts import cash
from clientledger.accounting.journal import record
from clientledger.accounting.moves import begin_refund, move_to_credit
from clientledger.accounting.posting import dr
from clientledger.audit.service import record_event
from clientledger.clients.repository import lock_client
from clientledger.credits.repository import open_lots, payment_lot_rows
from clientledger.db import Ctx, Database, Tx
from clientledger.kit.errors import PaymentDeleted
from clientledger.payments.processors.base import Charge
from clientledger.payments.repository import (
    find_payment_by_charge,
    get_payment_row,
    get_refund_row,
    insert_payment,
    payment_line,
    refund_rows,
)
from clientledger.payments.schemas import ClientPaymentCreate, PaymentRead, RefundCreate, RefundRead
from clientledger.rules.refunds import plan_refund

T = TypeVar("T")


def record_prepayment(
    tx: Tx, *, client_id: str, data: ClientPaymentCreate, charge: Charge | None = None
) -> PaymentRead:
    """Money taken before it is earned: all of it becomes credit with this payment as provenance."""
    if data.type == "card" and (charge is None or charge.amount != data.amount):
        raise ValueError("a card prepayment needs a processor charge of the same amount")
    client = lock_client(tx, client_id)
    payment_id = insert_payment(
        tx,
        client_id=client.id,
        method=data.type,
        amount=data.amount,
        bill_id=None,
        charge=charge,
        processor=tx.db.processor.name,
        memo=data.memo,
    )
    lot_id, lines = move_to_credit(
        tx,
        client_id=client.id,
        bill_id=None,
        line_id=None,
        payment_id=payment_id,
        amount=data.amount,
        source="prepayment",
    )
    lines.append(dr(cash(data.type), data.amount, payment_id=payment_id))
    record(tx, kind="prepayment", client_id=client.id, payment_id=payment_id, lines=lines, memo=data.memo)
    record_event(
        tx, action="payment.prepaid", object_ids=[payment_id, client.id, lot_id], detail={"amount": data.amount}
    )
    return get_payment(tx, payment_id=payment_id)


def refund_payment(tx: Tx, *, payment_id: str, data: RefundCreate) -> RefundRead:
    """Refund (part of) a card/cash/check payment: its remaining credit first, then its bill (rule 7)."""
    payment = get_payment_row(tx, payment_id)
    lock_client(tx, payment.client_id)
    refund_id = refund_payment_in_tx(tx, payment_id=payment_id, amount=data.amount, reason=data.reason)
    return RefundRead.model_validate(get_refund_row(tx, refund_id))


def refund_payment_in_tx(tx: Tx, *, payment_id: str, amount: int | None, reason: str | None) -> str:
    """The refund itself, for callers that already hold the client's lock."""
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
    refund_id, lines = begin_refund(tx, payment=payment, plan=plan, reason=reason)
    record(
        tx,
        kind="refund",
        client_id=payment.client_id,
        bill_id=payment.bill_id if plan.from_bill else None,
        payment_id=payment.id,
        lines=lines,
        memo=reason,
    )
    record_event(
        tx,
        action="payment.refunded",
        object_ids=[refund_id, payment.id, payment.client_id, payment.bill_id],
        detail={"amount": plan.amount, "from_credit": plan.from_credit, "from_bills": plan.from_bill},
    )
    return refund_id


def get_payment(tx: Tx, *, payment_id: str) -> PaymentRead:
    p = get_payment_row(tx, payment_id)
    lot_ids = [lot.id for lot in payment_lot_rows(tx, p.id)]
    return PaymentRead(
        id=p.id,
        client_id=p.client_id,
        bill_id=p.bill_id,
        type=p.method,
        amount=p.captured,
        captured=p.captured,
        credited=p.credited,
        refunded=p.refunded,
        memo=p.memo,
        card_last4=p.card_last4,
        voided=p.voided_at is not None,
        lot_ids=lot_ids,
        refunds=[RefundRead.model_validate(r) for r in refund_rows(tx, p.id)],
        created_at=p.created_at,
    )


def get_refund(tx: Tx, *, refund_id: str) -> RefundRead:
    return RefundRead.model_validate(get_refund_row(tx, refund_id))


def with_card_charge(
    db: Database,
    ctx: Ctx,
    *,
    method: str,
    amount: int,
    card_number: str | None,
    idempotency_key: str | None,
    use_case: Callable[[Tx, Charge | None], T],
) -> T:
    """Charge the card outside any transaction, then record it; undo the charge if recording fails.

    The processor's idempotency key comes from the request's, so a retried request cannot charge
    twice even if the first attempt died between the charge and the commit.
    """
    if method != "card":
        with db.transaction(ctx) as tx:
            return use_case(tx, None)
    key = f"charge-{ctx.practice_id}-{idempotency_key or uuid.uuid4().hex}"
    charge = db.processor.charge(amount=amount, card_number=card_number, idempotency_key=key)
    try:
        with db.transaction(ctx) as tx:
            return use_case(tx, charge)
    except BaseException:
        if not _charge_recorded(db, ctx, charge.charge_id):
            db.processor.refund(charge_id=charge.charge_id, amount=charge.amount, idempotency_key=f"void-{key}")
        raise


def _charge_recorded(db: Database, ctx: Ctx, charge_id: str) -> bool:
    """A concurrent retry of the same request may have recorded this very charge: keep it then."""
    with db.transaction(ctx, write=False) as tx:
        return find_payment_by_charge(tx, charge_id) is not None
