"""Packages and households on the pages: "Sell package" on the client page, packages on Billing
Settings, the household page, and Payment details naming whose credit a line drew."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import Api
from tests.factories import Ledger
from tests.web.desk import Desk, signed_in


def _attended_bill(ledger: Ledger, client_id: str, *, fee: int = 15000, service_code: str = "90834") -> str:
    appointment = ledger.appointment(client_id, fee=fee, service_code=service_code)
    ledger.set_status(appointment.id, "attended")
    return ledger.bill(client_id, [appointment.id], apply_credit=True).id


def _cell(page: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}">([^<]*)<', page)


def test_selling_a_package_for_cash_says_what_was_sold_and_makes_its_credit(desk: Desk) -> None:
    client = desk.ledger.client("Paula Package")
    assert "Sell package" in desk.page(f"/clients/{client.id}")

    status = desk.post(
        f"/clients/{client.id}/packages/new",
        {"name": "Four sessions", "sessions": "4", "price": "400", "service_code": "", "type": "cash", "amount": ""},
    )

    assert status == 303 and desk.last_location == f"/clients/{client.id}"
    page = desk.page(desk.last_location)
    assert "Sold Four sessions: 4 sessions for $400.00, paid $400.00 by Cash." in page
    [package] = desk.ledger.packages(client.id)
    assert (package.sessions, package.sessions_remaining, package.price, package.service_code) == (4, 4, 40000, None)
    assert desk.ledger.get_client(client.id).credit_balance == 40000
    assert desk.ledger.verify() == []


def test_paying_more_than_the_price_leaves_the_rest_as_ordinary_credit(desk: Desk) -> None:
    client = desk.ledger.client("Olga Over")

    desk.post(
        f"/clients/{client.id}/packages/new",
        {
            "name": "Two long",
            "sessions": "2",
            "price": "300",
            "service_code": "90837",
            "type": "check",
            "amount": "350",
        },
    )

    assert "paid $350.00 by Check" in desk.page(desk.last_location)
    [package] = desk.ledger.packages(client.id)
    assert (package.service_code, package.lot_remaining) == ("90837", 30000)
    assert desk.ledger.get_client(client.id).credit_balance == 35000


def test_a_package_form_refused_comes_back_with_the_reason_and_sells_nothing(desk: Desk) -> None:
    client = desk.ledger.client("Wrong Wanda")
    fields = {"name": "Four sessions", "sessions": "four", "price": "400", "type": "cash"}

    status = desk.post(f"/clients/{client.id}/packages/new", fields, htmx=True)

    assert status == 422
    assert "Sessions: &#39;four&#39; is not a whole number, like 4." in desk.last_text
    assert 'role="alert"' in desk.last_text and 'value="Four sessions"' in desk.last_text
    assert desk.post(f"/clients/{client.id}/packages/new", {**fields, "sessions": "4", "price": "ten"}) == 422
    assert "Price: &#39;ten&#39; is not an amount in dollars" in desk.last_text
    assert desk.ledger.packages(client.id) == []
    assert desk.ledger.get_client(client.id).credit_balance == 0


def test_billing_settings_lists_each_package_with_its_sessions_used_and_left(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Sessions Sam")
    ledger.sell_package(client.id, sessions=4, price=40000, type="cash", name="Four sessions")
    ledger.sell_package(client.id, sessions=2, price=30000, service_code="90837", type="cash", name="Two long")
    _attended_bill(ledger, client.id)

    page = desk.page(f"/clients/{client.id}/billing")

    assert re.search(r'<h2 id="packages-heading">Packages</h2>', page)
    four = page.index('<th scope="row">Four sessions</th>')
    two = page.index('<th scope="row">Two long</th>')
    assert four < two  # oldest first, the order sessions draw on them
    assert "Any session" in page[four:two] and "90837" in page[two:]
    assert _cell(page, "sessions-used") == ["1", "0"]
    assert _cell(page, "sessions-left") == ["3", "2"]
    assert "$300.00" in page[four:two] and "$400.00" in page[four:two]  # money left, price
    # The available credit says how much of it only the packages' sessions may spend.
    assert re.search(r'data-testid="package-credit">\$600\.00 of it in packages, for their sessions only<', page)


def test_a_client_without_packages_is_told_so(desk: Desk) -> None:
    client = desk.ledger.client("No Pack")
    assert "No packages." in desk.page(f"/clients/{client.id}/billing")


def test_a_package_session_details_name_the_package(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Detail Dana")
    ledger.sell_package(client.id, sessions=4, price=40000, type="cash", name="Four sessions")
    bill_id = _attended_bill(ledger, client.id)

    page = desk.page(f"/bills/{bill_id}")

    assert "<dt>Package: Four sessions</dt><dd>$100.00</dd>" in page
    assert "Discount: not taken from the credit balance." in page  # the $50.00 rest of the fee
    assert ledger.get_bill(bill_id).balance_due == 0


def test_the_household_page_shows_members_balances_totals_and_shared_credit(desk: Desk) -> None:
    ledger = desk.ledger
    parent, child = ledger.client("Maria Rivera"), ledger.client("Leo Rivera")
    ledger.prepay(parent.id, "cash", 20000)
    ledger.sell_package(parent.id, sessions=2, price=10000, type="cash")
    ledger.bill(child.id, [ledger.appointment(child.id).id], apply_credit=False)
    household = ledger.household([parent.id, child.id], share_credit=True, name="The Rivera family")

    page = desk.page(f"/households/{household.id}")

    assert "<h1>The Rivera family</h1>" in page and "Members share credit" in page
    assert f'<a href="/clients/{parent.id}">Maria Rivera</a>' in page
    assert f'<a href="/clients/{child.id}">Leo Rivera</a>' in page
    assert "$300.00" in page and "$100.00 of it in packages" in page  # the parent's credit
    assert re.search(
        r'<th scope="row">Total</th><td class="money">\$300\.00</td><td class="money">\$150\.00</td>', page
    )
    assert _cell(page, "shared-credit") == ["$200.00"]
    client_page = desk.page(f"/clients/{child.id}")
    assert f'<a href="/households/{household.id}">The Rivera family</a>' in client_page
    assert "Add to household" not in client_page


def test_add_to_household_then_add_member_from_the_household_page(desk: Desk) -> None:
    ledger = desk.ledger
    parent, child = ledger.client("Nora North"), ledger.client("Nico North")
    assert "Add to household" in desk.page(f"/clients/{parent.id}")

    assert desk.post(f"/clients/{parent.id}/household/new", {"name": "The Norths", "share_credit": "on"}) == 303
    household_url = desk.last_location
    page = desk.page(household_url)
    assert "Made the household The Norths with Nora North." in page and "Members share credit" in page
    form = desk.page(f"{household_url}/members/new")
    assert f'<option value="{child.id}">Nico North</option>' in form
    assert f'<option value="{parent.id}"' not in form  # already a member

    assert desk.post(f"{household_url}/members/new", {"client_id": child.id}) == 303
    assert "Added Nico North to The Norths." in desk.page(household_url)
    household_id = household_url.rsplit("/", 1)[1]
    assert desk.post(f"/households/{household_id}/members/new", {"other_client_id": child.id}, htmx=True) == 409
    assert "already belongs to a household" in desk.last_text
    assert desk.post(f"/clients/{child.id}/household/new", {"name": "Another"}, htmx=True) == 409


def test_a_household_without_a_name_is_refused(desk: Desk) -> None:
    client = desk.ledger.client("Nameless")
    assert desk.post(f"/clients/{client.id}/household/new", {"name": ""}, htmx=True) == 422
    assert 'role="alert"' in desk.last_text and "Name" in desk.last_text
    assert "Not in a household." in desk.page(f"/clients/{client.id}")


def test_payment_details_name_the_member_whose_credit_a_bill_drew(desk: Desk) -> None:
    ledger = desk.ledger
    parent, child = ledger.client("Maria Rivera"), ledger.client("Leo Rivera")
    ledger.prepay(parent.id, "cash", 20000)
    ledger.household([parent.id, child.id], share_credit=True)
    bill_id = _attended_bill(ledger, child.id)

    page = desk.page(f"/bills/{bill_id}")

    assert re.search(r"<dt>From Maria Rivera's prepayment of \d{4}-\d{2}-\d{2}</dt><dd>\$150\.00</dd>", page)
    assert ledger.get_bill(bill_id).balance_due == 0
    assert ledger.get_client(parent.id).credit_balance == 5000


def test_apply_credit_offers_the_household_s_credit_but_not_a_package_s(desk: Desk) -> None:
    ledger = desk.ledger
    parent, child = ledger.client("Paz Parent"), ledger.client("Kit Kid")
    ledger.prepay(parent.id, "cash", 5000)
    ledger.sell_package(child.id, sessions=2, price=10000, service_code="90837", type="cash")
    ledger.household([parent.id, child.id], share_credit=True)
    bill_id = ledger.bill(child.id, [ledger.appointment(child.id).id], apply_credit=False).id

    form = desk.page(f"/bills/{bill_id}/apply-credit")

    assert 'name="amount" required value="50.00"' in form  # the parent's $50, none of the package's $100
    assert "credit this bill may use $50.00" in form


def test_a_clinician_sees_no_sell_package_nor_household_buttons(owner: Api, db: Database, http: TestClient) -> None:
    desk = signed_in(owner, db, http, "clinician")
    client = desk.ledger.client("Read Only")
    household = desk.ledger.household([client.id])

    page = desk.page(f"/clients/{client.id}")
    assert "Sell package" not in page and "Add to household" not in page
    assert "Add member" not in desk.page(f"/households/{household.id}")
    fields = {"name": "X", "sessions": "1", "price": "10", "type": "cash"}
    assert desk.post(f"/clients/{client.id}/packages/new", fields) == 403
    assert desk.ledger.packages(client.id) == []


def test_new_bill_says_what_a_sharing_household_lets_the_bill_draw_on(desk: Desk) -> None:
    ledger = desk.ledger
    parent, child = ledger.client("Maria Rivera"), ledger.client("Leo Rivera")
    ledger.prepay(parent.id, "cash", 20000)
    ledger.household([parent.id, child.id], share_credit=True, name="The Rivera family")
    ledger.appointment(child.id)

    page = desk.page(f"/clients/{child.id}/bills/new")

    assert "Available Credit ($0.00)" in page
    assert "The Rivera family shares credit: this bill may draw on $200.00" in page


def test_without_javascript_the_forms_are_pages_of_their_own(desk: Desk) -> None:
    client = desk.ledger.client("Plain Page")

    sell = desk.page(f"/clients/{client.id}/packages/new")
    household = desk.page(f"/clients/{client.id}/household/new")

    assert "<html" in sell and '<label for="package-price">Price</label>' in sell
    assert "Optional: blank means any session." in sell and '<label for="package-amount">Amount paid</label>' in sell
    assert "<html" in household and "Share credit" in household
    assert desk.get("/households/hh_nothing").status_code == 404


def test_a_package_paid_by_card_is_charged_to_the_card_chosen(desk: Desk) -> None:
    client = desk.ledger.client("Card Carla")
    fields = {"name": "Four sessions", "sessions": "4", "price": "400", "type": "card"}

    assert desk.post(f"/clients/{client.id}/packages/new", {**fields, "payment_method": "pm_card_mastercard"}) == 303

    assert "paid $400.00 by Credit Card" in desk.page(desk.last_location)
    [package] = desk.ledger.packages(client.id)
    payment = desk.ledger.get_payment(package.payment_id)
    assert (payment.type, payment.captured, payment.card_last4) == ("card", 40000, "4444")
    declined = {**fields, "payment_method": "pm_card_chargeDeclined"}
    assert desk.post(f"/clients/{client.id}/packages/new", declined, htmx=True) == 402
    assert 'role="alert"' in desk.last_text
    assert len(desk.ledger.packages(client.id)) == 1
