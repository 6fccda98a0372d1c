"""Refunds tell the truth: a refund the processor refuses says ``failed``, every time it is asked.

The simulator's ``pm_card_refundFail`` charges fine and has every refund refused, as Stripe's test
payment method of that name does.
"""

from __future__ import annotations

from tests.api.conftest import Api
from tests.factories import Ledger, a_card_payment


def test_card_lines_name_the_card_and_the_processors_charge(owner: Api) -> None:
    client = owner.client("Card Carla")
    first, second = (owner.session_bill(client["id"], apply_available_credit=False) for _ in range(2))
    visa = owner.pay(first["id"], "card", 20000, payment_method="pm_card_visa")
    mastercard = owner.pay(second["id"], "card", 20000, payment_method="pm_card_mastercard")

    assert (visa["card_brand"], visa["card_last4"]) == ("visa", "4242")
    assert (mastercard["card_brand"], mastercard["card_last4"]) == ("mastercard", "4444")
    assert str(visa["processor_ref"]).startswith("ch_") and visa["processor_ref"] != mastercard["processor_ref"]
    payment = owner.get(f"/payments/{visa['payment_id']}")
    assert {k: payment[k] for k in ("card_brand", "card_last4", "processor_ref")} == {
        "card_brand": "visa",
        "card_last4": "4242",
        "processor_ref": visa["processor_ref"],
    }


def test_a_declined_card_records_nothing(owner: Api) -> None:
    client = owner.client("Declined Dee")
    bill = owner.session_bill(client["id"])

    r = owner.http.post(
        f"/api/v1/bills/{bill['id']}/payments",
        json={"type": "card", "amount": 5000, "payment_method": "pm_card_chargeDeclined"},
        headers=owner.headers(),
    )

    assert (r.status_code, r.json()["error"]["code"]) == (402, "card_declined")
    after = owner.get(f"/bills/{bill['id']}")
    assert (after["lines"], after["balance_due"]) == ([], 15000)


def test_a_refused_payment_refund_answers_failed_and_puts_the_money_back(owner: Api, ledger: Ledger) -> None:
    bill, line = a_card_payment(ledger, payment_method="pm_card_refundFail", amount=20000)  # $50.00 went to credit
    bill_id, client_id, payment_id = bill.id, bill.client_id, line.payment_id

    first = owner.post(f"/payments/{payment_id}/refunds", {"amount": 8000}, key="refund-fail-1", expect=201)
    again = owner.http.post(
        f"/api/v1/payments/{payment_id}/refunds", json={"amount": 8000}, headers=owner.headers("refund-fail-1")
    )

    assert (first["status"], first["amount"]) == ("failed", 8000)
    assert "refused" in first["failure_reason"]
    assert again.status_code == 201 and again.json() == first
    payment = owner.get(f"/payments/{payment_id}")
    assert (payment["refunded"], payment["credited"]) == (0, 5000)
    assert [(r["status"], r["amount"], r["from_credit"], r["from_bills"]) for r in payment["refunds"]] == [
        ("failed", 8000, 5000, 3000)
    ]
    assert owner.credit_balance(client_id) == 5000
    bill = owner.get(f"/bills/{bill_id}")
    assert (bill["status"], bill["balance_due"], bill["lines"][0]["amount"]) == ("paid", 0, 15000)


def test_a_refused_line_refund_answers_the_line_unchanged_with_the_failed_refund(owner: Api, ledger: Ledger) -> None:
    bill, line = a_card_payment(ledger, payment_method="pm_card_refundFail")
    bill_id = bill.id

    first = owner.post(f"/bills/{bill_id}/lines/{line.id}/refund", {"amount": 1000}, key="line-fail-1", expect=200)
    again = owner.post(f"/bills/{bill_id}/lines/{line.id}/refund", {"amount": 1000}, key="line-fail-1", expect=200)

    assert first["refunded"] == 0 and first["amount"] == 15000
    assert first["last_refund"]["status"] == "failed" and first["last_refund"]["amount"] == 1000
    assert first["last_refund"]["failure_reason"]
    assert again == first
    assert owner.get(f"/bills/{bill_id}")["balance_due"] == 0


def test_a_settled_line_refund_says_settled(owner: Api, ledger: Ledger) -> None:
    bill, line = a_card_payment(ledger, payment_method="pm_card_visa")
    bill_id = bill.id

    after = owner.post(f"/bills/{bill_id}/lines/{line.id}/refund", {"amount": 1000}, expect=200)

    assert (after["refunded"], after["amount"]) == (1000, 14000)
    assert after["last_refund"]["status"] == "settled"
    refunds = owner.get(f"/payments/{line.payment_id}")["refunds"]
    assert [(r["status"], r["amount"]) for r in refunds] == [("settled", 1000)]
    assert str(refunds[0]["processor_ref"]).startswith("re_")
