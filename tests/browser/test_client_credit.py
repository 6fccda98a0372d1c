"""Credit on the client's side: Billing Settings (add, remove, double submit) and canceled sessions."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import SESSION_DAY, figure, flash, save_screenshot
from tests.factories import Ledger

pytestmark = pytest.mark.browser


def test_add_and_remove_credit_in_billing_settings(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Manual Mia")
    staff.goto(f"/clients/{client.id}")
    staff.get_by_role("link", name="Billing Settings").click()
    expect(staff.get_by_role("heading", name="Billing Settings")).to_be_visible()
    expect(figure(staff, "Available credit")).to_have_text("$0.00")

    staff.get_by_role("button", name="Add credit").click()
    dialog = staff.get_by_role("dialog", name="Add credit")
    dialog.get_by_label("Amount").fill("40")
    dialog.get_by_label("Reason").select_option(label="Fee waiver")
    dialog.get_by_label("Note").fill("Waived the intake fee")
    dialog.get_by_role("button", name="Save").click()
    expect(flash(staff)).to_have_text("Added $40.00 of credit.")
    expect(figure(staff, "Available credit")).to_have_text("$40.00")
    lots = staff.get_by_role("region", name="Credit lots")
    expect(lots).to_contain_text("Manual")
    expect(lots).to_contain_text("Fee waiver")
    expect(lots).to_contain_text("Waived the intake fee")

    lots.get_by_role("button", name="Remove credit").click()
    remove = staff.get_by_role("dialog", name="Remove credit")
    remove.get_by_label("Amount").fill("15")
    remove.get_by_label("Note").fill("Part of the waiver was billed after all")
    remove.get_by_role("button", name="Remove credit").click()
    expect(flash(staff)).to_contain_text("$15.00 of that credit was removed")
    expect(figure(staff, "Available credit")).to_have_text("$25.00")
    history = staff.get_by_role("region", name="Credit history")
    expect(history.get_by_role("row")).to_have_count(3)  # header, added, removed
    expect(history).to_contain_text("-$15.00")
    save_screenshot(staff, "billing-settings")

    credits = ledger.credits(client.id)
    assert credits.balance == 2500
    assert [(lot.source, lot.reason, lot.amount, lot.remaining) for lot in credits.lots] == [
        ("manual", "fee_waiver", 4000, 2500)
    ]
    assert ledger.verify() == []


def test_a_double_submitted_form_changes_nothing(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Double Dan")
    staff.goto(f"/clients/{client.id}/billing")
    staff.get_by_role("button", name="Add credit").click()
    dialog = staff.get_by_role("dialog", name="Add credit")
    used_nonce = dialog.locator("input[name=nonce]").input_value()
    dialog.get_by_label("Amount").fill("25")
    dialog.get_by_role("button", name="Save").click()
    expect(figure(staff, "Available credit")).to_have_text("$25.00")

    # The same form arrives again (a second click that got through, a resent page): same nonce.
    staff.get_by_role("button", name="Add credit").click()
    dialog = staff.get_by_role("dialog", name="Add credit")
    dialog.locator("input[name=nonce]").evaluate("(input, value) => { input.value = value; }", used_nonce)
    dialog.get_by_label("Amount").fill("25")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_have_text("This was already submitted.")
    expect(dialog).to_be_visible()
    assert ledger.credits(client.id).balance == 2500
    staff.reload()
    expect(figure(staff, "Available credit")).to_have_text("$25.00")


def test_a_canceled_session_payment_becomes_credit(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Canceling Cara")
    appt = ledger.appointment(client.id, fee=15000, date=SESSION_DAY)
    bill = ledger.bill(client.id, [appt.id])
    ledger.pay(bill.id, "card", 15000)
    staff.goto(f"/clients/{client.id}")
    staff.get_by_role("button", name=f"Set status of {SESSION_DAY.isoformat()} session").click()
    dialog = staff.get_by_role("dialog", name="Set status")
    dialog.get_by_label("Status").select_option(label="Late canceled")
    dialog.get_by_label("Fee").fill("50")
    expect(dialog.get_by_role("radio", name="Convert payment to credit")).to_be_checked()
    dialog.get_by_role("button", name="Save").click()

    expect(flash(staff)).to_contain_text("is now late canceled")
    expect(flash(staff)).to_contain_text("$100.00 of what the client paid is now credit")
    expect(figure(staff, "Credit balance")).to_have_text("$100.00")
    appointments = staff.get_by_role("region", name="Appointments")
    expect(appointments).to_contain_text("Late canceled")
    assert ledger.get_client(client.id).credit_balance == 10000
    after = ledger.get_bill(bill.id)
    assert after.client_responsibility == 5000 and after.balance_due == 0
    staff.get_by_role("link", name="Billing Settings").click()
    expect(staff.get_by_role("region", name="Credit lots")).to_contain_text("Late canceled session")
    assert [lot.source for lot in ledger.credits(client.id).lots] == ["cancellation"]
    assert ledger.verify() == []
