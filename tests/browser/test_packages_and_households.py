"""Packages and households through the UI: a package sold, two of its sessions billed and one given
back, and a child's bill paid from the parent's credit in a household that shares it."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import SESSION_DAY, figure, flash, open_menu_item, payment_row
from tests.factories import Ledger

pytestmark = pytest.mark.browser


def test_sell_a_package_bill_two_sessions_and_give_one_back(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Package Paige")
    for day in (SESSION_DAY, SESSION_DAY + dt.timedelta(days=7)):
        ledger.set_status(ledger.appointment(client.id, fee=15000, date=day).id, "attended")
    staff.goto(f"/clients/{client.id}")
    staff.get_by_role("button", name="Sell package").click()
    dialog = staff.get_by_role("dialog", name="Sell package")
    dialog.get_by_label("Name").fill("Four sessions")
    dialog.get_by_label("Sessions").fill("4")
    dialog.get_by_label("Price").fill("400")
    dialog.get_by_label("Payment method").select_option(label="Cash")
    expect(dialog.get_by_label("Card", exact=True)).to_be_hidden()  # a card only for card payments
    dialog.get_by_role("button", name="Sell package").click()
    expect(flash(staff)).to_contain_text("Sold Four sessions: 4 sessions for $400.00, paid $400.00 by Cash.")
    expect(figure(staff, "Credit balance")).to_have_text("$400.00")

    staff.get_by_role("link", name="New bill").click()
    expect(staff.get_by_role("checkbox", name=SESSION_DAY.isoformat())).to_be_checked()
    expect(staff.get_by_role("checkbox", name="Available Credit")).to_be_checked()
    staff.get_by_role("button", name="Create bill").click()
    expect(flash(staff)).to_contain_text("Bill created.")
    expect(figure(staff, "Balance due")).to_have_text("$0.00")
    bill_id = staff.url.rsplit("/", 1)[1]
    assert ledger.packages(client.id)[0].sessions_used == 2  # each session its $100 share, $50 discount
    session = payment_row(staff, "Client Credit/Discount").filter(has_text="From client credit").first
    session.get_by_role("button", name="Payment details").hover()
    tooltip = staff.get_by_role("tooltip")
    expect(tooltip).to_contain_text("Package: Four sessions")
    expect(tooltip).to_contain_text("$100.00")
    staff.mouse.move(0, 0)

    dialog = open_menu_item(staff, session, "Refund")
    expect(dialog.get_by_role("radio", name="Full Amount ($100.00)")).to_be_checked()
    dialog.get_by_role("button", name="Refund").click()
    expect(flash(staff)).to_contain_text("$100.00")
    expect(figure(staff, "Balance due")).to_have_text("$150.00")  # the session's discount went with it

    staff.get_by_role("link", name="Billing Settings").click()
    packages = staff.get_by_role("region", name="Packages")
    row = packages.get_by_role("row").filter(has=staff.get_by_role("rowheader", name="Four sessions"))
    expect(row).to_contain_text("Any session")
    expect(row.get_by_test_id("sessions-used")).to_have_text("1")
    expect(row.get_by_test_id("sessions-left")).to_have_text("3")
    expect(row).to_contain_text("$300.00")
    [package] = ledger.packages(client.id)
    assert (package.sessions_used, package.sessions_remaining, package.lot_remaining) == (1, 3, 30000)
    assert ledger.get_bill(bill_id).balance_due == 15000
    assert ledger.verify() == []


def test_a_childs_bill_paid_from_the_parents_credit_names_the_parent(staff: Page, ledger: Ledger) -> None:
    parent, child = ledger.client("Maria Rivera"), ledger.client("Leo Rivera")
    ledger.prepay(parent.id, "check", 20000)
    ledger.appointment(child.id, fee=15000, date=SESSION_DAY)

    staff.goto(f"/clients/{parent.id}")
    staff.get_by_role("button", name="Add to household").click()
    dialog = staff.get_by_role("dialog", name="Add to household")
    dialog.get_by_label("Name").fill("The Rivera family")
    dialog.get_by_role("checkbox", name="Share credit").check()
    dialog.get_by_role("button", name="Save").click()
    expect(staff.get_by_role("heading", name="The Rivera family")).to_be_visible()
    staff.get_by_role("button", name="Add member").click()
    dialog = staff.get_by_role("dialog", name="Add member")
    dialog.get_by_label("Client", exact=True).select_option(label="Leo Rivera")
    dialog.get_by_role("button", name="Add member").click()
    expect(flash(staff)).to_contain_text("Added Leo Rivera to The Rivera family.")
    members = staff.get_by_role("region", name="Members")
    expect(members.get_by_role("link", name="Leo Rivera")).to_be_visible()
    expect(staff.get_by_test_id("shared-credit")).to_have_text("$200.00")

    members.get_by_role("link", name="Leo Rivera").click()
    expect(staff.get_by_role("link", name="The Rivera family")).to_be_visible()
    staff.get_by_role("link", name="New bill").click()
    staff.get_by_role("button", name="Create bill").click()
    expect(flash(staff)).to_contain_text("$150.00 of available credit was applied")
    expect(figure(staff, "Balance due")).to_have_text("$0.00")
    payment_row(staff, "Client Credit/Discount").get_by_role("button", name="Payment details").focus()
    tooltip = staff.get_by_role("tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("From Maria Rivera's prepayment")
    assert ledger.get_client(parent.id).credit_balance == 5000
    assert ledger.get_client(child.id).balance_due == 0
    assert ledger.verify() == []
