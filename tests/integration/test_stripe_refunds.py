"""Refunds through the Stripe adapter, and the events Stripe sends about them, against the fake.

A refund names the payment by its Stripe charge id (our ``processor_ref``); Stripe's events about
it (``refund.created``, ``charge.refunded``, ``refund.updated``) arrive later, signed, and name the
same charge id and our refund's metadata, so the app can match them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from clientledger.kit.errors import CardDeclined
from clientledger.kit.processing import CardDetails
from clientledger.payments.processors.stripe_adapter import StripeProcessor
from tests.support.fake_stripe import FAKE_API_KEY, FakeStripe
from tests.support.fake_stripe_events import SignedReceiver, sign

WEBHOOK_SECRET = "whsec_clientledger_test"


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


def test_refunds_full_and_partial_by_charge_id_with_keys_and_metadata(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    charge = processor.charge(amount=10000, payment_method="pm_card_visa", customer=None, idempotency_key="p-10")

    part = processor.refund(
        charge_id=charge.charge_id, amount=3000, idempotency_key="refund-1", metadata={"clientledger_refund_id": "r1"}
    )
    replay = processor.refund(
        charge_id=charge.charge_id, amount=3000, idempotency_key="refund-1", metadata={"clientledger_refund_id": "r1"}
    )
    rest = processor.refund(charge_id=charge.charge_id, amount=7000, idempotency_key="refund-2")

    assert replay == part
    assert part.refund_id.startswith("re_") and (part.charge_id, part.amount) == (charge.charge_id, 3000)
    assert fake.get(charge.charge_id)["amount_refunded"] == 10000
    assert sorted(r["amount"] for r in fake.objects("refunds")) == [3000, 7000]
    sent = fake.requests_to("POST", "/v1/refunds")[0]
    assert (sent.params["charge"], sent.params["amount"], sent.idempotency_key) == (
        charge.charge_id,
        "3000",
        "refund-1",
    )
    assert sent.params["metadata"] == {"clientledger_refund_id": "r1"}
    assert rest.refund_id != part.refund_id
    with pytest.raises(CardDeclined, match="has already been refunded"):
        processor.refund(charge_id=charge.charge_id, amount=1, idempotency_key="refund-3")


def test_a_refund_above_what_is_left_is_declined(processor: StripeProcessor) -> None:
    charge = processor.charge(amount=5000, payment_method="pm_card_visa", customer=None, idempotency_key="p-11")
    processor.refund(charge_id=charge.charge_id, amount=4000, idempotency_key="refund-4")

    with pytest.raises(CardDeclined, match=re.escape("greater than unrefunded amount on charge ($10.00)")):
        processor.refund(charge_id=charge.charge_id, amount=2000, idempotency_key="refund-5")


def test_a_refund_by_an_older_payment_intent_ref_still_refunds_its_charge(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    charge = processor.charge(amount=5000, payment_method="pm_card_visa", customer=None, idempotency_key="p-12")
    [intent] = fake.objects("payment_intents")

    processor.refund(charge_id=intent["id"], amount=5000, idempotency_key="refund-6")

    assert fake.get(charge.charge_id)["refunded"] is True


def test_a_refund_stripe_accepts_then_the_bank_refuses_arrives_as_a_signed_refund_updated(
    fake: FakeStripe, processor: StripeProcessor, receiver: SignedReceiver
) -> None:
    customer, card = client_with_card(processor, "pm_card_refundFail")
    charge = processor.charge(amount=8000, payment_method=card.payment_method, customer=customer, idempotency_key="p")

    refund = processor.refund(
        charge_id=charge.charge_id, amount=8000, idempotency_key="refund-7", metadata={"clientledger_refund_id": "r7"}
    )
    assert receiver.events == []  # Stripe tells later
    fake.deliver_events()

    assert receiver.types() == ["refund.created", "refund.updated"]
    created, updated = (event["data"]["object"] for event in receiver.events)
    assert created["status"] == "pending"
    assert (updated["id"], updated["status"], updated["failure_reason"]) == (
        refund.refund_id,
        "failed",
        "expired_or_canceled_card",
    )
    assert updated["charge"] == charge.charge_id
    assert updated["metadata"] == {"clientledger_refund_id": "r7"}
    assert receiver.events[1]["data"]["previous_attributes"]["status"] == "pending"
    assert fake.get(charge.charge_id)["amount_refunded"] == 0


def test_a_refund_stripe_answers_pending_is_pending_until_the_bank_confirms_and_asking_makes_none(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    charge = processor.charge(amount=6000, payment_method="pm_card_visa", customer=None, idempotency_key="p-13")
    fake.hold_refunds()

    refund = processor.refund(charge_id=charge.charge_id, amount=2500, idempotency_key="refund-8")

    assert refund.pending is True
    assert processor.check_refund(refund_id=refund.refund_id) is False
    fake.succeed_refund(refund.refund_id)
    assert processor.check_refund(refund_id=refund.refund_id) is True
    assert len(fake.requests_to("POST", "/v1/refunds")) == 1
    assert len(fake.requests_to("GET", f"/v1/refunds/{refund.refund_id}")) == 2
    assert fake.get(charge.charge_id)["amount_refunded"] == 2500


def test_asking_about_a_refund_the_bank_refused_is_a_decline_with_its_reason(processor: StripeProcessor) -> None:
    customer, card = client_with_card(processor, "pm_card_refundFail")
    charge = processor.charge(amount=8000, payment_method=card.payment_method, customer=customer, idempotency_key="p")
    refund = processor.refund(charge_id=charge.charge_id, amount=8000, idempotency_key="refund-9")
    assert refund.pending is True  # Stripe's first answer; the bank refuses it afterwards

    with pytest.raises(CardDeclined, match="expired or was canceled"):
        processor.check_refund(refund_id=refund.refund_id)


def test_a_refund_sends_refund_created_and_charge_refunded_naming_the_charge(
    fake: FakeStripe, processor: StripeProcessor, receiver: SignedReceiver
) -> None:
    charge = processor.charge(amount=6000, payment_method="pm_card_visa", customer=None, idempotency_key="p-13")
    processor.refund(
        charge_id=charge.charge_id, amount=2000, idempotency_key="refund-8", metadata={"clientledger_refund_id": "r8"}
    )

    [first, second] = fake.deliver_events()

    assert first.statuses == [200] and second.statuses == [200]
    assert receiver.types() == ["refund.created", "charge.refunded"]
    refunded = receiver.events[1]
    assert (refunded["data"]["object"]["id"], refunded["data"]["object"]["amount_refunded"]) == (charge.charge_id, 2000)
    assert refunded["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    assert receiver.events[0]["request"]["idempotency_key"] == "refund-8"
    assert fake.deliver_events() == []  # nothing left to send


def test_a_dashboard_refund_reaches_the_app_and_leaves_less_to_refund(
    fake: FakeStripe, processor: StripeProcessor, receiver: SignedReceiver
) -> None:
    charge = processor.charge(amount=6000, payment_method="pm_card_visa", customer=None, idempotency_key="p-14")

    outside = fake.refund_in_dashboard(charge.charge_id, 5000)
    fake.deliver_events()
    again = fake.redeliver(receiver.events[0]["id"])

    assert again == 200
    assert receiver.types() == ["refund.created", "charge.refunded", "refund.created"]
    assert receiver.events[0] == receiver.events[2]
    assert (receiver.events[0]["data"]["object"]["id"], receiver.events[0]["data"]["object"]["metadata"]) == (
        outside["id"],
        {},
    )
    with pytest.raises(CardDeclined, match="greater than unrefunded amount"):
        processor.refund(charge_id=charge.charge_id, amount=2000, idempotency_key="refund-9")


def test_a_bad_signature_secret_is_refused_by_the_receiver(receiver: SignedReceiver) -> None:
    with FakeStripe(webhook_target=receiver, webhook_secret="whsec_other") as fake:
        charge = processor_for(fake).charge(
            amount=600, payment_method="pm_card_visa", customer=None, idempotency_key="k"
        )
        fake.refund_in_dashboard(charge.charge_id)
        [delivery, _] = fake.deliver_events()

    assert delivery.statuses == [400] and not delivery.delivered
    assert receiver.events == []


@pytest.fixture
def endpoint(receiver: SignedReceiver) -> Iterator[str]:
    """The receiver behind a real HTTP server on loopback, as the app's webhook URL would be."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(receiver(body, {"Stripe-Signature": self.headers.get("Stripe-Signature", "")}))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/webhooks/stripe"
    finally:
        server.shutdown()
        server.server_close()


def test_events_are_posted_to_a_webhook_url_soon_after_the_answer(endpoint: str, receiver: SignedReceiver) -> None:
    with FakeStripe(webhook_target=endpoint, webhook_secret=WEBHOOK_SECRET, auto_deliver=True) as fake:
        processor = processor_for(fake)
        charge = processor.charge(amount=3000, payment_method="pm_card_visa", customer=None, idempotency_key="p-20")
        processor.refund(charge_id=charge.charge_id, amount=3000, idempotency_key="refund-12")

        assert fake.wait_until_delivered(timeout=5.0)

    assert receiver.types() == ["refund.created", "charge.refunded"]
    assert receiver.events[1]["data"]["object"]["refunded"] is True


def test_events_are_signed_as_the_stripe_sdk_signs_them() -> None:
    payload = '{"id": "evt_1", "object": "event"}'

    ours = sign(payload.encode(), WEBHOOK_SECRET, timestamp=1_700_000_000)

    assert ours == stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET, timestamp=1_700_000_000)


def test_a_charges_refunds_are_listed_with_their_ids_status_and_metadata(
    fake: FakeStripe, processor: StripeProcessor
) -> None:
    charge = processor.charge(amount=9000, payment_method="pm_card_visa", customer=None, idempotency_key="p-14")
    other = processor.charge(amount=9000, payment_method="pm_card_visa", customer=None, idempotency_key="p-15")
    ours = processor.refund(
        charge_id=charge.charge_id, amount=1000, idempotency_key="refund-10", metadata={"clientledger_refund_id": "r10"}
    )
    theirs = fake.refund_in_dashboard(charge.charge_id, 2000)
    processor.refund(charge_id=other.charge_id, amount=500, idempotency_key="refund-11")

    listed = processor.charge_refunds(charge_id=charge.charge_id)

    assert listed is not None
    assert sorted((r.refund_id, r.amount, r.status, r.our_refund_id) for r in listed) == sorted(
        [(ours.refund_id, 1000, "succeeded", "r10"), (theirs["id"], 2000, "succeeded", None)]
    )
    assert all(charge.charge_id in r.charge_refs for r in listed)
