"""Rule 5: an insurance payment sets the client's share of a session, and the bill follows."""

from __future__ import annotations

import pytest

from clientledger.kit.errors import Conflict, InsurancePaid, ValidationFailed
from clientledger.rules.insurance import ClaimUnbalanced
from tests.factories import Ledger, a_prepaid_client, an_insured_bill
from tests.integration.journal_helpers import journal_size, last_entry, postings

PAYER = "BRHP1"


def test_insured_session_gets_a_claim_ref_and_self_pay_does_not(ledger: Ledger) -> None:
    _, bill = an_insured_bill(ledger)
    self_pay = ledger.client("Sam Self")
    plain = ledger.bill(self_pay.id, [ledger.appointment(self_pay.id).id])

    [item] = bill.items
    assert item.claim_ref is not None and item.claim_ref.startswith("CLM-") and len(item.claim_ref) <= 20
    assert (item.client_responsibility, item.insurance_responsibility) == (3000, 7000)
    assert plain.items[0].claim_ref is None


def test_claim_ref_can_be_set_once_valid_and_unique(ledger: Ledger) -> None:
    _, first = an_insured_bill(ledger)
    _, second = an_insured_bill(ledger)

    item = ledger.set_claim_ref(first.items[0].id, "CLM-1001")

    assert item.claim_ref == "CLM-1001"
    with pytest.raises(Conflict):
        ledger.set_claim_ref(second.items[0].id, "CLM-1001")
    with pytest.raises(ValidationFailed):
        ledger.set_claim_ref(second.items[0].id, "clm 1002")
    with pytest.raises(ValidationFailed):
        ledger.set_claim_ref(second.items[0].id, "C" * 21)


def test_copay_higher_than_patient_responsibility_becomes_insurance_adjustment_credit(ledger: Ledger) -> None:
    """DESIGN.md: $100 session, $30 copay by card; the payer pays $80 and says the patient owes $20."""
    client, bill = an_insured_bill(ledger)
    copay = ledger.pay(bill.id, "card", 3000)

    result = ledger.insurance_payment(bill.id, bill.items[0].id, payer=PAYER, paid=8000, patient_responsibility=2000)

    [item] = result.items
    assert (item.client_responsibility, item.insurance_responsibility, item.insurance_paid) == (2000, 8000, 8000)
    assert (result.client_responsibility, result.client_paid, result.balance_due, result.status) == (
        2000,
        2000,
        0,
        "paid",
    )
    [line] = result.lines
    assert (line.amount, line.captured, line.credited, line.refunded) == (2000, 3000, 1000, 0)
    [lot] = result.credits_created
    assert (lot.source, lot.amount, lot.remaining, lot.payment_id, lot.bill_id) == (
        "insurance_adjustment",
        1000,
        1000,
        copay.payment_id,
        bill.id,
    )
    assert ledger.get_client(client.id).credit_balance == 1000
    assert last_entry(ledger, "insurance_payment") == postings(
        ("ar:client", -1000),
        ("ar:insurance", 1000),
        ("cash:insurance", 8000),
        ("ar:insurance", -8000),
        ("ar:client", 1000),
        ("client_credit", -1000),
    )
    assert ledger.verify() == []


def test_patient_responsibility_higher_than_copay_is_met_from_credit_on_auto_apply_bills(ledger: Ledger) -> None:
    client, _ = a_prepaid_client(ledger, "Marcus Chen", amount=5000, type="cash", billing="insurance", copay=3000)
    _, bill = an_insured_bill(ledger, client=client, fee=15000)
    assert (bill.balance_due, [ln.amount for ln in bill.lines]) == (0, [3000])

    result = ledger.insurance_payment(
        bill.id,
        bill.items[0].id,
        payer=PAYER,
        paid=8000,
        patient_responsibility=4500,
        adjustments=[("CO", "45", 2500), ("PR", "1", 4500)],
    )

    assert [(ln.type, ln.amount) for ln in result.lines] == [("client_credit", 3000), ("client_credit", 1500)]
    assert (result.client_responsibility, result.client_paid, result.balance_due, result.status) == (
        4500,
        4500,
        0,
        "paid",
    )
    assert result.credits_created == []
    assert ledger.get_client(client.id).credit_balance == 500
    assert last_entry(ledger, "insurance_payment") == postings(
        ("ar:client", 1500),
        ("ar:insurance", -1500),
        ("cash:insurance", 8000),
        ("adjust:contractual", 2500),
        ("ar:insurance", -10500),
        ("client_credit", 1500),
        ("ar:client", -1500),
    )
    assert ledger.verify() == []


def test_a_rise_on_a_bill_made_without_available_credit_is_owed(ledger: Ledger) -> None:
    client, _ = a_prepaid_client(ledger, "Grace Okafor", amount=5000, type="cash", billing="insurance", copay=3000)
    _, bill = an_insured_bill(ledger, client=client, fee=15000, apply_credit=False)
    ledger.pay(bill.id, "card", 3000)

    result = ledger.insurance_payment(
        bill.id, bill.items[0].id, payer=PAYER, paid=8000, patient_responsibility=4500, adjustments=[("CO", "45", 2500)]
    )

    assert (result.balance_due, result.status, len(result.lines)) == (1500, "open", 1)
    assert ledger.get_client(client.id).credit_balance == 5000
    assert ledger.verify() == []


def test_denial_leaves_the_whole_allowed_amount_to_the_client(ledger: Ledger) -> None:
    client, bill = an_insured_bill(ledger, fee=20000)
    ledger.pay(bill.id, "cash", 3000)

    result = ledger.insurance_payment(
        bill.id,
        bill.items[0].id,
        payer=PAYER,
        paid=0,
        patient_responsibility=15000,
        adjustments=[("CO", "45", 5000), ("PR", "1", 15000)],
    )

    [item] = result.items
    assert (item.client_responsibility, item.insurance_responsibility, item.insurance_paid) == (15000, 5000, 0)
    assert (result.balance_due, result.status) == (12000, "open")
    assert last_entry(ledger, "insurance_payment") == postings(
        ("ar:client", 12000), ("ar:insurance", -12000), ("adjust:contractual", 5000), ("ar:insurance", -5000)
    )
    with pytest.raises(InsurancePaid):
        ledger.set_status(bill.items[0].appointment_id, "canceled")
    assert ledger.get_client(client.id).balance_due == 12000
    assert ledger.verify() == []


def test_client_credit_lines_go_back_to_their_lots_before_card_money_becomes_credit(ledger: Ledger) -> None:
    client, prepaid = a_prepaid_client(
        ledger, "Erik Lindqvist", amount=2000, type="check", billing="insurance", copay=5000
    )
    _, bill = an_insured_bill(ledger, client=client, fee=15000)
    card = ledger.pay(bill.id, "card", 3000)

    result = ledger.insurance_payment(bill.id, bill.items[0].id, payer=PAYER, paid=13000, patient_responsibility=2000)

    credit_line, card_line = result.lines
    assert (credit_line.type, credit_line.amount) == ("client_credit", 0)
    assert (card_line.amount, card_line.credited) == (2000, 1000)
    lots = {lot.payment_id: lot for lot in ledger.credits(client.id).lots}
    assert (lots[prepaid.id].source, lots[prepaid.id].remaining) == ("prepayment", 2000)
    assert (lots[card.payment_id].source, lots[card.payment_id].remaining) == ("insurance_adjustment", 1000)
    assert ledger.get_client(client.id).credit_balance == 3000
    assert ledger.verify() == []


def test_a_discount_line_only_shrinks(ledger: Ledger) -> None:
    client, bill = an_insured_bill(ledger)
    ledger.pay(bill.id, "client_credit", 3000, deduct=False)

    result = ledger.insurance_payment(bill.id, bill.items[0].id, payer=PAYER, paid=9000, patient_responsibility=1000)

    [line] = result.lines
    assert (line.type, line.amount, line.deduct_from_credit_balance) == ("client_credit", 1000, False)
    assert result.credits_created == []
    assert ledger.get_client(client.id).credit_balance == 0
    assert ledger.verify() == []


def test_a_second_payment_from_the_same_payer_replaces_the_first(ledger: Ledger) -> None:
    client, bill = an_insured_bill(ledger)
    ledger.pay(bill.id, "card", 3000)
    item_id = bill.items[0].id
    first = ledger.insurance_payment(bill.id, item_id, payer=PAYER, paid=8000, patient_responsibility=2000)

    second = ledger.insurance_payment(
        bill.id, item_id, payer=PAYER, paid=8500, patient_responsibility=1000, adjustments=[("OA", "23", 500)]
    )

    [item] = second.items
    assert (item.client_responsibility, item.insurance_responsibility, item.insurance_paid) == (1000, 9000, 8500)
    assert [lot.amount for lot in second.credits_created] == [1000]
    assert ledger.get_client(client.id).credit_balance == 2000
    assert first.insurance_payment_id != second.insurance_payment_id
    assert last_entry(ledger, "insurance_payment_replaced") == postings(
        ("ar:client", -1000),
        ("ar:insurance", 1000),
        ("cash:insurance", -8000),
        ("ar:insurance", 8000),
        ("cash:insurance", 8500),
        ("adjust:insurance_other", 500),
        ("ar:insurance", -9000),
        ("ar:client", 1000),
        ("client_credit", -1000),
    )
    assert ledger.verify() == []


def test_payments_that_do_not_add_up_to_the_fee_are_refused_and_post_nothing(ledger: Ledger) -> None:
    _, bill = an_insured_bill(ledger)
    item_id = bill.items[0].id
    before = journal_size(ledger)

    with pytest.raises(ClaimUnbalanced):
        ledger.insurance_payment(bill.id, item_id, payer=PAYER, paid=8000, patient_responsibility=1000)
    with pytest.raises(ClaimUnbalanced):
        ledger.insurance_payment(
            bill.id, item_id, payer=PAYER, paid=8000, patient_responsibility=2000, adjustments=[("PR", "2", 1500)]
        )
    with pytest.raises(ClaimUnbalanced):
        ledger.insurance_payment(
            bill.id, item_id, payer=PAYER, paid=0, patient_responsibility=12000, adjustments=[("CO", "45", -2000)]
        )

    assert journal_size(ledger) == before
    assert ledger.get_bill(bill.id) == bill
    assert ledger.verify() == []


def test_a_second_payer_and_a_canceled_session_are_refused(ledger: Ledger) -> None:
    client, bill = an_insured_bill(ledger)
    ledger.insurance_payment(bill.id, bill.items[0].id, payer=PAYER, paid=8000, patient_responsibility=2000)
    with pytest.raises(Conflict):
        ledger.insurance_payment(
            bill.id,
            bill.items[0].id,
            payer="SMI01",
            paid=0,
            patient_responsibility=2000,
            adjustments=[("OA", "23", 8000)],
        )

    canceled = ledger.appointment(client.id, fee=10000)
    late = ledger.bill(client.id, [canceled.id])
    ledger.set_status(canceled.id, "late_canceled", fee=5000)
    with pytest.raises(Conflict):
        ledger.insurance_payment(late.id, late.items[0].id, payer=PAYER, paid=0, patient_responsibility=5000)
    assert ledger.verify() == []


def test_claim_ref_given_with_a_payment_must_match_the_item(ledger: Ledger) -> None:
    _, bill = an_insured_bill(ledger)
    item_id = bill.items[0].id
    ledger.set_claim_ref(item_id, "CLM-2001")

    with pytest.raises(Conflict):
        ledger.insurance_payment(
            bill.id, item_id, payer=PAYER, paid=8000, patient_responsibility=2000, claim_ref="CLM-2002"
        )
    result = ledger.insurance_payment(
        bill.id, item_id, payer=PAYER, paid=8000, patient_responsibility=2000, claim_ref="CLM-2001"
    )
    assert result.items[0].claim_ref == "CLM-2001"
    with pytest.raises(Conflict):
        ledger.set_claim_ref(item_id, "CLM-2003")
