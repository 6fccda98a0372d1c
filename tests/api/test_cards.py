"""Cards on file: a client's saved processor payment methods, and card payments that charge them.

clientledger never takes a card number: a card is the processor's payment method (``pm_...``), and
a body carrying anything that would be a card number is refused before it changes anything.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.api.conftest import API, Api, new_owner
from tests.support.processors import StripeLike


def add_card(api: Api, client_id: str, payment_method: str, **fields: Any) -> Any:
    return api.post(f"/clients/{client_id}/cards", {"payment_method": payment_method, **fields}, expect=201)


def cards_of(api: Api, client_id: str) -> list[dict[str, Any]]:
    return list(api.get(f"/clients/{client_id}/cards")["data"])


def test_a_clients_first_card_is_its_default_and_make_default_moves_it(owner: Api) -> None:
    client = owner.client("Carded Cora")

    visa = add_card(owner, client["id"], "pm_card_visa")
    mastercard = add_card(owner, client["id"], "pm_card_mastercard")

    assert {k: visa[k] for k in ("brand", "last4", "exp_month", "exp_year", "is_default")} == {
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2034,
        "is_default": True,
    }
    assert (mastercard["brand"], mastercard["last4"], mastercard["is_default"]) == ("mastercard", "4444", False)
    amex = add_card(owner, client["id"], "pm_card_amex", make_default=True)
    assert [(c["id"], c["is_default"]) for c in cards_of(owner, client["id"])] == [
        (visa["id"], False),
        (mastercard["id"], False),
        (amex["id"], True),
    ]


def test_removing_the_default_card_makes_the_newest_card_left_the_default(owner: Api) -> None:
    client = owner.client("Removing Remy")
    visa = add_card(owner, client["id"], "pm_card_visa")
    mastercard = add_card(owner, client["id"], "pm_card_mastercard")
    amex = add_card(owner, client["id"], "pm_card_amex")
    owner.call("DELETE", f"/clients/{client['id']}/cards/{mastercard['id']}", expect=204)
    assert [c["id"] for c in cards_of(owner, client["id"])] == [visa["id"], amex["id"]]

    owner.call("DELETE", f"/clients/{client['id']}/cards/{visa['id']}", expect=204)

    assert [(c["id"], c["is_default"]) for c in cards_of(owner, client["id"])] == [(amex["id"], True)]
    owner.call("DELETE", f"/clients/{client['id']}/cards/{amex['id']}", expect=204)
    assert cards_of(owner, client["id"]) == []
    again = owner.call("DELETE", f"/clients/{client['id']}/cards/{amex['id']}", expect=404)
    assert again["error"]["code"] == "not_found"


def test_saving_the_same_card_again_keeps_one_card(owner: Api) -> None:
    client = owner.client("Twice Tam")
    first = add_card(owner, client["id"], "pm_card_visa")

    second = add_card(owner, client["id"], "pm_card_visa")

    assert second["id"] == first["id"] and len(cards_of(owner, client["id"])) == 1


def test_another_practices_client_or_card_is_not_found(owner: Api, http: Any, db: Any) -> None:
    client = owner.client("Private Pat")
    card = add_card(owner, client["id"], "pm_card_visa")
    other = new_owner(http, db)
    theirs = other.client("Their Theo")

    assert other.get(f"/clients/{client['id']}/cards", expect=404)["error"]["code"] == "not_found"
    assert other.post(f"/clients/{client['id']}/cards", {"payment_method": "pm_card_visa"}, expect=404)
    other.call("DELETE", f"/clients/{client['id']}/cards/{card['id']}", expect=404)
    other.call("DELETE", f"/clients/{theirs['id']}/cards/{card['id']}", expect=404)
    assert [c["id"] for c in cards_of(owner, client["id"])] == [card["id"]]


def test_a_clinician_sees_cards_but_cannot_add_or_remove_one(owner: Api) -> None:
    client = owner.client("Clinic Cleo")
    card = add_card(owner, client["id"], "pm_card_visa")
    clinician = owner.login_as("clinician")

    assert [c["id"] for c in cards_of(clinician, client["id"])] == [card["id"]]
    refused = clinician.post(f"/clients/{client['id']}/cards", {"payment_method": "pm_card_mastercard"}, expect=403)
    assert refused["error"]["code"] == "forbidden"
    clinician.call("DELETE", f"/clients/{client['id']}/cards/{card['id']}", expect=403)
    assert [c["id"] for c in cards_of(owner, client["id"])] == [card["id"]]


def test_adding_a_card_replays_under_its_idempotency_key(owner: Api) -> None:
    client = owner.client("Replay Rae")
    path = f"{API}/clients/{client['id']}/cards"

    first = owner.http.post(path, json={"payment_method": "pm_card_visa"}, headers=owner.headers("card-1"))
    again = owner.http.post(path, json={"payment_method": "pm_card_visa"}, headers=owner.headers("card-1"))
    reused = owner.http.post(path, json={"payment_method": "pm_card_mastercard"}, headers=owner.headers("card-1"))

    assert (first.status_code, again.status_code) == (201, 201) and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (reused.status_code, reused.json()["error"]["code"]) == (409, "idempotency_key_reused")
    assert [c["last4"] for c in cards_of(owner, client["id"])] == ["4242"]


def test_adding_and_removing_a_card_is_audited(owner: Api) -> None:
    client = owner.client("Audited Ava")
    card = add_card(owner, client["id"], "pm_card_visa")
    owner.call("DELETE", f"/clients/{client['id']}/cards/{card['id']}", expect=204)

    actions = [e["action"] for e in owner.get(f"/audit?object_id={card['id']}")["data"]]

    assert sorted(actions) == ["card.added", "card.removed"]


def test_an_unknown_payment_method_is_refused_and_saves_nothing(owner: Api) -> None:
    client = owner.client("Unknown Uma")

    r = owner.post(f"/clients/{client['id']}/cards", {"payment_method": "pm_nothing_known"}, expect=402)

    assert r["error"]["code"] == "card_declined" and "No such PaymentMethod" in r["error"]["message"]
    assert cards_of(owner, client["id"]) == []


def test_a_card_payment_charges_the_default_card_and_names_it(owner: Api) -> None:
    client = owner.client("Default Dora")
    add_card(owner, client["id"], "pm_card_visa")
    add_card(owner, client["id"], "pm_card_mastercard", make_default=True)
    bill = owner.session_bill(client["id"])

    line = owner.pay(bill["id"], "card", 15000)

    assert (line["card_brand"], line["card_last4"]) == ("mastercard", "4444")
    payment = owner.get(f"/payments/{line['payment_id']}")
    assert (payment["card_brand"], payment["card_last4"], payment["processor_ref"]) == (
        "mastercard",
        "4444",
        line["processor_ref"],
    )
    prepaid = owner.prepay(client["id"], "card", 2000, payment_method="pm_card_visa")
    assert (prepaid["card_brand"], prepaid["card_last4"]) == ("visa", "4242")
    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 0


def test_with_the_simulator_a_client_without_a_card_is_charged_as_the_visa_test_card(owner: Api) -> None:
    client = owner.client("Cardless Cal")
    bill = owner.session_bill(client["id"])

    line = owner.pay(bill["id"], "card", 15000)

    assert (line["card_brand"], line["card_last4"]) == ("visa", "4242")


def test_a_declined_saved_card_records_nothing(owner: Api) -> None:
    client = owner.client("Declining Dee")
    add_card(owner, client["id"], "pm_card_chargeDeclined")
    bill = owner.session_bill(client["id"])

    on_bill = owner.post(f"/bills/{bill['id']}/payments", {"type": "card", "amount": 5000}, expect=402)
    prepaid = owner.post(f"/clients/{client['id']}/payments", {"type": "card", "amount": 5000}, expect=402)

    assert on_bill["error"]["code"] == prepaid["error"]["code"] == "card_declined"
    after = owner.get(f"/bills/{bill['id']}")
    assert (after["lines"], after["balance_due"]) == ([], 15000)
    assert owner.credit_balance(client["id"]) == 0


@pytest.fixture
def stripe(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> StripeLike:
    """The app's processor under Stripe's name for one test."""
    processor = StripeLike()
    monkeypatch.setattr(app.state.runner, "processor", processor)
    return processor


def test_with_stripe_no_card_on_file_is_422_and_nothing_is_charged_or_recorded(owner: Api, stripe: StripeLike) -> None:
    client = owner.client("Stripe Stan")
    bill = owner.session_bill(client["id"])

    on_bill = owner.post(f"/bills/{bill['id']}/payments", {"type": "card", "amount": 5000}, expect=422)
    prepaid = owner.post(f"/clients/{client['id']}/payments", {"type": "card", "amount": 5000}, expect=422)

    assert on_bill["error"]["code"] == prepaid["error"]["code"] == "no_card_on_file"
    assert stripe.charges == []
    assert owner.get(f"/bills/{bill['id']}")["lines"] == [] and owner.credit_balance(client["id"]) == 0


def test_with_stripe_a_saved_card_is_charged_on_the_clients_customer(owner: Api, stripe: StripeLike) -> None:
    client = owner.client("Stripe Sue")
    card = add_card(owner, client["id"], "pm_card_mastercard")
    bill = owner.session_bill(client["id"])

    line = owner.pay(bill["id"], "card", 15000)

    assert card["is_default"] and (line["card_brand"], line["card_last4"]) == ("mastercard", "4444")
    assert [(c.amount, c.card_last4) for c in stripe.charges] == [(15000, "4444")]
    assert owner.get(f"/bills/{bill['id']}")["status"] == "paid"


def test_a_body_that_still_sends_card_number_is_refused(owner: Api) -> None:
    client = owner.client("Old Olga")
    bill = owner.session_bill(client["id"])

    r = owner.post(
        f"/bills/{bill['id']}/payments", {"type": "card", "amount": 100, "card_number": "pm_card_visa"}, expect=422
    )

    assert r["error"]["code"] == "validation_error"
    assert owner.get(f"/bills/{bill['id']}")["lines"] == []


# The tests below prove that a card number is refused: they are the only place one is written.
CARD_NUMBERS = ["4242 4242 4242 4242", "4242-4242-4242-4242", "378282246310005", "5555555555554444"]


@pytest.mark.parametrize("number", CARD_NUMBERS)
def test_a_card_number_in_any_field_is_refused_and_changes_nothing(owner: Api, number: str) -> None:
    client = owner.client("Careful Cass")
    bill = owner.session_bill(client["id"], apply_available_credit=False)
    cash = owner.prepay(client["id"], "cash", 3000)
    before = (owner.get(f"/bills/{bill['id']}"), owner.get(f"/clients/{client['id']}/credits"))
    attempts = [
        ("POST", f"/clients/{client['id']}/payments", {"type": "cash", "amount": 100, "memo": f"card {number}"}),
        ("POST", f"/clients/{client['id']}/credits", {"amount": 100, "reason": "courtesy", "note": number}),
        ("POST", f"/payments/{cash['id']}/refunds", {"amount": 100, "reason": f"refund to {number} please"}),
        ("POST", "/clients", {"name": f"Ada {number}"}),
        (
            "POST",
            f"/clients/{client['id']}/cards",
            {"payment_method": f"pm_{number.replace(' ', '').replace('-', '')}"},
        ),
        ("POST", f"/bills/{bill['id']}/payments", {"type": "card", "amount": 100, "payment_method": number}),
        ("PATCH", "/practice", {"name": f"Practice {number}"}),
    ]

    for method, path, body in attempts:
        r = owner.http.request(method, API + path, json=body, headers=owner.headers(f"cn-{method}-{path}-{number}"))
        assert (r.status_code, r.json()["error"]["code"]) == (422, "validation_error"), (path, r.text)
        assert number not in r.text

    assert (owner.get(f"/bills/{bill['id']}"), owner.get(f"/clients/{client['id']}/credits")) == before
    assert [c["name"] for c in owner.get("/clients?q=Ada")["data"]] == []
    assert cards_of(owner, client["id"]) == []


def test_numbers_that_are_not_card_numbers_pass(owner: Api) -> None:
    client = owner.client("Number Nia", email="nia@example.com")

    paid = owner.prepay(
        client["id"], "cash", 100, memo="Call 555-123-4567 on 2026-11-02; ref 4242424242424241, visit 1234 5678 9012"
    )

    assert paid["memo"].startswith("Call 555-123-4567")
