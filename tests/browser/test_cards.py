"""A card on file, in a real browser: "Add card" with the simulator's test cards, then a bill paid with it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import SESSION_DAY, figure, flash, payment_row
from tests.factories import Ledger

pytestmark = pytest.mark.browser


def test_add_a_card_then_pay_a_bill_with_it(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Carded Camille")
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000, date=SESSION_DAY).id])
    staff.goto(f"/clients/{client.id}/billing")

    staff.get_by_role("button", name="Add card").click()
    dialog = staff.get_by_role("dialog", name="Add card")
    dialog.get_by_label("Mastercard ending 4444 (test card)").check()
    dialog.get_by_role("button", name="Add card").click()

    expect(flash(staff)).to_contain_text("Added the Mastercard ending 4444. It is the default card.")
    row = staff.get_by_role("row", name="Mastercard ending 4444")
    expect(row).to_contain_text("12/2034")
    expect(row).to_contain_text("Default")
    expect(row.get_by_role("button", name="Remove card")).to_be_visible()

    staff.goto(f"/bills/{bill.id}")
    staff.get_by_role("button", name="Add payment").click()
    pay = staff.get_by_role("dialog", name="Add payment")
    pay.get_by_label("Payment Type").select_option(label="Credit Card")
    expect(pay.get_by_label("Card")).to_have_value("pm_card_mastercard")
    pay.get_by_label("Amount").fill("150")
    pay.get_by_role("button", name="Save").click()

    expect(flash(staff)).to_contain_text("Added a Credit Card payment of $150.00.")
    expect(payment_row(staff, "Credit Card")).to_contain_text("$150.00")
    expect(figure(staff, "Balance due")).to_have_text("$0.00")
    [line] = ledger.get_bill(bill.id).lines
    assert (line.card_brand, line.card_last4) == ("mastercard", "4444")
    assert ledger.verify() == []
