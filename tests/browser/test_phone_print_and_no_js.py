"""The billing desk on a phone (390 px wide), on paper, and with JavaScript turned off."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from clientledger.appointments import service as appointments
from clientledger.clients.schemas import ClientRead
from tests.browser.conftest import log_in
from tests.browser.helpers import SESSION_DAY, LiveServer, figure, flash, payment_row, save_screenshot
from tests.factories import Ledger, a_self_pay_bill

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(live_server: LiveServer, new_context: Callable[..., BrowserContext]) -> Page:
    """The practice owner on a phone-sized screen."""
    context = new_context(base_url=live_server.url, viewport=PHONE)
    log_in(context, live_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def no_js(live_server: LiveServer, new_context: Callable[..., BrowserContext]) -> Page:
    """The practice owner in a browser with JavaScript turned off."""
    context = new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    log_in(context, live_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def an_insured_client_with_history(ledger: Ledger) -> tuple[ClientRead, str]:
    """Three sessions on one bill, paid by insurance, card, cash and credit; lots of credit with history."""
    client = ledger.client("Philippa Phoneworth-Longname", billing="insurance", copay=3000)
    sessions = [ledger.appointment(client.id, fee=12500, date=SESSION_DAY + dt.timedelta(days=7 * n)) for n in range(3)]
    ledger.manual_credit(client.id, 2500, reason="courtesy", note="Welcome back after the move across town")
    bill = ledger.bill(client.id, [a.id for a in sessions], apply_credit=False)
    for item in bill.items[:2]:
        ledger.insurance_payment(bill.id, item.id, payer="BRHP1", paid=9500, patient_responsibility=3000)
    ledger.pay(bill.id, "card", 3000)
    ledger.pay(bill.id, "cash", 2000)
    ledger.pay(bill.id, "client_credit", 1000, deduct=True)
    ledger.prepay(client.id, "check", 4000, memo="Check 1042")
    lot = ledger.manual_credit(client.id, 6000, reason="billing_resolution", note="Double charge in October")
    ledger.remove_credit(client.id, lot.id, 1500, note="Part of it was a mistake")
    ledger.appointment(client.id, fee=12500, date=SESSION_DAY + dt.timedelta(days=28))
    return client, bill.id


def page_width(page: Page) -> int:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def assert_fits(page: Page, what: str) -> None:
    assert page_width(page) <= PHONE["width"], f"{what} is wider than the phone: {page_width(page)} px"


def assert_inside_viewport(box: Locator) -> None:
    bounds = box.bounding_box()
    assert bounds is not None
    assert bounds["x"] >= 0 and bounds["y"] >= 0, bounds
    assert bounds["x"] + bounds["width"] <= PHONE["width"], bounds
    assert bounds["y"] + bounds["height"] <= PHONE["height"], bounds


def test_a_bill_fits_a_phone_with_its_dialog_tooltip_and_menu(phone: Page, ledger: Ledger) -> None:
    client, bill_id = an_insured_client_with_history(ledger)
    phone.goto(f"/bills/{bill_id}")
    expect(phone.get_by_role("columnheader", name="Insurance paid")).to_be_attached()
    assert_fits(phone, "the bill page")
    save_screenshot(phone, "bill-390", publish=True)

    details = payment_row(phone, "Credit Card").get_by_role("button", name="Payment details")
    details.focus()
    tooltip = phone.get_by_role("tooltip")
    expect(tooltip).to_be_visible()
    assert_fits(phone, "the bill with a tooltip shown")
    bounds = tooltip.bounding_box()
    assert bounds is not None and bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= PHONE["width"]
    phone.keyboard.press("Escape")

    payment_row(phone, "Cash").get_by_role("button", name="More actions").click()
    expect(phone.get_by_role("menuitem", name="Refund")).to_be_visible()
    assert_fits(phone, "the bill with a menu open")
    phone.keyboard.press("Escape")

    phone.get_by_role("button", name="Add payment").click()
    dialog = phone.get_by_role("dialog", name="Add payment")
    expect(dialog).to_be_visible()
    assert_inside_viewport(dialog)
    assert_fits(phone, "the bill with the Add payment dialog")
    save_screenshot(phone, "bill-390-add-payment")
    dialog.get_by_label("Payment Type").select_option(label="Cash")
    dialog.get_by_label("Amount").fill("10")
    dialog.get_by_role("button", name="Save").click()
    expect(flash(phone)).to_contain_text("Added a Cash payment of $10.00")

    bill = ledger.get_bill(bill_id)
    unbilled = [a for a in ledger.look(appointments.list_client_appointments, client_id=client.id) if not a.bill_id]
    lot = ledger.credits(client.id).lots[0]
    for path in (
        f"/clients/{client.id}",
        "/clients",
        f"/clients/{client.id}/bills/new",
        f"/bills/{bill_id}/payments/new",
        f"/bills/{bill_id}/insurance-payments/new?item_id={bill.items[2].id}",
        f"/bills/{bill_id}/lines/{bill.lines[0].id}/refund",
        f"/bills/{bill_id}/lines/{bill.lines[0].id}/remove",
        f"/clients/{client.id}/appointments/new",
        f"/clients/{client.id}/payments/new",
        f"/appointments/{unbilled[0].id}/status",
        f"/clients/{client.id}/billing/credits/{lot.id}/remove",
        f"/bills/{bill_id}/apply-credit",
        f"/clients/{client.id}/statement",
        f"/clients/{client.id}/superbill",
        "/reports",
        "/settings",
    ):
        phone.goto(path)
        expect(phone.get_by_role("main")).to_be_visible()
        assert_fits(phone, path)


def test_billing_settings_fit_a_phone_with_the_add_credit_dialog(phone: Page, ledger: Ledger) -> None:
    client, _ = an_insured_client_with_history(ledger)
    phone.goto(f"/clients/{client.id}/billing")
    expect(phone.get_by_role("heading", name="Billing Settings")).to_be_visible()
    expect(phone.get_by_role("button", name="Remove credit")).to_have_count(3)
    assert_fits(phone, "Billing Settings")
    save_screenshot(phone, "billing-settings-390", publish=True)

    phone.get_by_role("button", name="Add credit").click()
    dialog = phone.get_by_role("dialog", name="Add credit")
    expect(dialog).to_be_visible()
    assert_inside_viewport(dialog)
    assert_fits(phone, "Billing Settings with the Add credit dialog")
    save_screenshot(phone, "billing-settings-390-add-credit")
    phone.keyboard.press("Escape")

    phone.get_by_role("button", name="Remove credit").first.click()
    dialog = phone.get_by_role("dialog", name="Remove credit")
    expect(dialog).to_be_visible()
    assert_inside_viewport(dialog)

    phone.goto(f"/clients/{client.id}/billing/credits/new")
    expect(phone.get_by_label("Amount")).to_be_visible()
    assert_fits(phone, "the Add credit page")


def test_a_dialog_link_opens_with_space_or_enter_like_a_button(staff: Page, ledger: Ledger) -> None:
    client = ledger.client("Keyboard Kim")
    staff.goto(f"/clients/{client.id}/billing")
    add = staff.get_by_role("button", name="Add credit")
    assert add.evaluate("a => a.tagName") == "A"

    add.focus()
    staff.keyboard.press(" ")
    dialog = staff.get_by_role("dialog", name="Add credit")
    expect(dialog).to_be_visible()
    expect(staff).to_have_url(re.compile(f"/clients/{client.id}/billing$"))
    assert staff.evaluate("window.scrollY") == 0
    staff.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(add).to_be_focused()

    staff.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Amount").fill("12")
    dialog.get_by_role("button", name="Save").click()
    expect(flash(staff)).to_have_text("Added $12.00 of credit.")
    assert ledger.credits(client.id).balance == 1200


def test_a_printed_bill_shows_the_bill_and_none_of_the_controls(staff: Page, ledger: Ledger) -> None:
    _, bill = a_self_pay_bill(ledger, "Printed Priya", date=SESSION_DAY)
    ledger.pay(bill.id, "card", 5000)
    staff.goto(f"/bills/{bill.id}")
    staff.emulate_media(media="print")

    expect(staff.get_by_role("heading", name=re.compile("^Bill #"))).to_be_visible()
    expect(payment_row(staff, "Credit Card")).to_be_visible()
    expect(figure(staff, "Balance due")).to_have_text("$100.00")
    for control in (
        staff.get_by_role("navigation", name="Main"),
        staff.get_by_role("button", name="Add payment"),
        staff.get_by_role("button", name="Log out"),
        staff.get_by_role("button", name="More actions"),
        staff.get_by_role("button", name="Payment details"),
    ):
        expect(control).to_be_hidden()
    link = staff.get_by_role("link", name="Billing Settings")
    assert link.evaluate("a => getComputedStyle(a).textDecorationLine") == "none"
    assert link.evaluate("a => getComputedStyle(a).color === getComputedStyle(a.parentElement).color")
    table = staff.get_by_role("region", name="Payments").get_by_role("table")
    main = staff.locator("main")
    table_box, main_box = table.bounding_box(), main.bounding_box()
    assert table_box is not None and main_box is not None and table_box["width"] >= main_box["width"] - 1

    staff.emulate_media(media="screen")
    expect(staff.get_by_role("button", name="Add payment")).to_be_visible()

    staff.goto(f"/clients/{bill.client_id}")
    staff.emulate_media(media="print")
    expect(staff.get_by_role("heading", name="Printed Priya")).to_be_visible()
    expect(staff.get_by_role("region", name="Bills").get_by_role("table")).to_be_visible()
    for name in ("New bill", "Billing Settings"):
        expect(staff.get_by_role("link", name=name)).to_be_hidden()
    for name in ("Add appointment", "Record payment", "Log out"):
        expect(staff.get_by_role("button", name=name)).to_be_hidden()


def test_a_payment_and_a_refund_without_javascript(no_js: Page, ledger: Ledger) -> None:
    _, bill = a_self_pay_bill(ledger, "Scriptless Sam", date=SESSION_DAY)
    no_js.goto(f"/bills/{bill.id}")

    no_js.get_by_role("button", name="Add payment").click()
    expect(no_js).to_have_url(re.compile(f"/bills/{bill.id}/payments/new$"))
    expect(no_js.get_by_role("dialog")).to_have_count(0)
    no_js.get_by_label("Payment Type").select_option(label="Cash")
    no_js.get_by_label("Amount").fill("40")
    no_js.get_by_role("button", name="Save").click()

    expect(no_js).to_have_url(re.compile(f"/bills/{bill.id}$"))
    expect(flash(no_js)).to_have_text("Added a Cash payment of $40.00.")
    expect(payment_row(no_js, "Cash")).to_contain_text("$40.00")
    expect(figure(no_js, "Balance due")).to_have_text("$110.00")

    no_js.get_by_role("button", name="More actions").click()
    no_js.get_by_role("menuitem", name="Refund").click()
    expect(no_js).to_have_url(re.compile(f"/bills/{bill.id}/lines/.+/refund$"))
    no_js.get_by_role("radio", name="Custom Amount").check()
    no_js.get_by_role("textbox", name="Amount").fill("15")
    no_js.get_by_role("button", name="Refund").click()

    expect(no_js).to_have_url(re.compile(f"/bills/{bill.id}$"))
    expect(flash(no_js)).to_contain_text("$15.00")
    expect(figure(no_js, "Balance due")).to_have_text("$125.00")
    assert ledger.get_bill(bill.id).balance_due == 12500
    assert ledger.verify() == []


def test_a_refused_form_and_added_credit_without_javascript(no_js: Page, ledger: Ledger) -> None:
    client = ledger.client("Scriptless Sue")
    no_js.goto(f"/clients/{client.id}/billing")

    no_js.get_by_role("button", name="Add credit").click()
    expect(no_js).to_have_url(re.compile(f"/clients/{client.id}/billing/credits/new$"))
    no_js.get_by_label("Amount").fill("0")
    no_js.get_by_role("button", name="Save").click()
    expect(no_js.get_by_role("alert").filter(has_text="Amount must be more than $0.00")).to_be_visible()
    assert ledger.credits(client.id).balance == 0

    no_js.get_by_label("Amount").fill("35")
    no_js.get_by_label("Reason").select_option(label="Fee waiver")
    no_js.get_by_role("button", name="Save").click()

    expect(no_js).to_have_url(re.compile(f"/clients/{client.id}/billing$"))
    expect(flash(no_js)).to_have_text("Added $35.00 of credit.")
    expect(figure(no_js, "Available credit")).to_have_text("$35.00")
    lots = no_js.get_by_role("region", name="Credit lots").get_by_role("row")
    expect(lots.filter(has_text="Fee waiver")).to_have_count(1)

    no_js.get_by_role("button", name="Remove credit").click()
    no_js.get_by_role("link", name="Cancel").click()
    expect(no_js).to_have_url(re.compile(f"/clients/{client.id}/billing$"))
    assert ledger.credits(client.id).balance == 3500


def test_credit_applied_and_an_overpayment_confirmed_without_javascript(no_js: Page, ledger: Ledger) -> None:
    client, bill = a_self_pay_bill(ledger, "Scriptless Sol", date=SESSION_DAY)
    ledger.manual_credit(client.id, 4000)
    no_js.goto(f"/bills/{bill.id}")

    no_js.get_by_role("button", name="Apply credit").click()
    expect(no_js).to_have_url(re.compile(f"/bills/{bill.id}/apply-credit$"))
    expect(no_js.get_by_label("Amount")).to_have_value("40.00")
    no_js.get_by_label("Amount").fill("25")
    no_js.get_by_role("button", name="Apply credit").click()
    expect(no_js).to_have_url(re.compile(f"/bills/{bill.id}$"))
    expect(payment_row(no_js, "Client Credit/Discount")).to_contain_text("$25.00")
    expect(figure(no_js, "Balance due")).to_have_text("$125.00")

    no_js.get_by_role("button", name="Add payment").click()
    no_js.get_by_label("Payment Type").select_option(label="Cash")
    no_js.get_by_label("Amount").fill("985")
    no_js.get_by_role("button", name="Save").click()
    expect(no_js.get_by_text("$860.00 of this goes to credit.")).to_be_visible()
    assert ledger.get_bill(bill.id).balance_due == 12500  # nothing recorded before it is confirmed
    no_js.get_by_role("button", name="Save and credit $860.00").click()

    expect(no_js).to_have_url(re.compile(f"/bills/{bill.id}$"))
    expect(figure(no_js, "Balance due")).to_have_text("$0.00")
    assert ledger.get_client(client.id).credit_balance == 1500 + 86000
    assert ledger.verify() == []
