"""SEED.md: using, refunding, returning and removing credit; opting out of auto-apply."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from clientledger.kit.errors import (
    CreditAlreadyUsed,
    ExceedsBalanceDue,
    ExceedsRefundable,
    InsufficientCredit,
    UseRefund,
    ValidationFailed,
)
from clientledger.models import practices
from tests.factories import Ledger, a_session_bill
from tests.integration.journal_helpers import last_entry, postings


def test_unchecking_available_credit_creates_the_bill_without_it(ledger: Ledger) -> None:
    client = ledger.client()
    ledger.prepay(client.id, "card", 50000)
    bill = ledger.get_bill(a_session_bill(ledger, client.id, apply_credit=False).id)
    assert (bill.lines, bill.balance_due, bill.apply_available_credit) == ([], 15000, False)
    assert ledger.get_client(client.id).credit_balance == 50000


def test_practice_without_auto_apply_defaults_to_no_credit(ledger: Ledger) -> None:
    with ledger.db.engine.begin() as conn:
        conn.execute(update(practices).values(auto_apply_credit=False))
    client = ledger.client()
    ledger.prepay(client.id, "cash", 5000)
    assert ledger.get_bill(a_session_bill(ledger, client.id).id).balance_due == 15000


def test_client_credit_payment_deducts_from_the_balance(ledger: Ledger) -> None:
    client = ledger.client()
    bill_id = a_session_bill(ledger, client.id).id
    ledger.prepay(client.id, "card", 10000)

    line = ledger.pay(bill_id, "client_credit", 6000)

    assert (line.type, line.amount, line.deduct_from_credit_balance) == ("client_credit", 6000, True)
    assert ledger.get_client(client.id).credit_balance == 4000
    assert ledger.get_bill(bill_id).balance_due == 9000
    assert last_entry(ledger, "credit_payment") == postings(("client_credit", 6000), ("ar:client", -6000))


def test_client_credit_without_deducting_is_a_discount(ledger: Ledger) -> None:
    client = ledger.client()
    bill_id = a_session_bill(ledger, client.id).id
    ledger.prepay(client.id, "card", 10000)

    line = ledger.pay(bill_id, "client_credit", 3000, deduct=False)

    assert (line.amount, line.deduct_from_credit_balance, line.lots) == (3000, False, [])
    assert ledger.get_client(client.id).credit_balance == 10000
    assert ledger.get_bill(bill_id).balance_due == 12000
    assert last_entry(ledger, "discount") == postings(("adjust:discount", 3000), ("ar:client", -3000))


def test_credit_payment_checks_balance_due_before_credit(ledger: Ledger) -> None:
    client = ledger.client()
    bill_id = a_session_bill(ledger, client.id).id
    before = ledger.entries()
    with pytest.raises(ExceedsBalanceDue):
        ledger.pay(bill_id, "client_credit", 20000)
    with pytest.raises(InsufficientCredit):
        ledger.pay(bill_id, "client_credit", 1000)
    with pytest.raises(ExceedsBalanceDue):
        ledger.pay(bill_id, "client_credit", 20000, deduct=False)
    with pytest.raises(ValidationFailed):
        ledger.pay(bill_id, "cash", 1000, deduct=True)
    assert ledger.entries() == before


def test_refund_custom_amount_to_the_card_comes_from_credit_first(ledger: Ledger) -> None:
    client = ledger.client()
    bill_id = a_session_bill(ledger, client.id).id
    line = ledger.pay(bill_id, "card", 25000)  # 15000 pays the bill, 10000 becomes credit

    refund = ledger.refund(line.payment_id or "", 4000)

    assert (refund.amount, refund.from_credit, refund.from_bills, refund.status) == (4000, 4000, 0, "settled")
    assert ledger.get_client(client.id).credit_balance == 6000
    assert ledger.get_bill(bill_id).status == "paid"
    [after] = ledger.get_bill(bill_id).lines
    assert (after.amount, after.captured, after.credited, after.refunded) == (15000, 25000, 10000, 4000)
    assert last_entry(ledger, "refund") == postings(("client_credit", 4000), ("cash:card", -4000))
    assert ledger.verify() == []


def test_refund_beyond_the_credit_reopens_the_bill(ledger: Ledger) -> None:
    client = ledger.client()
    bill_id = a_session_bill(ledger, client.id).id
    line = ledger.pay(bill_id, "card", 20000)

    refund = ledger.refund(line.payment_id or "", 8000)

    assert (refund.from_credit, refund.from_bills) == (5000, 3000)
    bill = ledger.get_bill(bill_id)
    assert (bill.status, bill.balance_due, bill.lines[0].amount) == ("open", 3000, 12000)
    assert ledger.get_client(client.id).credit_balance == 0
    assert ledger.verify() == []


def test_full_refund_by_default_and_nothing_left_after(ledger: Ledger) -> None:
    client = ledger.client()
    payment = ledger.prepay(client.id, "card", 30000)
    refund = ledger.refund(payment.id)
    assert (refund.amount, refund.from_credit) == (30000, 30000)
    with pytest.raises(ExceedsRefundable):
        ledger.refund(payment.id, 1)
    assert ledger.verify() == []


def test_credit_spent_on_another_bill_is_not_refundable_from_its_payment(ledger: Ledger) -> None:
    client = ledger.client()
    payment = ledger.prepay(client.id, "card", 20000)
    a_session_bill(ledger, client.id, fee=15000)  # spends 15000 of that credit
    before = ledger.entries()
    with pytest.raises(ExceedsRefundable):
        ledger.refund(payment.id, 6000)
    assert ledger.entries() == before
    assert ledger.refund(payment.id, 5000).from_credit == 5000


def test_refunding_a_credit_line_returns_it_to_the_account(ledger: Ledger) -> None:
    client = ledger.client()
    ledger.prepay(client.id, "card", 20000)
    bill = ledger.get_bill(a_session_bill(ledger, client.id).id)
    [line] = bill.lines

    after = ledger.refund_line(bill.id, line.id)

    assert after.amount == 0
    assert ledger.get_client(client.id).credit_balance == 20000
    assert ledger.credits(client.id).lots[0].remaining == 20000
    reopened = ledger.get_bill(bill.id)
    assert (reopened.status, reopened.balance_due) == ("open", 15000)
    assert last_entry(ledger, "credit_line_refunded") == postings(("ar:client", 15000), ("client_credit", -15000))
    assert ledger.verify() == []


def test_partial_refund_of_a_credit_line(ledger: Ledger) -> None:
    client = ledger.client()
    ledger.prepay(client.id, "card", 20000)
    bill = ledger.get_bill(a_session_bill(ledger, client.id).id)
    after = ledger.refund_line(bill.id, bill.lines[0].id, 5000)
    assert after.amount == 10000
    assert ledger.get_client(client.id).credit_balance == 10000
    with pytest.raises(ExceedsRefundable):
        ledger.refund_line(bill.id, bill.lines[0].id, 10001)


def test_refunding_a_discount_only_shrinks_it(ledger: Ledger) -> None:
    client = ledger.client()
    bill_id = a_session_bill(ledger, client.id).id
    line = ledger.pay(bill_id, "client_credit", 3000, deduct=False)
    after = ledger.refund_line(bill_id, line.id)
    assert after.amount == 0
    assert ledger.get_client(client.id).credit_balance == 0
    assert ledger.get_bill(bill_id).balance_due == 15000


def test_removing_a_credit_line_deletes_the_credit_for_good(ledger: Ledger) -> None:
    client = ledger.client()
    ledger.prepay(client.id, "card", 20000)
    bill = ledger.get_bill(a_session_bill(ledger, client.id).id)

    ledger.delete_line(bill.id, bill.lines[0].id)

    after = ledger.get_bill(bill.id)
    [kept] = after.lines  # still listed, at 0: its history explains the bill
    assert (kept.id, kept.amount, kept.removed_at is not None) == (bill.lines[0].id, 0, True)
    assert (after.balance_due, after.status) == (15000, "open")
    assert ledger.get_client(client.id).credit_balance == 5000
    assert last_entry(ledger, "credit_line_removed") == postings(
        ("ar:client", 15000), ("adjust:credit_removed", -15000)
    )
    readded = ledger.manual_credit(client.id, 15000, "billing_resolution", note="re-added after removal")
    assert readded.remaining == 15000
    assert ledger.get_client(client.id).credit_balance == 20000
    assert ledger.verify() == []


def test_removing_a_cash_payment_recorded_in_error(ledger: Ledger) -> None:
    client = ledger.client()
    bill_id = a_session_bill(ledger, client.id).id
    line = ledger.pay(bill_id, "cash", 20000)

    ledger.delete_line(bill_id, line.id)

    assert ledger.get_bill(bill_id).balance_due == 15000
    assert ledger.get_client(client.id).credit_balance == 0
    assert ledger.get_payment(line.payment_id or "").voided
    assert last_entry(ledger, "payment_voided") == postings(
        ("cash:cash", -20000), ("ar:client", 15000), ("client_credit", 5000)
    )
    assert ledger.verify() == []


def test_removing_a_check_whose_credit_was_spent_is_refused(ledger: Ledger) -> None:
    client = ledger.client()
    bill_id = a_session_bill(ledger, client.id).id
    line = ledger.pay(bill_id, "check", 20000)
    a_session_bill(ledger, client.id, fee=3000)  # spends 3000 of the 5000 overpayment credit
    with pytest.raises(CreditAlreadyUsed):
        ledger.delete_line(bill_id, line.id)
    assert ledger.verify() == []


def test_a_card_line_cannot_be_removed_only_refunded(ledger: Ledger) -> None:
    client = ledger.client()
    bill_id = a_session_bill(ledger, client.id).id
    line = ledger.pay(bill_id, "card", 15000)
    with pytest.raises(UseRefund):
        ledger.delete_line(bill_id, line.id)
    after = ledger.refund_line(bill_id, line.id, 5000)
    assert (after.amount, after.refunded) == (10000, 5000)
    assert ledger.verify() == []


def test_remove_part_of_a_credit_lot_and_not_more_than_remains(ledger: Ledger) -> None:
    client = ledger.client()
    lot = ledger.manual_credit(client.id, 5000, "courtesy")
    after = ledger.remove_credit(client.id, lot.id, 2000, note="entered twice")
    assert after.remaining == 3000
    with pytest.raises(InsufficientCredit):
        ledger.remove_credit(client.id, lot.id, 3001)
    assert ledger.remove_credit(client.id, lot.id).remaining == 0
    assert ledger.get_client(client.id).credit_balance == 0
    assert last_entry(ledger, "credit_removed") == postings(("client_credit", 3000), ("adjust:credit_removed", -3000))
    history = ledger.credits(client.id).history
    assert [h.amount for h in history] == [-3000, -2000, 5000]
    assert ledger.verify() == []


def test_declined_card_records_nothing(ledger: Ledger) -> None:
    from clientledger.kit.errors import CardDeclined

    client = ledger.client()
    bill_id = a_session_bill(ledger, client.id).id
    before = ledger.entries()
    with pytest.raises(CardDeclined):
        ledger.pay(bill_id, "card", 5000, payment_method="pm_card_chargeDeclined")
    assert ledger.entries() == before
    assert ledger.get_bill(bill_id).lines == []
