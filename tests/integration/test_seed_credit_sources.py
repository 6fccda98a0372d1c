"""SEED.md: where credits come from (prepayments, overpayments, cancellations, manual credits)."""

from __future__ import annotations

import pytest

from clientledger.kit.errors import ValidationFailed
from tests.factories import Ledger
from tests.integration.journal_helpers import last_entry, postings


def test_prepayment_becomes_credit_with_the_payment_as_provenance(ledger: Ledger) -> None:
    client = ledger.client()
    payment = ledger.prepay(client.id, "card", 50000, memo="10 sessions")

    credits = ledger.credits(client.id)
    assert credits.balance == 50000
    [lot] = credits.lots
    assert (lot.source, lot.amount, lot.remaining, lot.payment_id) == ("prepayment", 50000, 50000, payment.id)
    assert (lot.captured, lot.credited) == (50000, 50000)
    assert last_entry(ledger, "prepayment") == postings(("cash:card", 50000), ("client_credit", -50000))
    assert ledger.verify() == []


def test_prepaid_credit_applies_to_the_next_bill_oldest_lot_first(ledger: Ledger) -> None:
    client = ledger.client()
    first = ledger.prepay(client.id, "cash", 10000)
    second = ledger.prepay(client.id, "check", 10000)
    appt = ledger.appointment(client.id, fee=15000)

    bill = ledger.bill(client.id, [appt.id])

    assert (bill.status, bill.client_responsibility, bill.client_paid, bill.balance_due) == ("paid", 15000, 15000, 0)
    [line] = bill.lines
    assert (line.type, line.amount, line.deduct_from_credit_balance) == ("client_credit", 15000, True)
    assert line.lots is not None
    lots = {lot.id: lot for lot in ledger.credits(client.id).lots}
    drawn = {lots[d.lot_id].payment_id: d.amount for d in line.lots}
    assert drawn == {first.id: 10000, second.id: 5000}
    assert ledger.get_client(client.id).credit_balance == 5000
    assert last_entry(ledger, "bill_created") == postings(
        ("ar:client", 15000),
        ("revenue:services", -15000),
        ("client_credit", 10000),
        ("client_credit", 5000),
        ("ar:client", -15000),
    )
    assert ledger.verify() == []


def test_credit_larger_than_the_bill_leaves_the_rest_on_account(ledger: Ledger) -> None:
    client = ledger.client()
    ledger.prepay(client.id, "card", 50000)
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])
    assert bill.balance_due == 0
    assert ledger.get_client(client.id).credit_balance == 35000


def test_bill_larger_than_the_credit_uses_all_of_it(ledger: Ledger) -> None:
    client = ledger.client()
    ledger.prepay(client.id, "card", 5000)
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])
    assert (bill.status, bill.balance_due, bill.client_paid) == ("open", 10000, 5000)
    assert ledger.get_client(client.id).credit_balance == 0
    assert ledger.get_client(client.id).balance_due == 10000


def test_overpayment_pays_the_bill_and_the_excess_becomes_credit(ledger: Ledger) -> None:
    client = ledger.client()
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])

    line = ledger.pay(bill.id, "card", 20000)

    assert (line.type, line.amount, line.captured, line.credited, line.refunded) == ("card", 15000, 20000, 5000, 0)
    [lot] = ledger.credits(client.id).lots
    assert (lot.source, lot.remaining, lot.payment_id, lot.bill_id) == ("overpayment", 5000, line.payment_id, bill.id)
    assert ledger.get_bill(bill.id).status == "paid"
    assert last_entry(ledger, "payment_received") == postings(
        ("cash:card", 20000), ("ar:client", -15000), ("client_credit", -5000)
    )
    assert ledger.verify() == []


def test_canceled_session_payment_becomes_credit(ledger: Ledger) -> None:
    client = ledger.client()
    appt = ledger.appointment(client.id, fee=15000)
    bill = ledger.bill(client.id, [appt.id])
    paid = ledger.pay(bill.id, "card", 15000)

    result = ledger.set_status(appt.id, "canceled")

    assert result.status == "canceled"
    [lot] = result.credits_created
    assert (lot.source, lot.amount, lot.payment_id) == ("cancellation", 15000, paid.payment_id)
    bill_after = ledger.get_bill(bill.id)
    assert (bill_after.client_responsibility, bill_after.balance_due, bill_after.status) == (0, 0, "void")
    [line] = bill_after.lines
    assert (line.amount, line.captured, line.credited) == (0, 15000, 15000)
    assert ledger.get_client(client.id).credit_balance == 15000
    assert last_entry(ledger, "appointment_canceled") == postings(
        ("revenue:services", 15000), ("ar:client", -15000), ("ar:client", 15000), ("client_credit", -15000)
    )
    assert ledger.verify() == []


def test_no_show_with_a_fee_frees_only_the_rest(ledger: Ledger) -> None:
    client = ledger.client()
    appt = ledger.appointment(client.id, fee=15000)
    bill = ledger.bill(client.id, [appt.id])
    ledger.pay(bill.id, "cash", 15000)

    result = ledger.set_status(appt.id, "no_show", fee=5000)

    [lot] = result.credits_created
    assert (lot.source, lot.amount) == ("no_show", 10000)
    after = ledger.get_bill(bill.id)
    assert (after.items[0].fee, after.client_responsibility, after.client_paid, after.status) == (
        5000,
        5000,
        5000,
        "paid",
    )
    assert ledger.verify() == []


def test_late_cancel_refunded_to_the_card_instead_of_credit(ledger: Ledger) -> None:
    client = ledger.client()
    appt = ledger.appointment(client.id, fee=15000)
    bill = ledger.bill(client.id, [appt.id])
    paid = ledger.pay(bill.id, "card", 15000)

    result = ledger.set_status(appt.id, "late_canceled", fee=2500, disposition="refund")

    assert result.credits_created == []
    payment = ledger.get_payment(paid.payment_id or "")
    assert payment.refunded == 12500
    [refund] = payment.refunds
    assert (refund.amount, refund.from_bills, refund.status) == (12500, 12500, "settled")
    assert ledger.get_client(client.id).credit_balance == 0
    assert ledger.verify() == []


def test_canceling_a_session_paid_with_credit_returns_the_credit_to_its_lot(ledger: Ledger) -> None:
    client = ledger.client()
    ledger.prepay(client.id, "card", 15000)
    appt = ledger.appointment(client.id, fee=15000)
    ledger.bill(client.id, [appt.id])
    assert ledger.get_client(client.id).credit_balance == 0

    result = ledger.set_status(appt.id, "canceled")

    assert result.credits_created == []
    [lot] = ledger.credits(client.id).lots
    assert (lot.source, lot.remaining) == ("prepayment", 15000)
    assert ledger.verify() == []


def test_canceling_before_billing_bills_only_the_fee(ledger: Ledger) -> None:
    client = ledger.client()
    appt = ledger.appointment(client.id, fee=15000)
    ledger.set_status(appt.id, "no_show", fee=4000)
    bill = ledger.bill(client.id, [appt.id])
    assert (bill.items[0].fee, bill.balance_due) == (4000, 4000)


def test_manual_credit_for_a_fee_waiver(ledger: Ledger) -> None:
    client = ledger.client()
    lot = ledger.manual_credit(client.id, 2500, "fee_waiver", note="waived late fee")
    assert (lot.source, lot.reason, lot.note, lot.remaining, lot.payment_id) == (
        "manual",
        "fee_waiver",
        "waived late fee",
        2500,
        None,
    )
    assert last_entry(ledger, "manual_credit") == postings(("adjust:discount", 2500), ("client_credit", -2500))
    [event] = ledger.credits(client.id).history
    assert (event.kind, event.amount, event.lot_id) == ("manual_credit", 2500, lot.id)
    assert ledger.verify() == []


def test_a_fee_above_the_session_fee_is_refused(ledger: Ledger) -> None:
    client = ledger.client()
    appt = ledger.appointment(client.id, fee=15000)
    with pytest.raises(ValidationFailed):
        ledger.set_status(appt.id, "no_show", fee=20000)
