"""Cards on file in the web UI: Billing Settings lists them, "Add card" opens the processor's card
form (the simulator's test cards here; Stripe Elements with Stripe), "Remove card" forgets one, and
the card payment forms offer the client's saved cards."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import Api
from tests.support.processors import StripeLike
from tests.web.desk import Desk, signed_in


def test_add_card_opens_the_simulators_test_card_form_and_saves_the_card(desk: Desk) -> None:
    client = desk.ledger.client("Web Wanda")
    settings = desk.page(f"/clients/{client.id}/billing")
    assert "Cards on file" in settings and "No card on file" in settings
    assert f'href="/clients/{client.id}/billing/cards/new"' in settings and ">Add card</a>" in settings

    dialog = desk.get(f"/clients/{client.id}/billing/cards/new", htmx=True).text

    assert 'id="dialog-title">Add card' in dialog
    assert "Visa ending 4242 (test card)" in dialog and "Mastercard ending 4444 (test card)" in dialog
    assert 'value="pm_card_chargeDeclined"' in dialog and 'value="pm_card_refundFail"' in dialog
    assert "js.stripe.com" not in dialog and not re.search(
        r"\d{13}", re.sub(r'name="(csrf_token|nonce)" value="[^"]*"', "", dialog)
    )
    assert desk.post(f"/clients/{client.id}/billing/cards/new", {"payment_method": "pm_card_mastercard"}) == 303
    page = unquote(desk.page(desk.last_location))
    assert "Added the Mastercard ending 4444. It is the default card." in page
    assert re.search(r"Mastercard ending 4444</th>\s*<td[^>]*>12/2034</td>\s*<td>Default</td>", page)
    assert [c.last4 for c in desk.ledger.look_cards(client.id)] == ["4444"]


def test_the_card_form_works_without_javascript_as_a_page_of_its_own(desk: Desk) -> None:
    client = desk.ledger.client("Plain Paula")

    page = desk.page(f"/clients/{client.id}/billing/cards/new")

    assert (
        "<title>Add card · clientledger</title>" in page
        and 'method="post"' in page
        and "Visa ending 4242 (test card)" in page
    )


def test_remove_card_forgets_the_card_and_the_next_one_becomes_the_default(desk: Desk) -> None:
    client = desk.ledger.client("Removing Rita")
    visa = desk.ledger.add_card(client.id, "pm_card_visa")
    desk.ledger.add_card(client.id, "pm_card_mastercard")
    settings = desk.page(f"/clients/{client.id}/billing")
    assert f'href="/clients/{client.id}/billing/cards/{visa.id}/remove"' in settings
    dialog = desk.get(f"/clients/{client.id}/billing/cards/{visa.id}/remove", htmx=True).text
    assert "Remove the Visa ending 4242" in dialog and ">Remove card</button>" in dialog

    assert desk.post(f"/clients/{client.id}/billing/cards/{visa.id}/remove", {}) == 303

    page = unquote(desk.page(desk.last_location))
    assert "Removed the Visa ending 4242." in page and "Visa ending 4242</th>" not in page
    assert [(c.last4, c.is_default) for c in desk.ledger.look_cards(client.id)] == [("4444", True)]


def test_the_payment_forms_offer_the_saved_cards_with_the_default_selected(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Paying Pia")
    ledger.add_card(client.id, "pm_card_visa")
    ledger.add_card(client.id, "pm_card_mastercard", make_default=True)
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])

    for form in (desk.page(f"/bills/{bill.id}/payments/new"), desk.page(f"/clients/{client.id}/payments/new")):
        assert '<option value="pm_card_mastercard" selected>Mastercard ending 4444 (default)</option>' in form
        assert '<option value="pm_card_visa">Visa ending 4242</option>' in form
        assert "Visa, always declined (test card)" in form

    assert (
        desk.post(
            f"/bills/{bill.id}/payments/new", {"type": "card", "amount": "150", "payment_method": "pm_card_mastercard"}
        )
        == 303
    )
    [line] = ledger.get_bill(bill.id).lines
    assert (line.card_brand, line.card_last4, line.amount) == ("mastercard", "4444", 15000)


def test_a_card_number_typed_into_a_form_is_refused_and_changes_nothing(desk: Desk, owner: Api) -> None:
    client = desk.ledger.client("Typing Tess")
    before = owner.get("/audit?limit=200")["data"]

    status = desk.post(
        f"/clients/{client.id}/payments/new", {"type": "cash", "amount": "20", "memo": "4242 4242 4242 4242"}
    )
    page = desk.last_text
    swapped = desk.post(
        f"/clients/{client.id}/billing/credits/new",
        {"amount": "10", "reason": "courtesy", "note": "card 4242-4242-4242-4242"},
        htmx=True,
    )

    assert (status, swapped) == (422, 422)
    assert "looks like a card number" in page and "Nothing was changed" in page and "4242 4242" not in page
    assert "looks like a card number" in desk.last_text and "4242" not in desk.last_text
    assert desk.ledger.credits(client.id).balance == 0
    assert owner.get("/audit?limit=200")["data"] == before


def test_a_clinician_sees_the_cards_but_no_card_controls(owner: Api, db: Database, http: TestClient) -> None:
    desk = signed_in(owner, db, http, "clinician")
    client = desk.ledger.client("Clinic Cass")
    card = desk.ledger.add_card(client.id)

    page = desk.page(f"/clients/{client.id}/billing")

    assert "Visa ending 4242</th>" in page and "Add card" not in page and "Remove card" not in page
    assert desk.post(f"/clients/{client.id}/billing/cards/{card.id}/remove", {}) == 403
    assert [c.id for c in desk.ledger.look_cards(client.id)] == [card.id]


@pytest.fixture
def stripe(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> StripeLike:
    processor = StripeLike()
    monkeypatch.setattr(app.state.runner, "processor", processor)
    monkeypatch.setenv("CLIENTLEDGER_STRIPE_PUBLISHABLE_KEY", "pk_test_clientledger")
    return processor


def test_with_stripe_add_card_is_stripe_elements_with_a_setup_intent(desk: Desk, stripe: StripeLike) -> None:
    client = desk.ledger.client("Stripe Stella")

    r = desk.get(f"/clients/{client.id}/billing/cards/new", htmx=True)

    page = r.text
    assert '<script src="https://js.stripe.com/v3/"></script>' in page and '<script src="/static/card_form.js">' in page
    assert 'data-publishable-key="pk_test_clientledger"' in page and "data-card-element" in page
    secret = re.search(r'data-client-secret="(seti_test_(cus_sim_\w+)_secret_test)"', page)
    assert secret is not None and "(test card)" not in page
    policy = r.headers["content-security-policy"]
    assert "script-src 'self' https://js.stripe.com" in policy and "frame-src https://js.stripe.com" in policy
    again = desk.get(f"/clients/{client.id}/billing/cards/new", htmx=True).text
    assert secret.group(2) in again  # one customer for the client, however often the form opens
    assert desk.post(f"/clients/{client.id}/billing/cards/new", {"payment_method": "pm_card_visa"}) == 303
    assert [c.last4 for c in desk.ledger.look_cards(client.id)] == ["4242"]


def test_without_stripe_the_pages_load_no_script_from_elsewhere(desk: Desk) -> None:
    r = desk.get("/clients")

    assert "stripe" not in r.headers["content-security-policy"]
