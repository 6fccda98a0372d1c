"""Rule 2's rise from a session's status: a canceled session set back to attended, or a cancellation
fee above an insured client's copay, on a bill created with credit applied, is met from credit."""

from __future__ import annotations

from tests.factories import Ledger, a_session_bill


def test_a_canceled_session_set_back_to_attended_is_paid_from_credit(ledger: Ledger) -> None:
    client = ledger.client("Sam Self")
    bill = a_session_bill(ledger, client.id, fee=15000, apply_credit=True)
    appointment_id = bill.items[0].appointment_id
    ledger.set_status(appointment_id, "canceled")  # fee 0: the bill is void
    ledger.manual_credit(client.id, 20000)

    ledger.set_status(appointment_id, "attended")

    bill = ledger.get_bill(bill.id)
    assert (bill.client_responsibility, bill.balance_due, bill.status) == (15000, 0, "paid")
    assert [(line.type, line.amount) for line in bill.lines] == [("client_credit", 15000)]
    assert ledger.get_client(client.id).credit_balance == 5000
    assert ledger.verify() == []


def test_a_late_cancellation_fee_above_the_copay_is_paid_from_credit(ledger: Ledger) -> None:
    client = ledger.client("Ines Insured", billing="insurance", copay=2000)
    ledger.manual_credit(client.id, 1000)
    bill = a_session_bill(ledger, client.id, fee=10000, apply_credit=True)  # the copay: 1000 from credit
    ledger.manual_credit(client.id, 5000)

    ledger.set_status(bill.items[0].appointment_id, "late_canceled", fee=5000)

    bill = ledger.get_bill(bill.id)
    # min(credit 5000, rise 3000, balance due 4000) is applied; the copay's unpaid 1000 is still owed
    assert (bill.client_responsibility, bill.balance_due) == (5000, 1000)
    assert [(line.type, line.amount) for line in bill.lines] == [("client_credit", 1000), ("client_credit", 3000)]
    assert ledger.get_client(client.id).credit_balance == 2000
