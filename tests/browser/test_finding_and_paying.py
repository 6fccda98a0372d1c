"""Finding a client as one types, applying credit to an open bill, and an overpayment said before it is saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import SESSION_DAY, figure, flash, payment_row
from tests.factories import Ledger

pytestmark = pytest.mark.browser


def test_search_as_you_type_finds_a_client_by_part_of_the_name(staff: Page, ledger: Ledger) -> None:
    wanted = ledger.client("Theodora Vasquez-Lind")
    ledger.client("Marcus Ohlsson")
    staff.goto("/clients")

    staff.get_by_role("searchbox", name="Search clients").press_sequentially("VASQ")

    results = staff.locator("#client-results")
    expect(results.get_by_role("link", name="Theodora Vasquez-Lind")).to_be_visible()
    expect(results.get_by_role("link", name="Marcus Ohlsson")).to_have_count(0)
    expect(staff).to_have_url(f"{staff.url.split('/clients')[0]}/clients?q=VASQ")
    staff.get_by_role("searchbox", name="Search clients").fill("nobody-by-this-name")
    expect(results).to_contain_text("No clients match")
    staff.get_by_role("searchbox", name="Search clients").fill("theodora")
    results.get_by_role("link", name="Theodora Vasquez-Lind").click()
    expect(staff.get_by_role("heading", name="Theodora Vasquez-Lind")).to_be_visible()
    assert staff.url.endswith(f"/clients/{wanted.id}")


def test_apply_credit_on_an_open_bill_through_the_dialog(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Credit Carmen")
    ledger.prepay(client.id, "cash", 4000)
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000, date=SESSION_DAY).id], apply_credit=False)
    staff.goto(f"/bills/{bill.id}")

    staff.get_by_role("button", name="Apply credit").click()
    dialog = staff.get_by_role("dialog", name="Apply credit")
    expect(dialog.get_by_label("Amount")).to_have_value("40.00")
    dialog.get_by_label("Amount").fill("25")
    dialog.get_by_role("button", name="Apply credit").click()

    expect(flash(staff)).to_contain_text("Applied $25.00 of the client's credit.")
    expect(payment_row(staff, "Client Credit/Discount")).to_contain_text("$25.00")
    expect(figure(staff, "Balance due")).to_have_text("$125.00")
    assert ledger.get_bill(bill.id).balance_due == 12500
    assert ledger.get_client(client.id).credit_balance == 1500
    assert ledger.verify() == []


def test_an_overpayment_says_what_goes_to_credit_and_is_saved_once_confirmed(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Over Oskar")
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000, date=SESSION_DAY).id])
    staff.goto(f"/bills/{bill.id}")

    staff.get_by_role("button", name="Add payment").click()
    dialog = staff.get_by_role("dialog", name="Add payment")
    dialog.get_by_label("Payment Type").select_option(label="Cash")
    dialog.get_by_label("Amount").fill("1010")
    expect(dialog).to_contain_text("$860.00 of this goes to credit.")  # said as it is typed
    dialog.get_by_role("button", name="Save").click()

    confirm = dialog.get_by_role("button", name="Save and credit $860.00")
    expect(confirm).to_be_visible()
    assert ledger.get_bill(bill.id).lines == []
    confirm.click()

    expect(flash(staff)).to_contain_text("$860.00 of it went to the client's credit.")
    expect(figure(staff, "Balance due")).to_have_text("$0.00")
    assert ledger.get_client(client.id).credit_balance == 86000
