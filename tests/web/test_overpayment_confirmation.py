"""A card, cash or check payment above the balance due is confirmed before it is saved: the rest becomes credit."""

from __future__ import annotations

import re

from tests.web.desk import Desk


def test_an_overpayment_is_not_recorded_until_confirmed(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Over Olga")
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])

    asked = desk.post(f"/bills/{bill.id}/payments/new", {"type": "cash", "amount": "1,010"})

    assert asked == 200 and "<html" in desk.last_text  # the form again, as a page of its own
    assert "$860.00 of this goes to credit." in desk.last_text
    assert re.search(r'<input type="hidden" name="confirm_overpayment" value="86000">', desk.last_text)
    assert re.search(r"<button [^>]*>Save and credit \$860\.00</button>", desk.last_text)
    assert 'value="1,010"' in desk.last_text
    assert ledger.get_bill(bill.id).lines == [] and ledger.get_client(client.id).credit_balance == 0

    confirmed = desk.post(
        f"/bills/{bill.id}/payments/new", {"type": "cash", "amount": "1,010", "confirm_overpayment": "86000"}
    )

    assert confirmed == 303
    after = ledger.get_bill(bill.id)
    assert after.status == "paid" and [(x.captured, x.credited) for x in after.lines] == [(101000, 86000)]
    assert ledger.get_client(client.id).credit_balance == 86000
    assert "$860.00 of it went to the client" in desk.page(desk.last_location)


def test_with_htmx_the_confirmation_is_the_dialogs_content(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Htmx Hal")
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])

    status = desk.post(f"/bills/{bill.id}/payments/new", {"type": "card", "amount": "200"}, htmx=True)

    assert status == 200 and "<html" not in desk.last_text
    assert "$50.00 of this goes to credit." in desk.last_text and "Save and credit $50.00" in desk.last_text
    assert ledger.get_bill(bill.id).lines == []


def test_a_confirmation_for_another_amount_asks_again(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Changed Chad")
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])

    status = desk.post(
        f"/bills/{bill.id}/payments/new", {"type": "check", "amount": "300", "confirm_overpayment": "5000"}
    )

    assert status == 200 and "$150.00 of this goes to credit." in desk.last_text
    assert ledger.get_bill(bill.id).lines == []


def test_a_payment_up_to_the_balance_due_saves_at_once(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Exact Eve")
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])

    assert desk.post(f"/bills/{bill.id}/payments/new", {"type": "cash", "amount": "100"}) == 303
    assert desk.post(f"/bills/{bill.id}/payments/new", {"type": "check", "amount": "50"}) == 303

    after = ledger.get_bill(bill.id)
    assert after.status == "paid" and [x.credited for x in after.lines] == [0, 0]
    assert ledger.get_client(client.id).credit_balance == 0
