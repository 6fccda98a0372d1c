"""The lean write path: money use cases answer with exactly what a later read shows, write each row
they create once with its final values, and a refused write still surfaces as the database's error.

Answers are built from the rows as written (no re-read), so each test compares an answer with the
same object read back afterwards, over the cases that move the most projections at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from clientledger.accounting import projections
from clientledger.accounting.accounts import CLIENT_CREDIT
from clientledger.accounting.posting import Posting
from clientledger.accounting.writes import _observed
from clientledger.billing import service as billing
from clientledger.credits import service as credits
from clientledger.db import Database, Tx
from clientledger.payments import service as payments
from clientledger.payments.processors import SimulatedProcessor
from tests.factories import Ledger, a_ledger, a_prepaid_client, a_self_pay_bill, an_insured_bill


@pytest.fixture(autouse=True, params=["through SQLAlchemy", "straight to the driver"])
def path(request: pytest.FixtureRequest, db: Database) -> str:
    """Each test both ways the lean path sends statements: through SQLAlchemy while anyone listens
    (the suite's scope check does), else straight to the driver, pipelined on PostgreSQL."""
    if request.param == "straight to the driver":
        request.getfixturevalue("unwatched")
        with db.engine.connect() as conn:
            assert not _observed(conn)
    return str(request.param)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every statement sent while the block runs (listening sends the lean path through SQLAlchemy)."""
    seen: list[str] = []

    def capture(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        seen.append(" ".join(sql.split()))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def test_bill_paid_from_several_lots_answers_what_is_stored(ledger: Ledger) -> None:
    client, _ = a_prepaid_client(ledger, amount=5000)
    ledger.manual_credit(client.id, 4000)
    sessions = [ledger.appointment(client.id, fee=fee).id for fee in (6000, 7000)]
    bill = ledger.bill(client.id, sessions)
    assert bill.client_paid == 9000 and bill.balance_due == 4000 and bill.status == "open"
    assert [(d.amount, d.source) for d in bill.lines[0].lots or []] == [(5000, "prepayment"), (4000, "manual")]
    assert bill == ledger.get_bill(bill.id)
    assert ledger.get_client(client.id).credit_balance == 0
    assert not ledger.verify()


def test_insured_bill_answers_what_is_stored(ledger: Ledger) -> None:
    client, bill = an_insured_bill(ledger, copay=3000, fee=10000)
    assert bill.balance_due == 3000 and bill.insurance_due == 7000 and bill.items[0].claim_ref
    assert bill == ledger.get_bill(bill.id)
    assert ledger.get_client(client.id).balance_due == 3000


def test_bill_fully_paid_from_credit_is_paid_as_stored(ledger: Ledger) -> None:
    client, _ = a_prepaid_client(ledger, amount=20000)
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])
    assert bill.status == "paid" and bill.balance_due == 0
    assert bill == ledger.get_bill(bill.id)
    assert ledger.credits(client.id).balance == 5000


@pytest.mark.parametrize(
    ("type", "amount", "extra"),
    [
        ("cash", 20000, {}),  # $50 beyond the bill becomes a credit lot
        ("card", 15000, {"payment_method": "pm_card_visa"}),
        ("client_credit", 4000, {}),
        ("client_credit", 2500, {"deduct": False}),  # a discount
    ],
)
def test_payment_line_answers_what_is_stored(ledger: Ledger, type: str, amount: int, extra: dict[str, object]) -> None:
    client, bill = a_self_pay_bill(ledger, apply_credit=False)
    ledger.manual_credit(client.id, 10000)
    line = ledger.pay(bill.id, type, amount, **extra)  # type: ignore[arg-type]
    assert line == ledger.look(billing.get_line, bill_id=bill.id, line_id=line.id)
    assert line.amount == min(amount, 15000)
    if type == "cash":
        assert line.credited == 5000
        assert sorted(lot.remaining for lot in ledger.credits(client.id).lots) == [5000, 10000]
    assert not ledger.verify()


def test_prepayment_and_card_refund_answer_what_is_stored(db: Database) -> None:
    ledger = a_ledger(db, processor=SimulatedProcessor())
    client = ledger.client()
    payment = ledger.prepay(client.id, "card", 12000, payment_method="pm_card_visa")
    assert payment == ledger.get_payment(payment.id)
    refund = ledger.refund(payment.id, 5000)
    assert refund.status == "settled" and refund.processor_ref
    assert refund == ledger.look(payments.get_refund, refund_id=refund.id)
    assert ledger.get_payment(payment.id).refunded == 5000
    assert ledger.credits(client.id).balance == 7000
    assert not ledger.verify()


def test_manual_credit_and_removal_answer_what_is_stored(ledger: Ledger) -> None:
    client = ledger.client()
    lot = ledger.manual_credit(client.id, 8000, note="fee waiver")
    assert lot == ledger.look(credits.get_lot, client_id=client.id, lot_id=lot.id)
    after = ledger.remove_credit(client.id, lot.id, 3000)
    assert after.remaining == 5000
    assert after == ledger.look(credits.get_lot, client_id=client.id, lot_id=lot.id)
    assert ledger.credits(client.id).balance == 5000
    assert not ledger.verify()


def test_bill_writes_each_new_row_once(db: Database, ledger: Ledger) -> None:
    client, _ = a_prepaid_client(ledger, amount=50000)
    appointment = ledger.appointment(client.id)
    with statements(db) as seen:
        bill = ledger.bill(client.id, [appointment.id])
    assert bill.client_paid == 15000
    updated = [s.split()[1] for s in seen if s.startswith("UPDATE")]
    # Only rows that existed before the bill (the lot drawn is known to be no package's: no package UPDATE).
    assert sorted(updated) == ["clients", "credit_lots"]
    inserted = [s.split()[2] for s in seen if s.startswith("INSERT")]
    assert len(inserted) == len(set(inserted))  # several rows of a table go as one executemany
    assert all("practice_id" in s for s in seen if s.startswith(("UPDATE", "INSERT", "SELECT")))


def test_a_refused_write_is_the_databases_error_and_changes_nothing(ledger: Ledger) -> None:
    client, payment = a_prepaid_client(ledger, amount=1000)
    (lot_id,) = payment.lot_ids

    def overspend(tx: Tx) -> None:
        # More than the lot holds: the CHECK on remaining refuses it (in a pipeline on PostgreSQL).
        projections.apply(tx, [Posting(CLIENT_CREDIT, 5000, client_id=client.id, lot_id=lot_id)])

    with pytest.raises(IntegrityError):
        ledger.run(overspend)
    assert ledger.credits(client.id).balance == 1000
    assert not ledger.verify()
