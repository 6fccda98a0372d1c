"""The web UI tells the truth about a card refund the processor refused."""

from __future__ import annotations

from urllib.parse import unquote

from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import Api
from tests.factories import a_card_payment
from tests.web.desk import signed_in


def test_a_refused_card_refund_is_reported_as_failed_and_changes_nothing(
    owner: Api, db: Database, http: TestClient
) -> None:
    desk = signed_in(owner, db, http, "biller")
    ledger = desk.ledger
    bill, line = a_card_payment(ledger, "Refused Rosa", payment_method="pm_card_refundFail")

    status = desk.post(f"/bills/{bill.id}/lines/{line.id}/refund", {"how": "custom", "amount": "10"})

    assert status == 303
    page = desk.page(desk.last_location)
    assert "The refund of $10.00 to the card ending 5126 failed" in unquote(page)
    assert "Refunded $10.00" not in page
    after = ledger.get_bill(bill.id)
    assert (after.balance_due, after.lines[0].refunded, after.lines[0].amount) == (0, 0, 15000)
    assert [r.status for r in ledger.get_payment(line.payment_id or "").refunds] == ["failed"]
    assert ledger.verify() == []


def test_a_settled_card_refund_says_it_was_refunded(owner: Api, db: Database, http: TestClient) -> None:
    desk = signed_in(owner, db, http, "biller")
    ledger = desk.ledger
    bill, line = a_card_payment(ledger, "Settled Sam", payment_method="pm_card_mastercard")

    assert desk.post(f"/bills/{bill.id}/lines/{line.id}/refund", {"how": "custom", "amount": "10"}) == 303

    assert "Refunded $10.00 to the card ending 4444." in unquote(desk.page(desk.last_location))
    assert ledger.get_bill(bill.id).lines[0].refunded == 1000


def test_the_add_payment_form_charges_the_chosen_test_card(owner: Api, db: Database, http: TestClient) -> None:
    desk = signed_in(owner, db, http, "biller")
    ledger = desk.ledger
    client = ledger.client("Card Choice Cleo")
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])
    form = desk.page(f"/bills/{bill.id}/payments/new")
    assert "Mastercard ending 4444 (test card)" in form and 'name="card_number"' not in form

    declined = desk.post(
        f"/bills/{bill.id}/payments/new", {"type": "card", "amount": "150", "payment_method": "pm_card_chargeDeclined"}
    )
    assert declined == 402 and "declined" in desk.last_text
    assert ledger.get_bill(bill.id).lines == []

    paid = desk.post(
        f"/bills/{bill.id}/payments/new", {"type": "card", "amount": "150", "payment_method": "pm_card_mastercard"}
    )
    assert paid == 303
    [line] = ledger.get_bill(bill.id).lines
    assert (line.card_brand, line.card_last4, line.amount) == ("mastercard", "4444", 15000)
