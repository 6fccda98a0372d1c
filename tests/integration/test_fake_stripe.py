"""The fake Stripe API answers raw HTTP as Stripe does, so what the SDK-level tests prove holds.

These talk to it with plain httpx: Stripe's form encoding, its authentication, its idempotency
rules and its error shapes, independent of the adapter.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.fake_stripe import FAKE_API_KEY, FakeStripe, parse_form

AUTH = {"Authorization": f"Bearer {FAKE_API_KEY}"}


@pytest.fixture
def stripe_http() -> Iterator[tuple[FakeStripe, httpx.Client]]:
    with FakeStripe() as fake, httpx.Client(base_url=fake.base_url, timeout=5.0) as client:
        yield fake, client


def test_form_encoding_nests_brackets_and_reads_both_array_styles() -> None:
    body = "a[b][c]=1&expand[]=x&expand[]=y&items[0][price]=p&items[1][price]=q&metadata[k]=v&flag=true"

    assert parse_form(body) == {
        "a": {"b": {"c": "1"}},
        "expand": ["x", "y"],
        "items": [{"price": "p"}, {"price": "q"}],
        "metadata": {"k": "v"},
        "flag": "true",
    }


def test_a_confirmed_payment_intent_expands_its_charge_and_card(stripe_http: tuple[FakeStripe, httpx.Client]) -> None:
    _, client = stripe_http
    form = "amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true&expand[]=latest_charge"

    answer = client.post(
        "/v1/payment_intents",
        content=form,
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": "k1"},
    )

    intent = answer.json()
    assert answer.status_code == 200 and answer.headers["Idempotency-Key"] == "k1"
    assert (intent["object"], intent["status"], intent["livemode"]) == ("payment_intent", "succeeded", False)
    assert intent["id"].startswith("pi_") and intent["payment_method"].startswith("pm_")
    assert intent["latest_charge"]["object"] == "charge"
    assert intent["latest_charge"]["payment_method_details"]["card"]["last4"] == "4242"
    charge = client.get(f"/v1/charges/{intent['latest_charge']['id']}", headers=AUTH).json()
    assert (charge["amount"], charge["payment_intent"]) == (2000, intent["id"])


def test_a_decline_is_a_402_card_error_carrying_the_payment_intent(
    stripe_http: tuple[FakeStripe, httpx.Client],
) -> None:
    _, client = stripe_http
    form = {"amount": "2000", "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": "true"}

    answer = client.post("/v1/payment_intents", data=form, headers={**AUTH, "Idempotency-Key": "k2"})
    replay = client.post("/v1/payment_intents", data=form, headers={**AUTH, "Idempotency-Key": "k2"})

    error = answer.json()["error"]
    assert answer.status_code == 402
    assert (error["type"], error["code"], error["decline_code"], error["message"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
        "Your card was declined.",
    )
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert error["charge"].startswith("ch_")
    assert (replay.status_code, replay.json(), replay.headers["Idempotent-Replayed"]) == (402, answer.json(), "true")


def test_a_key_used_again_for_another_request_is_an_idempotency_error(
    stripe_http: tuple[FakeStripe, httpx.Client],
) -> None:
    _, client = stripe_http
    headers = {**AUTH, "Idempotency-Key": "k3"}
    client.post("/v1/customers", data={"name": "Ada"}, headers=headers)

    other_params = client.post("/v1/customers", data={"name": "Bob"}, headers=headers)
    other_endpoint = client.post("/v1/setup_intents", data={}, headers=headers)

    assert other_params.status_code == 400 and other_params.json()["error"]["type"] == "idempotency_error"
    assert "same parameters" in other_params.json()["error"]["message"]
    assert other_endpoint.status_code == 400 and "same endpoint" in other_endpoint.json()["error"]["message"]


def test_keys_unknown_ids_params_and_urls_are_refused_as_stripe_refuses_them(
    stripe_http: tuple[FakeStripe, httpx.Client],
) -> None:
    fake, client = stripe_http

    no_key = client.post("/v1/customers", data={"name": "Ada"})
    bad_key = client.post("/v1/customers", data={"name": "Ada"}, headers={"Authorization": "Bearer sk_test_nope1234"})
    unknown_pm = client.get("/v1/payment_methods/pm_x", headers=AUTH)
    unknown_param = client.post("/v1/customers", data={"nmae": "Ada"}, headers=AUTH)
    unknown_url = client.post("/v1/charges_everywhere", headers=AUTH)

    assert no_key.status_code == 401 and "did not provide an API key" in no_key.json()["error"]["message"]
    assert bad_key.status_code == 401 and bad_key.json()["error"]["message"].startswith("Invalid API Key provided")
    assert unknown_pm.status_code == 404
    assert unknown_pm.json()["error"] | {"doc_url": None} == {
        "type": "invalid_request_error",
        "code": "resource_missing",
        "message": "No such PaymentMethod: 'pm_x'",
        "doc_url": None,
    }
    assert unknown_param.status_code == 400 and unknown_param.json()["error"]["param"] == "nmae"
    assert unknown_url.status_code == 404
    assert fake.objects("customers") == []
    assert [r.status for r in fake.requests] == [401, 401, 404, 400, 404]
