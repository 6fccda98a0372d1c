"""The Stripe adapter through the real ``stripe`` SDK, against a fake Stripe API on 127.0.0.1.

What the fake recorded is what Stripe would have received: these tests check the money Stripe
moved (charges, refunds), that retries never move it twice, and that no card number ever leaves.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from clientledger.kit.cards import luhn_valid
from clientledger.kit.errors import CardDeclined, ProcessorUnavailable
from clientledger.kit.processing import CardDetails, PaymentProcessor
from clientledger.payments.processors import get_processor
from clientledger.payments.processors.stripe_adapter import StripeProcessor
from tests.support.fake_stripe import FAKE_API_KEY, FakeStripe
from tests.support.fake_stripe_events import SignedReceiver

WEBHOOK_SECRET = "whsec_clientledger_test"
_DIGIT_RUN = re.compile(r"\d[\d -]{11,}\d")


@pytest.fixture(autouse=True)
def no_stripe_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK otherwise reports timings of the last request in a header and keeps an id on disk."""
    monkeypatch.setattr(stripe, "enable_telemetry", False)


@pytest.fixture
def receiver() -> SignedReceiver:
    return SignedReceiver(WEBHOOK_SECRET)


@pytest.fixture
def fake(receiver: SignedReceiver) -> Iterator[FakeStripe]:
    with FakeStripe(webhook_target=receiver, webhook_secret=WEBHOOK_SECRET) as running:
        yield running


def processor_for(fake: FakeStripe, api_key: str = FAKE_API_KEY) -> StripeProcessor:
    return StripeProcessor(api_key, api_base=fake.base_url, max_network_retries=0, timeout=(2.0, 2.0))


@pytest.fixture
def processor(fake: FakeStripe) -> StripeProcessor:
    return processor_for(fake)


def client_with_card(processor: StripeProcessor, payment_method: str = "pm_card_visa") -> tuple[str, CardDetails]:
    customer = processor.create_customer(name="Ada Client", email="ada@example.com", idempotency_key="cust-ada")
    card = processor.save_card(customer=customer, payment_method=payment_method, idempotency_key=f"card-{customer}")
    return customer, card


def test_a_saved_card_is_charged_off_session_and_named_by_its_charge_id(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    customer, card = client_with_card(processor)

    charge = processor.charge(
        amount=15000,
        payment_method=card.payment_method,
        customer=customer,
        idempotency_key="payment-1",
        description="Session 2026-12-01",
        metadata={"clientledger_payment_id": "pay_1"},
    )

    assert charge.charge_id.startswith("ch_")
    assert (charge.amount, charge.card_brand, charge.card_last4) == (15000, "visa", "4242")
    stripe_charge = fake.get(charge.charge_id)
    assert (stripe_charge["status"], stripe_charge["amount_captured"], stripe_charge["customer"]) == (
        "succeeded",
        15000,
        customer,
    )
    [sent] = fake.requests_to("POST", "/v1/payment_intents")
    assert sent.idempotency_key == "payment-1"
    assert sent.params["payment_method"] == card.payment_method
    assert (sent.params["customer"], sent.params["off_session"], sent.params["confirm"]) == (customer, "true", "true")
    assert "error_on_requires_action" not in sent.params
    assert sent.params["allowed_payment_method_types"] == ["card"]
    assert sent.params["metadata"] == {"clientledger_payment_id": "pay_1"}


def test_saving_a_test_card_gives_the_new_payment_method_to_charge(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    customer, card = client_with_card(processor, "pm_card_mastercard")

    assert card.payment_method.startswith("pm_") and card.payment_method != "pm_card_mastercard"
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("mastercard", "4444", 12, 2034)
    assert fake.get(card.payment_method)["customer"] == customer
    assert fake.get(customer)["email"] == "ada@example.com"


def test_a_card_without_a_customer_may_not_stop_for_authentication(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    charge = processor.charge(amount=2500, payment_method="pm_card_amex", customer=None, idempotency_key="p-2")

    assert (charge.card_brand, charge.card_last4) == ("amex", "0005")
    [sent] = fake.requests_to("POST", "/v1/payment_intents")
    assert sent.params["error_on_requires_action"] == "true"
    assert "off_session" not in sent.params and "customer" not in sent.params


@pytest.mark.parametrize(
    ("payment_method", "message"),
    [
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("pm_card_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."),
        ("pm_card_chargeDeclinedExpiredCard", "Your card has expired."),
    ],
)
def test_a_declined_card_is_card_declined_with_stripes_message(
    fake: FakeStripe, processor: StripeProcessor, payment_method: str, message: str
) -> None:
    with pytest.raises(CardDeclined, match=re.escape(message)) as caught:
        processor.charge(amount=15000, payment_method=payment_method, customer=None, idempotency_key="p-3")

    assert isinstance(caught.value.__cause__, stripe.CardError)
    assert [c["status"] for c in fake.objects("charges")] == ["failed"]
    assert [pi["status"] for pi in fake.objects("payment_intents")] == ["requires_payment_method"]


def test_a_saved_card_that_later_declines_and_one_needing_authentication_are_declined(
    processor: StripeProcessor,
) -> None:
    customer, failing = client_with_card(processor, "pm_card_chargeCustomerFail")
    strict = processor.save_card(
        customer=customer, payment_method="pm_card_authenticationRequired", idempotency_key="c"
    )

    with pytest.raises(CardDeclined, match="Your card was declined"):
        processor.charge(amount=900, payment_method=failing.payment_method, customer=customer, idempotency_key="p4")
    with pytest.raises(CardDeclined, match="requires authentication"):
        processor.charge(amount=900, payment_method=strict.payment_method, customer=customer, idempotency_key="p5")


def test_a_card_the_bank_declines_cannot_be_saved(fake: FakeStripe, processor: StripeProcessor) -> None:
    customer = processor.create_customer(name="Bo", email=None, idempotency_key="cust-bo")

    with pytest.raises(CardDeclined, match="Your card was declined"):
        processor.save_card(customer=customer, payment_method="pm_card_chargeDeclined", idempotency_key="card-bo")

    assert [pm["customer"] for pm in fake.objects("payment_methods")] == [None]


def test_an_unknown_payment_method_is_declined_with_stripes_message(processor: StripeProcessor) -> None:
    customer = processor.create_customer(name="Cy", email=None, idempotency_key="cust-cy")

    with pytest.raises(CardDeclined, match=re.escape("No such PaymentMethod: 'pm_gone'")):
        processor.charge(amount=1000, payment_method="pm_gone", customer=customer, idempotency_key="p-6")
    with pytest.raises(CardDeclined, match=re.escape("No such PaymentMethod: 'pm_gone'")):
        processor.save_card(customer=customer, payment_method="pm_gone", idempotency_key="card-cy")


def test_a_retry_with_the_same_key_returns_the_same_charge_and_charges_once(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    customer, card = client_with_card(processor)
    args: dict[str, Any] = {"amount": 4000, "payment_method": card.payment_method, "customer": customer}

    first = processor.charge(**args, idempotency_key="payment-7")
    again = processor.charge(**args, idempotency_key="payment-7")

    assert again == first
    assert len(fake.requests_to("POST", "/v1/payment_intents")) == 2
    assert len(fake.objects("payment_intents")) == 1
    assert [c["amount"] for c in fake.objects("charges")] == [4000]


def test_a_charge_whose_answer_was_lost_is_recovered_by_retrying_with_its_key(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    customer, card = client_with_card(processor)
    fake.lose_next_response()

    with pytest.raises(ProcessorUnavailable):
        processor.charge(amount=4000, payment_method=card.payment_method, customer=customer, idempotency_key="p-8")
    charge = processor.charge(amount=4000, payment_method=card.payment_method, customer=customer, idempotency_key="p-8")

    assert [c["id"] for c in fake.objects("charges")] == [charge.charge_id]


def test_reusing_a_key_for_another_amount_is_refused(processor: StripeProcessor) -> None:
    processor.charge(amount=4000, payment_method="pm_card_visa", customer=None, idempotency_key="p-9")

    with pytest.raises(CardDeclined, match="Keys for idempotent requests can only be used with the same parameters"):
        processor.charge(amount=4100, payment_method="pm_card_visa", customer=None, idempotency_key="p-9")


def test_removing_a_card_detaches_it_so_it_can_no_longer_be_charged(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    customer, card = client_with_card(processor)

    processor.remove_card(payment_method=card.payment_method)
    processor.remove_card(payment_method=card.payment_method)  # gone already: nothing to do

    assert fake.get(card.payment_method)["customer"] is None
    with pytest.raises(CardDeclined, match="It may not be used again"):
        processor.charge(amount=1000, payment_method=card.payment_method, customer=customer, idempotency_key="p-15")


def test_card_setup_gives_a_setup_intents_client_secret_for_off_session_use(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    customer = processor.create_customer(name="Di", email=None, idempotency_key="cust-di", metadata={"client_id": "7"})

    secret = processor.card_setup(customer=customer, idempotency_key="setup-1")

    [intent] = fake.objects("setup_intents")
    assert secret == intent["client_secret"] and secret is not None and secret.startswith(f"{intent['id']}_secret_")
    assert (intent["customer"], intent["usage"], intent["payment_method_types"]) == (customer, "off_session", ["card"])
    assert fake.get(customer)["metadata"] == {"client_id": "7"}
    assert processor.card_setup(customer=customer, idempotency_key="setup-1") == secret


def test_creating_a_customer_twice_with_one_key_makes_one_customer(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    first = processor.create_customer(name="Eve", email="eve@example.com", idempotency_key="client-9")
    again = processor.create_customer(name="Eve", email="eve@example.com", idempotency_key="client-9")

    assert first == again and first.startswith("cus_")
    assert [c["name"] for c in fake.objects("customers")] == ["Eve"]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_stripe_failing_is_processor_unavailable_and_a_retry_then_works(
    fake: FakeStripe, processor: StripeProcessor, status: int
) -> None:
    fake.fail_next(status)

    with pytest.raises(ProcessorUnavailable):
        processor.charge(amount=1000, payment_method="pm_card_visa", customer=None, idempotency_key="p-16")
    assert fake.objects("payment_intents") == []
    processor.charge(amount=1000, payment_method="pm_card_visa", customer=None, idempotency_key="p-16")

    assert len(fake.objects("charges")) == 1


def test_a_bad_api_key_is_processor_unavailable(fake: FakeStripe) -> None:
    with pytest.raises(ProcessorUnavailable, match="Invalid API Key"):
        processor_for(fake, "sk_test_revoked000000000000").create_customer(name="F", email=None, idempotency_key="k")

    assert fake.objects("customers") == []


def test_stripe_unreachable_or_slow_is_processor_unavailable(fake: FakeStripe) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{closed.getsockname()[1]}"
    unreachable = StripeProcessor(FAKE_API_KEY, api_base=nobody, max_network_retries=0, timeout=(1.0, 1.0))
    impatient = StripeProcessor(FAKE_API_KEY, api_base=fake.base_url, max_network_retries=0, timeout=(1.0, 0.2))
    fake.delay_next(0.5)

    with pytest.raises(ProcessorUnavailable):
        unreachable.charge(amount=1000, payment_method="pm_card_visa", customer=None, idempotency_key="p-17")
    with pytest.raises(ProcessorUnavailable):
        impatient.refund(charge_id="ch_unknown", amount=1000, idempotency_key="refund-10")


def test_only_payment_method_ids_are_ever_sent(fake: FakeStripe, processor: StripeProcessor) -> None:
    with pytest.raises(CardDeclined):
        processor.charge(amount=1000, payment_method="4242424242424242", customer=None, idempotency_key="p-18")
    with pytest.raises(CardDeclined):
        processor.save_card(customer="cus_x", payment_method="4242 4242 4242 4242", idempotency_key="card-x")
    customer, card = client_with_card(processor)
    charge = processor.charge(amount=1000, payment_method=card.payment_method, customer=customer, idempotency_key="p")
    processor.refund(charge_id=charge.charge_id, amount=1000, idempotency_key="refund-11")
    processor.card_setup(customer=customer, idempotency_key="setup-2")
    processor.remove_card(payment_method=card.payment_method)

    sent = fake.requests
    assert len(sent) == 6
    for request in sent:
        text = request.body + request.path
        assert not any(luhn_valid(re.sub(r"[ -]", "", run)) for run in _DIGIT_RUN.findall(text)), request


def test_a_live_key_is_kept_off_plain_http_and_off_stripes_test_cards(fake: FakeStripe) -> None:
    with pytest.raises(ValueError, match="https"):
        StripeProcessor("sk_live_clientledger", api_base=fake.base_url)
    live = StripeProcessor("sk_live_clientledger", api_base="https://127.0.0.1:9", max_network_retries=0)

    with pytest.raises(CardDeclined, match="live mode"):
        live.charge(amount=1000, payment_method="pm_card_visa", customer=None, idempotency_key="p-19")


def test_get_processor_points_the_sdk_at_the_configured_api_base(
    fake: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENTLEDGER_PROCESSOR", "stripe")
    monkeypatch.setenv("CLIENTLEDGER_STRIPE_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("CLIENTLEDGER_STRIPE_API_BASE", fake.base_url)

    chosen = get_processor()
    customer = chosen.create_customer(name="Gil", email=None, idempotency_key="cust-gil")

    assert isinstance(chosen, PaymentProcessor) and chosen.name == "stripe"
    assert [c["id"] for c in fake.objects("customers")] == [customer]
