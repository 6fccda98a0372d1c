"""Client payment and refund queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from clientledger.accounting.projections import charge_rows
from clientledger.accounting.repository import REFUND_COLUMNS, RefundRecord
from clientledger.accounting.repository import get_payment_row as get_payment_row
from clientledger.accounting.repository import payment_line as payment_line
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.kit.ids import new_id
from clientledger.models import charge_directory, payments, processor_events, refunds
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
    row = dict(
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
    tx.conn.execute(_INSERT_PAYMENTS, [row])
    if charge is not None:
        tx.conn.execute(insert(charge_directory), charge_rows([row]))
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


def note_pending_processor_refund(tx: Tx, refund_id: str, processor_refund_id: str) -> None:
    """The processor took a refund that is still pending: remember its id (while it is pending)."""
    tx.conn.execute(
        update(refunds)
        .where(
            refunds.c.practice_id == tx.practice_id,
            refunds.c.id == refund_id,
            refunds.c.status == "pending",
            refunds.c.processor_refund_id.is_(None),
        )
        .values(processor_refund_id=processor_refund_id)
    )


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


# Processor events in: the charge directory, the events received, the refunds they may name.


@dataclass(frozen=True)
class ChargeOwner:
    charge_id: str
    practice_id: str


def find_charge_owner(tx: Tx, charge_refs: tuple[str, ...]) -> ChargeOwner | None:
    """Which practice took the charge named by one of ``charge_refs`` (global: no practice is known yet)."""
    if not charge_refs:
        return None
    rows = tx.conn.execute(
        select(charge_directory.c.charge_id, charge_directory.c.practice_id).where(
            charge_directory.c.charge_id.in_(charge_refs)
        )
    ).all()
    found = {r.charge_id: r.practice_id for r in rows}
    ref = next((r for r in charge_refs if r in found), None)
    return None if ref is None else ChargeOwner(ref, str(found[ref]))


class EventSeen(Exception):
    """This processor event was stored before (by an earlier or a concurrent delivery)."""


def processor_event_outcome(tx: Tx, event_id: str) -> str | None:
    """The outcome stored for an event already received, or None."""
    found = tx.conn.execute(select(processor_events.c.outcome).where(processor_events.c.id == event_id)).scalar()
    return None if found is None else str(found)


def claim_processor_event(tx: Tx, *, event_id: str, type: str, practice_id: str | None, outcome: str) -> None:
    """Store the event by its id before it acts; ``EventSeen`` (roll back) when it is there already.

    A concurrent twin waits on the key until the first commits, then finds it taken."""
    try:
        tx.conn.execute(
            insert(processor_events).values(
                id=event_id, type=type, practice_id=practice_id, outcome=outcome[:500], received_at=tx.now
            )
        )
    except IntegrityError as exc:
        raise EventSeen(event_id) from exc


def set_processor_event_outcome(tx: Tx, event_id: str, outcome: str) -> None:
    tx.conn.execute(update(processor_events).where(processor_events.c.id == event_id).values(outcome=outcome[:500]))


def find_refund_of_processor(
    tx: Tx, *, payment_id: str, processor_refund_id: str, our_refund_id: str | None
) -> RefundRecord | None:
    """The payment's refund the processor names: by the id clientledger gave it, or by the processor's."""
    match = refunds.c.processor_refund_id == processor_refund_id
    if our_refund_id is not None:
        match = or_(match, refunds.c.id == our_refund_id)
    row = tx.conn.execute(
        select(*REFUND_COLUMNS)
        .where(refunds.c.practice_id == tx.practice_id, refunds.c.payment_id == payment_id, match)
        .order_by(refunds.c.id)
        .limit(1)
    ).first()
    return None if row is None else RefundRecord(*row)


def unmatched_processor_refund(tx: Tx, *, payment_id: str, amount: int, reason: str) -> RefundRecord | None:
    """A refund recorded from a charge's total alone (no processor id yet) of this amount, oldest first."""
    row = tx.conn.execute(
        select(*REFUND_COLUMNS)
        .where(
            refunds.c.practice_id == tx.practice_id,
            refunds.c.payment_id == payment_id,
            refunds.c.processor_refund_id.is_(None),
            refunds.c.status == "settled",
            refunds.c.reason == reason,
            refunds.c.amount == amount,
        )
        .order_by(refunds.c.id)
        .limit(1)
    ).first()
    return None if row is None else RefundRecord(*row)


def set_processor_refund_id(tx: Tx, refund_id: str, processor_refund_id: str) -> None:
    tx.conn.execute(
        update(refunds)
        .where(refunds.c.practice_id == tx.practice_id, refunds.c.id == refund_id)
        .values(processor_refund_id=processor_refund_id)
    )
