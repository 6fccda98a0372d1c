"""Refused actions explain themselves and change nothing; the tooltip and menu work from the keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import SESSION_DAY, figure, open_menu_item, payment_row
from tests.factories import Ledger, a_self_pay_bill

pytestmark = pytest.mark.browser


def test_an_over_refund_shows_its_message_and_changes_nothing(staff: Page, ledger: Ledger) -> None:
    _, bill = a_self_pay_bill(ledger, "Over Otto", date=SESSION_DAY)
    line = ledger.pay(bill.id, "card", 15000)
    staff.goto(f"/bills/{bill.id}")
    dialog = open_menu_item(staff, payment_row(staff, "Credit Card"), "Refund")
    dialog.get_by_role("textbox", name="Amount").fill("500")
    expect(dialog.get_by_role("radio", name="Custom Amount")).to_be_checked()  # typing an amount picks it
    dialog.get_by_role("button", name="Refund").click()

    alert = dialog.get_by_role("alert")
    expect(alert).to_have_text("At most $150.00 of this payment can be refunded; $500.00 was asked.")
    expect(alert).to_be_focused()
    expect(dialog.get_by_role("textbox", name="Amount")).to_have_value("500")
    assert line.payment_id is not None
    assert ledger.get_payment(line.payment_id).refunded == 0
    assert ledger.get_bill(bill.id).balance_due == 0
    dialog.get_by_role("button", name="Cancel").click()
    expect(staff.get_by_role("dialog")).to_have_count(0)
    expect(figure(staff, "Balance due")).to_have_text("$0.00")


def test_paying_with_more_credit_than_the_client_has_is_refused(staff: Page, ledger: Ledger) -> None:
    _, bill = a_self_pay_bill(ledger, "Short Sam", date=SESSION_DAY)
    staff.goto(f"/bills/{bill.id}")
    staff.get_by_role("button", name="Add payment").click()
    dialog = staff.get_by_role("dialog", name="Add payment")
    dialog.get_by_label("Payment Type").select_option(label="Client Credit/Discount")
    dialog.get_by_label("Amount").fill("40")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog.get_by_role("alert")).to_have_text("The client has $0.00 of credit; $40.00 is more than that.")
    expect(dialog.get_by_label("Payment Type")).to_have_value("client_credit")
    after = ledger.get_bill(bill.id)
    assert after.lines == [] and after.balance_due == 15000


def test_tooltip_and_menu_work_from_the_keyboard(staff: Page, ledger: Ledger) -> None:
    _, bill = a_self_pay_bill(ledger, "Keyboard Kai", date=SESSION_DAY)
    ledger.pay(bill.id, "card", 20000)
    staff.goto(f"/bills/{bill.id}")
    staff.get_by_role("button", name="Add payment").focus()

    staff.keyboard.press("Tab")
    details = payment_row(staff, "Credit Card").get_by_role("button", name="Payment details")
    expect(details).to_be_focused()
    tooltip = staff.get_by_role("tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("Original payment")
    expect(tooltip).to_contain_text("Applied to credit")
    staff.keyboard.press("Escape")
    expect(tooltip).to_have_count(0)
    expect(details).to_be_focused()

    staff.keyboard.press("Tab")
    more = payment_row(staff, "Credit Card").get_by_role("button", name="More actions")
    expect(more).to_be_focused()
    expect(more).to_have_attribute("aria-haspopup", "menu")
    expect(more).to_have_attribute("aria-expanded", "false")
    staff.keyboard.press("Enter")
    menu = staff.get_by_role("menu")
    expect(menu).to_be_visible()
    expect(more).to_have_attribute("aria-expanded", "true")
    refund = menu.get_by_role("menuitem", name="Refund")
    remove = menu.get_by_role("menuitem", name="Remove")
    expect(refund).to_be_focused()
    staff.keyboard.press("ArrowDown")
    expect(remove).to_be_focused()
    staff.keyboard.press("ArrowDown")
    expect(refund).to_be_focused()
    staff.keyboard.press("ArrowUp")
    expect(remove).to_be_focused()
    staff.keyboard.press("Escape")
    expect(staff.get_by_role("menu")).to_have_count(0)
    expect(more).to_be_focused()

    staff.keyboard.press("Enter")
    staff.keyboard.press("ArrowDown")
    staff.keyboard.press("ArrowUp")
    expect(refund).to_be_focused()
    staff.keyboard.press("Enter")
    dialog = staff.get_by_role("dialog", name="Refund")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("group", name="How much do you want to refund?")).to_be_visible()
    expect(dialog.get_by_role("radio", name="Full Amount ($200.00)")).to_be_checked()
    staff.keyboard.press("Escape")
    expect(staff.get_by_role("dialog")).to_have_count(0)
    expect(more).to_be_focused()
    assert ledger.get_bill(bill.id).balance_due == 0


def test_a_missing_page_is_a_page_not_a_trace(staff: Page) -> None:
    response = staff.goto("/bills/bill_does_not_exist")
    assert response is not None and response.status == 404
    expect(staff.get_by_role("heading", name="Not found")).to_be_visible()
    content = staff.content()
    assert "Traceback" not in content and 'File "' not in content
    assert "No bill 'bill_does_not_exist' in this practice." in content
