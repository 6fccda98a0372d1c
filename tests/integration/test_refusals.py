"""Bad input raises its named error and writes nothing: the journal is unchanged after each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from clientledger.billing.schemas import PaymentLineCreate
from clientledger.credits.schemas import ManualCreditCreate
from clientledger.db import Database
from clientledger.kit.errors import ClientLedgerError, Conflict, ExceedsRefundable, NotFound
from tests.factories import Ledger, a_ledger


@pytest.mark.parametrize("amount", [0, -100, 10.0, "100", True])
def test_amounts_must_be_positive_integer_cents(amount: Any) -> None:
    with pytest.raises(ValidationError):
        PaymentLineCreate(type="cash", amount=amount)
    with pytest.raises(ValidationError):
        ManualCreditCreate(amount=amount, reason="courtesy")


def _state(ledger: Ledger) -> tuple[Any, ...]:
    return (
        ledger.entries(),
        ledger.read(
            lambda tx: tx.conn.execute(
                text("select count(*) from audit_events where practice_id = :p"), {"p": tx.practice_id}
            ).scalar()
        ),
    )


def test_every_refusal_leaves_the_books_untouched(ledger: Ledger, db: Database) -> None:
    client = ledger.client()
    appt = ledger.appointment(client.id)
    bill = ledger.bill(client.id, [appt.id])
    line = ledger.pay(bill.id, "cash", 5000)
    lot = ledger.manual_credit(client.id, 1000)
    other = a_ledger(db, name="Other Practice", email="other@example.com")
    other_client = other.client("Stranger")
    other_bill = other.bill(other_client.id, [other.appointment(other_client.id).id])

    attempts: list[tuple[type[ClientLedgerError], Callable[[], object]]] = [
        (NotFound, lambda: ledger.bill("cl_missing", [appt.id])),
        (NotFound, lambda: ledger.bill(other_client.id, [appt.id])),
        (Conflict, lambda: ledger.bill(client.id, [appt.id])),
        (NotFound, lambda: ledger.pay(other_bill.id, "cash", 100)),
        (NotFound, lambda: ledger.refund("pay_missing", 100)),
        (NotFound, lambda: ledger.refund_line(bill.id, "ln_missing")),
        (NotFound, lambda: ledger.delete_line(other_bill.id, line.id)),
        (NotFound, lambda: ledger.remove_credit(other_client.id, lot.id)),
        (NotFound, lambda: ledger.manual_credit(other_client.id + "x", 100)),
        (NotFound, lambda: ledger.set_status("appt_missing", "canceled")),
        (ExceedsRefundable, lambda: ledger.refund(line.payment_id or "", 5001)),
        (ExceedsRefundable, lambda: ledger.refund_line(bill.id, line.id, 9999)),
    ]
    for expected, attempt in attempts:
        before = _state(ledger)
        with pytest.raises(expected):
            attempt()
        assert _state(ledger) == before, expected
    assert other.get_bill(other_bill.id).lines == []
    assert ledger.verify() == []
