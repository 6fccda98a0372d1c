"""The app on the Stripe processor, against the local fake Stripe API through the real SDK.

A card is saved on the client's Stripe customer and charged by its payment method; Stripe's test
ids behave as they do in the simulator; no card on file is 422; a refund Stripe fails later, and
one made in the dashboard, reach the ledger through the signed webhook.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clientledger.db import Database
from clientledger.main import create_app
from tests.api.conftest import Api, new_owner
from tests.support.fake_stripe import FAKE_API_KEY, FakeStripe

WEBHOOK_SECRET = "whsec_end_to_end"


@pytest.fixture
def stripe_desk(db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Api, FakeStripe]]:
    holder: dict[str, TestClient] = {}

    def forward(body: bytes, headers: dict[str, str]) -> int:
        answer = holder["http"].post("/api/v1/webhooks/stripe", content=body, headers=headers)
        return int(answer.status_code)

    with FakeStripe(webhook_target=forward, webhook_secret=WEBHOOK_SECRET) as fake:
        monkeypatch.setenv("CLIENTLEDGER_PROCESSOR", "stripe")
        monkeypatch.setenv("CLIENTLEDGER_STRIPE_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("CLIENTLEDGER_STRIPE_API_BASE", fake.base_url)
        monkeypatch.setenv("CLIENTLEDGER_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
        application = create_app(database_url)
        try:
            with TestClient(application) as http:
                holder["http"] = http
                yield new_owner(http, db), fake
        finally:
            application.state.runner.db.dispose()


def _billed(api: Api, fee: int = 15000) -> tuple[dict[str, Any], dict[str, Any]]:
    client = api.client()
    appointment = api.appointment(client["id"], fee)
    bill = api.bill(client["id"], [appointment["id"]])
    return client, bill


def test_a_saved_card_is_charged_by_its_payment_method_and_no_number_reaches_stripe(
    stripe_desk: tuple[Api, FakeStripe],
) -> None:
    api, fake = stripe_desk
    client, bill = _billed(api)
    card = api.post(f"/clients/{client['id']}/cards", {"payment_method": "pm_card_visa"}, expect=201)
    assert (card["brand"], card["last4"], card["is_default"]) == ("visa", "4242", True)

    line = api.pay(bill["id"], "card", 20000)

    assert (line["card_brand"], line["card_last4"]) == ("visa", "4242")
    assert line["processor_ref"].startswith("ch_")
    assert api.get(f"/bills/{bill['id']}")["status"] == "paid"
    assert api.get(f"/clients/{client['id']}")["credit_balance"] == 5000
    intents = [r for r in fake.requests if r.method == "POST" and r.path == "/v1/payment_intents"]
    assert len(intents) == 1
    assert intents[0].params["customer"].startswith("cus_")
    assert intents[0].params["payment_method"] != "pm_card_visa"  # the saved copy, as Stripe makes it
    assert all("4242424242424242" not in r.body for r in fake.requests)


def test_no_card_on_file_is_422_and_a_declined_card_records_nothing(stripe_desk: tuple[Api, FakeStripe]) -> None:
    api, _ = stripe_desk
    client, bill = _billed(api)

    refused = api.post(f"/bills/{bill['id']}/payments", {"type": "card", "amount": 5000}, expect=422)
    assert refused["error"]["code"] == "no_card_on_file"
    body = {"type": "card", "amount": 5000, "payment_method": "pm_card_chargeDeclined"}
    declined = api.post(f"/bills/{bill['id']}/payments", body, expect=402)
    assert declined["error"]["code"] == "card_declined"

    after = api.get(f"/bills/{bill['id']}")
    assert (after["balance_due"], after["lines"]) == (15000, [])
    assert api.get(f"/clients/{client['id']}")["credit_balance"] == 0


def test_a_refund_stripe_fails_later_is_failed_in_the_ledger(stripe_desk: tuple[Api, FakeStripe]) -> None:
    api, fake = stripe_desk
    client = api.client()
    payment = api.prepay(client["id"], "card", 8000, payment_method="pm_card_refundFail")

    answered = api.post(f"/payments/{payment['id']}/refunds", {"amount": 3000}, expect=201)
    assert answered["status"] == "pending"  # Stripe took it; the bank has not said yet
    assert api.get(f"/clients/{client['id']}")["credit_balance"] == 5000

    fake.deliver_events()

    shown = api.get(f"/payments/{payment['id']}")
    assert [r["status"] for r in shown["refunds"]] == ["failed"]
    assert shown["refunded"] == 0
    assert api.get(f"/clients/{client['id']}")["credit_balance"] == 8000


def test_a_refund_stripe_holds_pending_settles_when_stripe_says_it_went_through(
    stripe_desk: tuple[Api, FakeStripe],
) -> None:
    api, fake = stripe_desk
    client = api.client()
    payment = api.prepay(client["id"], "card", 9000, payment_method="pm_card_visa")
    fake.hold_refunds()

    answered = api.post(f"/payments/{payment['id']}/refunds", {"amount": 4000}, expect=201)
    assert answered["status"] == "pending"
    fake.deliver_events()  # refund.created, still pending: nothing changes
    held = api.get(f"/payments/{payment['id']}")
    assert [(r["status"], r["processor_ref"]) for r in held["refunds"]] == [("pending", answered["processor_ref"])]
    assert held["refunded"] == 4000 and answered["processor_ref"].startswith("re_")
    assert api.get(f"/clients/{client['id']}")["credit_balance"] == 5000

    fake.succeed_refund(answered["processor_ref"])
    fake.deliver_events()

    shown = api.get(f"/payments/{payment['id']}")
    assert [(r["amount"], r["status"]) for r in shown["refunds"]] == [(4000, "settled")]
    assert shown["refunded"] == 4000
    assert api.get(f"/clients/{client['id']}")["credit_balance"] == 5000
    assert len(fake.requests_to("POST", "/v1/refunds")) == 1
    settled = api.get("/events?type=refund.settled")["data"]
    assert len(settled) == 1


def test_a_dashboard_refund_is_recorded_once(stripe_desk: tuple[Api, FakeStripe]) -> None:
    api, fake = stripe_desk
    client = api.client()
    api.post(f"/clients/{client['id']}/cards", {"payment_method": "pm_card_mastercard"}, expect=201)
    payment = api.prepay(client["id"], "card", 6000)
    assert payment["card_last4"] == "4444"

    fake.refund_in_dashboard(payment["processor_ref"], 2500)
    fake.deliver_events()
    fake.deliver_events()

    shown = api.get(f"/payments/{payment['id']}")
    assert shown["refunded"] == 2500
    assert [(r["amount"], r["status"]) for r in shown["refunds"]] == [(2500, "settled")]
    assert api.get(f"/clients/{client['id']}")["credit_balance"] == 3500


def test_two_dashboard_refunds_told_first_as_the_charges_total_are_each_recorded_once(
    stripe_desk: tuple[Api, FakeStripe],
) -> None:
    api, fake = stripe_desk
    client = api.client()
    payment = api.prepay(client["id"], "card", 6000, payment_method="pm_card_visa")
    one = fake.refund_in_dashboard(payment["processor_ref"], 1000)
    two = fake.refund_in_dashboard(payment["processor_ref"], 2500)
    both = [e for e in fake.events if e["type"] == "charge.refunded"][-1]
    assert "refunds" not in both["data"]["object"]  # as Stripe sends it: the total, not the list

    assert fake.redeliver(both["id"]) == 200  # the charge's total of both arrives first
    fake.deliver_events()

    shown = api.get(f"/payments/{payment['id']}")
    assert shown["refunded"] == 3500
    assert sorted((r["amount"], r["status"], r["processor_ref"]) for r in shown["refunds"]) == [
        (1000, "settled", one["id"]),
        (2500, "settled", two["id"]),
    ]
    assert api.get(f"/clients/{client['id']}")["credit_balance"] == 2500
    assert fake.requests_to("GET", "/v1/refunds")  # the list was asked for
