"""A cancellation refunded to a card whose bank refuses the refund (``disposition: refund``).

Rule 6 frees what the client paid beyond the cancellation fee back to the card; "Refunds tell the
truth" says a refused refund becomes ``failed`` and puts what it took from the bill back onto it. The
bill no longer bills that money, so before this fix the failure's own entry would make the bill's balance due
negative: the database refused it, the status change answered with an error after it committed, and
the refund stayed ``pending`` (its ``refunded`` counted) however often it was retried. Now what the
bill still bills goes back onto it and the rest stays the client's, in a ``cancellation`` lot with
the payment as provenance, as ``disposition: credit`` would have put it.
"""

from __future__ import annotations

from tests.factories import Ledger


def test_a_refused_cancellation_refund_fails_cleanly_and_keeps_the_money_accounted_for(ledger: Ledger) -> None:
    client = ledger.client("Card Carla")
    session, other = ledger.appointment(client.id, fee=10000), ledger.appointment(client.id, fee=5000)
    bill = ledger.bill(client.id, [session.id, other.id], apply_credit=False)
    line = ledger.pay(bill.id, "card", 15000, payment_method="pm_card_refundFail")

    ledger.set_status(session.id, "canceled", disposition="refund")

    payment = ledger.get_payment(str(line.payment_id))
    assert [r.status for r in payment.refunds] == ["failed"]
    assert payment.refunded == 0
    bill = ledger.get_bill(bill.id)
    assert (bill.client_responsibility, bill.balance_due, bill.status) == (5000, 0, "paid")
    # the 10000 the card kept is still the client's: on the bill or in credit, never lost
    assert bill.client_paid + ledger.get_client(client.id).credit_balance == 15000
    lots = ledger.credits(client.id).lots
    assert [(lot.source, lot.remaining, lot.payment_id) for lot in lots] == [("cancellation", 10000, line.payment_id)]
    assert ledger.verify() == []
