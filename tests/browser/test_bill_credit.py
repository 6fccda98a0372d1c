"""SEED.md's cases on bills, through the UI: credit applied or not, the "i" details, Refund and Remove."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    SESSION_DAY,
    figure,
    flash,
    open_menu_item,
    payment_row,
    save_screenshot,
    tooltip_values,
)
from tests.factories import Ledger, a_self_pay_bill

pytestmark = pytest.mark.browser


def test_prepayment_is_applied_to_the_next_bill(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Prepaid Pat")
    ledger.appointment(client.id, fee=15000, date=SESSION_DAY)
    staff.goto(f"/clients/{client.id}")
    staff.get_by_role("button", name="Record payment").click()
    dialog = staff.get_by_role("dialog", name="Record payment")
    dialog.get_by_label("Payment Type").select_option(label="Cash")
    dialog.get_by_label("Amount").fill("200")
    dialog.get_by_role("button", name="Save").click()
    expect(flash(staff)).to_contain_text("Recorded a Cash payment of $200.00")
    expect(figure(staff, "Credit balance")).to_have_text("$200.00")

    staff.get_by_role("link", name="New bill").click()
    expect(staff.get_by_role("heading", name="New bill")).to_be_visible()
    expect(staff.get_by_role("checkbox", name=SESSION_DAY.isoformat())).to_be_checked()
    available = staff.get_by_role("checkbox", name="Available Credit ($200.00)")
    expect(available).to_be_checked()
    staff.get_by_role("button", name="Create bill").click()

    expect(flash(staff)).to_contain_text("$150.00 of available credit was applied")
    row = payment_row(staff, "Client Credit/Discount")
    expect(row).to_contain_text("$150.00")
    expect(figure(staff, "Balance due")).to_have_text("$0.00")
    bill_id = staff.url.rsplit("/", 1)[1]
    assert ledger.get_bill(bill_id).balance_due == 0
    assert ledger.get_client(client.id).credit_balance == 5000
    assert ledger.verify() == []


def test_unchecking_available_credit_bills_without_it(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Opt-out Olive")
    ledger.prepay(client.id, "card", 5000)
    ledger.appointment(client.id, fee=15000, date=SESSION_DAY)
    staff.goto(f"/clients/{client.id}/bills/new")
    available = staff.get_by_role("checkbox", name="Available Credit ($50.00)")
    expect(available).to_be_checked()
    available.uncheck()
    staff.get_by_role("button", name="Create bill").click()

    expect(flash(staff)).to_have_text("Bill created.")
    expect(staff.get_by_role("rowheader", name="Client Credit/Discount")).to_have_count(0)
    expect(figure(staff, "Balance due")).to_have_text("$150.00")
    bill = ledger.get_bill(staff.url.rsplit("/", 1)[1])
    assert bill.lines == [] and bill.balance_due == 15000
    assert ledger.get_client(client.id).credit_balance == 5000


def test_payment_details_show_the_original_payment_and_what_went_to_credit(staff: Page, ledger: Ledger) -> None:
    _, bill = a_self_pay_bill(ledger, "Overpaying Oscar", date=SESSION_DAY)
    ledger.pay(bill.id, "card", 20000)
    staff.goto(f"/bills/{bill.id}")
    row = payment_row(staff, "Credit Card")
    details = row.get_by_role("button", name="Payment details")
    tooltip = staff.get_by_role("tooltip")
    expect(tooltip).to_have_count(0)  # hidden tooltips are out of the accessibility tree

    details.hover()
    expect(tooltip).to_be_visible()
    assert details.get_attribute("aria-describedby") == tooltip.get_attribute("id")
    values = tooltip_values(tooltip)
    assert values["Original payment"] == "$200.00"
    assert values["Applied to credit"] == "$50.00"
    assert values["Applied to this bill"] == "$150.00"
    save_screenshot(staff, "bill-page", publish=True)

    staff.mouse.move(0, 0)
    hidden = row.locator("[role=tooltip]")
    expect(hidden).to_be_hidden()
    assert hidden.evaluate("t => getComputedStyle(t).display") == "none"
    assert ledger.get_client(bill.client_id).credit_balance == 5000


def test_refund_a_custom_amount_to_the_card(staff: Page, ledger: Ledger) -> None:
    _, bill = a_self_pay_bill(ledger, "Refund Rita", date=SESSION_DAY)
    line = ledger.pay(bill.id, "card", 20000)
    staff.goto(f"/bills/{bill.id}")
    dialog = open_menu_item(staff, payment_row(staff, "Credit Card"), "Refund")
    expect(dialog.get_by_role("group", name="How much do you want to refund?")).to_be_visible()
    expect(dialog.get_by_role("radio", name="Full Amount")).to_be_checked()
    dialog.get_by_role("radio", name="Custom Amount").check()
    dialog.get_by_role("textbox", name="Amount").fill("30.00")
    dialog.get_by_role("button", name="Refund").click()

    expect(flash(staff)).to_contain_text("Refunded $30.00 to the card")
    expect(staff.get_by_role("dialog")).to_have_count(0)
    payment_row(staff, "Credit Card").get_by_role("button", name="Payment details").hover()
    assert tooltip_values(staff.get_by_role("tooltip"))["Refunded"] == "$30.00"
    assert line.payment_id is not None
    payment = ledger.get_payment(line.payment_id)
    assert payment.refunded == 3000
    assert ledger.get_client(bill.client_id).credit_balance == 2000  # taken from this payment's credit first
    assert ledger.get_bill(bill.id).balance_due == 0
    assert ledger.verify() == []


def test_refund_on_a_client_credit_row_returns_the_credit(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Keep-it Kim")
    ledger.prepay(client.id, "card", 10000)
    appt = ledger.appointment(client.id, fee=15000, date=SESSION_DAY)
    bill = ledger.bill(client.id, [appt.id])
    assert ledger.get_client(client.id).credit_balance == 0
    staff.goto(f"/bills/{bill.id}")
    dialog = open_menu_item(staff, payment_row(staff, "Client Credit/Discount"), "Refund")
    expect(dialog.get_by_role("radio", name="Full Amount ($100.00)")).to_be_checked()
    dialog.get_by_role("button", name="Refund").click()

    expect(flash(staff)).to_contain_text("$100.00 went back to the client's available credit")
    expect(figure(staff, "Balance due")).to_have_text("$150.00")
    expect(figure(staff, "Client's available credit")).to_have_text("$100.00")
    assert ledger.get_client(client.id).credit_balance == 10000
    assert ledger.get_bill(bill.id).balance_due == 15000
    assert ledger.verify() == []


def test_remove_on_a_client_credit_row_warns_then_deletes_the_credit(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Removed Rosa")
    ledger.prepay(client.id, "card", 10000)
    appt = ledger.appointment(client.id, fee=15000, date=SESSION_DAY)
    bill = ledger.bill(client.id, [appt.id])
    staff.goto(f"/bills/{bill.id}")
    dialog = open_menu_item(staff, payment_row(staff, "Client Credit/Discount"), "Remove")
    expect(dialog).to_contain_text("The credit is deleted permanently")
    expect(dialog).to_contain_text("Billing Settings")
    dialog.get_by_role("button", name="Remove").click()

    expect(flash(staff)).to_contain_text("deleted permanently")
    expect(payment_row(staff, "Client Credit/Discount")).to_contain_text("Removed for good")
    expect(payment_row(staff, "Client Credit/Discount").get_by_role("button", name="More actions")).to_have_count(0)
    assert ledger.get_client(client.id).credit_balance == 0
    assert ledger.get_bill(bill.id).balance_due == 15000

    staff.get_by_role("link", name="Billing Settings").click()
    staff.get_by_role("button", name="Add credit").click()
    add = staff.get_by_role("dialog", name="Add credit")
    add.get_by_label("Amount").fill("100")
    add.get_by_label("Reason").select_option(label="Billing resolution")
    add.get_by_label("Note").fill("Re-added credit removed from a bill by mistake")
    add.get_by_role("button", name="Save").click()
    expect(figure(staff, "Available credit")).to_have_text("$100.00")
    assert ledger.get_client(client.id).credit_balance == 10000
    assert ledger.verify() == []


def test_client_credit_payment_without_deducting_is_a_discount(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Discount Dana")
    ledger.prepay(client.id, "cash", 5000)
    appt = ledger.appointment(client.id, fee=15000, date=SESSION_DAY)
    bill = ledger.bill(client.id, [appt.id], apply_credit=False)
    staff.goto(f"/bills/{bill.id}")
    staff.get_by_role("button", name="Add payment").click()
    dialog = staff.get_by_role("dialog", name="Add payment")
    deduct = dialog.get_by_role("checkbox", name="Deduct from credit balance?")
    expect(deduct).to_be_hidden()  # shown for Client Credit/Discount only
    dialog.get_by_label("Payment Type").select_option(label="Client Credit/Discount")
    expect(deduct).to_be_checked()
    deduct.uncheck()
    dialog.get_by_label("Amount").fill("20")
    dialog.get_by_role("button", name="Save").click()

    expect(flash(staff)).to_contain_text("Added a $20.00 discount")
    row = payment_row(staff, "Client Credit/Discount")
    expect(row).to_contain_text("Discount")
    row.get_by_role("button", name="Payment details").hover()
    expect(staff.get_by_role("tooltip")).to_contain_text("Discount")
    expect(figure(staff, "Balance due")).to_have_text("$130.00")
    assert ledger.get_client(client.id).credit_balance == 5000
    assert ledger.get_bill(bill.id).balance_due == 13000
    assert ledger.verify() == []
