"""The Stripe adapter on the wire.

The Stripe adapter is exercised through the real SDK with a fake ``stripe.HTTPClient`` that records
each request and answers with canned JSON, so these tests see exactly what would reach Stripe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest
import stripe

from clientledger.kit.errors import CardDeclined, ProcessorUnavailable
from clientledger.payments.processors import (
    Charge,
    PaymentProcessor,
    Refund,
)
from clientledger.payments.processors.stripe_adapter import StripeProcessor

TEST_KEY = "sk_test_clientledger"
LIVE_KEY = "sk_live_clientledger"
VISA = "4242424242424242"  # a card number: refused before any call


# --- the Stripe adapter, through the real SDK and a fake HTTP client -----------------------------


@dataclass
class SentRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None

    @property
    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body or "", keep_blank_values=True, strict_parsing=bool(self.body))
        return {name: values[-1] for name, values in parsed.items()}


Answer = tuple[int, dict[str, Any]] | Exception


class FakeStripeHTTP(stripe.HTTPClient):
    """Records what the SDK would send to Stripe and answers from a script."""

    name = "fake"

    def __init__(self, answers: list[Answer]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.sent: list[SentRequest] = []

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        self.sent.append(SentRequest(method, url, dict(headers or {}), post_data))
        if not self.answers:
            raise AssertionError(f"unexpected request to Stripe: {method.upper()} {url}")
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return json.dumps(body), status, {"request-id": "req_fake"}

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def no_stripe_telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The SDK otherwise writes a telemetry id under ~/.config/stripe."""
    monkeypatch.setattr(stripe, "enable_telemetry", False)
    yield


def stripe_processor(answers: list[Answer], *, api_key: str = TEST_KEY) -> tuple[StripeProcessor, FakeStripeHTTP]:
    http = FakeStripeHTTP(answers)
    client = stripe.StripeClient(api_key, http_client=http)
    return StripeProcessor(api_key, client=client), http


def payment_intent(
    *, intent_id: str = "pi_3Test", amount: int = 15000, status: str = "succeeded", last4: str = "4242"
) -> tuple[int, dict[str, Any]]:
    return 200, {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "currency": "usd",
        "status": status,
        "last_payment_error": None,
        "latest_charge": {"id": "ch_3Test", "object": "charge", "amount": amount, "status": "succeeded"},
        "payment_method": {
            "id": "pm_1Saved",
            "object": "payment_method",
            "type": "card",
            "card": {"brand": "visa", "last4": last4, "exp_month": 12, "exp_year": 2034},
        },
    }


def connection_error(message: str) -> stripe.APIConnectionError:
    """What the SDK's own HTTP clients raise when the network fails."""
    return stripe.APIConnectionError(message)  # type: ignore[no-untyped-call]


def stripe_error(status: int, error_type: str, message: str, **fields: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"type": error_type, "message": message, **fields}}


def test_stripe_charge_confirms_a_payment_intent_on_the_saved_card_off_session() -> None:
    processor, http = stripe_processor([payment_intent(amount=15000)])

    charge = processor.charge(
        amount=15000,
        payment_method="pm_1Saved",
        customer="cus_Client",
        idempotency_key="payment-p1",
        description="Session",
        metadata={"clientledger_payment_id": "p1"},
    )

    assert charge == Charge(charge_id="ch_3Test", amount=15000, card_last4="4242", card_brand="visa")
    [sent] = http.sent
    assert (sent.method, sent.url) == ("post", "https://api.stripe.com/v1/payment_intents")
    assert sent.headers["Idempotency-Key"] == "payment-p1"
    assert sent.headers["Authorization"] == f"Bearer {TEST_KEY}"
    assert sent.form == {
        "amount": "15000",
        "currency": "usd",
        "confirm": "true",
        "payment_method": "pm_1Saved",
        "customer": "cus_Client",
        "off_session": "true",
        "allowed_payment_method_types[0]": "card",
        "expand[0]": "payment_method",
        "expand[1]": "latest_charge",
        "description": "Session",
        "metadata[clientledger_payment_id]": "p1",
    }


def test_stripe_charge_reads_the_card_from_the_charge_when_the_payment_method_is_not_expanded() -> None:
    status, body = payment_intent()
    body["payment_method"] = "pm_1Saved"
    body["latest_charge"]["payment_method_details"] = {"type": "card", "card": {"brand": "amex", "last4": "0005"}}
    processor, http = stripe_processor([(status, body)])

    charge = processor.charge(amount=15000, payment_method="pm_1Saved", customer=None, idempotency_key="k")

    assert (charge.charge_id, charge.card_brand, charge.card_last4) == ("ch_3Test", "amex", "0005")
    assert http.sent[0].form["error_on_requires_action"] == "true"


def test_stripe_card_decline_becomes_card_declined_with_stripes_message() -> None:
    declined = stripe_error(
        402,
        "card_error",
        "Your card has insufficient funds.",
        code="card_declined",
        decline_code="insufficient_funds",
    )
    processor, http = stripe_processor([declined])

    with pytest.raises(CardDeclined) as caught:
        processor.charge(amount=15000, payment_method="pm_1Saved", customer="cus_C", idempotency_key="payment-p2")

    assert caught.value.message == "Your card has insufficient funds."
    assert isinstance(caught.value.__cause__, stripe.CardError)
    assert http.sent[0].headers["Idempotency-Key"] == "payment-p2"


def test_stripe_connection_error_becomes_processor_unavailable() -> None:
    processor, http = stripe_processor([connection_error("Connection reset by peer")])

    with pytest.raises(ProcessorUnavailable) as caught:
        processor.charge(amount=100, payment_method="pm_1Saved", customer=None, idempotency_key="k")

    assert caught.value.status_code == 503
    assert "Connection reset by peer" in caught.value.message
    assert len(http.sent) == 1


@pytest.mark.parametrize(
    "answer",
    [
        stripe_error(500, "api_error", "Something went wrong on Stripe's end."),
        stripe_error(429, "invalid_request_error", "Too many requests.", code="rate_limit"),
        stripe_error(401, "invalid_request_error", "Invalid API Key provided."),
        stripe_error(403, "invalid_request_error", "The provided key does not have access."),
    ],
)
def test_stripe_api_errors_become_processor_unavailable(answer: Answer) -> None:
    processor, _ = stripe_processor([answer])

    with pytest.raises(ProcessorUnavailable):
        processor.charge(amount=100, payment_method="pm_1Saved", customer=None, idempotency_key="k")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            stripe_error(400, "invalid_request_error", "Amount must be at least $0.50 usd", code="amount_too_small"),
            r"Amount must be at least \$0\.50 usd",
        ),
        (
            stripe_error(400, "invalid_request_error", "No such PaymentMethod: 'pm_gone'", code="resource_missing"),
            "No such PaymentMethod",
        ),
        (
            stripe_error(400, "idempotency_error", "Keys for idempotent requests can only be used once."),
            "idempotent",
        ),
    ],
)
def test_stripe_final_refusals_become_card_declined(answer: Answer, message: str) -> None:
    processor, _ = stripe_processor([answer])

    with pytest.raises(CardDeclined, match=message):
        processor.charge(amount=30, payment_method="pm_gone", customer=None, idempotency_key="k")


def test_stripe_payment_needing_authentication_is_a_decline_not_a_charge() -> None:
    processor, _ = stripe_processor([payment_intent(status="requires_action")])

    with pytest.raises(CardDeclined, match="requires_action"):
        processor.charge(amount=100, payment_method="pm_1Saved", customer="cus_C", idempotency_key="k")


def test_stripe_refuses_bad_input_and_card_numbers_before_calling_stripe() -> None:
    processor, http = stripe_processor([])

    with pytest.raises(CardDeclined, match="pm_"):
        processor.charge(amount=100, payment_method=VISA, customer=None, idempotency_key="k")
    with pytest.raises(CardDeclined, match="pm_"):
        processor.save_card(customer="cus_C", payment_method="4242 4242 4242 4242", idempotency_key="k")
    with pytest.raises(ValueError, match="amount"):
        processor.charge(amount=0, payment_method="pm_1Saved", customer=None, idempotency_key="k")
    with pytest.raises(ValueError, match="amount"):
        processor.refund(charge_id="ch_1", amount=-5, idempotency_key="k")
    with pytest.raises(ValueError, match="idempotency_key"):
        processor.create_customer(name="Ada", email=None, idempotency_key=" ")
    assert http.sent == []


def test_stripe_live_key_refuses_stripes_test_payment_methods() -> None:
    processor, http = stripe_processor([], api_key=LIVE_KEY)

    with pytest.raises(CardDeclined, match="live mode"):
        processor.charge(amount=100, payment_method="pm_card_visa", customer=None, idempotency_key="k")
    with pytest.raises(CardDeclined, match="live mode"):
        processor.save_card(customer="cus_C", payment_method="pm_card_visa", idempotency_key="k")
    assert http.sent == []


def test_stripe_refund_refunds_the_charge_with_its_metadata_and_the_idempotency_key() -> None:
    answer = {"id": "re_3Test", "object": "refund", "amount": 2500, "charge": "ch_3Test", "status": "succeeded"}
    processor, http = stripe_processor([(200, answer)])

    refund = processor.refund(
        charge_id="ch_3Test", amount=2500, idempotency_key="refund-r1", metadata={"clientledger_refund_id": "r1"}
    )

    assert refund == Refund(refund_id="re_3Test", charge_id="ch_3Test", amount=2500)
    [sent] = http.sent
    assert (sent.method, sent.url) == ("post", "https://api.stripe.com/v1/refunds")
    assert sent.headers["Idempotency-Key"] == "refund-r1"
    assert sent.form == {"charge": "ch_3Test", "amount": "2500", "metadata[clientledger_refund_id]": "r1"}


@pytest.mark.parametrize("status", ["pending", "requires_action"])
def test_stripe_refund_stripe_has_not_finished_is_accepted(status: str) -> None:
    answer = {"id": "re_1", "object": "refund", "amount": 100, "charge": "ch_1", "status": status}
    processor, _ = stripe_processor([(200, answer)])

    assert processor.refund(charge_id="ch_1", amount=100, idempotency_key="k").refund_id == "re_1"


def test_stripe_refund_errors_are_translated() -> None:
    refused = stripe_error(
        400, "invalid_request_error", "Charge ch_1 has already been refunded.", code="charge_already_refunded"
    )
    failed = {
        "id": "re_1",
        "object": "refund",
        "amount": 100,
        "status": "failed",
        "failure_reason": "lost_or_stolen_card",
    }
    processor, _ = stripe_processor([connection_error("timed out"), refused, (200, failed)])

    with pytest.raises(ProcessorUnavailable, match="timed out"):
        processor.refund(charge_id="ch_1", amount=100, idempotency_key="k")
    with pytest.raises(CardDeclined, match="already been refunded"):
        processor.refund(charge_id="ch_1", amount=100, idempotency_key="k")
    with pytest.raises(CardDeclined, match="reported lost or stolen"):
        processor.refund(charge_id="ch_1", amount=100, idempotency_key="k")


def test_stripe_processor_needs_an_api_key() -> None:
    with pytest.raises(ValueError, match="API key"):
        StripeProcessor("")


def test_stripe_processor_satisfies_the_processor_interface() -> None:
    processor: PaymentProcessor = stripe_processor([])[0]

    assert isinstance(processor, PaymentProcessor)
    assert processor.name == "stripe"
