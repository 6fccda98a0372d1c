"""Client payment use cases: prepayments, refunds to the original method, card charges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from clientledger.accounting.accounts import cash
from clientledger.accounting.journal import record
from clientledger.accounting.moves import move_to_credit
from clientledger.accounting.posting import dr
from clientledger.accounting.projections import NewRows
from clientledger.accounting.repository import PaymentRecord, RefundRecord, new_payment_row
from clientledger.accounting.writes import Writes
from clientledger.audit.service import record_event
from clientledger.cards.service import charge_request
from clientledger.clients.repository import get_client_row, lock_client
from clientledger.credits.repository import payment_lot_rows
from clientledger.db import Tx
from clientledger.kit.errors import ValidationFailed
from clientledger.kit.use_cases import ChargeRequest, Permission, use_case
from clientledger.kit.vocabulary import EntryKind
from clientledger.payments.processors.base import Charge
from clientledger.payments.refunds import begin_refund
from clientledger.payments.repository import (
    get_payment_row,
    get_refund_row,
    refund_rows,
)
from clientledger.payments.schemas import ClientPaymentCreate, PaymentRead, RefundCreate, RefundRead

T = TypeVar("T")


def card_charge(tx: Tx, *, client_id: str, data: ClientPaymentCreate, **_: object) -> ChargeRequest | None:
    """A card prepayment is charged before it is recorded: the card chosen, else the client's default."""
    if not data.type.via_processor:
        return None
    return charge_request(tx, client_id=client_id, amount=data.amount, payment_method=data.payment_method, metadata={})


def check_client(tx: Tx, *, client_id: str, **_: object) -> None:
    """Before a card is charged: the client exists in this practice."""
    get_client_row(tx, client_id)


def client_payment_row(
    tx: Tx,
    *,
    client_id: str,
    method: str,
    amount: int,
    bill_id: str | None,
    charge: Charge | None,
    memo: str | None = None,
) -> dict[str, Any]:
    """A new client payment's row, with the processor's charge when it was one (a card)."""
    return new_payment_row(
        tx,
        client_id=client_id,
        method=method,
        amount=amount,
        bill_id=bill_id,
        processor=tx.processor.name if charge is not None else None,
        charge_id=charge.charge_id if charge is not None else None,
        card_last4=charge.card_last4 if charge is not None else None,
        card_brand=charge.card_brand if charge is not None else None,
        memo=memo,
    )


def present_refund(tx: Tx, refund: RefundRead) -> RefundRead:
    """The refund once the processor has answered: settled, or failed with its reason."""
    return get_refund(tx, refund_id=refund.id)


@use_case(Permission.TAKE_PAYMENT, charge=card_charge, precheck=check_client)
def record_prepayment(
    tx: Tx, *, client_id: str, data: ClientPaymentCreate, charge: Charge | None = None
) -> PaymentRead:
    """Money taken before it is earned: all of it becomes credit with this payment as provenance."""
    if not data.type.via_processor and data.payment_method is not None:
        raise ValidationFailed("payment_method applies to card payments only.")
    if data.type.via_processor and (charge is None or charge.amount != data.amount):
        raise ValueError("a card prepayment needs a processor charge of the same amount")
    client = lock_client(tx, client_id)
    new = NewRows()
    payment = client_payment_row(
        tx, client_id=client.id, method=data.type, amount=data.amount, bill_id=None, charge=charge, memo=data.memo
    )
    payment_id = payment["id"]
    new.payments[payment_id] = payment
    lot_id, lines = move_to_credit(
        tx,
        client_id=client.id,
        bill_id=None,
        line_id=None,
        payment_id=payment_id,
        amount=data.amount,
        source="prepayment",
        new=new,
    )
    lines.append(dr(cash(data.type), data.amount, payment_id=payment_id))
    writes = Writes(tx)
    record(
        tx,
        kind=EntryKind.PREPAYMENT,
        client_id=client.id,
        payment_id=payment_id,
        lines=lines,
        memo=data.memo,
        new=new,
        writes=writes,
    )
    record_event(
        tx,
        action="payment.prepaid",
        object_ids=[payment_id, client.id, lot_id],
        detail={"amount": data.amount},
        writes=writes,
    )
    writes.flush()
    return _payment_read(
        PaymentRecord(**{f: payment[f] for f in PaymentRecord.__slots__}), lot_ids=[lot_id], refunds=[]
    )


@use_case(Permission.REFUND, present=present_refund)
def refund_payment(tx: Tx, *, payment_id: str, data: RefundCreate) -> RefundRead:
    """Refund (part of) a card/cash/check payment: its remaining credit first, then its bill (rule 7)."""
    payment = get_payment_row(tx, payment_id)
    lock_client(tx, payment.client_id)
    return RefundRead.model_validate(begin_refund(tx, payment_id=payment_id, amount=data.amount, reason=data.reason))


@use_case(Permission.READ)
def get_payment(tx: Tx, *, payment_id: str) -> PaymentRead:
    p = get_payment_row(tx, payment_id)
    lot_ids = [lot.id for lot in payment_lot_rows(tx, p.id)]
    return _payment_read(p, lot_ids=lot_ids, refunds=refund_rows(tx, p.id))


def _payment_read(p: PaymentRecord, *, lot_ids: list[str], refunds: Sequence[RefundRecord]) -> PaymentRead:
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
        card_brand=p.card_brand,
        card_last4=p.card_last4,
        processor_ref=p.charge_id,
        voided=p.voided_at is not None,
        lot_ids=lot_ids,
        refunds=[RefundRead.model_validate(r) for r in refunds],
        created_at=p.created_at,
    )


@use_case(Permission.READ)
def get_refund(tx: Tx, *, refund_id: str) -> RefundRead:
    return RefundRead.model_validate(get_refund_row(tx, refund_id))
