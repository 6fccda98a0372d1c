"""Client payment and refund queries."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from clientledger.accounting.repository import REFUND_COLUMNS, RefundRecord
from clientledger.accounting.repository import get_payment_row as get_payment_row
from clientledger.accounting.repository import payment_line as payment_line
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.kit.ids import new_id
from clientledger.models import payments, refunds
from clientledger.payments.processors.base import Charge

_INSERT_PAYMENTS = insert(payments)


def insert_payment(
    tx: Tx,
    *,
    client_id: str,
    method: str,
    amount: int,
    bill_id: str | None,
    charge: Charge | None,
    processor: str | None,
    memo: str | None = None,
) -> str:
    payment_id = new_id("pay")
    tx.conn.execute(
        _INSERT_PAYMENTS,
        [
            dict(
                id=payment_id,
                practice_id=tx.practice_id,
                client_id=client_id,
                bill_id=bill_id,
                method=method,
                captured=amount,
                credited=0,
                refunded=0,
                processor=processor if charge else None,
                charge_id=charge.charge_id if charge else None,
                card_last4=charge.card_last4 if charge else None,
                card_brand=charge.card_brand if charge else None,
                memo=memo,
                created_at=tx.now,
            )
        ],
    )
    return payment_id


def get_refund_row(tx: Tx, refund_id: str) -> RefundRecord:
    row = tx.conn.execute(
        select(*REFUND_COLUMNS).where(refunds.c.id == refund_id, refunds.c.practice_id == tx.practice_id)
    ).first()
    if row is None:
        raise NotFound(f"No refund {refund_id!r}.")
    return RefundRecord(*row)


def refund_rows(tx: Tx, payment_id: str) -> list[RefundRecord]:
    """A payment's refunds, oldest first."""
    rows = tx.conn.execute(
        select(*REFUND_COLUMNS)
        .where(refunds.c.practice_id == tx.practice_id, refunds.c.payment_id == payment_id)
        .order_by(refunds.c.id)
    )
    return [RefundRecord(*r) for r in rows]


def pending_refund_ids(tx: Tx) -> list[str]:
    """The acting practice's refunds still waiting for the processor's answer."""
    return list(
        tx.conn.execute(
            select(refunds.c.id).where(refunds.c.practice_id == tx.practice_id, refunds.c.status == "pending")
        ).scalars()
    )


def mark_refund_settled(tx: Tx, refund_id: str, *, processor_refund_id: str) -> bool:
    """Settle a pending refund; False if it was no longer pending (another worker settled it)."""
    result = tx.conn.execute(
        update(refunds)
        .where(refunds.c.practice_id == tx.practice_id, refunds.c.id == refund_id, refunds.c.status == "pending")
        .values(status="settled", processor_refund_id=processor_refund_id, settled_at=tx.now)
    )
    return result.rowcount == 1


def mark_refund_failed(tx: Tx, refund_id: str, *, reason: str) -> None:
    tx.conn.execute(
        update(refunds)
        .where(refunds.c.practice_id == tx.practice_id, refunds.c.id == refund_id)
        .values(status="failed", failure_reason=reason[:500], settled_at=tx.now)
    )


def mark_payment_voided(tx: Tx, payment_id: str) -> None:
    tx.conn.execute(
        update(payments)
        .where(payments.c.practice_id == tx.practice_id, payments.c.id == payment_id)
        .values(voided_at=tx.now)
    )


def find_payment_by_charge(tx: Tx, charge_id: str) -> str | None:
    found = tx.conn.execute(
        select(payments.c.id).where(payments.c.practice_id == tx.practice_id, payments.c.charge_id == charge_id)
    ).scalar()
    return str(found) if found is not None else None
